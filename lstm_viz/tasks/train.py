"""Training a task's model: Adam on fresh batches, one CPU thread, bit-identical weights per seed."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

import torch
from torch import nn

from lstm_viz.tasks.base import Task
from lstm_viz.tasks.model import TaskModel, init_model

Progress = Callable[[int, int, float], None]
"""Called after every step with (step, steps, loss)."""

CLIP = 1.0
"""Gradient-norm clip of the shared training loop."""

_THREADS = threading.Lock()


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one intra-op thread, restoring the previous count after.

    Weights trained with 1 and with 2 threads differ in their last bits (reductions split differently), so
    every training runs on exactly one; the lock keeps two trainings from restoring each other's setting.
    """
    with _THREADS:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)


def train(
    task: Task,
    hidden_size: int | None = None,
    seed: int = 0,
    steps: int | None = None,
    forget_bias: float | None = None,
    progress: Progress | None = None,
    **fit_options: object,
) -> TaskModel:
    """Train a fresh model of ``task`` from ``seed`` and measure it on sequences it never saw.

    Args:
        task: What to learn.
        hidden_size: H; default the task's.
        seed: Seeds the initial weights and every training batch.
        steps: Adam steps; default ``task.train_steps``.
        forget_bias: Initial forget-gate bias; default the task's (+2 for the memory tasks).
        progress: Called after each step with ``(step, steps, loss)``.
        **fit_options: Passed to the task's own training loop (``task.fit``), e.g. `code`'s snapshots.

    Returns:
        The trained model (eval mode); ``info`` holds the loss curve, the metric and the seconds taken.
    """
    hidden_size = hidden_size or task.hidden_size
    steps = task.train_steps if steps is None else steps
    with one_thread():
        start = time.perf_counter()
        if task.fit is not None:
            model = task.fit(task, hidden_size, seed, steps, forget_bias, progress, **fit_options)
            model.info["seconds"] = round(time.perf_counter() - start, 3)
            model.info["metric"] = model.evaluate()
            return model
        model = init_model(task, hidden_size, seed, forget_bias)
        losses = fit_batches(task, model.lstm, model.head, seed, steps, progress)
        seconds = time.perf_counter() - start
        metric = model.evaluate()
    model.info.update(steps=steps, losses=losses, metric=metric, seconds=round(seconds, 3))
    return model


def fit_batches(
    task: Task, net: nn.Module, head: nn.Linear, seed: int, steps: int, progress: Progress | None = None
) -> list[float]:
    """The shared training loop of every task without its own: Adam at ``task.lr`` on fresh batches.

    Step k reads ``task.batch_size`` fresh sequences of ``task.seq_len`` steps (drawn from a generator seeded
    ``seed + 1``, one past the weights', so data and init never share draws), takes the task's loss of
    ``head(h)``, clips the gradient norm to ``CLIP`` and steps. The same loop trains a task's ``nn.LSTM`` and
    the plain ``nn.RNN`` that races it (``lstm_viz.tasks.rnn``): equal budgets by construction. Leaves both
    modules in eval mode.

    Args:
        task: What to learn.
        net: A ``batch_first`` recurrent module whose output's first element is h [B, T, H].
        head: The read-out applied to h at every step.
        seed: The training's seed (the batches come from ``seed + 1``).
        steps: Adam steps.
        progress: Called after each step with ``(step, steps, loss)``.

    Returns:
        The loss of every step.
    """
    net.train()
    head.train()
    params = [*net.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=task.lr)
    gen = torch.Generator().manual_seed(seed + 1)
    losses: list[float] = []
    for step in range(steps):
        b = task.sample(task.batch_size, task.seq_len, gen)
        h, _ = net(b.x)  # [B, T, H]
        loss = task.loss(head(h), b)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        losses.append(loss.item())
        if progress is not None:
            progress(step + 1, steps, losses[-1])
    net.eval()
    head.eval()
    return losses
