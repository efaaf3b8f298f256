"""The first minute in a real browser: a fresh server's first screen, the sidebar, unreadable links, exports."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_browser import CHROMIUM, SHOTS, Server, browser, goto, server, wait_idle  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

HERO = '[data-testid="stPlotlyChart"]'


def _new_page(browser, width: int, height: int):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height})
    return context, context.new_page()


def test_a_fresh_server_opens_on_a_trained_model_without_flashing_the_raw_page_list(browser):  # noqa: F811
    fresh = Server()
    context, page = _new_page(browser, 1280, 720)
    try:
        start = time.monotonic()
        page.goto(fresh.url)
        raw_list_seen, first_chart = False, None
        while time.monotonic() - start < 60:
            # Streamlit's own list of pages/ names the files ("app", "gates", ...); the app's navigation
            # names the pages ("Home", "Gates over time", ...) along the top.
            texts = page.evaluate(
                "() => [...document.querySelectorAll('[data-testid=\"stSidebarNav\"] a')].map(a => a.innerText)"
            )
            raw_list_seen |= any(t.strip() in ("app", "gates", "home") for t in texts)
            if page.locator(".js-plotly-plot").count():
                first_chart = time.monotonic() - start
                break
            page.wait_for_timeout(50)
        assert first_chart is not None, "a chart within a minute of a fresh server's first request"
        assert not raw_list_seen, "Streamlit's raw list of pages/ never shows"
        wait_idle(page)
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert "matches nn.LSTM" in main and "bracket depth" in main, "the shipped trained model, verified"
        box = page.locator(HERO).first.bounding_box()
        assert box is not None and box["y"] < 720 - 200, f"the hero figure starts in the first screen: {box}"
        assert page.get_by_role("link", name="Gates over time").count() >= 1, "the app's own navigation"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "first_screen_1280x720.png"))
        page.set_viewport_size({"width": 1600, "height": 900})
        page.wait_for_timeout(800)
        page.screenshot(path=str(SHOTS / "first_screen_1600x900.png"))
    finally:
        context.close()
        fresh.stop()


def test_choosing_a_task_in_the_sidebar_opens_it_inside_its_trained_range(server, browser):  # noqa: F811
    context, page = _new_page(browser, 1600, 900)
    try:
        goto(page, server, "gates?model=random&seq_len=40")
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_label("model", exact=True).click()
        page.get_by_role("option", name="remember_bit", exact=True).click()
        page.wait_for_function(
            "() => document.querySelector('input[aria-label=\"length T\"]')?.value === '20'", timeout=60_000
        )
        wait_idle(page)
        assert "model=remember_bit" in page.url
        assert "seq_len=40" not in page.url, "the URL says what the controls say: the task's own length"
        assert page.get_by_label("batch B", exact=True).input_value() == "4"
        assert page.get_by_text("Outside the trained range").count() == 0
        assert page.get_by_label("hidden size H", exact=True).count() == 0, "what the task fixes is not drawn"
        assert page.get_by_text("The task fixes the model").count() == 1, "it is stated once"
        # The link reproduces the run: a fresh session on it shows the same controls.
        page.goto(page.url)
        page.wait_for_function(
            "() => document.querySelector('input[aria-label=\"length T\"]')?.value === '20'", timeout=60_000
        )
    finally:
        context.close()


def test_a_link_the_app_cannot_read_names_each_value_and_its_limit_without_a_traceback(server, browser):  # noqa: F811
    context, page = _new_page(browser, 1280, 720)
    try:
        goto(page, server, "gates?model=random&seed=1e400&hidden_size=inf&colours=%5Bx%5D(https://example.com)")
        alert = page.locator('[data-testid="stAlert"]').filter(has_text="cannot read")
        text = alert.inner_text()
        assert "seed=1e400" in text and "0 to 2147483647" in text
        assert "hidden_size=inf" in text and "1 to 512" in text
        assert alert.locator("a").count() == 0, "a link's value is text, never a link"
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "seed=" not in page.url and "hidden_size=" not in page.url, "unread values leave the URL"
    finally:
        context.close()


def test_export_is_one_click_per_file_and_a_slow_file_gets_its_own_button_only(server, browser, tmp_path):  # noqa: F811
    context, page = _new_page(browser, 1600, 900)
    try:
        goto(page, server, "gates?model=random&seq_len=4&hidden_size=3&batch=1")
        page.get_by_role("button", name="Export for slides and notebooks…").click()
        dialog = page.get_by_role("dialog")
        with page.expect_download(timeout=60_000) as png:
            dialog.get_by_role("button", name="PNG 3x").click()
        path = tmp_path / png.value.suggested_filename
        png.value.save_as(path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "one click: the PNG itself"
        before = dialog.bounding_box()
        dialog.get_by_role("button", name="GIF of the gates, 4 steps").click()
        downloads = dialog.get_by_role("button", name="download lstm_gates_over_time")
        downloads.first.wait_for(timeout=120_000)
        assert downloads.count() == 1 and ".gif" in downloads.inner_text(), "the one button is the file just drawn"
        after = dialog.bounding_box()
        assert abs(after["height"] - before["height"]) < 4, "the dialog keeps its height while a file is drawn"
        dialog.get_by_role("button", name="MP4 of the gates, 4 steps").click()
        # The GIF's button goes as soon as the MP4 starts (its progress bar takes the slot), before the MP4 is done.
        downloads.filter(has_text=".gif").wait_for(state="detached", timeout=30_000)
        downloads.filter(has_text=".mp4").wait_for(timeout=120_000)
        assert downloads.count() == 1
    finally:
        context.close()
