"""The pickle-free, size-capped frames between the server and the sandboxed runner: JSON headers and raw tensors.

A frame is ``MAGIC``, two big-endian uint32 lengths (header, payload), a UTF-8 JSON object, then the raw bytes of
the tensors the header lists, back to back. Nothing is ever unpickled or evaluated: a reader takes JSON and
plain numbers only, checks every length against its caps before reading it, and rebuilds each tensor from its
dtype (from an allow-list), its shape and exactly ``numel * itemsize`` bytes.

This module imports only the standard library and (where tensors are made) torch: the runner loads it beside
itself inside the sandbox, where ``lstm_viz`` is not on the path, and its probe must not pay for importing torch.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

MAGIC = b"LXF1"
"""Opens every frame: a stray byte stream (a learner writing to the results pipe) is refused at once."""
PREFIX = struct.Struct(">4sII")
MAX_HEADER_BYTES = 256 * 1024
"""A header is a few hundred bytes; a traceback with its source lines a few KB."""
MAX_TENSOR_ELEMENTS = 1 << 20
"""One returned tensor of more elements is described (shape, dtype) but not sent."""
MAX_DIMS = 8
DTYPES = ("float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool")
"""The tensor dtypes a frame may carry (complex and quantised tensors are described, not sent)."""


def N_(message: str) -> str:  # noqa: N802 - the catalogue's marker (this module cannot import lstm_viz.i18n)
    """Mark ``message`` for the catalogue: the server says a ``ProtocolError`` again in the reader's language."""
    return message


class ProtocolError(ValueError):
    """A frame broke the format or one of its caps: the stream is not trusted any further.

    ``str(err)`` is English; ``msgid`` and ``values`` let the server say it in another language.
    """

    def __init__(self, msgid: str, /, **values: object) -> None:
        """The sentence ``msgid`` (marked with ``N_``) with its placeholders' ``values``."""
        super().__init__(msgid.format(**values) if values else msgid)
        self.msgid = msgid
        self.values = values


@dataclass
class Frame:
    """One message: its JSON header and the tensors it carries, in the header's order."""

    header: dict
    tensors: list[torch.Tensor] = field(default_factory=list)


def tensor_bytes(t: torch.Tensor) -> bytes:
    """The raw bytes of a tensor, C order, native byte order (little-endian on every machine torch ships for)."""
    import torch

    flat = t.detach().to("cpu").contiguous().reshape(-1)
    return flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""


def encode(header: dict, tensors: list[torch.Tensor] | tuple[torch.Tensor, ...] = ()) -> bytes:
    """One frame: ``header`` plus a ``"tensors"`` list of each tensor's dtype and shape, then their bytes.

    Shapes: any tensors of an allowed dtype (``DTYPES``).
    """
    specs, payload = [], []
    for t in tensors:
        name = str(t.dtype).removeprefix("torch.")
        if name not in DTYPES:
            raise ProtocolError(N_("dtype {name} cannot be sent"), name=name)
        specs.append({"dtype": name, "shape": list(t.shape)})
        payload.append(tensor_bytes(t))
    body = json.dumps({**header, "tensors": specs}, separators=(",", ":"), allow_nan=True).encode()
    data = b"".join(payload)
    if len(body) > MAX_HEADER_BYTES:
        raise ProtocolError(
            N_("a frame header of {size:,} bytes is above the cap of {cap:,}"), size=len(body), cap=MAX_HEADER_BYTES
        )
    return PREFIX.pack(MAGIC, len(body), len(data)) + body + data


def _tensor_sizes(specs: object) -> list[tuple[torch.dtype, tuple[int, ...], int]]:
    """Each listed tensor's dtype, shape and byte count, every field checked; raises ``ProtocolError``."""
    import torch

    if not isinstance(specs, list):
        raise ProtocolError(N_("the frame's tensor list is not a list"))
    out = []
    for spec in specs:
        if not isinstance(spec, dict) or spec.get("dtype") not in DTYPES or not isinstance(spec.get("shape"), list):
            raise ProtocolError(N_("a tensor in the frame has no allowed dtype or no shape"))
        shape = spec["shape"]
        if len(shape) > MAX_DIMS or not all(type(d) is int and 0 <= d <= 2**31 for d in shape):
            raise ProtocolError(N_("a tensor in the frame has an impossible shape {shape!r:.80}"), shape=shape)
        dtype = getattr(torch, spec["dtype"])
        numel = math.prod(shape)
        if numel > MAX_TENSOR_ELEMENTS:
            raise ProtocolError(
                N_("a tensor of {size:,} elements is above the cap of {cap:,}"), size=numel, cap=MAX_TENSOR_ELEMENTS
            )
        out.append((dtype, tuple(shape), numel * dtype.itemsize))
    return out


class FrameReader:
    """Parses frames from a byte stream fed in pieces, refusing anything past its caps.

    Args:
        max_total: Bytes the whole stream may carry; past it the stream is refused.
    """

    def __init__(self, max_total: int) -> None:
        self.max_total = max_total
        self.total = 0
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        """Take more bytes; return the frames they completed.

        Raises:
            ProtocolError: a frame breaks the format, or the stream passed ``max_total``.
        """
        self.total += len(data)
        if self.total > self.max_total:
            raise ProtocolError(N_("the results passed the cap of {cap:,} bytes"), cap=self.max_total)
        self._buffer += data
        frames = []
        while len(self._buffer) >= PREFIX.size:
            magic, head_len, body_len = PREFIX.unpack_from(self._buffer)
            if magic != MAGIC:
                raise ProtocolError(N_("the results stream holds bytes that are not a frame"))
            if head_len > MAX_HEADER_BYTES:
                raise ProtocolError(N_("a frame header of {size:,} bytes is above the cap"), size=head_len)
            if PREFIX.size + head_len + body_len > self.max_total:
                raise ProtocolError(N_("a frame of {size:,} bytes is above the cap"), size=body_len)
            end = PREFIX.size + head_len + body_len
            if len(self._buffer) < end:
                break
            frames.append(_decode(bytes(self._buffer[PREFIX.size : end]), head_len))
            del self._buffer[:end]
        return frames

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame (a stream that ends here was cut off mid-frame)."""
        return len(self._buffer)


def _decode(raw: bytes, head_len: int) -> Frame:
    import torch

    try:
        header = json.loads(raw[:head_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ProtocolError(N_("a frame header is not JSON ({error})"), error=err.__class__.__name__) from None
    if not isinstance(header, dict):
        raise ProtocolError(N_("a frame header is not a JSON object"))
    sizes = _tensor_sizes(header.get("tensors", []))
    body = raw[head_len:]
    if sum(n for _, _, n in sizes) != len(body):
        raise ProtocolError(N_("a frame's tensor bytes do not add up to its shapes"))
    tensors, at = [], 0
    for dtype, shape, n in sizes:
        if n == 0:
            tensors.append(torch.empty(shape, dtype=dtype))
            continue
        flat = torch.frombuffer(bytearray(body[at : at + n]), dtype=torch.uint8)
        tensors.append(flat.view(dtype).reshape(shape))
        at += n
    return Frame(header, tensors)


def read_frame(stream, max_total: int) -> Frame | None:
    """Read one whole frame from a blocking binary stream (the runner's stdin), or None at end of stream.

    Raises:
        ProtocolError: for a malformed or oversized frame, or a stream cut off mid-frame.
    """
    prefix = stream.read(PREFIX.size)
    if not prefix:
        return None
    if len(prefix) < PREFIX.size:
        raise ProtocolError(N_("the stream ended inside a frame"))
    reader = FrameReader(max_total)
    _, head_len, body_len = PREFIX.unpack(prefix)
    frames = reader.feed(prefix)
    if PREFIX.size + head_len + body_len > max_total:
        raise ProtocolError(N_("a frame is above the cap"))
    rest = stream.read(head_len + body_len)
    frames += reader.feed(rest or b"")
    if len(frames) != 1:
        raise ProtocolError(N_("the stream ended inside a frame"))
    return frames[0]
