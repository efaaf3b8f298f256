"""Gradient flow and the one-step backward of a run, computed once per run spec and arguments for every session."""

from __future__ import annotations

import functools

from lstm_viz.analysis import GradientFlow, gradient_flow
from lstm_viz.backward import TASK_LOSS, Gradients, Loss, backward, loss_grad, task_loss_grad
from lstm_viz.cache import ByteLRU, object_bytes
from lstm_viz.edits import Edits, apply_edits
from lstm_viz.run import Run

GRADIENT_CACHE_BYTES = 512 * 2**20
"""Memory the server gives cached gradients (a flow at the hosting limits is measured in benchmarks/bench_memory)."""


@functools.cache
def gradient_cache() -> ByteLRU:
    """The server's one cache of gradient flows and step backwards, bounded by the bytes of their tensors."""
    return ByteLRU(GRADIENT_CACHE_BYTES, object_bytes)


def flow_for(run: Run, kind: str, unit: int | None, forget_bias: float = 0.0) -> GradientFlow:
    """The Gradient flow page's computation for one run: ``gradient_flow`` with the page's arguments, cached.

    The same numbers as calling ``gradient_flow`` directly on the run's LSTM (with ``forget_bias`` added to
    b_if by ``apply_edits`` when it is not 0), its input and initial state; the run's task model and sequences
    feed ``TASK_LOSS``. Keyed by ``run.spec`` and the arguments, so every session showing the same run and
    loss shares one result. The result is shared: read it, do not write to it.

    Raises:
        ValueError: as ``gradient_flow`` does (e.g. ``TASK_LOSS`` on a run without a task).
    """
    key = ("flow", run.spec, kind, unit, float(forget_bias))

    def make() -> GradientFlow:
        lstm = apply_edits(run.built.lstm, Edits(forget_bias=forget_bias)) if forget_bias else run.built.lstm
        task, batch = (run.task.model, run.task.batch) if run.task is not None else (None, None)
        return gradient_flow(lstm, run.built.input, run.built.hx, kind, unit, run.config.seed, task, batch)

    return gradient_cache().get_or_make(key, make)


def step_backward(run: Run, kind: str) -> tuple[Loss, Gradients]:
    """The Step page's backward for one run: the loss (``loss_grad`` or the task's) and ``backward``, cached.

    The same numbers as ``backward(run.trace, loss.grad_output)``; keyed by ``run.spec`` and ``kind`` so the
    step and unit pickers, which only read different entries, never recompute it. Shared: read, do not write.

    Raises:
        ValueError: as ``loss_grad`` / ``task_loss_grad`` do.
    """

    def make() -> tuple[Loss, Gradients]:
        if kind == TASK_LOSS:
            if run.task is None:
                raise ValueError("the task's loss needs a trained task's run")
            loss = task_loss_grad(run.trace, run.task.model, run.task.batch)
        else:
            loss = loss_grad(run.trace, kind)
        return loss, backward(run.trace, loss.grad_output)

    return gradient_cache().get_or_make(("step", run.spec, kind), make)
