"""Built-in trained tasks whose gates mean something: ``names()``, ``pretrained(name)``, ``train(...)``."""

from __future__ import annotations

import copy
import functools

from lstm_viz.i18n import msg
from lstm_viz.tasks.base import Batch, Task
from lstm_viz.tasks.definitions import TASKS
from lstm_viz.tasks.model import TaskModel, init_model
from lstm_viz.tasks.store import load_model, weights_path
from lstm_viz.tasks.train import train

__all__ = ["Batch", "Task", "TaskModel", "get", "init_model", "names", "pretrained", "shipped_info", "train"]


def names() -> list[str]:
    """The built-in tasks' names, in menu order."""
    return list(TASKS)


def get(name: str) -> Task:
    """The task called ``name``.

    Raises:
        ValueError: naming the known tasks when ``name`` is not one.
    """
    if name not in TASKS:
        raise ValueError(
            msg("there is no task {task!r}: the built-in tasks are {known}", task=name, known=", ".join(TASKS))
        )
    return TASKS[name]


@functools.cache
def _shipped(name: str) -> TaskModel:
    task = get(name)
    return load_model(task, weights_path(task))


def pretrained(name: str) -> TaskModel:
    """The shipped trained model of task ``name`` (a copy: editing it never changes what others load).

    ``.lstm`` is an ``nn.LSTM`` in eval mode (batch_first), ``.sample(batch, seed)`` gives ``(x, latent)``.
    """
    return copy.deepcopy(_shipped(name))


def shipped_info(name: str) -> dict:
    """What the shipped weights of task ``name`` say of themselves: sizes, seed, steps, metric, loss curve."""
    return dict(_shipped(name).info)
