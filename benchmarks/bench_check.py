"""Time each part of a check, sandbox included: start, torch inside, the tutorial's two verdicts, the ladder.

    .venv/bin/python benchmarks/bench_check.py [--repeat 5]

Parts, each the median of ``--repeat`` runs (the machine is shared: the load is printed first):
  sandbox start      bwrap plus Python up to the runner's probe answer (no torch)
  torch inside       a sandbox from its start to 'ready' (Python and ``import torch`` in the sandbox)
  seed: 2 verdicts   a warm sandbox (a server keeps one): job sent -> the tutorial's two cases judged
  ladder             the same check -> every case judged (the report built: diagnosis, divergence)
  cold check         the whole check with no warm sandbox (a terminal's --sandbox)
  mistake, warm      a classic mistake (gate_order) with a warm sandbox, its diagnosis included
  idle sandbox RSS   resident memory of the pre-started sandbox's Python (what a worker keeps for speed)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_viz.check import checker, classics, protocol, sandbox  # noqa: E402
from lstm_viz.check.source import read_source  # noqa: E402


def probe_start() -> float:
    start = time.perf_counter()
    box = sandbox.Sandbox(probe=True)
    reader = protocol.FrameReader(1 << 20)
    frames: list = []
    while not frames:
        data = sandbox._read(box.res_r)
        if data:
            frames += reader.feed(data)
        else:
            time.sleep(0.002)
    seconds = time.perf_counter() - start
    box.end()
    return seconds


def torch_ready() -> float:
    start = time.perf_counter()
    box = sandbox.Sandbox()
    assert box.wait_ready(120)
    seconds = time.perf_counter() - start
    box.end()
    return seconds


def warm_pool() -> None:
    sandbox.pool.refill(True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        box = sandbox.pool._idle
        if box is not None and box.wait_ready(120):
            return
        time.sleep(0.02)
    raise RuntimeError("the idle sandbox did not start")


def idle_rss_mb() -> float:
    """Resident memory of the idle sandbox's runner (its Python with torch imported), from the host's /proc."""
    out = subprocess.run(["ps", "-eo", "rss=,args="], capture_output=True, text=True).stdout
    rss = [int(line.split()[0]) for line in out.splitlines() if "/sandbox/runner.py" in line and "bwrap" not in line]
    return max(rss) / 1024 if rss else float("nan")


def seed_check(name: str = "seed") -> tuple[float, float, float]:
    """(two verdicts, every verdict, report built) seconds for one warm check of an example."""
    warm_pool()
    source = read_source(classics.example_code(name), f"{name}.py")
    marks: dict[str, float] = {}
    start = time.perf_counter()

    def on_case(result) -> None:
        marks[result.spec.name] = time.perf_counter() - start

    report = checker.run_source(source, "lstm_forward", "sandbox", on_case, keep_warm=True)
    total = time.perf_counter() - start
    expected = "match" if name == "seed" else "differs"
    assert report.verdict == expected, report.text()
    return max(marks["tutorial"], marks["tutorial_proj"]), max(marks.values()), total


def cold_check() -> float:
    source = read_source(classics.example_code("seed"), "seed.py")
    start = time.perf_counter()
    report = checker.run_source(source, "lstm_forward", "sandbox")
    assert report.verdict == "match"
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print(f"cores: {os.cpu_count()}; running as uid {os.geteuid()}")
    problem = sandbox.probe_sandbox()
    if problem:
        raise SystemExit(f"no sandbox here: {problem}")
    checker.all_case_data()  # the server builds the cases once
    seed_check()  # first check of the process: caches and the diagnosis' tables warm
    rows: dict[str, list[float]] = {k: [] for k in ("sandbox start", "torch inside", "seed: 2 verdicts", "ladder")}
    rows |= {"report built": [], "cold check": [], "mistake, warm": []}
    rss = []
    for _ in range(args.repeat):
        rows["sandbox start"].append(probe_start())
        rows["torch inside"].append(torch_ready())
        warm_pool()
        rss.append(idle_rss_mb())
        two, ladder, total = seed_check()
        rows["seed: 2 verdicts"].append(two)
        rows["ladder"].append(ladder)
        rows["report built"].append(total)
        rows["cold check"].append(cold_check())
        rows["mistake, warm"].append(seed_check("gate_order")[2])
    sandbox.pool.close()
    print(f"{'part':<20} {'median s':>9} {'min s':>7} {'max s':>7}   (n = {args.repeat})")
    for name, values in rows.items():
        print(f"{name:<20} {statistics.median(values):9.3f} {min(values):7.3f} {max(values):7.3f}")
    print(f"{'idle sandbox RSS':<20} {statistics.median(rss):9.0f} MB")
    ratio = statistics.median(rows["cold check"]) / statistics.median(rows["report built"])
    print(f"cold / warm check: {ratio:.1f}x (the pre-started sandbox saves the start and torch's import)")
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
