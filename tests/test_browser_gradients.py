"""Real-browser tests of the Gradient flow page and the one-step page's backward view, with screenshots."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_browser import CHROMIUM, SHOTS, Server, browser, goto, number_input, page, server, wait_idle  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

TASK_PAGE = "gradients?model=task&task=remember_bit&seq_len=20&batch=4"
NORMS = "How far back"

# Every Plotly chart on the page as plain data: title, and each trace's name and y values. ``data`` holds y as
# sent ({dtype, bdata} base64); ``_fullData`` holds what Plotly decoded and drew, a typed array.
READ_PLOTS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(el => ({
    title: (el.layout?.title?.text ?? '').replace(/<[^>]+>/g, ''),  // Streamlit's theme wraps titles in <b>
    traces: (el._fullData || []).map(d => ({name: d.name ?? '', type: d.type, y: d.y ? Array.from(d.y) : null})),
}))"""


def plots(pg) -> list[dict]:
    return pg.evaluate(READ_PLOTS)


def plot(pg, title_start: str) -> dict:
    # The page's notes come before its charts: on a busy machine the first chart can follow them by seconds.
    pg.wait_for_function(
        "(start) => [...document.querySelectorAll('.js-plotly-plot')].some("
        "el => (el.layout?.title?.text ?? '').replace(/<[^>]+>/g, '').startsWith(start))",
        arg=title_start,
        timeout=60_000,
    )
    found = [p for p in plots(pg) if p["title"].startswith(title_start)]
    assert found, f"no chart titled {title_start!r}: {[p['title'] for p in plots(pg)]}"
    return found[0]


def line(pg, name: str) -> list[float]:
    return next(t["y"] for t in plot(pg, NORMS)["traces"] if t["name"] == name)


def shoot(pg, name: str) -> Path:
    """A full-page screenshot in SHOTS, the viewport stretched to the page so every chart is drawn."""
    height = pg.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    pg.set_viewport_size({"width": 1500, "height": min(height + 40, 10_000)})
    pg.wait_for_timeout(1000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 20_000
    return path


def paragraph(pg, words: str) -> str:
    """The text of the first Markdown block (a paragraph, a caption) holding ``words``."""
    return pg.locator('[data-testid="stMarkdown"]').filter(has_text=words).first.inner_text()


def no_exception(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0
    assert pg.locator('[data-testid="stAlertContentError"]').count() == 0


def choose(pg, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``."""
    pg.get_by_role("combobox", name=label, exact=True).click()
    pg.get_by_role("option", name=option, exact=True).click()


def test_gradient_flow_page_draws_lstm_and_rnn_and_the_forget_bias_slider_moves_the_lstm(server, page):  # noqa: F811
    goto(page, server, "gradients?model=random")
    no_exception(page)
    names = [t["name"] for t in plot(page, NORMS)["traces"]]
    assert names[:3] == ["LSTM ‖dL/dc_t‖", "LSTM ‖dL/dh_t‖", "RNN ‖dL/dh_t‖"]
    titles = [p["title"] for p in plots(page)]
    for start in ("LSTM cell state", "LSTM hidden state", "RNN", "Saturated gates", "h over time", "c and h"):
        assert any(t.startswith(start) for t in titles), (start, titles)
    rnn = line(page, "RNN ‖dL/dh_t‖")
    assert rnn[-1] > 0 and rnn[0] < rnn[-1], "the RNN's gradient shrinks going back in time"
    shoot(page, "gradient_flow")
    # A random model has no read-out and no targets: no task loss is offered.
    page.get_by_role("combobox", name="loss", exact=True).click()
    options = page.get_by_role("option").all_inner_texts()
    assert options == ["the last step's output", "every step's output"]
    page.keyboard.press("Escape")

    # The forget-bias slider (same page, no reload): the LSTM's cell gradient reaches further back.
    before = line(page, "LSTM ‖dL/dc_t‖")
    rnn_before = line(page, "RNN ‖dL/dh_t‖")
    thumb = page.get_by_role("slider", name="forget-gate bias shift (added to b_if)")
    thumb.focus()
    for _ in range(6):  # 6 steps of 0.5
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.gtitle')].some(e => e.textContent.includes('forget bias +3'))",
        timeout=60_000,
    )
    wait_idle(page)
    no_exception(page)
    after = line(page, "LSTM ‖dL/dc_t‖")
    assert len(after) == len(before) and after != before
    assert after[0] > before[0], "with forget gates nearer 1 the cell gradient reaches the first step stronger"
    assert line(page, "RNN ‖dL/dh_t‖") == rnn_before, "the RNN has no forget gate"
    measured = paragraph(page, "Measured on these weights:")
    assert "the forget-bias shift of +3 moves" in measured
    assert f"from {before[0]:.2e} to {after[0]:.2e}" in measured and "lesson holds here" in measured
    shoot(page, "gradient_flow_forget_bias_plus3")


def note_with(pg, words: str) -> str:
    return pg.locator('[data-testid="stAlert"]').filter(has_text=words).first.inner_text()


def test_default_run_races_two_trained_networks_with_heatmaps_as_wide_as_the_norms(server, page):  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 720})
    goto(page, server, "gradients")
    no_exception(page)
    race = paragraph(page, "The race: trained against trained")
    assert "per-step accuracy 1.000" in race and "Plain tanh RNN (shipped beside the LSTM" in race
    note = note_with(page, "orders of magnitude")
    assert "t = 0" in note and "trained LSTM" in note and "trained RNN" in note
    # The words state the very values drawn at t = 0.
    lstm, rnn = line(page, "LSTM ‖dL/dc_t‖"), line(page, "RNN ‖dL/dh_t‖")
    assert f"‖dL/dc‖ {lstm[0]:.2e} against ‖dL/dh‖ {rnn[0]:.2e}" in note
    assert 1 < lstm[0] / rnn[0] < 1e3, "trained against trained, the bracket task's gap is small"
    assert plot(page, NORMS)["title"].startswith("How far back the gradient reaches: trained LSTM vs trained")
    widths = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].map(el => [
            (el.layout?.title?.text ?? '').replace(/<[^>]+>/g, ''), el._fullLayout._size.w])"""
    )
    norms = next(w for t, w in widths if t.startswith(NORMS))
    heat = [w for t, w in widths if "log10 |" in t]
    assert len(heat) == 3 and all(abs(w - norms) <= 2 for w in heat), (norms, heat)
    assert norms > 600, "at 1280x720 every step of the three heatmaps has room"
    # Hover on a heatmap whose axis shows symbols: the step's index, its symbol, the unit and the value.
    heat_plot = page.locator(".js-plotly-plot").nth(1)
    heat_plot.scroll_into_view_if_needed()
    area = heat_plot.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(area["x"] + area["width"] * 0.31, area["y"] + area["height"] * 0.4)
    page.wait_for_selector(".hoverlayer .hovertext", timeout=10_000)
    hover = page.locator(".hoverlayer .hovertext").first.text_content()
    assert re.search(r"step \d+ \(input .\)unit \d+log10", hover), hover
    shoot(page, "gradient_flow_default_race")


def test_remember_bit_draws_the_gap_its_words_state(server, page):  # noqa: F811
    goto(page, server, "gradients?model=remember_bit")
    no_exception(page)
    note = note_with(page, "orders of magnitude")
    orders = int(re.search(r"(\d+) orders of magnitude", note).group(1))
    assert orders >= 3 and "outlives" in note
    lstm, rnn = line(page, "LSTM ‖dL/dc_t‖"), line(page, "RNN ‖dL/dh_t‖")
    assert f"‖dL/dc‖ {lstm[0]:.2e} against ‖dL/dh‖ {rnn[0]:.2e}" in note
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot .annotation-text')].map(e => e.textContent)"""
    )
    assert f"{orders} orders ofmagnitude apart" in drawn, drawn


@pytest.mark.parametrize(("name", "path"), [("brackets", "gradients"), ("random", "gradients?model=random")])
@pytest.mark.parametrize("size", [(1600, 900), (1280, 720)])
def test_first_screen_names_the_race_at_class_sizes(server, page, name, path, size):  # noqa: F811
    """The first screen, as projected: the race and its runners are named before any chart."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    goto(page, server, path)
    no_exception(page)
    plot(page, NORMS)
    race = page.locator('[data-testid="stMarkdown"]').filter(has_text="The race:").first
    box = race.bounding_box()
    assert box is not None and box["y"] + box["height"] < size[1], "the race is named on the first screen"
    words = "trained against trained" if name == "brackets" else "untrained against untrained"
    assert words in race.inner_text()
    assert page.locator('[data-testid="stMarkdown"]').filter(has_text="Measured on these").first.is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"gradient_flow_{name}_{size[0]}x{size[1]}.png"))


def test_step_page_backward_view_shows_its_equations(server, page):  # noqa: F811
    goto(page, server, "step?seq_len=10&hidden_size=6")
    page.locator('[data-testid="stRadio"]').get_by_text("backward", exact=True).click()
    page.wait_for_selector("text=Backward through step t = 5", timeout=60_000)
    wait_idle(page)
    no_exception(page)
    equations = page.locator('[data-testid="stMarkdownContainer"] .katex-display')
    assert equations.count() >= 6  # dL/dh (or dL/dm), dL/dc and one per gate
    text = " ".join(equations.all_inner_texts())
    assert "∂L" in text and "tanh" in text
    assert number_input(page, "time step t").input_value() == "5"
    shoot(page, "step_backward")


def test_task_loss_choice_on_a_task_run(server, page):  # noqa: F811
    goto(page, server, TASK_PAGE)
    no_exception(page)
    before = line(page, "LSTM ‖dL/dh_t‖")
    choose(page, "loss", "the task's own loss")
    page.wait_for_selector("text=cross-entropy of softmax(head(h_t))", timeout=60_000)
    wait_idle(page)
    no_exception(page)
    after = line(page, "LSTM ‖dL/dh_t‖")
    assert after != before and after[-1] > 0
    shoot(page, "gradient_flow_task_loss")
    # The step page's backward view offers the same loss on the same run.
    goto(page, server, TASK_PAGE.replace("gradients", "step"))
    page.locator('[data-testid="stRadio"]').get_by_text("backward", exact=True).click()
    page.wait_for_selector("text=Backward through step", timeout=60_000)
    choose(page, "loss", "the task's own loss: its training loss of the read-out head(h_t) on the sequences on screen")
    page.wait_for_selector("text=cross-entropy of softmax(head(h_t))", timeout=60_000)
    wait_idle(page)
    no_exception(page)


def test_the_page_in_chinese_states_the_gap_it_draws_on_the_first_screen(server, page):  # noqa: F811
    """Projected at 1280x720 in Chinese: the race and its verdict on the first screen, their numbers the drawn ones."""
    page.set_viewport_size({"width": 1280, "height": 720})
    goto(page, server, "gradients?model=remember_bit&lang=zh-CN")
    no_exception(page)
    norms = plot(page, "梯度能传回多远")
    assert norms["title"].startswith("梯度能传回多远：训练好的 LSTM 对比训练好的普通 RNN")
    lstm, rnn = (
        next(t["y"] for t in norms["traces"] if t["name"] == name) for name in ("LSTM ‖dL/dc_t‖", "RNN ‖dL/dh_t‖")
    )
    note = note_with(page, "个数量级")
    orders = int(re.search(r"大 (\d+) 个数量级", note).group(1))
    assert orders >= 3 and f"（‖dL/dc‖ {lstm[0]:.2e} 对 ‖dL/dh‖ {rnn[0]:.2e}）" in note
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot .annotation-text')].map(e => e.textContent)"""
    )
    assert f"相差 {orders}个数量级" in drawn, drawn
    race = page.locator('[data-testid="stMarkdown"]').filter(has_text="比赛：训练好的对训练好的").first
    box = race.bounding_box()
    assert box is not None and box["y"] + box["height"] < 720, "the race is named on the first screen"
    assert race.locator("strong").first.inner_text() == "比赛：训练好的对训练好的", "the Markdown's bold renders"
    measured = page.locator('[data-testid="stMarkdown"]').filter(has_text="在这些权重上实测").first
    assert measured.locator("strong").first.inner_text() == "在这些权重上实测"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "gradient_flow_zh-CN_1280x720.png"))
