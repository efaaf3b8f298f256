"""Train built-in tasks from seed 0 and write their shipped weights; rerunning rewrites identical bytes.

Usage: .venv/bin/python scripts/make_task_weights.py [--out DIR] [--net NET] [--steps N] [--snapshots DIR] [task]...
       .venv/bin/python scripts/make_task_weights.py [--out DIR] --finish SNAPSHOT code

Each task gets its LSTM (``<task>.safetensors``) and the plain tanh RNN that races it on the Gradient flow page
(``<task>_rnn.safetensors``: the same H, seed, batches, steps and learning rate); ``--net lstm`` or ``--net rnn``
makes one of them. Without task names it makes every task except the long ones (`code`: about an hour on one
CPU thread for the LSTM, a quarter of an hour for its RNN), which must be named. ``--steps`` overrides the
shipped step count (a shortened run, for checks); ``--snapshots DIR`` also writes the LSTM's weights every 1,000
steps of a long training there (``code_step1000.safetensors``, ...), which equal a run of that many steps bit
for bit; ``--finish SNAPSHOT`` measures one and writes it as the shipped file (the bytes a run of its step count
writes). Progress of a long training goes to stdout.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_viz import tasks  # noqa: E402
from lstm_viz.tasks.rnn import RNNTaskModel, rnn_weights_path, save_rnn, train_rnn  # noqa: E402
from lstm_viz.tasks.store import save_model, weights_path  # noqa: E402

SEED = 0
NETS = ("both", "lstm", "rnn")
SNAPSHOT_EVERY = 1000
REPORT_EVERY = 100


def _stamp(model: tasks.TaskModel | RNNTaskModel) -> None:
    # Seconds vary run to run; keeping them out of the file keeps its bytes reproducible.
    model.info.pop("seconds", None)
    model.info["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
    model.info["torch"] = torch.__version__.split("+")[0]


def main(
    names: list[str],
    out: Path | None = None,
    steps: int | None = None,
    snapshots: Path | None = None,
    finish: Path | None = None,
    net: str = "both",
) -> None:
    """Train and save each named task (default: all but the long ones) into ``out`` (default: the shipped place).

    ``net`` picks the networks: ``"lstm"``, ``"rnn"`` or ``"both"``.
    """
    if net not in NETS:
        raise SystemExit(f"--net takes one of {', '.join(NETS)}, not {net!r}")
    for name in names or [n for n in tasks.names() if tasks.get(n).fit is None]:
        task = tasks.get(name)
        if finish is not None:
            _finish(task, finish, out)
            continue
        if net in ("both", "rnn"):
            _make_rnn(task, out, steps)
        if net == "rnn":
            continue
        options = {}
        if task.fit is not None:
            options["progress"] = _reporter(name)
            if snapshots is not None:
                options["snapshot"] = _snapshotter(name, snapshots)
                options["snapshot_every"] = SNAPSHOT_EVERY
        model = tasks.train(task, seed=SEED, steps=task.full_steps if steps is None else steps, **options)
        _stamp(model)
        save_model(model, out / weights_path(task).name if out else weights_path(task))
        verdict = "reached" if task.reached(model.info["metric"]) else "DID NOT reach"
        print(f"{name}: {task.metric_name} {model.info['metric']:.4f} {verdict} {task.target_metric}", flush=True)  # noqa: T201


def _make_rnn(task: tasks.Task, out: Path | None, steps: int | None) -> None:
    progress = _reporter(f"{task.name} RNN") if task.fit is not None else None
    model = train_rnn(task, seed=SEED, steps=task.full_steps if steps is None else steps, progress=progress)
    _stamp(model)
    save_rnn(model, out / rnn_weights_path(task).name if out else rnn_weights_path(task))
    print(f"{task.name} RNN: {task.metric_name} {model.info['metric']:.4f}", flush=True)  # noqa: T201


def _finish(task: tasks.Task, snapshot: Path, out: Path | None) -> None:
    from lstm_viz.tasks.code_train import finish_snapshot
    from lstm_viz.tasks.store import load_model
    from lstm_viz.tasks.train import one_thread

    with one_thread():
        model = finish_snapshot(load_model(task, snapshot))
        model.info["metric"] = model.evaluate()
    _stamp(model)
    save_model(model, out / weights_path(task).name if out else weights_path(task))
    print(f"{task.name}: {model.info['steps']} steps, {task.metric_name} {model.info['metric']:.4f}", flush=True)  # noqa: T201


def _reporter(name: str):  # noqa: ANN202
    start = time.perf_counter()
    recent: list[float] = []

    def report(step: int, steps: int, loss: float) -> None:
        recent.append(loss)
        if step % REPORT_EVERY == 0 or step == steps:
            elapsed = time.perf_counter() - start
            eta = elapsed / step * (steps - step)
            mean = sum(recent) / len(recent)
            print(f"{name} step {step}/{steps} loss {mean:.4f} elapsed {elapsed:.0f}s eta {eta:.0f}s", flush=True)  # noqa: T201
            recent.clear()

    return report


def _snapshotter(name: str, folder: Path):  # noqa: ANN202
    def snapshot(step: int, model: tasks.TaskModel) -> None:
        model.info.pop("seconds", None)
        model.info["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        model.info["torch"] = torch.__version__.split("+")[0]
        save_model(model, folder / f"{name}_step{step}.safetensors")

    return snapshot


if __name__ == "__main__":
    args = sys.argv[1:]
    kwargs: dict = {}
    flags = {
        "--out": ("out", Path),
        "--steps": ("steps", int),
        "--snapshots": ("snapshots", Path),
        "--finish": ("finish", Path),
        "--net": ("net", str),
    }
    while args[:1] and args[0] in flags:
        key, kind = flags[args[0]]
        kwargs[key], args = kind(args[1]), args[2:]
    main(args, **kwargs)
