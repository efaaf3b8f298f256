"""Live trainings shared by every worker of a server: finished models on disk, at most one trainer per key."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from lstm_viz.server import file_slots
from lstm_viz.tasks.definitions import TASKS
from lstm_viz.tasks.model import TaskModel
from lstm_viz.tasks.store import load_model, save_model

if TYPE_CHECKING:
    from lstm_viz.tasks.jobs import TrainKey

log = logging.getLogger("lstm_viz.tasks")

MAX_ENTRIES = 256
"""Trained models kept on disk (a few hundred KB at most each); the least recently written go first."""


@functools.cache
def code_version() -> str:
    """A digest of the training code (every module of ``lstm_viz.tasks``) and torch's version.

    Part of every entry's name: a server updated to other training code never shows models trained by the old.
    """
    digest = hashlib.sha256(torch.__version__.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def entry_name(key: TrainKey) -> str:
    """A file-name-safe name for a training key (task, hidden size, seed, forget bias) and the code version."""
    return f"{key.task}-h{key.hidden_size}-s{key.seed}-fb{key.forget_bias:+.6g}-{code_version()}"


class TrainCache:
    """Finished trainings in a directory every worker shares, with the locks that keep them one per server.

    Args:
        root: The directory (``file_slots.shared_dir() / "trainings"`` for the app).
        trainings: Trainings that may run at once over all the server's workers.
        max_queued: Trainings that may wait at once over all the server's workers.
    """

    def __init__(self, root: Path, trainings: int = 1, max_queued: int = 8) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.running = file_slots.FileSlots(root, "running", trainings)
        self.queue = file_slots.FileSlots(root, "queued", max_queued)
        self.max_queued = max_queued

    def path(self, key: TrainKey) -> Path:
        """Where the model of ``key`` is (or will be) stored."""
        return self.root / f"{entry_name(key)}.safetensors"

    def load(self, key: TrainKey) -> TaskModel | None:
        """The stored model of ``key``, or None if no worker has finished it (or its file cannot be read)."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            model = load_model(TASKS[key.task], path)
        except Exception:  # noqa: BLE001 - a damaged entry is trained again, never shown
            log.warning("cannot read the stored training %s; training it again", path.name, exc_info=True)
            return None
        if (model.info.get("task"), model.info.get("hidden_size"), model.info.get("seed")) != (
            key.task,
            key.hidden_size,
            key.seed,
        ):
            return None
        return model

    def store(self, key: TrainKey, model: TaskModel) -> None:
        """Write the model of ``key`` atomically (a reader sees no file or the whole file), then prune old ones."""
        try:
            file_slots.atomic_write(self.path(key), lambda tmp: save_model(model, tmp))
        except (TypeError, ValueError, OSError):
            # This worker keeps its model in memory; the others will train it themselves.
            log.warning("cannot store the training %s", entry_name(key), exc_info=True)
            return
        self.progress_path(key).unlink(missing_ok=True)
        entries = sorted(self.root.glob("*.safetensors"), key=lambda p: p.stat().st_mtime)
        for old in entries[: max(len(entries) - MAX_ENTRIES, 0)]:
            old.unlink(missing_ok=True)

    def progress_path(self, key: TrainKey) -> Path:
        """The live progress of ``key``'s training, as the worker running it last wrote it."""
        return self.root / f"{entry_name(key)}.progress.json"

    def write_progress(self, key: TrainKey, step: int, steps: int, losses: list[float]) -> None:
        """Publish a running training's progress for the other workers' pages."""
        data = json.dumps({"step": step, "steps": steps, "losses": losses}).encode()
        file_slots.atomic_write(self.progress_path(key), lambda tmp: tmp.write_bytes(data))

    def read_progress(self, key: TrainKey) -> dict | None:
        """``{"step", "steps", "losses"}`` of a training another worker runs, or None if it published none."""
        try:
            return json.loads(self.progress_path(key).read_bytes())
        except (OSError, ValueError):
            return None

    @contextmanager
    def key_lock(self, key: TrainKey, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold ``key``'s lock: only its holder trains the key; the others wait, then load what it stored.

        A worker that dies mid-training releases the lock with its process; the next waiter trains instead.
        """
        with file_slots.file_lock(self.root / f"{entry_name(key)}.lock", on_wait=on_wait):
            yield

    def queue_ticket(self) -> int | None:
        """A descriptor holding one of the server's ``max_queued`` waiting places, or None when all are taken."""
        return self.queue.try_acquire()


def default_cache() -> TrainCache:
    """The app's training cache: ``trainings/`` in the server's shared directory (``$LSTM_EXPLORER_CACHE_DIR``)."""
    return TrainCache(file_slots.shared_dir() / "trainings")


def release_ticket(fd: int | None) -> None:
    """Give back a waiting place taken by ``queue_ticket`` (None: nothing to give back)."""
    if fd is not None:
        file_slots.release(fd)
