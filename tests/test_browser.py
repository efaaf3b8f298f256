"""Real-browser tests: Playwright drives Debian's Chromium against a live server, for what AppTest cannot see."""

from __future__ import annotations

import os
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "artifacts" / "screenshots"
PAGES = {
    "home": "",
    "gates": "gates",
    "gates_random": "gates?model=random",
    "tasks": "tasks",
    "compare": "compare",
    "step": "step",
    "parameters": "parameters",
    "gradients": "gradients",
    "gradients_bit": "gradients?model=task&task=remember_bit&seq_len=20&batch=4",
    "tasks_brackets": "tasks?model=task&task=brackets&batch=4",
    "tasks_remember_bit": "tasks?model=task&task=remember_bit&seq_len=20&batch=4",
    "tasks_counting_edited": "tasks?model=task&task=counting&seq_len=30&batch=4&edit_preset=forget+bias+-3",
    "gates_remember_bit": "gates?model=task&task=remember_bit&seq_len=20&batch=4",
    "slide_gates_brackets": "gates?model=task&task=brackets&batch=4&slide=1",
    "teacher_tasks_bit": "tasks?model=task&task=remember_bit&seq_len=20&controls=hidden&colours=cividis",
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A Streamlit server for the app, with its log readable by the tests."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.log_path = ROOT / "artifacts" / f"server-{self.port}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "w")  # noqa: SIM115
        env = {**os.environ, "LSTM_EXPLORER_LOG": "1", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "app.py"),
                "--server.headless",
                "true",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2)
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("streamlit did not start: " + self.log_path.read_text())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def count(self, text: str) -> int:
        self.log.flush()
        return self.log_path.read_text().count(text)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


def wait_idle(pg, timeout: float = 60_000) -> None:
    """Wait until Streamlit has rendered the page and no script is running."""
    pg.wait_for_selector('[data-testid="stMain"]', timeout=timeout)
    pg.wait_for_selector('[data-test-script-state="notRunning"]', timeout=timeout)
    pg.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"]').length"
        " === document.querySelectorAll('.js-plotly-plot').length",
        timeout=timeout,
    )
    pg.wait_for_timeout(700)


def goto(pg, server, path: str) -> None:
    pg.goto(f"{server.url}/{path}")
    # Every page shows a chart or an alert (a verdict, a finding, a hint) once its script has run.
    pg.wait_for_selector('.js-plotly-plot, [data-testid="stAlert"]', timeout=60_000)
    wait_idle(pg)


def number_input(pg, label: str):
    return pg.get_by_label(label, exact=True)


@pytest.mark.parametrize("name", list(PAGES))
def test_screenshot_of_every_page(server, page, name):
    goto(page, server, PAGES[name])
    assert page.locator('[data-testid="stException"]').count() == 0
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1500, "height": min(height + 40, 10_000)})
    page.wait_for_timeout(1200)
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 20_000


def test_url_updates_when_a_control_moves(server, page):
    goto(page, server, "gates?model=random")
    box = number_input(page, "hidden size H")
    box.fill("7")
    box.press("Enter")
    page.wait_for_function("() => location.search.includes('hidden_size=7')", timeout=30_000)
    wait_idle(page)
    # The copied link reproduces the run in a fresh tab.
    link = page.url
    assert "hidden_size=7" in link
    other = page.context.new_page()
    other.goto(link)
    wait_idle(other)
    other.wait_for_function(
        "() => document.querySelector('input[aria-label=\"hidden size H\"]')?.value === '7'", timeout=30_000
    )
    other.wait_for_function(
        "() => [...document.querySelectorAll('.gtitle')].some(e => e.textContent.startsWith('Every gate and state'))",
        timeout=30_000,
    )


def test_invalid_url_shows_message_not_traceback(server, page):
    goto(page, server, "gates?model=random&proj_size=40&hidden_size=8")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("must be smaller than hidden_size = 8").count() >= 1
    # The message comes first; the last valid run's charts follow it.
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 1", timeout=60_000)


def test_clicking_a_heatmap_cell_selects_step_and_unit(server, page):
    goto(page, server, "step?model=random&seq_len=10&hidden_size=6")
    plot = page.locator(".js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    area = plot.locator(".nsewdrag").first.bounding_box()
    t, j, steps, units = 7, 4, 10, 6
    x = area["x"] + (t + 0.5) / steps * area["width"]
    y = area["y"] + (j + 0.5) / units * area["height"]
    page.mouse.click(x, y)
    page.wait_for_function(
        "() => document.querySelector('input[aria-label=\"time step t\"]')?.value === '7'", timeout=30_000
    )
    assert number_input(page, "unit j").input_value() == "4"
    wait_idle(page)
    assert page.get_by_text("Step t = 7, unit j = 4").count() >= 1


def test_settings_survive_page_switches(server, page):
    goto(page, server, "gates?model=random&seed=3&hidden_size=9")
    page.get_by_role("link", name="Compare", exact=True).click()
    page.wait_for_url("**/compare*")
    wait_idle(page)
    assert "seed=3" in page.url and "hidden_size=9" in page.url
    assert number_input(page, "hidden size H").input_value() == "9"


def test_one_click_shows_a_trained_task_and_puts_it_in_the_url(server, page):
    goto(page, server, "")
    page.get_by_role("link", name="counting", exact=True).click()
    page.wait_for_url("**/tasks?*model=counting*", timeout=30_000)
    page.wait_for_selector("text=tracks the count of a so far", timeout=60_000)
    wait_idle(page)
    assert "model=counting" in page.url
    assert page.get_by_text("tracks the count of a so far").count() >= 1
    # The link opens the same trained model in a fresh tab, and a weight preset link keeps it.
    other = page.context.new_page()
    other.goto(page.url)
    other.wait_for_selector("text=tracks the count of a so far", timeout=60_000)
    wait_idle(other)
    other.get_by_role("link", name="forget bias -3").click()
    other.wait_for_url("**edit_preset=forget+bias+-3*", timeout=30_000)
    other.wait_for_selector("text=from the edits", timeout=60_000)
    assert "model=counting" in other.url


def test_live_training_shows_progress_then_the_trained_model(server, page):
    full_before = server.count("full page run")
    page.goto(f"{server.url}/tasks?model=task&task=brackets&weights=trained+here&train_hidden=2&train_seed=31")
    page.wait_for_selector('[data-testid="stProgress"]', timeout=60_000)
    # The progress fragment refreshes alone, then one full rerun shows the trained model.
    page.wait_for_selector("text=tracks the nesting depth", timeout=90_000)
    wait_idle(page)
    assert page.get_by_text("trained on this server: H 2, seed 31").count() >= 1
    assert server.count("full page run") - full_before <= 3, "progress refreshes must not rerun the page"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "tasks_live_trained.png"), full_page=True)


def test_upload_a_checkpoint_through_the_file_picker_and_see_its_gates(server, page, tmp_path):
    from test_app_uploads import _checkpoint

    path = tmp_path / "tagger.pt"
    path.write_bytes(_checkpoint())
    goto(page, server, "gates?model=file")
    page.locator('[data-testid="stSidebar"] input[type="file"]').first.set_input_files(str(path))
    page.wait_for_selector("text=from tagger.pt", timeout=60_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.gtitle')].some(e => e.textContent.startsWith('Every gate and state'))",
        timeout=60_000,
    )
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("The file fixes the model").count() == 1, "its sizes stated once, not as controls"
    assert page.get_by_label("hidden size H", exact=True).count() == 0
    assert "nn.LSTM(6, 10, num_layers=2)" in page.locator('[data-testid="stSidebar"]').inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "gates_uploaded_checkpoint.png"), full_page=True)


# Opened at a page's own path (/gates), Streamlit's frontend first probes for a base path there
# (/gates/_stcore/health, /gates/_stcore/host-config) and then finds the server at the root: two 404s on the
# app's own host that every deep link to a multipage app makes, and the only failed loads allowed.
BASE_PATH_PROBES = ("/_stcore/health", "/_stcore/host-config")


@pytest.mark.parametrize("name", list(PAGES))
def test_no_page_asks_another_host_for_anything_and_logs_no_error(server, page, name):
    foreign, errors, failed = [], [], []
    own = (server.url, "data:", "blob:")
    page.on("request", lambda req: None if req.url.startswith(own) else foreign.append(req.url))
    page.on("response", lambda res: failed.append(res.url) if res.status >= 400 else None)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    goto(page, server, PAGES[name])
    page.wait_for_timeout(1500)
    assert foreign == [], f"requests to other hosts: {foreign}"
    probes = [u for u in failed if u.split("?")[0].endswith(BASE_PATH_PROBES)]
    assert failed == probes, f"failed loads: {failed}"
    real_errors = [e for e in errors if not e.startswith("Failed to load resource")]
    assert real_errors == [], f"console errors: {real_errors}"
    assert len(errors) - len(real_errors) == len(probes)


def test_teacher_and_slide_views_hide_the_controls(server, page):
    goto(page, server, "tasks?model=task&task=brackets&controls=hidden")
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    # On a fresh server the unit finder's first run takes a moment: wait for its finding.
    page.get_by_text("tracks the nesting depth").first.wait_for(timeout=60_000)
    goto(page, server, "gates?model=task&task=brackets&slide=1")
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    # Slide titles state the run.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.gtitle')]"
        ".some(e => e.textContent.includes('trained task: bracket depth, shipped weights'))",
        timeout=30_000,
    )
    # The one-figure view: that chart alone, across the page, nothing else of the page shown.
    goto(page, server, "gates?model=task&task=brackets&figure=gates")
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 1", timeout=30_000)
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert not page.get_by_role("heading", name="Gates over time").is_visible()
    assert page.locator(".gtitle").first.text_content().startswith("Every gate and state")
    chart = page.locator(".js-plotly-plot").bounding_box()
    main = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()
    assert chart["width"] > 0.9 * (main["width"] - 200), "full width, not half of a column pair"
    page.screenshot(path=str(SHOTS / "gates_one_figure.png"))


def _download(page, name: str, tmp_path):
    """Click the button or link called ``name`` and return the downloaded file's path."""
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name=name).click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


def _prepared(page, start: str, tmp_path, suffix: str):
    """Click a button that draws an export (with its progress bar), then download what it made (``suffix``)."""
    page.get_by_role("button", name=start).click()
    # The previous export's download button stays until the new one is ready: wait for this kind's.
    ready = page.get_by_role("button", name=re.compile(rf"^download lstm_.*{re.escape(suffix)}$"))
    ready.wait_for(timeout=120_000)
    with page.expect_download(timeout=60_000) as info:
        ready.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


def test_exports_for_slides_files_open_and_say_what_they_hold(server, page, tmp_path):
    from lstm_viz.export.images import DEFAULT_WIDTH
    from lstm_viz.figures.still import STILL_TRIM_PX

    goto(page, server, "gates?model=random&seq_len=6&hidden_size=4&batch=1")
    page.get_by_role("button", name="Export for slides and notebooks…").click()
    zipped = _prepared(page, "ZIP of the figure (PNG + SVG)", tmp_path, ".zip")
    assert zipped.name == "lstm_figures_B1_T6_I4_H4_L1_float32_step_seed0.zip"
    with zipfile.ZipFile(zipped) as zf:
        names = zf.namelist()
        assert len(names) == 2 and sum(n.endswith(".png") for n in names) == 1
        png = next(n for n in names if n.startswith("lstm_gates_") and n.endswith(".png"))
        width, height = struct.unpack(">II", zf.read(png)[16:24])
        # A chart stretched to its column has no layout width; exports draw it at DEFAULT_WIDTH. A still: the
        # figure less the room of its slider and buttons, which it leaves out.
        assert (width, height) == (3 * DEFAULT_WIDTH, 3 * (590 - STILL_TRIM_PX)), "PNG at 3x the still's size"
        svg = zf.read(png.replace(".png", ".svg"))
        assert svg.lstrip().startswith(b"<svg")
        assert b"updatemenu" not in svg and b"slider" not in svg, "no play button or slider on a slide"
        assert "▶ play".encode() not in svg
    gif = _prepared(page, "GIF of the gates, 6 steps", tmp_path, ".gif")
    from PIL import Image

    with Image.open(gif) as im:
        assert im.n_frames == 6, "one frame per step"
    mp4 = _prepared(page, "MP4 of the gates, 6 steps", tmp_path, ".mp4")
    import av

    with av.open(str(mp4)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in container.decode(video=0)) == 6, "one frame per step"
    html_file = _download(page, "interactive HTML (offline)", tmp_path)
    text = html_file.read_text()
    assert "Plotly.newPlot" in text or "plotly" in text.lower()
    assert not re.search(r"<script[^>]+src=[\"']https?:", text), "nothing fetched from another host"
    npz = _download(page, "every tensor: NPZ", tmp_path)
    script = _download(page, "script: rebuild with nn.LSTM", tmp_path)
    result = subprocess.run([sys.executable, str(script), str(npz)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    csvs = _prepared(page, "CSV per tensor (ZIP)", tmp_path, "_csv.zip")
    with zipfile.ZipFile(csvs) as zf:
        assert any(n.endswith(".csv") for n in zf.namelist())


def test_deep_link_as_the_first_request_of_a_fresh_server_opens_that_page_with_its_settings(page):
    fresh = Server()
    try:
        page.goto(f"{fresh.url}/gates?model=random&hidden_size=8&seed=3")
        page.wait_for_function(
            "() => document.querySelector('input[aria-label=\"hidden size H\"]')?.value === '8'", timeout=60_000
        )
        page.wait_for_function(
            "() => [...document.querySelectorAll('.gtitle')].some(e => e.textContent.startsWith('Every gate'))",
            timeout=60_000,
        )
        wait_idle(page)
        assert number_input(page, "seed").input_value() == "3"
        assert page.get_by_role("heading", name="Gates over time").count() == 1
        assert page.get_by_role("link", name="Trained tasks").count() >= 1, "the app's own navigation"
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "hidden_size=8" in page.url and "seed=3" in page.url
    finally:
        fresh.stop()


def test_presets_and_share_dialogs_give_links_that_reproduce_the_run(server, page):
    goto(page, server, "gates?model=random&hidden_size=7&seed=3")
    page.get_by_role("button", name="Share this run…").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("code").nth(3).wait_for(timeout=30_000)
    codes = dialog.locator("code").all_inner_texts()
    assert any("gates?" in c and "hidden_size=7" in c and "seed=3" in c for c in codes)
    assert any(c.endswith("controls=hidden") for c in codes) and any(c.endswith("slide=1") for c in codes)
    # The one-figure link offers the charts the page has just drawn (the Gates figure).
    assert any(c.endswith("figure=gates") and "hidden_size=7" in c for c in codes)
    # The cursor moves in the browser without telling the server: the teacher picks the step a link opens at.
    dialog.get_by_role("slider").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    dialog.locator("code").filter(has_text="t=5").first.wait_for(timeout=30_000)
    codes = dialog.locator("code").all_inner_texts()
    assert all("t=5" in c for c in codes[:4]), codes
    page.keyboard.press("Escape")
    page.mouse.move(0, 0)  # the Share button's tooltip would cover the button below it
    page.get_by_role("button", name="Presets: links to share…").click()
    page.get_by_role("dialog").get_by_role("link", name="the tutorial (2, 3, 4, 5, proj 3)").click()
    page.wait_for_url("**/gates?*proj_size=3*", timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('input[aria-label=\"hidden size H\"]')?.value === '5'", timeout=60_000
    )
