"""The Cells that read code page in a real browser: its first screen, selecting by dragging, the replay, fit.

What Chromium draws, measured: the headline's cell on its track within the first screen at 1280x720 and
1600x900; a thin drag across a word selecting that word; the text replay moved by its slider and by play drawn
exactly as the same step drawn directly; every chart's text inside its chart. Screenshots go to
``artifacts/screenshots``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from test_browser import CHROMIUM, SHOTS, Server, browser, server, wait_idle  # noqa: F401
from test_browser_fit import MEASURE

from lstm_viz.reading import code_models, tracking

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

PAGE = "code?model=brackets"
"""The app's own model stated, so the page does not depend on the app's default run."""
VIEW = "coloured by each cell"
"""Words in the text view's title."""
SPAN_SET = "(want) => [...document.querySelectorAll('input')].some(i => i.value === want)"

# Every character of the text view's first panel: its step, its value, and where it sits on the screen.
CHARS_JS = """(prefix) => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
    g => String(g.layout?.title?.text).includes(prefix));
  if (!gd || !gd._fullLayout || !gd._fullLayout.yaxis) return null;
  const tr = gd._fullData.find(t => t.type === 'scatter' && t.mode === 'markers+text' && t.customdata);
  const fl = gd._fullLayout, box = gd.getBoundingClientRect();
  const chars = [];
  for (let i = 0; i < tr.x.length; i++) {
    chars.push([Number(tr.customdata[i][0]), Number(tr.customdata[i][1]),
                box.left + fl._size.l + fl.xaxis.l2p(tr.x[i]), box.top + fl._size.t + fl.yaxis.l2p(tr.y[i])]);
  }
  return {chars, col: Math.abs(fl.xaxis.l2p(1) - fl.xaxis.l2p(0)), row: Math.abs(fl.yaxis.l2p(1) - fl.yaxis.l2p(0))};
}"""

# What Chromium draws of the replay's moving parts (read from the SVG, not the figure's JSON): the cover's fill
# and outline paths, the slider's step and label.
DRAWN_JS = """(gd) => {
  const cover = [...gd.querySelectorAll('g.trace')].find(g => g.__data__?.[0]?.trace?.name === 'not yet written');
  const path = sel => { const p = cover && cover.querySelector(sel); return p ? p.getAttribute('d') : null; };
  const fill = cover && cover.querySelector('path.js-fill');
  const empty = !fill || ['', 'M0,0Z'].includes(fill.getAttribute('d') ?? '');  // nothing covered: no colour
  return {active: gd._fullLayout.sliders[0].active, steps: gd._fullLayout.sliders[0].steps.length,
          fill: path('path.js-fill'), colour: empty ? null : getComputedStyle(fill).fill, line: path('path.js-line'),
          label: [...gd.querySelectorAll('.slider-label')].map(e => e.textContent).find(
            t => t.startsWith('characters written')) ?? null,
          grip: gd.querySelector('.slider-grip-rect')?.getAttribute('transform') ?? null};
}"""
REPLAY = f"""() => [...document.querySelectorAll('.js-plotly-plot')].find(
    g => String(g.layout?.title?.text).includes('{VIEW}') && g._fullLayout?.sliders?.length)"""
# The same figure drawn directly at step k by the page's own plotly.js: the figure as sent, its cover at frame
# k's place and its slider at k, in a div of the same size on top of the page.
DIRECT_JS = f"""async (k) => {{
  const gd = ({REPLAY})();
  const data = structuredClone(gd.data), layout = structuredClone(gd.layout);
  const cover = data.findIndex(t => t.name === 'not yet written');
  const frame = gd._transitionData._frameHash[String(k)];
  data[cover] = {{...data[cover], x: frame.data[0].x, y: frame.data[0].y}};
  layout.sliders[0].active = k;
  layout.width = gd._fullLayout.width;
  layout.height = gd._fullLayout.height;
  document.getElementById('direct')?.remove();
  const div = document.createElement('div'), at = gd.getBoundingClientRect();
  div.id = 'direct';
  // Exactly over the page's chart (to the fraction of a pixel), so the two are drawn on the same pixel grid.
  div.style.cssText = `position:fixed;left:${{at.left}}px;top:${{at.top}}px;z-index:100000;background:white;` +
                      `width:${{layout.width}}px;height:${{layout.height}}px`;
  document.body.appendChild(div);
  await Plotly.newPlot(div, data, layout, {{displayModeBar: false, responsive: false}});
  return true;
}}"""


def no_exception(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0
    assert pg.locator('[data-testid="stAlertContentError"]').count() == 0


def open_page(browser, server, path: str, size: tuple[int, int]):  # noqa: F811
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    pg = context.new_page()
    pg.goto(f"{server.url}/{path}")
    pg.wait_for_selector(".js-plotly-plot", timeout=240_000)
    wait_idle(pg, timeout=240_000)
    no_exception(pg)
    return context, pg


def chars(pg) -> dict:
    pg.wait_for_function(f"({CHARS_JS})({VIEW!r}) !== null", timeout=60_000)
    return pg.evaluate(f"({CHARS_JS})({VIEW!r})")


@pytest.fixture(scope="module")
def opening():
    """The window the page opens on, as the page reads it, and its track (computed here, not read off the page)."""
    model = code_models.load("code")
    tracks = code_models.corpus_tracks()
    found = code_models.findings("code")[0]
    told = code_models.headline_of(found, code_models.match_corpus(model), tracks, code_models.corpus_regions(tracks))
    _, text, _, offset = code_models.held_out_window(told.window.file, told.window.line, 1200)
    held = code_models.corpus.analysis()
    skip = offset - held.starts[told.window.file]
    inside = tracking.tracks(held.texts[told.window.file]).window(skip, skip + len(text))[found.track] > 0
    return told, text, inside.numpy()


@pytest.mark.parametrize("size", [(1280, 720), (1600, 900)], ids=["1280x720", "1600x900"])
def test_the_first_screen_shows_the_headlines_cell_on_its_track_and_where_else_it_fires(server, browser, opening, size):  # noqa: F811
    told, text, inside = opening
    context, pg = open_page(browser, server, PAGE, size)
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SHOTS / f"code_first_{size[0]}x{size[1]}.png"))
        note = pg.locator('[data-testid="stAlert"]', has_text="untrained best").first
        assert "also at the start of a file" in note.inner_text()
        assert note.bounding_box()["y"] + note.bounding_box()["height"] <= size[1]
        got = chars(pg)
        shown = [(step, value) for step, value, _, y in got["chars"] if 0 <= y + got["row"] / 2 <= size[1]]
        on_track = [v for s, v in shown if inside[s]]
        off_track = [v for s, v in shown if not inside[s]]
        # On the first screen: characters of its track with the cell on, and characters off it with the cell off.
        assert sum(v > 0.5 for v in on_track) >= 40, (len(shown), len(on_track))
        assert sum(v < 0.5 for v in off_track) >= 20
        assert np.mean([v > 0.5 for v in on_track]) > 0.8 and np.mean([v < 0.5 for v in off_track]) > 0.8
    finally:
        context.close()


def _drag(pg, x0: float, x1: float, y: float, dy: float = 2) -> None:
    pg.mouse.move(x0, y)
    pg.mouse.down()
    pg.mouse.move((x0 + x1) / 2, y + dy / 2, steps=5)
    pg.mouse.move(x1, y + dy, steps=5)
    pg.mouse.up()


def test_a_thin_drag_across_a_word_selects_that_word_and_shows_its_matches_in_their_lines(server, browser, opening):  # noqa: F811
    _, text, _ = opening
    context, pg = open_page(browser, server, PAGE, (1600, 900))
    try:
        start = text.index("tangent")
        got = chars(pg)
        by_step = {step: (x, y) for step, _, x, y in got["chars"]}
        (x0, y), (x1, _) = by_step[start], by_step[start + len("tangent") - 1]
        # From inside the word's first letter to inside its last, 2 pixels high: Plotly's default drag would
        # select a range of columns on every row.
        _drag(pg, x0 - 0.3 * got["col"], x1 + 0.3 * got["col"], y - 1)
        want = f"{start}-{start + len('tangent')}"
        pg.wait_for_function(SPAN_SET, arg=want, timeout=60_000)
        wait_idle(pg, timeout=120_000)
        no_exception(pg)
        assert f"code_span={want}" in pg.url, "the span lives in the URL"
        selected = pg.locator("p", has_text=re.compile(r"^Selected tangent \(characters")).first
        selected.wait_for(timeout=60_000)
        # Its matches in their lines, the matched characters marked, grouped by what they are.
        heads = pg.locator("b", has_text=re.compile(r"^in (docstrings|strings|comments|code)$"))
        assert heads.count() >= 1 and pg.locator("mark").count() >= 1
        pg.get_by_text("Select and match").scroll_into_view_if_needed()
        pg.wait_for_timeout(800)
        pg.screenshot(path=str(SHOTS / "code_span_1600x900.png"))
        pg.set_viewport_size({"width": 1280, "height": 720})
        pg.wait_for_timeout(1500)
        pg.get_by_text("Select and match").scroll_into_view_if_needed()
        pg.screenshot(path=str(SHOTS / "code_span_1280x720.png"))
        # A short drag inside a word (down a letter: no character's centre in it) selects that word.
        pg.set_viewport_size({"width": 1600, "height": 900})
        pg.wait_for_timeout(1500)
        pg.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
        word = text.index("joint")
        got = chars(pg)
        x, y = next((x, y) for step, _, x, y in got["chars"] if step == word + 2)
        _drag(pg, x + 0.1 * got["col"], x + 0.4 * got["col"], y - 6, dy=12)
        pg.wait_for_function(SPAN_SET, arg=f"{word}-{word + len('joint')}", timeout=60_000)
    finally:
        context.close()


def _png(pg, clip: dict) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(pg.screenshot(clip=clip))).convert("RGB")).astype(np.int16)


def _same_as_direct(pg, where: str) -> int:
    """Compare the replay as moved with the same step drawn directly: the SVG's moving parts and every pixel."""
    gd = pg.evaluate_handle(f"({REPLAY})()")
    moved = pg.evaluate(f"({DRAWN_JS})", gd)
    pg.mouse.move(1, 1)  # no hover on either drawing
    pg.wait_for_timeout(300)
    box = pg.evaluate(
        "(gd) => { const r = gd.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }", gd
    )
    clip = dict(zip(("x", "y", "width", "height"), box, strict=True))
    a = _png(pg, clip)
    pg.evaluate(DIRECT_JS, moved["active"])
    direct = pg.evaluate(f"({DRAWN_JS})", pg.evaluate_handle("() => document.getElementById('direct')"))
    assert moved == direct, f"{where}: drawn {moved} after the move, {direct} opened at that step"
    b = _png(pg, clip)
    differ = int((np.abs(a - b).max(-1) > 8).sum())
    assert differ == 0, f"{where}: {differ} pixels differ at step {moved['active']}"
    pg.evaluate("() => document.getElementById('direct').remove()")
    return moved["active"]


def test_the_text_replay_moved_by_its_slider_or_played_is_drawn_as_that_step_drawn_directly(server, browser):  # noqa: F811
    context, pg = open_page(browser, server, f"{PAGE}&code_source=generated&code_len=600", (1600, 900))
    try:
        pg.wait_for_function(f"!!({REPLAY})()", timeout=60_000)
        gd = pg.evaluate_handle(f"({REPLAY})()")
        first = pg.evaluate(f"({DRAWN_JS})", gd)
        steps = first["steps"]
        assert first["active"] == steps - 1 and first["fill"] in (None, "", "M0,0Z"), first
        chart = pg.locator(".js-plotly-plot", has=pg.locator(".slider-container")).first
        chart.scroll_into_view_if_needed()
        rail = chart.locator(".slider-rail-touch-rect").bounding_box()
        seen = set()
        for fraction in (0.03, 0.33, 0.8, 0.999):
            before = pg.evaluate(f"({REPLAY})()._fullLayout.sliders[0].active")
            pg.mouse.click(rail["x"] + fraction * rail["width"], rail["y"] + rail["height"] / 2)
            pg.wait_for_function(f"({REPLAY})()._fullLayout.sliders[0].active !== {before}", timeout=10_000)
            pg.wait_for_timeout(300)
            seen.add(_same_as_direct(pg, f"slider clicked at {fraction:.0%} of its rail"))
        # Played from the start, paused wherever it got to.
        chart.locator(".updatemenu-button", has_text="write").click()
        pg.wait_for_function(f"({REPLAY})()._fullLayout.sliders[0].active >= 15", timeout=20_000)
        chart.locator(".updatemenu-button", has_text="❚❚").click()
        pg.wait_for_timeout(600)
        seen.add(_same_as_direct(pg, "paused"))
        assert len(seen) == 5
        pg.screenshot(path=str(SHOTS / "code_replay_1600x900.png"))
    finally:
        context.close()


# A chart's title lines running into the panel labels above its plot: overprinted, as good as cut.
OVERLAP = """() => {
  const problems = [];
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const title = plot.querySelector('.g-gtitle text');
    if (!title) continue;
    const t = title.getBoundingClientRect();
    for (const a of plot.querySelectorAll('.annotation-text')) {
      const r = a.getBoundingClientRect();
      if (r.top < t.bottom - 1 && r.bottom > t.top + 1 && r.left < t.right && r.right > t.left) {
        problems.push(`title "${title.textContent.slice(0, 40)}" runs into "${a.textContent.slice(0, 40)}"`);
      }
    }
  }
  return problems;
}"""
CASES = [
    ("", (1600, 900)),
    ("", (1280, 720)),
    ("code_clamp=to+its+mean", (1280, 720)),
    ("code_clamp=to+its+mean", (1600, 900)),
    ("code_source=generated", (1280, 720)),
    ("code_more=string&code_more=brackets&code_bars=docstring&code_bars=brackets&code_bars=column", (1280, 720)),
    ("slide=1&code_clamp=to+0", (1280, 720)),
    ("code_span=300-360", (1280, 720)),
    ("lang=zh-CN&code_span=300-360&code_clamp=to+0", (1280, 720)),
    ("lang=zh-CN&code_source=generated&code_more=string&code_bars=brackets", (1600, 900)),
]


def test_every_chart_and_match_list_on_the_code_page_fits(server, browser):  # noqa: F811
    report = []
    out = SHOTS / "fit"
    out.mkdir(parents=True, exist_ok=True)
    for query, size in CASES:
        context, pg = open_page(browser, server, f"{PAGE}&{query}" if query else PAGE, size)
        try:
            full = pg.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
            pg.set_viewport_size({"width": size[0], "height": min(full + 40, 12_000)})
            pg.wait_for_timeout(1200)
            found = pg.evaluate(MEASURE)
            name = f"code_{size[0]}x{size[1]}_{query.replace('&', '_').replace('=', '-')[:60] or 'default'}"
            pg.screenshot(path=str(out / f"{name}.png"))
            report += [f"{query or 'default'} at {size[0]}x{size[1]}: {p}" for p in found["problems"]]
            report += [f"{query or 'default'} at {size[0]}x{size[1]}: {p}" for p in pg.evaluate(OVERLAP)]
            wide = pg.evaluate(
                "() => [...document.querySelectorAll('[data-testid=\"stMarkdownContainer\"]')]"
                ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 60))"
            )
            report += [f"{query or 'default'} at {size[0]}x{size[1]}: text wider than its column: {w}" for w in wide]
        finally:
            context.close()
    assert not report, "\n".join(report)


def test_a_linked_window_opens_as_linked_and_another_track_opens_its_own(server, browser):  # noqa: F811
    held = code_models.corpus.analysis()
    context, pg = open_page(browser, server, f"{PAGE}&code_file={held.paths[3]}&code_line=11", (1600, 900))
    try:
        title = pg.locator(".g-gtitle text").first
        assert title.text_content().startswith(f"torch/{held.paths[3]}, from line 11")
        pg.get_by_role("combobox", name="cell that follows").click()
        pg.get_by_role("option", name="string", exact=True).click()
        pg.wait_for_function("() => location.search.includes('code_track=string')", timeout=60_000)
        wait_idle(pg, timeout=120_000)
        no_exception(pg)
        tracks = code_models.corpus_tracks()
        found = next(f for f in code_models.findings("code") if f.track == "string")
        mc = code_models.match_corpus(code_models.load("code"))
        window = code_models.headline_of(found, mc, tracks, code_models.corpus_regions(tracks)).window
        pg.wait_for_function(
            "(want) => [...document.querySelectorAll('.g-gtitle text')].some(t => t.textContent.startsWith(want))",
            arg=f"torch/{held.paths[window.file]}, from line {window.line}",
            timeout=60_000,
        )
        pg.wait_for_function("(want) => location.search.includes(want)", arg=f"code_line={window.line}")
    finally:
        context.close()
