"""The Cells that read code page in a real browser: select a span on the text view, see its matches; screenshots."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_browser import CHROMIUM, SHOTS, Server, browser, server, wait_idle  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

PAGE = "code?model=brackets"
"""The app's own model stated, so the page does not depend on the app's default run."""
SPAN = re.compile(r"(\d+)-(\d+)")
SPAN_SET = "() => [...document.querySelectorAll('input')].some(i => /^\\d+-\\d+$/.test(i.value))"


def no_exception(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0
    assert pg.locator('[data-testid="stAlertContentError"]').count() == 0


def test_selecting_characters_sets_the_span_and_finds_its_cells_and_matches(server, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    pg = context.new_page()
    pg.goto(f"{server.url}/{PAGE}")
    pg.wait_for_selector(".js-plotly-plot", timeout=120_000)
    wait_idle(pg, timeout=120_000)
    no_exception(pg)
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / "code_1600x900.png"))
    view = pg.locator(".js-plotly-plot").first
    view.scroll_into_view_if_needed()
    box = view.locator(".nsewdrag").first.bounding_box()
    # A box over the start of the text's first rows: the characters' markers under it are selected.
    x0, y0 = box["x"] + box["width"] * 0.04, box["y"] + 30
    pg.mouse.move(x0, y0)
    pg.mouse.down()
    pg.mouse.move(x0 + box["width"] * 0.2, y0 + 40, steps=10)
    pg.mouse.up()
    pg.wait_for_function(SPAN_SET, timeout=60_000)
    wait_idle(pg, timeout=120_000)
    no_exception(pg)
    assert "code_span=" in pg.url, "the span lives in the URL"
    values = pg.evaluate("() => [...document.querySelectorAll('input')].map(i => i.value)")
    start, stop = next(tuple(int(v) for v in m.groups()) for m in map(SPAN.fullmatch, values) if m)
    assert 0 <= start < stop
    said = pg.get_by_text(re.compile(r"^(Cells on across the span|No (tanh\(c\)|h) unit is beyond)"))
    assert said.count() >= 1, "the page says which cells are on across the selection (or that none are)"
    pg.get_by_text("Select and match").scroll_into_view_if_needed()
    pg.wait_for_timeout(800)
    pg.screenshot(path=str(SHOTS / "code_span_1600x900.png"))
    pg.set_viewport_size({"width": 1280, "height": 720})
    pg.wait_for_timeout(1500)
    pg.screenshot(path=str(SHOTS / "code_span_1280x720.png"))
    for name in ("code_1600x900", "code_span_1600x900", "code_span_1280x720"):
        assert (SHOTS / f"{name}.png").stat().st_size > 20_000
    context.close()
