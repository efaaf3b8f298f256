"""Uploaded models and inputs, kept server-wide by content digest so a run names them in a hashable spec."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import Tensor

from lstm_viz.weights import FoundLSTM, load_lstms

MAX_STORED_BYTES = 512 * 2**20
"""Memory the server gives all uploads together; the least recently used are dropped first."""


@dataclass(frozen=True)
class UploadedModel:
    """The LSTMs of one uploaded file."""

    digest: str  # sha256 of the file's bytes
    filename: str
    found: tuple[FoundLSTM, ...]

    def lstm(self, prefix: str) -> FoundLSTM:
        """The LSTM at ``prefix`` in this file.

        Raises:
            LookupError: when the file holds no LSTM there.
        """
        for f in self.found:
            if f.prefix == prefix:
                return f
        raise LookupError(f"{self.filename} holds no LSTM at {prefix!r}")


@dataclass(frozen=True)
class UploadedInput:
    """A user's own input sequences, already vectors (token ids went through the file's embedding).

    Shapes: ``x`` [B, T, I] float64; ``labels`` [B][T] strings (token ids), or None.
    """

    digest: str
    what: str  # words for captions, e.g. "walk.csv" or "typed token ids"
    x: Tensor
    labels: tuple[tuple[str, ...], ...] | None = None


def _size(obj: UploadedModel | UploadedInput) -> int:
    if isinstance(obj, UploadedInput):
        return obj.x.numel() * obj.x.element_size()
    tensors = [p for f in obj.found for p in f.lstm.parameters()]
    return sum(t.numel() * t.element_size() for t in tensors)


class Store:
    """A bounded, thread-safe map from digest to upload: the same bytes are parsed once for every session."""

    def __init__(self, max_bytes: int = MAX_STORED_BYTES) -> None:
        self._items: OrderedDict[str, UploadedModel | UploadedInput] = OrderedDict()
        self._bytes = 0
        self._max = max_bytes
        self._lock = threading.Lock()

    def get(self, digest: str) -> UploadedModel | UploadedInput:
        """The upload with ``digest``.

        Raises:
            LookupError: when the server has none (never uploaded here, or dropped to make room).
        """
        with self._lock:
            if digest not in self._items:
                raise LookupError("the uploaded file is no longer on the server: upload it again")
            self._items.move_to_end(digest)
            return self._items[digest]

    def put(self, item: UploadedModel | UploadedInput) -> None:
        """Keep ``item``, dropping the least recently used uploads beyond the memory limit."""
        with self._lock:
            if item.digest in self._items:
                self._items.move_to_end(item.digest)
                return
            self._items[item.digest] = item
            self._bytes += _size(item)
            while self._bytes > self._max and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self._bytes -= _size(old)


@functools.cache
def store() -> Store:
    """The server's one upload store."""
    return Store()


def digest_of(data: bytes) -> str:
    """The sha256 of some bytes, the name every session gives the same upload."""
    return hashlib.sha256(data).hexdigest()


def add_model_file(data: bytes, filename: str) -> UploadedModel:
    """Read the LSTMs of an uploaded file once server-wide (``load_lstms``) and keep them.

    Raises:
        ValueError: as ``load_lstms`` does, for any file it refuses.
    """
    digest = digest_of(data)
    try:
        item = store().get(digest)
        if isinstance(item, UploadedModel):
            return item
    except LookupError:
        pass
    item = UploadedModel(digest, filename, tuple(load_lstms(data, filename)))
    store().put(item)
    return item


def add_input(x: Tensor, what: str, labels: list[list[str]] | None = None) -> UploadedInput:
    """Keep a user's input sequences ([B, T, I]); equal inputs share one digest."""
    x = x.to(torch.float64).contiguous()
    digest = digest_of(x.numpy().tobytes() + str(tuple(x.shape)).encode() + repr(labels).encode())
    item = UploadedInput(digest, what, x, None if labels is None else tuple(tuple(r) for r in labels))
    store().put(item)
    return item
