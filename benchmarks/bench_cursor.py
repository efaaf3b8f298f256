"""The Gates time cursor in Chromium, before (a server-side fragment per step) and after (Plotly frames), side by side.

Starts two local Streamlit servers: this working tree's app ("after") and the app at ``--before`` (default: the
last commit whose Gates page still had the fragment cursor) checked out with ``git worktree`` under /tmp, both
run by this interpreter. Then, in rounds that alternate between them, Playwright drives Debian's Chromium
(``/usr/bin/chromium``) on the Gates page and measures:

- **step latency**: from the input to the drawn step. Before: a click on "step ▶" until the page shows the next
  step and its script has finished. After: a click on the slider's rail (timed from the page's own ``mousedown``)
  until the paint that shows the figure's last change for that step (also printed: until the frame after
  Plotly's ``plotly_animated`` event, this benchmark's first measure, which counts one frame more).
- **frames/s while playing**: steps shown per second after "▶ play", over ``--play-s`` seconds.
- **websocket messages per step**: frames the browser sends to the server (each a rerun or a widget value).

Prints p50/p95 of the latency, the medians over rounds, and the load average (``uptime``), which on a shared
machine decides much of the absolute figures: compare the two columns of one run, not runs.

Run: .venv/bin/python benchmarks/bench_cursor.py [--steps 15] [--rounds 2] [--play-s 3] [--query model=brackets]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
BEFORE_DIR = Path("/tmp/lstm_bench_cursor_before")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# After: the page's input time, when the figure's last change for the step was painted, and Plotly's own
# ``plotly_animated`` event (with the frame after it, the old measure), collected in the page. A change made
# while the browser runs a frame's requestAnimationFrame callbacks (Plotly draws a step there: the slider and
# its animation loop both run in them) is painted at the end of that frame, so a task queued then runs after
# the paint; a change made between frames is painted in the next frame (a requestAnimationFrame, then a task).
# ``inFrame`` is true from the start of each frame's callbacks (the page's own, first in the frame's list)
# until a task queued then runs, after the frame's paint.
AFTER_HOOKS = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
    g => String(g.layout?.title?.text).includes('Every gate and state'));
  const b = window.__bench = {down: 0, painted: 0, steps: [], events: [], frames: [], inFrame: false};
  const loop = () => { b.inFrame = true; setTimeout(() => { b.inFrame = false; }, 0); requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
  document.addEventListener('mousedown', () => { b.down = performance.now(); }, true);
  const stamp = () => { b.painted = performance.now(); };
  new MutationObserver(() => {
    if (b.inFrame) setTimeout(stamp, 0); else requestAnimationFrame(() => setTimeout(stamp, 0));
  }).observe(gd, {subtree: true, childList: true, attributes: true, characterData: true});
  gd.on('plotly_animated', () => requestAnimationFrame(() => setTimeout(() => {
    b.events.push(performance.now() - b.down); b.steps.push(b.painted - b.down); }, 0)));
  gd.on('plotly_animatingframe', () => b.frames.push(performance.now()));
}"""
# Before: each change of the step shown in the bar chart's title, timed in the page.
BEFORE_HOOKS = """() => {
  window.__bench = {frames: [], last: null};
  const read = () => [...document.querySelectorAll('.gtitle')].map(e => e.textContent)
    .find(t => t.includes('at step t = '));
  new MutationObserver(() => { const t = read(); if (t && t !== window.__bench.last) {
    window.__bench.last = t; window.__bench.frames.push(performance.now()); } })
    .observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App:
    """A Streamlit server for the app in ``root``."""

    def __init__(self, root: Path, name: str) -> None:
        self.name, self.port = name, _free_port()
        self.log = open(f"/tmp/lstm_bench_cursor_{name}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(root / "app.py"), "--server.headless", "true"]
            + ["--server.port", str(self.port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats"]
            + ["false", "--server.fileWatcherType", "none"],
            cwd=root,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2)
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"the {name} server did not start: see {self.log.name}")

    @property
    def url(self) -> str:
        """The server's address."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the server and close its log."""
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def _fragment_commit() -> str:
    """The last commit whose pages/gates.py has the server-side fragment cursor."""
    out = subprocess.run(
        ["git", "log", "-n", "1", "--format=%H", "-S", "cursor fragment run", "--", "pages/gates.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # -S finds the commit that removed the string: the one before it still has it.
    return f"{out}^"


def _worktree(commit: str) -> Path:
    if BEFORE_DIR.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(BEFORE_DIR)], cwd=ROOT, check=False)
    subprocess.run(["git", "worktree", "add", "--detach", str(BEFORE_DIR), commit], cwd=ROOT, check=True)
    return BEFORE_DIR


def _open(browser, app: App, query: str):
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    page = context.new_page()
    sent = [0]
    page.on("websocket", lambda ws: ws.on("framesent", lambda _f: sent.__setitem__(0, sent[0] + 1)))
    page.goto(f"{app.url}/gates?{query}")
    page.wait_for_selector(".js-plotly-plot", timeout=120_000)
    page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=120_000)
    page.wait_for_timeout(1500)
    return context, page, sent


def _measure_before(browser, app: App, query: str, steps: int, play_s: float) -> dict:
    context, page, sent = _open(browser, app, query)
    try:
        page.evaluate(BEFORE_HOOKS)
        latencies, start = [], sent[0]
        for k in range(1, steps + 1):
            t0 = time.perf_counter()
            page.get_by_role("button", name="step ▶").click()
            page.wait_for_function(
                f"() => [...document.querySelectorAll('.gtitle')].some(e => e.textContent.includes('step t = {k}'))",
                timeout=60_000,
            )
            page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=60_000)
            latencies.append(1e3 * (time.perf_counter() - t0))
        per_step = (sent[0] - start) / steps
        page.evaluate("() => { window.__bench.frames = []; }")
        page.get_by_role("button", name="▶ play").click()
        page.wait_for_timeout(int(play_s * 1000))
        frames = page.evaluate("() => window.__bench.frames")
        page.get_by_role("button", name="⏸ pause").click()
        return dict(latencies=latencies, per_step=per_step, fps=_fps(frames))
    finally:
        context.close()


def _measure_after(browser, app: App, query: str, steps: int, play_s: float) -> dict:
    context, page, sent = _open(browser, app, query)
    try:
        page.evaluate(AFTER_HOOKS)
        chart = page.locator('[data-testid="stPlotlyChart"]:has(.slider-rail-touch-rect)').first
        chart.scroll_into_view_if_needed()
        rail = chart.locator(".slider-rail-touch-rect").bounding_box()
        total = page.evaluate(
            "() => [...document.querySelectorAll('.js-plotly-plot')].find(g => g._fullLayout?.sliders?.length)"
            "._fullLayout.sliders[0].steps.length"
        )
        start = sent[0]
        for k in range(1, steps + 1):
            x = rail["x"] + (k + 0.5) / total * rail["width"]
            page.mouse.click(x, rail["y"] + rail["height"] / 2)
            page.wait_for_function(f"() => window.__bench.steps.length >= {k}", timeout=30_000)
        latencies = page.evaluate("() => window.__bench.steps")
        events = page.evaluate("() => window.__bench.events")
        page.wait_for_timeout(500)
        per_step = (sent[0] - start) / steps
        page.mouse.click(rail["x"] + 2, rail["y"] + rail["height"] / 2)  # back to step 0: play runs the whole way
        page.wait_for_timeout(300)
        page.evaluate("() => { window.__bench.frames = []; }")
        chart.locator(".updatemenu-button", has_text="play").click()
        page.wait_for_timeout(int(play_s * 1000))
        frames = page.evaluate("() => window.__bench.frames")
        chart.locator(".updatemenu-button", has_text="pause").click()
        return dict(latencies=latencies, events=events, per_step=per_step, fps=_fps(frames))
    finally:
        context.close()


def _fps(stamps: list[float]) -> float:
    """Steps shown per second between the first and the last one."""
    if len(stamps) < 2:
        return 0.0
    return (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1e3)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="commit of the 'before' app (default: the last fragment-cursor Gates page)")
    parser.add_argument("--steps", type=int, default=15, help="steps timed per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, alternating before and after")
    parser.add_argument("--play-s", type=float, default=3.0, help="seconds of play measured per round")
    parser.add_argument("--query", default="model=brackets", help="the Gates page's query (the same run on both)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is not installed")
    commit = args.before or _fragment_commit()
    before_root = _worktree(commit)
    apps = {"before": App(before_root, "before"), "after": App(ROOT, "after")}
    results: dict[str, list[dict]] = {"before": [], "after": []}
    load = [os.getloadavg()]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for _ in range(args.rounds):
                for name, measure in (("before", _measure_before), ("after", _measure_after)):
                    results[name].append(measure(browser, apps[name], args.query, args.steps, args.play_s))
                    load.append(os.getloadavg())
            browser.close()
    finally:
        for app in apps.values():
            app.stop()
        subprocess.run(["git", "worktree", "remove", "--force", str(before_root)], cwd=ROOT, check=False)
    print(f"Gates time cursor, Chromium 1600x900, query {args.query!r}, {args.steps} steps x {args.rounds} rounds")
    print(f"before: {commit} (server-side fragment per step); after: this working tree (Plotly frames)")
    print(f"{'':36}{'before':>12}{'after':>12}")
    rows = [
        ("step latency p50 (ms)", lambda r: _pct(sum((x["latencies"] for x in r), []), 0.5)),
        ("step latency p95 (ms)", lambda r: _pct(sum((x["latencies"] for x in r), []), 0.95)),
        ("frames/s while playing (median)", lambda r: statistics.median(x["fps"] for x in r)),
        ("websocket messages per step", lambda r: statistics.median(x["per_step"] for x in r)),
    ]
    for label, stat in rows:
        print(f"{label:36}{stat(results['before']):>12.1f}{stat(results['after']):>12.1f}")
    events = sum((x["events"] for x in results["after"]), [])
    print(
        f"after, to the frame after Plotly's plotly_animated event (the first measure): p50 {_pct(events, 0.5):.1f}"
        f" ms, p95 {_pct(events, 0.95):.1f} ms"
    )
    print("load average (1, 5, 15 min) at start and after each measurement:")
    for entry in load:
        print("  " + ", ".join(f"{v:.2f}" for v in entry))
    print("uptime: " + subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
