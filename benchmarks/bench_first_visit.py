"""A fresh server's first visitor against the second: seconds from navigation to Home's first chart, in Chromium.

    .venv/bin/python benchmarks/bench_first_visit.py [--repeat 3] [--setups plain warm]

``plain`` is ``streamlit run app.py``; ``warm`` is ``scripts/serve.sh --workers 1`` (HAProxy in front of one
worker it warms before it takes a visitor: the Docker image's command). For each setup and repeat a fresh server
starts; once ``/_stcore/health`` answers (for ``warm``: once serve.sh says it is ready), a fresh browser context
opens Home and the time to its first drawn chart is taken, then a second fresh context does the same. Medians
are printed with their ratio and the machine's load (``uptime``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def _free_port(count: int = 1) -> int:
    for _ in range(100):
        base = 20_000 + int.from_bytes(os.urandom(2), "big") % 30_000
        try:
            for p in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
    raise RuntimeError("no free port")


def _wait(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout:.0f} s")
        time.sleep(0.1)


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def start(setup: str, log: Path) -> tuple[subprocess.Popen, int]:
    """A fresh server of ``setup``, ready to take a visitor; its process and port."""
    port = _free_port(2)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    out = log.open("w")
    if setup == "plain":
        cmd = [
            str(ROOT / ".venv/bin/streamlit"),
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        _wait(lambda: _healthy(port), 120, "streamlit's health")
    else:
        cmd = ["scripts/serve.sh", "--workers", "1", "--port", str(port), "--bind", "127.0.0.1"]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        _wait(lambda: "serve.sh: ready" in log.read_text(), 240, "serve.sh ready")
    return proc, port


def visit(browser, port: int) -> float:
    """Seconds from navigation to Home's first drawn chart, in a fresh browser context."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
        return time.perf_counter() - start
    finally:
        context.close()


def main() -> None:
    """Run the setups side by side and print medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--setups", nargs="+", default=["plain", "warm"], choices=["plain", "warm"])
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if "warm" in args.setups and not shutil.which("haproxy") and not Path("/usr/sbin/haproxy").exists():
        sys.exit("the warm setup needs Debian's haproxy")
    print(f"load before: {os.getloadavg()[0]:.2f} (1-minute)")
    results: dict[str, list[tuple[float, float]]] = {s: [] for s in args.setups}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for n in range(args.repeat):
            for setup in args.setups:
                proc, port = start(setup, Path(tmp) / f"{setup}-{n}.log")
                try:
                    first, second = visit(browser, port), visit(browser, port)
                finally:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(30)
                results[setup].append((first, second))
                print(f"{setup:>5} #{n + 1}: first visit {first:.2f} s, second {second:.2f} s")
        browser.close()
    print(f"load after: {os.getloadavg()[0]:.2f} (1-minute)")
    for setup, pairs in results.items():
        first = statistics.median(a for a, _ in pairs)
        second = statistics.median(b for _, b in pairs)
        print(f"{setup:>5}: median first {first:.2f} s, second {second:.2f} s, first / second x{first / second:.2f}")


if __name__ == "__main__":
    main()
