"""Live training time of every built-in task at its default size on one CPU thread (median of repeats).

Run: .venv/bin/python benchmarks/bench_tasks.py [repeats]
The issue's budget: each synthetic task trains in at most 5 s; the text model's live training is a short one.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_viz import tasks  # noqa: E402

BUDGET_S = 5.0


def main(repeats: int = 3) -> None:
    """Train each task ``repeats`` times from seed 0 and print the median seconds and the metric reached."""
    print(f"{'task':<14}{'H':>4}{'steps':>7}{'median s':>10}{'min s':>8}{'budget':>8}  metric")
    for name in tasks.names():
        task = tasks.get(name)
        seconds, model = [], None
        for _ in range(repeats):
            start = time.perf_counter()
            model = tasks.train(task, seed=0)
            seconds.append(time.perf_counter() - start)
        med = statistics.median(seconds)
        verdict = "ok" if med <= BUDGET_S else "OVER"
        metric = f"{task.metric_name} {model.info['metric']:.3f}"
        sizes = f"{name:<14}{task.hidden_size:>4}{task.train_steps:>7}"
        print(f"{sizes}{med:>10.2f}{min(seconds):>8.2f}{verdict:>8}  {metric}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
