"""A thread-safe least-recently-used cache bounded by bytes, and what a run's tensors really take."""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

import numpy as np
from torch import Tensor, nn

V = TypeVar("V")


class ByteLRU(Generic[V]):
    """A map from hashable keys to values whose sizes together stay within ``max_bytes``.

    Each value is measured once by ``size`` when it is put; the least recently used values are dropped to make
    room, and a value larger than ``max_bytes`` on its own is returned to the caller but never kept. Safe to
    share between threads; ``get_or_make`` computes a missing value once however many threads ask at once.
    """

    def __init__(self, max_bytes: int, size: Callable[[V], int]) -> None:
        """An empty cache.

        Args:
            max_bytes: The most bytes the kept values may take together.
            size: The bytes one value takes (e.g. ``run_bytes``); called once per put.
        """
        self.max_bytes = max_bytes
        self._size = size
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._making: dict[Hashable, threading.Lock] = {}

    @property
    def nbytes(self) -> int:
        """The bytes the kept values take now."""
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def get(self, key: Hashable, default: V | None = None) -> V | None:
        """The value kept for ``key`` (now the most recently used), or ``default``."""
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return default
            self._items.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: V) -> V:
        """Keep ``value`` for ``key`` if it fits, dropping the least recently used values beyond ``max_bytes``.

        Returns:
            ``value``, kept or not.
        """
        nbytes = self._size(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if nbytes > self.max_bytes:
                return value
            self._items[key] = (value, nbytes)
            self._bytes += nbytes
            while self._bytes > self.max_bytes:
                _, (_dropped, dropped_bytes) = self._items.popitem(last=False)
                self._bytes -= dropped_bytes
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value for ``key``, made by ``make()`` and put when missing; one thread makes it, the others wait."""
        value = self.get(key)
        if value is not None:
            return value
        with self._lock:
            lock = self._making.setdefault(key, threading.Lock())
        with lock:
            value = self.get(key)
            if value is None:
                try:
                    value = self.put(key, make())
                finally:
                    with self._lock:
                        self._making.pop(key, None)
        return value

    def clear(self) -> None:
        """Drop every value."""
        with self._lock:
            self._items.clear()
            self._bytes = 0


def tensors_in(obj: object) -> list[Tensor]:
    """Every tensor reachable from ``obj`` through dataclass fields, modules, mappings, lists and tuples.

    Each container is visited once (by identity); other objects are not looked into.
    """
    found: list[Tensor] = []
    seen: set[int] = set()
    stack = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, Tensor):
            found.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, nn.Module):
            stack.extend(node.parameters())
            stack.extend(node.buffers())
        elif dataclasses.is_dataclass(node) and not isinstance(node, type):
            stack.extend(getattr(node, f.name, None) for f in dataclasses.fields(node))
        elif isinstance(node, Mapping):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return found


def storage_bytes(tensors: Iterable[Tensor]) -> int:
    """The bytes the storages under ``tensors`` hold, each storage counted once however many views share it."""
    seen: dict[int, int] = {}
    for t in tensors:
        storage = t.untyped_storage()
        seen[storage.data_ptr() or id(storage)] = storage.nbytes()
    return sum(seen.values())


def object_bytes(obj: object) -> int:
    """The bytes of every tensor storage reachable from ``obj`` (``tensors_in``), each counted once."""
    return storage_bytes(tensors_in(obj))


OBJECT_OVERHEAD_BYTES = 256
"""Counted for every container and text ``held_bytes`` walks, beside its arrays and characters."""


def held_bytes(obj: object) -> int:
    """What ``obj`` holds in memory: its tensors' storages (each once), NumPy arrays, texts and containers.

    For values that are more than tensors (a text model's corpus with its text and match tables): an upper
    estimate, so a cache sized by it never holds more than it says.
    """
    tensors: list[Tensor] = []
    total, seen, stack = 0, set(), [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, Tensor):
            tensors.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, np.ndarray):
            total += node.nbytes
        elif isinstance(node, (str, bytes)):
            total += sys.getsizeof(node)
        elif isinstance(node, nn.Module):
            stack.extend(node.parameters())
            stack.extend(node.buffers())
        elif dataclasses.is_dataclass(node) and not isinstance(node, type):
            total += OBJECT_OVERHEAD_BYTES
            stack.extend(getattr(node, f.name, None) for f in dataclasses.fields(node))
        elif isinstance(node, Mapping):
            total += OBJECT_OVERHEAD_BYTES + 64 * len(node)
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            total += OBJECT_OVERHEAD_BYTES + 8 * len(node)
            stack.extend(node)
        elif hasattr(node, "__dict__") and not isinstance(node, type):
            total += OBJECT_OVERHEAD_BYTES
            stack.extend(vars(node).values())
    return total + storage_bytes(tensors)


def run_bytes(run: object) -> int:
    """What one ``lstm_viz.run.Run`` keeps in memory: every tensor of its trace, model, input and task view.

    A task run's model may be shared with other runs (the shipped weights): it is counted in full all the same,
    so a cache sized by this never holds more than it says.
    """
    return object_bytes(run)
