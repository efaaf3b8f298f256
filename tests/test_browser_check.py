"""The Check your LSTM page in a real browser: the editor (Tab indents, edits are what runs), an uploaded notebook,
the report at 1600x900 and 1280x720, nothing fetched from another host, and other students served while a hostile
check runs. Screenshots go to ``artifacts/screenshots``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from test_browser import CHROMIUM, SHOTS, Server, browser, server, wait_idle  # noqa: F401

from lstm_viz.check import classics, sandbox

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(sandbox.bwrap_path() is None, reason="Debian's bubblewrap is not installed"),
]

EDITOR = 'iframe[title="code_editor.code_editor"]'


def open_check(browser, server, width: int = 1600, height: int = 900):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height})
    pg = context.new_page()
    outside: list[str] = []
    pg.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith((server.url, "data:", "blob:", "about:")) else None,
    )
    pg.goto(f"{server.url}/check")
    pg.wait_for_selector(EDITOR, timeout=60_000)
    wait_idle(pg)
    pg.frame_locator(EDITOR).locator(".ace_content").wait_for(timeout=30_000)
    return context, pg, outside


def editor_code(pg) -> str:
    return pg.frame_locator(EDITOR).locator("#REACT_ACE_EDITOR").evaluate("e => e.env.editor.getValue()")


def replace_code(pg, code: str) -> None:
    """Select everything in the editor and type ``code`` in its place (as a paste does)."""
    ace = pg.frame_locator(EDITOR).locator(".ace_text-input")
    pg.frame_locator(EDITOR).locator(".ace_content").click()
    ace.press("Control+a")
    ace.press("Delete")
    pg.keyboard.insert_text(code)


def check(pg, timeout: float = 90_000) -> None:
    pg.get_by_role("button", name="Check", exact=True).click()
    pg.wait_for_function(
        '() => [...document.querySelectorAll(\'[data-testid="stExpander"], [data-testid="stStatusWidget"], '
        "summary')].some(e => /Checked in|refused|could not run/.test(e.textContent))",
        timeout=timeout,
    )
    wait_idle(pg)


def shot(pg, name: str) -> None:
    pg.mouse.move(2, 2)  # no tooltip over what the picture is of
    pg.wait_for_timeout(300)
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{name}.png"))


def scroll_to(pg, text: str, heading: bool = False) -> None:
    """Scroll the page (Streamlit scrolls inside stMain) until ``text`` sits at the top of the screen."""
    target = pg.get_by_role("heading", name=text) if heading else pg.get_by_text(text, exact=False)
    target.first.evaluate("e => e.scrollIntoView({block: 'start'})")
    pg.wait_for_timeout(600)


def test_tab_indents_in_the_editor_and_the_edited_code_is_what_runs(browser, server):  # noqa: F811
    context, pg, outside = open_check(browser, server)
    replace_code(pg, "x = 1\n")
    ace = pg.frame_locator(EDITOR).locator(".ace_text-input")
    ace.press("Tab")
    ace.type("y = 2")
    assert editor_code(pg).endswith("\n    y = 2")
    # Focus stayed in the editor: Tab indented instead of moving to the next control.
    assert pg.frame_locator(EDITOR).locator(".ace_focus").count() == 1
    replace_code(pg, classics.example_code("bias"))
    check(pg)
    main = pg.locator('[data-testid="stMain"]').inner_text()
    assert "differs from nn.LSTM on 10 of 10 cases (bias)" in main
    assert "b_hh left out" in main
    assert pg.locator('[data-testid="stException"]').count() == 0
    assert outside == []
    context.close()


@pytest.mark.parametrize("width, height", [(1600, 900), (1280, 720)])
def test_screens_of_a_pass_and_a_named_mistake(browser, server, width, height):  # noqa: F811
    context, pg, outside = open_check(browser, server, width, height)
    shot(pg, f"check_{width}_start")
    pg.get_by_role("button", name="Load the tutorial's function").click()
    wait_idle(pg)
    assert "def test_lstmp_impl" in editor_code(pg)
    started = time.monotonic()
    check(pg)
    took = time.monotonic() - started
    main = pg.locator('[data-testid="stMain"]').inner_text()
    assert "matches nn.LSTM on all 10 cases" in main, main[-2000:]
    assert took < 30, f"the seed's check took {took:.1f} s in the browser"
    scroll_to(pg, "matches nn.LSTM on all 10 cases")
    shot(pg, f"check_{width}_pass")
    # The published copy's mistake is the list's first, chosen already.
    pg.get_by_role("button", name="Load this mistake").click()
    wait_idle(pg)
    check(pg)
    main = pg.locator('[data-testid="stMain"]').inner_text()
    assert "output_size" in main and "The expanded size of the tensor (5 = H)" in main
    scroll_to(pg, "differs from nn.LSTM")
    shot(pg, f"check_{width}_output_size")
    scroll_to(pg, "The mistake", heading=True)
    shot(pg, f"check_{width}_output_size_diagnosis")
    picker = pg.get_by_label("a classic mistake")
    picker.click()
    picker.press_sequentially("gate blocks")
    picker.press("Enter")
    wait_idle(pg)
    pg.get_by_role("button", name="Load this mistake").click()
    wait_idle(pg)
    check(pg)
    # Every chart drawn, each with its title, axis titles and colour bar, inside the page's width.
    charts = pg.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].map(g => ({
            title: g.layout.title.text, bars: g.querySelectorAll('.colorbar').length,
            axes: g.querySelectorAll('.g-xtitle, .g-ytitle').length,
            right: g.getBoundingClientRect().right, width: window.innerWidth}))"""
    )
    assert len(charts) == 3, charts
    for c in charts:
        assert c["title"] and c["bars"] >= 1 and c["axes"] >= 2 and c["right"] <= c["width"], c
    scroll_to(pg, "Where it goes wrong", heading=True)
    shot(pg, f"check_{width}_gate_order_where")
    scroll_to(pg, "nn.LSTM at step t = 0")
    shot(pg, f"check_{width}_gate_order_equations")
    link = pg.get_by_role("link", name="Open this case in One step")
    href = link.get_attribute("href")
    assert "draw=tutorial" in href and "t=0" in href and "unit=0" in href
    link.click()
    pg.wait_for_url("**/step?**", timeout=60_000)
    wait_idle(pg)
    assert pg.locator('[data-testid="stException"]').count() == 0
    assert outside == [], outside
    context.close()


def test_an_uploaded_notebook_is_read_and_checked(browser, server, tmp_path):  # noqa: F811
    cells = [
        {"cell_type": "code", "source": ["%matplotlib inline\n", "!pip install torch\n"], "outputs": []},
        {"cell_type": "code", "source": classics.example_code("seed"), "outputs": []},
    ]
    notebook = tmp_path / "my_lstm.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    context, pg, _ = open_check(browser, server)
    pg.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(notebook))
    wait_idle(pg)
    pg.wait_for_timeout(1500)
    code = editor_code(pg)
    assert "pass  # an IPython line, not Python" in code and "def test_lstmp_impl" in code
    check(pg)
    assert "matches nn.LSTM on all 10 cases" in pg.locator('[data-testid="stMain"]').inner_text()
    context.close()


def test_other_students_are_served_while_a_hostile_check_runs(browser, server):  # noqa: F811
    other = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    other.goto(f"{server.url}/gates?model=random")  # the server warm: imports and this run cached
    other.wait_for_selector(".js-plotly-plot", timeout=90_000)
    wait_idle(other)
    context, pg, _ = open_check(browser, server)
    replace_code(
        pg,
        "import torch\n\ndef lstm_forward(inp, initial_states, w_ih, w_hh, b_ih, b_hh):\n"
        "    while True:\n        pass\n",
    )
    pg.get_by_role("button", name="Check", exact=True).click()
    pg.get_by_text("Checking your function").first.wait_for(timeout=30_000)
    served = []
    for path in ("gates?model=random&seed=3", "step?model=random"):
        t0 = time.monotonic()
        other.goto(f"{server.url}/{path}")
        other.wait_for_selector(".js-plotly-plot", timeout=60_000)
        wait_idle(other)
        served.append(time.monotonic() - t0)
        assert other.locator('[data-testid="stException"]').count() == 0
    # The hostile check was still running all the while: its status had not turned into a verdict.
    assert pg.get_by_text("Checking your function").count() >= 1, "the hostile check ended before the pages loaded"
    assert max(served) < 15, f"other students' pages took {served} s while a hostile check ran"
    check(pg, timeout=60_000)
    main = pg.locator('[data-testid="stMain"]').inner_text()
    assert "time_limit" in main and f"after {sandbox.WALL_S:.0f} seconds" in main
    other.context.close()
    context.close()
