"""Every figure fits: each chart's text inside its chart, each table cell and metric label unclipped, in Chromium.

One server and one browser for the module; each viewport is one browser context reused across its pages. A page
is measured with the viewport stretched to the page's height (as a full-page screenshot is), so every chart is
laid out at the width the reader sees. Every group is measured in English and in Simplified Chinese (``lang=zh-CN``:
half the characters, each about twice as wide, and titles that break between characters). Screenshots of every
page measured go to ``artifacts/screenshots/fit``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import CHROMIUM, SHOTS, Server, browser, server, wait_idle  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
sync_api = pytest.importorskip("playwright.sync_api")

PAGES = ("", "gates", "tasks", "code", "compare", "step", "parameters", "gradients")
"""Every page."""
WIDE, LAPTOP = (1600, 900), (1280, 720)
CASES = {
    # The app's default run (a trained task), every page, measured at both sizes in one page load each.
    "default run at 1600x900 and 1280x720": [(page, "", (WIDE, LAPTOP)) for page in PAGES],
    "slide view at 1280x720": [(page, "slide=1", (LAPTOP,)) for page in PAGES]
    + [("tasks", "model=remember_bit&slide=1", (LAPTOP,))],
    # Random weights (numbers on the time axes) and the other tasks (their symbols, 32 units for chars).
    "other runs at 1280x720": [(page, "model=random", (LAPTOP,)) for page in ("", "compare", "gradients")]
    + [("tasks", f"model={name}", (LAPTOP,)) for name in ("remember_bit", "chars")]
    + [("gradients", "model=chars", (LAPTOP,)), ("gates", "model=chars", (LAPTOP,))],
}
LANGS = ("en", "zh-CN")

# Each chart's text boxes against its own drawing (the outer svg): a box past an edge is cut off on screen.
# Titles, axis titles, tick labels, annotations, legend entries, colour-bar titles and tick labels.
MEASURE = """() => {
    const TEXT = [
        ['title', '.g-gtitle text'],
        ['axis title', '.infolayer [class*="title"] text:not(.gtitle):not(.cbtitle text)'],
        ['tick label', '.xtick text, .ytick text, [class*="xtick"] text, [class*="ytick"] text'],
        ['annotation', '.annotation-text'],
        ['legend', '.legend .legendtext'],
        ['colour bar', '.colorbar .cbtitle text, .colorbar .cbaxis text'],
    ];
    const problems = [];
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    charts.forEach((holder, k) => {
        const plot = holder.querySelector('.js-plotly-plot');
        const svg = plot && plot.querySelector('svg.main-svg');
        if (!svg) { problems.push(`chart ${k}: not drawn`); return; }
        const box = svg.getBoundingClientRect();
        const name = (plot.layout?.title?.text ?? '').replace(/<[^>]+>/g, ' ').slice(0, 60) || `chart ${k}`;
        const outer = holder.getBoundingClientRect();
        if (box.right > outer.right + 2 || box.left < outer.left - 2) {
            problems.push(`${name}: drawing ${box.width | 0} px wider than its container ${outer.width | 0} px`);
        }
        // An axis title as long as its axis runs into the chart's title above it: overprinted, as good as cut.
        const head = plot.querySelector('.g-gtitle text');
        const top = head && head.textContent.trim() ? head.getBoundingClientRect() : null;
        if (top) {
            for (const el of plot.querySelectorAll('.infolayer text[class*="ytitle"]')) {
                const r = el.getBoundingClientRect();
                if (r.width && r.top < top.bottom - 1 && r.right > top.left && r.left < top.right) {
                    problems.push(`${name}: axis title "${el.textContent.trim().slice(0, 50)}" runs into the title`);
                }
            }
        }
        // A colour bar squeezed by its title and padding reads as a line, its tick labels printed over each other.
        plot.querySelectorAll('.colorbar').forEach((bar) => {
            const fill = bar.querySelector('.cbfill');
            const title = (bar.querySelector('.cbtitle text')?.textContent || 'colour bar').trim();
            const long = fill ? fill.getBoundingClientRect().height : 0;
            if (fill && long < 24) problems.push(`${name}: colour bar "${title}" is ${long | 0} px long`);
            const ticks = [...bar.querySelectorAll('.cbaxis text')].map(t => t.getBoundingClientRect())
                .filter(r => r.height).sort((a, b) => a.top - b.top);
            for (let j = 1; j < ticks.length; j++) {
                if (ticks[j].top < ticks[j - 1].bottom - 1) {
                    problems.push(`${name}: colour bar "${title}" prints its tick labels over each other`);
                    break;
                }
            }
        });
        const seen = new Set();
        for (const [kind, selector] of TEXT) {
            for (const el of plot.querySelectorAll(selector)) {
                if (seen.has(el)) continue;
                seen.add(el);
                const text = (el.textContent || '').trim();
                if (!text || getComputedStyle(el).display === 'none' || el.closest('[display="none"]')) continue;
                const r = el.getBoundingClientRect();
                if (r.width === 0 && r.height === 0) continue;
                const tol = 1.5;
                if (r.left < box.left - tol || r.right > box.right + tol || r.top < box.top - tol
                    || r.bottom > box.bottom + tol) {
                    problems.push(`${name}: ${kind} "${text.slice(0, 50)}" runs past the chart's edge `
                        + `(${r.left | 0}..${r.right | 0} x ${r.top | 0}..${r.bottom | 0} in `
                        + `${box.left | 0}..${box.right | 0} x ${box.top | 0}..${box.bottom | 0})`);
                }
            }
        }
    });
    // Table cells and metric labels: a cut-off text scrolls wider than its box (text-overflow: ellipsis).
    const cut = (el) => el.scrollWidth > el.clientWidth + 1;
    for (const cell of document.querySelectorAll('[data-testid="stTable"] th, [data-testid="stTable"] td')) {
        const inner = [cell, ...cell.querySelectorAll('*')];
        if (inner.some(cut)) problems.push(`table cell "${cell.textContent.trim().slice(0, 50)}" is cut off`);
    }
    for (const label of document.querySelectorAll('[data-testid="stMetricLabel"]')) {
        const inner = [label, ...label.querySelectorAll('*')];
        if (inner.some(cut)) problems.push(`metric label "${label.textContent.trim().slice(0, 50)}" is cut off`);
    }
    return {charts: charts.length, problems};
}"""


def _shot_name(size: tuple[int, int], page: str, query: str) -> str:
    words = "_".join(w for w in (f"{size[0]}x{size[1]}", page or "home", query.replace("&", "_")) if w)
    return words.replace("=", "-")


def _fit_to_page(pg, width: int) -> None:
    """The viewport as tall as the page at ``width``, as a full-page screenshot lays it out; charts redrawn."""
    full = pg.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    pg.set_viewport_size({"width": width, "height": min(full + 40, 12_000)})
    pg.wait_for_timeout(900)  # Streamlit and Plotly redraw every chart at the new width


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("group", list(CASES))
def test_no_chart_text_table_cell_or_metric_label_is_cut_off(server, browser, group, lang):  # noqa: F811
    cases = CASES[group]
    if lang != "en":
        cases = [(page, "&".join(q for q in (query, f"lang={lang}") if q), sizes) for page, query, sizes in cases]
    first = cases[0][2][0]
    context = browser.new_context(viewport={"width": first[0], "height": first[1]})
    pg = context.new_page()
    out = SHOTS / "fit"
    out.mkdir(parents=True, exist_ok=True)
    report = []
    try:
        for page, query, sizes in cases:
            pg.set_viewport_size({"width": sizes[0][0], "height": sizes[0][1]})
            pg.goto(f"{server.url}/{page}{'?' + query if query else ''}")
            pg.wait_for_selector('.js-plotly-plot, [data-testid="stAlert"]', timeout=60_000)
            wait_idle(pg)
            assert pg.locator('[data-testid="stException"]').count() == 0, (page, query)
            for size in sizes:
                _fit_to_page(pg, size[0])
                found = pg.evaluate(MEASURE)
                assert found["charts"] > 0, f"{page}?{query}: no chart drawn"
                pg.screenshot(path=str(out / f"{_shot_name(size, page, query)}.png"))
                where = f"{page or 'home'}?{query} at {size[0]}x{size[1]}"
                report += [f"{where}: {p}" for p in found["problems"]]
    finally:
        context.close()
    assert not report, f"{len(report)} cut-off texts ({group}, {lang}):\n" + "\n".join(report)
