"""Live trainings shared by every worker of a server: finished models on disk, at most one trainer per key."""

from __future__ import annotations

import ast
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
    """A digest of the training code and torch's version.

    The training code is every module of ``lstm_viz.tasks`` and every ``lstm_viz`` module those import, directly or
    through others. Part of every entry's name: a server updated to other training code never shows models trained
    by the old.
    """
    digest = hashlib.sha256(torch.__version__.encode())
    package = Path(__file__).parent.parent
    for path in sorted(_training_sources(package)):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _training_sources(package: Path) -> set[Path]:
    """The source files of ``lstm_viz.tasks`` and of the ``lstm_viz`` modules they import, transitively."""
    todo = list((package / "tasks").glob("*.py"))
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imported_modules(path, package):
            found = _module_file(package, name)
            if found is not None:
                todo.append(found)
    return seen


def _imported_modules(path: Path, package: Path) -> Iterator[str]:
    """Dotted names of the ``lstm_viz`` modules (or names in them) that ``path`` imports, relative ones resolved."""
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    here = parts[:-1]
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here[: len(here) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _module_file(package: Path, name: str) -> Path | None:
    """The file of ``lstm_viz`` module ``name`` (a package's ``__init__``), None for other modules and for names.

    The top-level ``lstm_viz/__init__.py`` is left out: it only gathers the public API and changes with any of it.
    """
    parts = name.split(".")
    if parts[0] != package.name or len(parts) == 1:
        return None
    stem = package.parent.joinpath(*parts)
    if stem.with_suffix(".py").is_file():
        return stem.with_suffix(".py")
    if (stem / "__init__.py").is_file():
        return stem / "__init__.py"
    return None


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
