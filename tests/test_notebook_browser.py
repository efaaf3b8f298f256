"""What a notebook draws of each view, in Chromium: laid out in a 900 px output, the Gates cursor scrubbed there.

A notebook hands a view to the browser as its Plotly bundle (``application/vnd.plotly.v1+json``); JupyterLab's
Plotly renderer (``jupyterlab-plotly``, shipped in the plotly wheel) draws it with
``Plotly.react(node, data, layout, config).then(() => Plotly.addFrames(node, frames))``. The page here does
exactly that, with the plotly.js of the installed plotly, in a 900 px wide output: what the test measures is what
a learner's notebook shows. The HTML export (``write_html``) is opened as a file, offline. Screenshots go to
``artifacts/screenshots/notebook``.
"""

from __future__ import annotations

import json
from pathlib import Path

import plotly
import plotly.io as pio
import pytest
import torch
from test_browser import CHROMIUM, SHOTS, browser  # noqa: F401 - the browser fixture
from torch import nn

import lstm_viz

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
sync_api = pytest.importorskip("playwright.sync_api")

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
OUTPUT_PX = 900
OUT = SHOTS / "notebook"

# Each view's text against the drawing it belongs to: a box past an edge is cut off on screen.
MEASURE = """(width) => {
    const TEXT = [
        ['title', '.g-gtitle text'],
        ['axis title', '.infolayer [class*="title"] text:not(.gtitle):not(.cbtitle text)'],
        ['tick label', '.xtick text, .ytick text, [class*="xtick"] text, [class*="ytick"] text'],
        ['annotation', '.annotation-text'],
        ['legend', '.legend .legendtext'],
        ['colour bar', '.colorbar .cbtitle text, .colorbar .cbaxis text'],
    ];
    const problems = [];
    for (const plot of document.querySelectorAll('.js-plotly-plot')) {
        const name = plot.id;
        const svg = plot.querySelector('svg.main-svg');
        if (!svg) { problems.push(`${name}: not drawn`); continue; }
        const box = svg.getBoundingClientRect();
        if (box.width > width + 1) problems.push(`${name}: drawn ${box.width | 0} px wide in a ${width} px output`);
        const seen = new Set();
        for (const [kind, selector] of TEXT) {
            for (const el of plot.querySelectorAll(selector)) {
                if (seen.has(el)) continue;
                seen.add(el);
                const text = (el.textContent || '').trim();
                if (!text || el.closest('[display="none"]')) continue;
                const r = el.getBoundingClientRect();
                if (r.width === 0 && r.height === 0) continue;
                const tol = 1.5;
                if (r.left < box.left - tol || r.right > box.right + tol || r.top < box.top - tol
                    || r.bottom > box.bottom + tol) {
                    problems.push(`${name}: ${kind} "${text.slice(0, 50)}" runs past the drawing's edge`);
                }
            }
        }
    }
    return problems;
}"""

# What Chromium draws of the Gates figure's moving parts (read from the SVG, not from the figure's JSON).
DRAWN_JS = """(id) => {
  const gd = document.getElementById(id);
  if (!gd || !gd._fullLayout || !gd._fullLayout.sliders || !gd._transitionData._frames.length) return null;
  const trace = name => [...gd.querySelectorAll('g.trace')].find(g => g.__data__?.[0]?.trace?.name === name);
  return {
    active: gd._fullLayout.sliders[0].active,
    steps: gd._fullLayout.sliders[0].steps.length,
    bars: [...trace('values at the cursor').querySelectorAll('path')].map(
      p => [p.getAttribute('d'), getComputedStyle(p).fill]),
    cursor: trace('cursor').querySelector('path.js-line').getAttribute('d'),
    label: trace('readout').textContent,
    outlines: [...gd.querySelectorAll('.shapelayer path')].map(p => p.getAttribute('d')),
    images: [...gd.querySelectorAll('.layer-below image, .imagelayer image')].length,
  };
}"""


def bundle(fig) -> dict:
    """The Plotly bundle a notebook gets for ``fig`` (what Jupyter, VS Code and Colab's mime renderers draw)."""
    before = pio.renderers.default
    pio.renderers.default = "plotly_mimetype"
    try:
        return fig._repr_mimebundle_()["application/vnd.plotly.v1+json"]
    finally:
        pio.renderers.default = before


def notebook_page(path: Path, bundles: dict[str, dict], width: int = OUTPUT_PX) -> Path:
    """An HTML page drawing each bundle as JupyterLab's Plotly renderer does, in an output ``width`` px wide."""
    outputs = "\n".join(f'<div class="out"><div id="{name}"></div></div>' for name in bundles)
    script = "\n".join(
        f"draw({json.dumps(name)}, {json.dumps(b)});"  # the bundle is JSON already
        for name, b in bundles.items()
    )
    path.write_text(
        f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<script src="{PLOTLY_JS.as_uri()}"></script>
<style>body {{ margin: 0; font-family: sans-serif; }} .out {{ width: {width}px; margin: 0 0 12px 0; }}</style>
</head><body>{outputs}
<script>
window.drawn = [];
function draw(id, bundle) {{
  const node = document.getElementById(id);
  const {{data, layout, frames, config}} = bundle;
  if (!layout.height) layout.height = 360;
  window.drawn.push(Plotly.react(node, data, layout, config).then(() => frames && Plotly.addFrames(node, frames)));
}}
{script}
</script></body></html>""",
        encoding="utf-8",
    )
    return path


def _open(browser, path: Path, height: int = 900):  # noqa: F811
    context = browser.new_context(viewport={"width": OUTPUT_PX + 40, "height": height})
    pg = context.new_page()
    foreign: list[str] = []
    pg.on("request", lambda r: None if r.url.startswith(("file:", "data:", "blob:")) else foreign.append(r.url))
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(path.as_uri())
    pg.wait_for_function("window.drawn !== undefined && window.drawn.length > 0", timeout=30_000)
    pg.evaluate("Promise.all(window.drawn)")
    pg.wait_for_timeout(300)
    return context, pg, foreign, errors


def _tutorial():
    torch.manual_seed(0)
    lstm = nn.LSTM(4, 5, batch_first=True)
    x = torch.randn(2, 3, 4)
    hx = (torch.randn(1, 2, 5), torch.randn(1, 2, 5))
    return lstm, x, hx


def _views(lang: str = "en") -> dict[str, object]:
    lstm, x, hx = _tutorial()
    torch.manual_seed(1)
    projected = nn.LSTM(4, 5, batch_first=True, proj_size=3)
    brackets = lstm_viz.tasks.pretrained("brackets")
    views = {f"tutorial_{v}": lstm_viz.show(lstm, x, hx, view=v, lang=lang) for v in lstm_viz.notebook.VIEWS}
    views["projection_gates"] = lstm_viz.show(projected, x, (torch.randn(1, 2, 3), torch.randn(1, 2, 5)), lang=lang)
    views.update(
        {f"brackets_{v}": lstm_viz.show(brackets, view=v, lang=lang) for v in ("gates", "compare", "step", "gradients")}
    )
    views["code_text"] = lstm_viz.show_text(
        lstm_viz.tasks.pretrained("code"),
        'def area(r):\n    """The area."""\n    return 3.14 * (r ** 2)  # pi r^2\n',
        lang=lang,
    )
    return views


def _suffix(lang: str) -> str:
    """Screenshots of another language than English are named after it (``tutorial_gates_zh-CN.png``)."""
    return "" if lang == "en" else f"_{lang}"


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_view_fits_a_900px_notebook_output(browser, tmp_path, lang):  # noqa: F811
    views = _views(lang)
    page = notebook_page(tmp_path / "views.html", {name: bundle(fig) for name, fig in views.items()})
    total = sum(int(fig.layout.height or 450) + 12 for fig in views.values())
    context, pg, foreign, errors = _open(browser, page, height=total + 40)
    try:
        OUT.mkdir(parents=True, exist_ok=True)
        for name in views:
            pg.locator(f"#{name}").screenshot(path=str(OUT / f"{name}{_suffix(lang)}.png"))
        problems = pg.evaluate(f"({MEASURE})({OUTPUT_PX})")
        drawn = pg.evaluate("[...document.querySelectorAll('.js-plotly-plot svg.main-svg')].length")
    finally:
        context.close()
    assert drawn >= len(views)
    assert not problems, "\n".join(problems)
    assert foreign == [] and errors == []


def _rail_click(pg, name: str, t: int, steps: int) -> None:
    rail = pg.locator(f"#{name} .slider-rail-touch-rect").bounding_box()
    pg.mouse.click(rail["x"] + (t + 0.5) / steps * rail["width"], rail["y"] + rail["height"] / 2)


def _same_drawing(moved: dict, direct: dict) -> None:
    assert moved["active"] == direct["active"]
    fills = sum(a[1] != b[1] for a, b in zip(moved["bars"], direct["bars"], strict=True))
    shapes = sum(a[0] != b[0] for a, b in zip(moved["bars"], direct["bars"], strict=True))
    assert (fills, shapes) == (0, 0), f"{fills} bar fills and {shapes} bar shapes differ at t = {moved['active']}"
    assert moved["cursor"] == direct["cursor"] and moved["label"] == direct["label"]
    assert moved["outlines"] == direct["outlines"]


@pytest.mark.parametrize(("model", "lang"), [("tutorial", "en"), ("brackets", "en"), ("brackets", "zh-CN")])
def test_the_gates_cursor_scrubbed_in_a_notebook_draws_each_step_as_the_view_opened_at_it(  # noqa: F811
    browser,  # noqa: F811
    tmp_path,
    model,
    lang,
):
    if model == "tutorial":
        lstm, x, hx = _tutorial()
        x = torch.randn(2, 12, 4)  # long enough to scrub
        args, steps = (lstm, x, hx), 12
    else:
        args, steps = (lstm_viz.tasks.pretrained("brackets"),), 40
    picked = (3, 7, steps - 2)
    bundles = {"scrubbed": bundle(lstm_viz.show(*args, unit=1, lang=lang))}
    bundles |= {f"at_{t}": bundle(lstm_viz.show(*args, t=t, unit=1, lang=lang)) for t in picked}
    context, pg, _, errors = _open(browser, notebook_page(tmp_path / "gates.html", bundles), height=4 * 700)
    try:
        start = pg.evaluate(f"({DRAWN_JS})('scrubbed')")
        # Seven rows painted, and the input's values where it has no symbols (the task's are written).
        assert start["steps"] == steps and start["images"] == (8 if model == "tutorial" else 7)
        for t in picked:
            pg.locator("#scrubbed").scroll_into_view_if_needed()
            _rail_click(pg, "scrubbed", t, steps)
            pg.wait_for_function(f"({DRAWN_JS})('scrubbed').active === {t}", timeout=10_000)
            pg.wait_for_timeout(300)
            moved = pg.evaluate(f"({DRAWN_JS})('scrubbed')")
            assert moved["bars"] != start["bars"], "the bars follow the cursor"
            _same_drawing(moved, pg.evaluate(f"({DRAWN_JS})('at_{t}')"))
        assert errors == []
        # Played from the start and paused: it moved, in the browser alone. (Pausing rejects the play button's
        # animation promise, which plotly.js leaves unhandled: the app's figure does the same.)
        _rail_click(pg, "scrubbed", 0, steps)
        play, pause = ("play", "pause") if lang == "en" else ("播放", "暂停")
        pg.locator("#scrubbed .updatemenu-button", has_text=play).click()
        pg.wait_for_function(f"({DRAWN_JS})('scrubbed').active >= 4", timeout=20_000)
        pg.locator("#scrubbed .updatemenu-button", has_text=pause).click()
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_write_html_opens_offline_and_plays_its_cursor_as_the_apps_export(browser, tmp_path, lang):  # noqa: F811
    lstm, _, _ = _tutorial()
    fig = lstm_viz.show(lstm, torch.randn(1, 10, 4), lang=lang)
    path = tmp_path / "gates.html"
    fig.write_html(path)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    foreign: list[str] = []
    pg.on("request", lambda r: None if r.url.startswith(("file:", "data:", "blob:")) else foreign.append(r.url))
    try:
        pg.goto(path.as_uri())
        pg.wait_for_function(f"({DRAWN_JS})('fig-gates') !== null", timeout=30_000)
        pg.wait_for_timeout(1000)
        assert pg.evaluate(f"({DRAWN_JS})('fig-gates')")["active"] == 0, "it waits for its play button, as the app's"
        _rail_click(pg, "fig-gates", 7, 10)
        pg.wait_for_function(f"({DRAWN_JS})('fig-gates').active === 7", timeout=10_000)
        label = pg.evaluate(f"({DRAWN_JS})('fig-gates')")["label"]
        assert "t = 7" in label and (lang == "en") == ("时" not in label), label
        assert pg.evaluate("document.documentElement.lang") == lang
        pg.screenshot(path=str(OUT / f"write_html_gates{_suffix(lang)}.png"))
    finally:
        context.close()
    assert foreign == []
