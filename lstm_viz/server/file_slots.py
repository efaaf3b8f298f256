"""State shared by every worker process of one server through a directory: atomic files, flock locks and slots."""

from __future__ import annotations

import atexit
import fcntl
import functools
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

CACHE_DIR_ENV = "LSTM_EXPLORER_CACHE_DIR"
"""Environment variable naming the directory every worker of a server shares (trainings, export slots)."""
POLL_S = 0.1
"""How often a waiter tries a lock again: flock has no timeout of its own, and a blocked call could not be left."""


def shared_dir() -> Path:
    """The server's shared directory: ``$LSTM_EXPLORER_CACHE_DIR`` (created if missing), else this process's own.

    ``scripts/serve.sh`` points every worker it starts at one directory (its run directory's ``cache/`` unless
    the variable is set already), as compose.yaml and the image do. A lone ``streamlit run app.py`` has nothing
    to share: it gets a fresh temporary directory, removed when it exits, so nothing lingers between runs.
    """
    configured = os.environ.get(CACHE_DIR_ENV)
    if not configured:
        return _private_dir()
    path = Path(configured)
    path.mkdir(parents=True, exist_ok=True)
    return path


@functools.cache
def _private_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="lstm-explorer-cache-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Have ``write`` fill a temporary file next to ``path``, then rename it over ``path`` in one step.

    Readers in other processes see the old file or the whole new one, never half of it; a writer that dies
    leaves only its temporary file (named ``.<name>.<random>.tmp``) behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def try_lock(path: Path) -> int | None:
    """An open descriptor of ``path`` holding its exclusive flock, or None if another holder has it.

    The lock belongs to the descriptor: closing it (or the process dying) releases it, so a crashed worker
    never leaves a stale lock. Two descriptors of the same process exclude each other too (threads are safe).
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def release(fd: int) -> None:
    """Release a lock taken by ``try_lock`` (closing its descriptor)."""
    os.close(fd)


@contextmanager
def file_lock(path: Path, timeout: float | None = None, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the exclusive flock of ``path`` (created if missing) for the block.

    Args:
        path: The lock file.
        timeout: Seconds to wait at most; None waits as long as it takes.
        on_wait: Called between tries while another process holds it.

    Raises:
        TimeoutError: when the lock stayed taken for ``timeout`` seconds.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while (fd := try_lock(path)) is None:
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"{path.name} stayed locked by another process for {timeout:.0f} s")
        if on_wait is not None:
            on_wait()
        time.sleep(POLL_S)
    try:
        yield
    finally:
        release(fd)


class FileSlots:
    """A counting semaphore across processes: ``n`` lock files, a holder owns one of them.

    Args:
        directory: Where the slot files live (the server's shared directory).
        name: Names the semaphore (files ``<name>.slot<k>``).
        n: How many holders at once, over every process that uses the same directory and name.
    """

    def __init__(self, directory: Path, name: str, n: int) -> None:
        if n < 1:
            raise ValueError(f"a semaphore needs at least 1 slot, not {n}")
        directory.mkdir(parents=True, exist_ok=True)
        self.paths = [directory / f"{name}.slot{k}" for k in range(n)]

    def try_acquire(self) -> int | None:
        """A descriptor holding a free slot (give it to ``release``), or None when all are taken."""
        for path in self.paths:
            fd = try_lock(path)
            if fd is not None:
                return fd
        return None

    def acquire(self, timeout: float | None = None, on_wait: Callable[[], None] | None = None) -> int:
        """Wait for a slot (``on_wait`` called between tries) and return its descriptor.

        Raises:
            TimeoutError: when every slot stayed taken for ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while (fd := self.try_acquire()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"all {len(self.paths)} slot(s) stayed taken for {timeout:.0f} s")
            if on_wait is not None:
                on_wait()
            time.sleep(POLL_S)
        return fd

    @contextmanager
    def hold(self, timeout: float | None = None, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold one slot for the block (see ``acquire``)."""
        fd = self.acquire(timeout, on_wait)
        try:
            yield
        finally:
            release(fd)

    def taken(self) -> int:
        """How many slots are held now (by any process). A snapshot: it may change the moment it is read."""
        busy = 0
        for path in self.paths:
            fd = try_lock(path)
            if fd is None:
                busy += 1
            else:
                release(fd)
        return busy
