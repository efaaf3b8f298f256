"""Train every built-in task from seed 0 and write its shipped weights; rerunning rewrites identical bytes.

Usage: .venv/bin/python scripts/make_task_weights.py [--out DIR] [task ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_viz import tasks  # noqa: E402
from lstm_viz.tasks.store import save_model, weights_path  # noqa: E402

SEED = 0


def main(names: list[str], out: Path | None = None) -> None:
    """Train and save each named task (all by default) into ``out`` (default: the shipped place)."""
    for name in names or tasks.names():
        task = tasks.get(name)
        model = tasks.train(task, seed=SEED, steps=task.full_steps)
        # Seconds vary run to run; keeping them out of the file keeps its bytes reproducible.
        model.info.pop("seconds")
        model.info["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        model.info["torch"] = torch.__version__.split("+")[0]
        save_model(model, out / weights_path(task).name if out else weights_path(task))
        verdict = "reached" if task.reached(model.info["metric"]) else "DID NOT reach"
        print(f"{name}: {task.metric_name} {model.info['metric']:.4f} {verdict} {task.target_metric}")  # noqa: T201


if __name__ == "__main__":
    args = sys.argv[1:]
    out_dir = None
    if args[:1] == ["--out"]:
        out_dir, args = Path(args[1]), args[2:]
    main(args, out_dir)
