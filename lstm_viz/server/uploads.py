"""Uploaded models and inputs, kept server-wide by content digest; names stay with the session that gave them."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import torch
from torch import Tensor

from lstm_viz.i18n import msg
from lstm_viz.server.cache import ByteLRU, storage_bytes
from lstm_viz.weights import FoundLSTM, load_lstms, memory_refusal

MAX_STORED_BYTES = 512 * 2**20
"""Memory the server gives all uploads together; the least recently used are dropped first."""
MAX_ITEM_BYTES = MAX_STORED_BYTES // 2
"""The most one upload may take in memory: it is refused, never kept, above this (or above the store's cap)."""
ITEM_OVERHEAD_BYTES = 4096
"""Counted for every item beside its tensors: its Python objects, digest and module bookkeeping."""
NAME_OVERHEAD_BYTES = 256
"""Counted per tensor name and shape an item keeps (the file's other tensors are kept only as these)."""


@dataclass(frozen=True, eq=False)
class UploadedModel:
    """The LSTMs of one uploaded file, shared by every session that uploads the same bytes (no file name)."""

    digest: str  # sha256 of the file's bytes
    found: tuple[FoundLSTM, ...]

    def lstm(self, prefix: str) -> FoundLSTM:
        """The LSTM at ``prefix`` in this file.

        Raises:
            LookupError: when the file holds no LSTM there.
        """
        for f in self.found:
            if f.prefix == prefix:
                return f
        raise LookupError(msg("the file holds no LSTM at {prefix!r}", prefix=prefix))


@dataclass(frozen=True, eq=False)
class UploadedInput:
    """A user's own input sequences, already vectors (token ids went through the file's embedding).

    Shapes: ``x`` [B, T, I] float64; ``labels`` [B][T] strings (token ids), or None.
    """

    digest: str
    x: Tensor
    labels: tuple[tuple[str, ...], ...] | None = None


@dataclass(frozen=True)
class ModelUpload:
    """What one session keeps of its upload: the digest naming the shared LSTMs, and the session's own file name.

    Holds no tensor, so a session never keeps memory the store has let go; ``found`` and ``lstm`` look the
    LSTMs up in the store each time.
    """

    digest: str
    filename: str

    def model(self) -> UploadedModel:
        """The shared LSTMs of this upload.

        Raises:
            LookupError: when the server dropped them to make room (the user uploads the file again).
        """
        item = store().get(self.digest)
        if not isinstance(item, UploadedModel):
            raise LookupError(msg("the uploaded model is no longer on the server: upload it again"))
        return item

    @property
    def found(self) -> tuple[FoundLSTM, ...]:
        """The file's LSTMs (raises ``LookupError`` as ``model``)."""
        return self.model().found

    def lstm(self, prefix: str) -> FoundLSTM:
        """The LSTM at ``prefix`` in the file (raises ``LookupError`` as ``model``, or for no LSTM there)."""
        return self.model().lstm(prefix)


@dataclass(frozen=True)
class InputUpload:
    """What one session keeps of its own input: the digest of the shared sequences and its own words for them."""

    digest: str
    what: str  # words for captions, e.g. "walk.csv" or "typed token ids": the session's, never shared


def item_bytes(item: UploadedModel | UploadedInput) -> int:
    """Everything an item keeps in memory: every tensor (parameters, embeddings, inputs) and its bookkeeping."""
    if isinstance(item, UploadedInput):
        labels = sum(len(s) + 50 for row in item.labels for s in row) if item.labels is not None else 0
        return ITEM_OVERHEAD_BYTES + storage_bytes([item.x]) + labels
    tensors = [t for f in item.found for t in f.kept_tensors()]
    names = len(item.found[0]._shared.shapes) if item.found else 0  # one map per file, shared by its LSTMs
    return ITEM_OVERHEAD_BYTES + storage_bytes(tensors) + NAME_OVERHEAD_BYTES * (names + len(item.found))


class Store:
    """A bounded, thread-safe map from digest to upload: the same bytes are parsed once for every session.

    Every item is measured by ``item_bytes`` when it is put; the items together never exceed ``max_bytes``
    (the least recently used are dropped), and an item over ``max_item_bytes`` is refused, never kept.
    """

    def __init__(self, max_bytes: int = MAX_STORED_BYTES, max_item_bytes: int | None = None) -> None:
        # Each item is kept with its size, measured once before it is let in (an item over the cap never is).
        self._items: ByteLRU[tuple[UploadedModel | UploadedInput, int]] = ByteLRU(max_bytes, lambda kept: kept[1])
        self._max_item = min(max_bytes, MAX_ITEM_BYTES if max_item_bytes is None else max_item_bytes)

    @property
    def nbytes(self) -> int:
        """The bytes the items held now take, as ``item_bytes`` counts them."""
        return self._items.nbytes

    def __len__(self) -> int:
        return len(self._items)

    def get(self, digest: str) -> UploadedModel | UploadedInput:
        """The upload with ``digest``.

        Raises:
            LookupError: when the server has none (never uploaded here, or dropped to make room).
        """
        kept = self._items.get(digest)
        if kept is None:
            raise LookupError(msg("the uploaded file is no longer on the server: upload it again"))
        return kept[0]

    def put(self, item: UploadedModel | UploadedInput) -> None:
        """Keep ``item``, dropping the least recently used uploads beyond the memory limit.

        Raises:
            ValueError: when the item alone takes more than ``max_item_bytes`` (it is not kept).
        """
        size = item_bytes(item)
        if size > self._max_item:
            raise ValueError(
                msg(
                    "this upload takes {size:.1f} MB in memory, above the {limit:.0f} MB the server keeps for one "
                    "upload",
                    size=size / 2**20,
                    limit=self._max_item / 2**20,
                )
            )
        self._items.put(item.digest, (item, size))


@functools.cache
def store() -> Store:
    """The server's one upload store."""
    return Store()


def digest_of(data: bytes | memoryview) -> str:
    """The sha256 of some bytes, the name every session gives the same upload."""
    return hashlib.sha256(data).hexdigest()


def add_model_file(data: bytes, filename: str) -> ModelUpload:
    """Read the LSTMs of an uploaded file once server-wide (``load_lstms``) and keep them by digest.

    The file name is used for the format's messages and returned to the caller, never stored: another session
    uploading the same bytes under another name shares the LSTMs and keeps its own name.

    Raises:
        ValueError: as ``load_lstms`` does, for any file it refuses, or when the LSTMs would take more memory
            than the server keeps for one upload.
    """
    digest = digest_of(data)
    try:
        if isinstance(store().get(digest), UploadedModel):
            return ModelUpload(digest, filename)
    except LookupError:
        pass
    with memory_refusal(msg("this file")):
        item = UploadedModel(digest, tuple(load_lstms(data, filename)))
        store().put(item)
    return ModelUpload(digest, filename)


def add_input(x: Tensor, what: str, labels: list[list[str]] | None = None) -> InputUpload:
    """Keep a user's input sequences ([B, T, I]) by digest; equal inputs share one, ``what`` stays the caller's.

    Raises:
        ValueError: when the input would take more memory than the server keeps for one upload.
    """
    with memory_refusal(msg("this input")):
        x = x.to(torch.float64).contiguous()
        shared_labels = None if labels is None else tuple(tuple(r) for r in labels)
        hasher = hashlib.sha256(x.numpy().data)
        hasher.update(str(tuple(x.shape)).encode() + repr(shared_labels).encode())
        item = UploadedInput(hasher.hexdigest(), x, shared_labels)
        store().put(item)
    return InputUpload(item.digest, what)
