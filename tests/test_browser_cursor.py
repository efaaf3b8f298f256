"""The Gates time cursor in a real browser: it moves with no server message, opens at a link's step, follows clicks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_browser import CHROMIUM, SHOTS, browser, goto, server, wait_idle  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
sync_api = pytest.importorskip("playwright.sync_api")

GATES = "gates?model=brackets"
HERO = '[data-testid="stPlotlyChart"]:has(.gtitle)'

# The Gates figure's graph div and what the browser shows of its cursor.
STATE_JS = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
    g => g.layout && g.layout.title && String(g.layout.title.text).includes('Every gate and state'));
  if (!gd || !gd._fullLayout || !gd._fullLayout.sliders) return null;
  const cursor = gd.data.find(tr => tr.name === 'cursor');
  const readout = gd.data.find(tr => tr.name === 'readout');
  return {active: gd._fullLayout.sliders[0].active, x: Math.min(...cursor.x.filter(v => v !== null)) + 0.5,
          readout: readout.text[0], images: gd.querySelectorAll('.layer-below image, .imagelayer image').length};
}"""


@pytest.fixture
def page(browser):  # noqa: F811 - the browser fixture of test_browser
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


def _count_sent(pg) -> list[int]:
    """A counter of the frames the page sends on its websockets (Streamlit's BackMsgs: reruns, widget values)."""
    sent = [0]
    pg.on("websocket", lambda ws: ws.on("framesent", lambda _frame: sent.__setitem__(0, sent[0] + 1)))
    return sent


def _state(pg) -> dict:
    pg.wait_for_function(f"({STATE_JS})() !== null", timeout=60_000)
    return pg.evaluate(f"({STATE_JS})()")


def _rail(pg) -> dict:
    chart = pg.locator(HERO).first
    chart.scroll_into_view_if_needed()
    return chart.locator(".slider-rail-touch-rect").bounding_box()


def _step_at(pg, fraction: float) -> None:
    """Click the slider's rail at ``fraction`` of its width (Plotly moves to the nearest step)."""
    rail = _rail(pg)
    pg.mouse.click(rail["x"] + fraction * rail["width"], rail["y"] + rail["height"] / 2)


def test_scrubbing_and_playing_send_no_message_to_the_server(server, page):  # noqa: F811
    sent = _count_sent(page)
    goto(page, server, GATES)
    start = _state(page)
    assert start["active"] == 0 and start["images"] == 7
    runs, before = server.count("full page run"), sent[0]
    # Drag the slider's grip across the rail.
    rail = _rail(page)
    y = rail["y"] + rail["height"] / 2
    page.mouse.move(rail["x"] + 2, y)
    page.mouse.down()
    for k in range(1, 21):
        page.mouse.move(rail["x"] + k * rail["width"] / 40, y)
        page.wait_for_timeout(30)
    page.mouse.up()
    dragged = _state(page)
    assert dragged["active"] > 5 and dragged["x"] == dragged["active"], dragged
    assert f"t = {dragged['active']}" in dragged["readout"]
    assert dragged["images"] == 7, "the heatmaps stay while the cursor moves"
    # Play runs on its own, then pauses.
    page.locator(HERO).locator(".updatemenu-button", has_text="play").click()
    page.wait_for_function(f"({STATE_JS})().active >= {dragged['active'] + 5}", timeout=10_000)
    page.locator(HERO).locator(".updatemenu-button", has_text="pause").click()
    played = _state(page)
    page.wait_for_timeout(500)
    assert _state(page)["active"] == played["active"], "pause stops the cursor"
    page.wait_for_timeout(500)
    assert sent[0] == before, f"{sent[0] - before} websocket messages while the cursor moved"
    assert server.count("full page run") == runs, "no server run while the cursor moved"


def test_a_link_opens_at_its_step(server, page):  # noqa: F811
    goto(page, server, f"{GATES}&t=12&unit=1")
    state = _state(page)
    assert state["active"] == 12 and state["x"] == 12 and "t = 12" in state["readout"]
    assert "t=12" in page.url and "unit=1" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    goto(page, server, f"{GATES}&t=abc")
    assert _state(page)["active"] == 0
    assert page.get_by_text("t=abc is not a whole number").count() == 1


def test_clicking_a_cell_moves_the_cursor_and_puts_the_step_and_unit_in_the_link(server, page):  # noqa: F811
    goto(page, server, GATES)
    chart = page.locator(HERO)
    chart.scroll_into_view_if_needed()
    t, unit = 17, 2
    # The forget gate's cell (t, unit), in page pixels, from the figure's own axes (rows in i, f, g, ... order).
    point = page.evaluate(
        """([t, unit]) => {
          const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
            g => String(g.layout.title.text).includes('Every gate and state'));
          // calcdata: the points as plotly.js placed them (data arrays may still be base64 here).
          const k = gd.data.findIndex(tr => tr.name === 'cells');
          const steps = gd.calcdata[gd.data.findIndex(tr => tr.name === 'input')].length;
          const units = gd.calcdata[k].length / 7 / steps;
          const cell = gd.calcdata[k][1 * units * steps + unit * steps + t];  // row f, the second
          const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
          return {x: box.left + xa._offset + xa.l2p(cell.x), y: box.top + ya._offset + ya.l2p(cell.y)};
        }""",
        [t, unit],
    )
    page.mouse.move(point["x"], point["y"])
    page.wait_for_timeout(300)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function(f"() => location.search.includes('t={t}')", timeout=30_000)
    wait_idle(page)
    assert f"unit={unit}" in page.url
    page.wait_for_function(f"({STATE_JS})()?.active === {t}", timeout=30_000)
    state = _state(page)
    assert state["x"] == t and f"t = {t}" in state["readout"]
    # The link carries the step: opened fresh, the page starts there.
    other = page.context.new_page()
    goto(other, server, page.url.removeprefix(server.url + "/"))
    assert _state(other)["active"] == t


@pytest.mark.parametrize(("width", "height"), [(1600, 900), (1280, 720)])
@pytest.mark.parametrize("name", ["gates", "home"])
def test_screenshots_of_gates_and_home_with_the_figure_in_the_first_screen(server, browser, name, width, height):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height})
    pg = context.new_page()
    try:
        goto(pg, server, GATES if name == "gates" else "?model=brackets")
        chart = pg.locator(HERO).first.bounding_box()
        main = pg.locator('[data-testid="stMainBlockContainer"]').bounding_box()
        assert chart["x"] >= main["x"] - 1 and chart["x"] + chart["width"] <= main["x"] + main["width"] + 1
        # Above the fold: the whole figure on Gates at 1600x900 and on Home at both sizes, its rows on Gates at 720.
        visible = (
            chart["y"] + chart["height"] if (name, height) != ("gates", 720) else chart["y"] + 0.8 * chart["height"]
        )
        assert chart["y"] >= 0 and visible <= height + 2, (chart, height)
        SHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SHOTS / f"cursor_{name}_{width}x{height}_first_screen.png"))
        full = pg.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        pg.set_viewport_size({"width": width, "height": min(full + 40, 10_000)})
        pg.wait_for_timeout(1000)
        pg.screenshot(path=str(SHOTS / f"cursor_{name}_{width}x{height}.png"), full_page=True)
    finally:
        context.close()


def test_the_interactive_html_export_plays_offline(browser, tmp_path):  # noqa: F811
    from lstm_viz.config import LSTMConfig
    from lstm_viz.export.html import figures_html
    from lstm_viz.figures.gates_over_time import gates_over_time_figure
    from lstm_viz.run import run

    rec = run(LSTMConfig(batch=1, seq_len=10, input_size=3, hidden_size=4)).trace.layer(0)
    path = tmp_path / "page.html"
    html = figures_html([("gates", gates_over_time_figure(rec))], "title", "config")
    path.write_text(html if isinstance(html, str) else html.decode())
    pg = browser.new_page()
    foreign = []
    pg.on("request", lambda req: None if req.url.startswith(("file:", "data:", "blob:")) else foreign.append(req.url))
    pg.goto(path.as_uri())
    pg.wait_for_function(f"({STATE_JS})() !== null", timeout=30_000)
    pg.wait_for_timeout(2000)  # plotly's HTML plays the frames once on opening (auto_play)
    # Moved as the figure's own slider moves it: the bars take frame 7's fills in this plotly.js too.
    fills = pg.evaluate(
        """async () => { const gd = document.querySelector('.js-plotly-plot');
          await Plotly.animate(gd, ['7'], gd.layout.sliders[0].steps[7].args[1]);
          await new Promise(r => setTimeout(r, 300));
          const bars = [...gd.querySelectorAll('g.trace')].find(g => g.__data__?.[0]?.trace?.type === 'bar');
          const hex = c => '#' + c.match(/\\d+/g).slice(0, 3).map(v => (+v).toString(16).padStart(2, '0')).join('');
          const frame = gd._transitionData._frames.find(f => f.name === '7');
          return [[...bars.querySelectorAll('path')].map(p => hex(getComputedStyle(p).fill)),
                  frame.data.find(d => d.type === 'bar').marker.color]; }"""
    )
    state = pg.evaluate(f"({STATE_JS})()")
    assert state["x"] == 7 and "t = 7" in state["readout"] and state["images"] == 8, "7 rows and the input's values"
    assert fills[0] == fills[1]
    assert foreign == []
    pg.close()


# What Chromium draws of the Gates figure's moving parts: every bar's outline and fill, the cursor, the step label
# and the outlines, read from the SVG (not from the figure's JSON, which was right while the drawing was not).
DRAWN_JS = """(prefix) => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
    g => String(g.layout?.title?.text).includes(prefix));
  if (!gd || !gd._fullLayout || !gd._fullLayout.sliders) return null;
  const trace = name => [...gd.querySelectorAll('g.trace')].find(g => g.__data__?.[0]?.trace?.name === name);
  return {
    active: gd._fullLayout.sliders[0].active,
    steps: gd._fullLayout.sliders[0].steps.length,
    bars: [...trace('values at the cursor').querySelectorAll('path')].map(
      p => [p.getAttribute('d'), getComputedStyle(p).fill]),
    cursor: trace('cursor').querySelector('path.js-line').getAttribute('d'),
    label: trace('readout').textContent,
    outlines: [...gd.querySelectorAll('.shapelayer path')].map(p => p.getAttribute('d')),
  };
}"""
TITLE = "Every gate and state"


def _drawn(pg, prefix: str = TITLE) -> dict:
    pg.wait_for_function(f"({DRAWN_JS})({prefix!r}) !== null", timeout=60_000)
    return pg.evaluate(f"({DRAWN_JS})({prefix!r})")


def _opened_at(browser, server, path: str, t: int, viewport: dict, prefix: str = TITLE) -> dict:  # noqa: F811
    """What the figure draws when a link opens the page at step ``t``."""
    context = browser.new_context(viewport=viewport)
    try:
        pg = context.new_page()
        goto(pg, server, f"{path}&t={t}")
        return _drawn(pg, prefix)
    finally:
        context.close()


def _same_drawing(moved: dict, direct: dict) -> None:
    assert moved["active"] == direct["active"]
    fills = sum(a[1] != b[1] for a, b in zip(moved["bars"], direct["bars"], strict=True))
    shapes = sum(a[0] != b[0] for a, b in zip(moved["bars"], direct["bars"], strict=True))
    assert (fills, shapes) == (0, 0), f"{fills} bar fills and {shapes} bar shapes differ at t = {moved['active']}"
    assert moved["cursor"] == direct["cursor"] and moved["label"] == direct["label"]
    assert moved["outlines"] == direct["outlines"]


# The Gates figure's words in each language: its title, its buttons and the step label above the bars.
WORDS = {
    "en": dict(title=TITLE, play="play", pause="pause", at="<b>at t = {t}</b>"),
    "zh-CN": dict(title="所有门和状态", play="播放", pause="暂停", at="<b>t = {t} 时</b>"),
}


@pytest.mark.parametrize(
    ("path", "lang"),
    [(GATES, "en"), ("?model=brackets", "en"), (f"{GATES}&lang=zh-CN", "zh-CN")],
    ids=["gates", "home", "gates in Chinese"],
)
def test_a_dragged_or_played_step_is_drawn_exactly_as_the_same_step_opened_from_a_link(server, browser, path, lang):  # noqa: F811
    viewport = {"width": 1600, "height": 900}
    words = WORDS[lang]
    title = words["title"]
    context = browser.new_context(viewport=viewport)
    pg = context.new_page()
    try:
        goto(pg, server, path)
        start = _drawn(pg, title)
        rail = _rail(pg)
        steps = start["steps"]
        moved = {}
        for t in (5, 17, 39):
            pg.mouse.click(rail["x"] + (t + 0.5) / steps * rail["width"], rail["y"] + rail["height"] / 2)
            pg.wait_for_function(f"({DRAWN_JS})({title!r})?.active === {t}", timeout=10_000)
            pg.wait_for_timeout(300)
            moved[t] = _drawn(pg, title)
        assert moved[5]["bars"] != start["bars"], "the bars follow the cursor"
        # Played from the start, paused wherever it got to.
        pg.mouse.click(rail["x"] + 0.5 / steps * rail["width"], rail["y"] + rail["height"] / 2)
        pg.locator(HERO).first.locator(".updatemenu-button", has_text=words["play"]).click()
        pg.wait_for_function(f"({DRAWN_JS})({title!r}).active >= 9", timeout=20_000)
        pg.locator(HERO).first.locator(".updatemenu-button", has_text=words["pause"]).click()
        pg.wait_for_timeout(500)
        played = _drawn(pg, title)
        moved[played["active"]] = played
    finally:
        context.close()
    for t, state in moved.items():
        # The step's words, drawn in the reader's language in every moved state as when opened there.
        assert state["label"].startswith(re.sub("<[^>]+>", "", words["at"].format(t=t))), state["label"]
        _same_drawing(state, _opened_at(browser, server, path, t, viewport, title))
