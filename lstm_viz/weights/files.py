"""Reading a user's checkpoint file safely: format by its bytes, static pickle checks, size limits."""

from __future__ import annotations

import io
import itertools
import json
import pickle
import pickletools
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePath

import torch
from safetensors.torch import load as safetensors_load
from torch import Tensor

from lstm_viz.config import MAX_LAYERS, MAX_SIZE
from lstm_viz.i18n import N_, Message, msg

MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest file read at all (64 MB), checked before any byte of it is parsed."""

MAX_TENSORS = 50_000
"""Tensors a file may hold (a 6,000-LSTM file has 24,000; real state_dicts with optimizer state a few thousand)."""
MAX_NAME_CHARS = 1_024
"""The longest dotted tensor name read (``encoder.layers.3.rnn.weight_hh_l0`` has 33 characters)."""
MAX_LSTMS = 64
"""LSTMs one file may hold; the app shows one at a time from a picker."""
MAX_HEADER_BYTES = 16 * 2**20
"""The largest safetensors header read (``MAX_TENSORS`` entries need under 10 MB)."""


def read_checkpoint(data: bytes, filename: str) -> object:
    """The object a file holds, read without running anything in it (format told by its bytes).

    Raises:
        ValueError: for a damaged, unknown or unsafe file, saying what is wrong and what was expected.
    """
    kind = _detect_format(data, filename)
    return _read_safetensors(data) if kind == "safetensors" else _read_torch(data, kind)


@contextmanager
def memory_refusal(what: str) -> Iterator[None]:
    """Turn any failure to allocate memory inside the block into one clear ``ValueError`` about ``what``.

    ``what`` names what is read (``msg("this file")``: a ``Message`` is said in the reader's language with it).

    ``MemoryError`` and the ``RuntimeError`` torch raises when its allocator fails ("can't allocate memory",
    "not enough memory") both become the same refusal, never an error page.

    Raises:
        ValueError: "... needs more memory than the server gives one upload ...".
    """
    try:
        yield
    except MemoryError:
        raise ValueError(msg(_OUT_OF_MEMORY, what=what)) from None
    except RuntimeError as e:
        text = str(e).lower()
        if "alloc" in text or "memory" in text:
            raise ValueError(msg(_OUT_OF_MEMORY, what=what)) from None
        raise


_OUT_OF_MEMORY = N_(
    "reading {what} needs more memory than the server can give one upload, so it is refused: try a smaller one"
)


def check_file_size(nbytes: int) -> None:
    """Refuse a file above ``MAX_FILE_BYTES`` from its size alone (before reading it).

    Raises:
        ValueError: naming the size and the limit.
    """
    if nbytes > MAX_FILE_BYTES:
        raise ValueError(
            msg(
                "the file is {size}, above the limit of {limit}: the explorer shows LSTMs of at most {layers} layers "
                "of {units} units, which fit well below that; save only the model's state_dict (no optimizer state) "
                "or only the LSTM's tensors",
                size=_mb(nbytes),
                limit=_mb(MAX_FILE_BYTES),
                layers=MAX_LAYERS,
                units=MAX_SIZE,
            )
        )


def _mb(nbytes: int) -> str:
    return f"{nbytes / 2**20:.1f} MB" if nbytes % 2**20 else f"{nbytes // 2**20} MB"


def _detect_format(data: bytes, filename: str) -> str:
    """``"safetensors"``, ``"zip"`` (torch.save since 1.6) or ``"pickle"`` (legacy torch.save), from the bytes."""
    ext = PurePath(filename or "").suffix.lower()
    if len(data) >= 10 and data[8:9] == b"{":
        header_len = int.from_bytes(data[:8], "little")
        if 8 + header_len > len(data):
            raise ValueError(
                msg(
                    "this safetensors file is cut short: its header says {header:,} bytes of description follow, but "
                    "the file has only {rest:,} after the first 8; upload the whole file again",
                    header=header_len,
                    rest=len(data) - 8,
                )
            )
        return "safetensors"
    if data[:2] == b"PK":
        return "zip"
    if data[0] == 0x80 and len(data) > 1 and 2 <= data[1] <= 5:
        return "pickle"
    if ext == ".safetensors":
        raise ValueError(
            msg(
                "this is not a valid safetensors file: it should start with 8 bytes giving the header length and "
                "then a JSON header starting with '{brace}'; was it saved with safetensors' save_file, and uploaded "
                "completely?",
                brace="{",
            )
        )
    try:
        text = data[:60].decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text and text.strip():
        raise ValueError(
            msg(
                "this is not a PyTorch or safetensors file but a text file (it starts with {start!r}): expected a "
                ".safetensors file or a .pt/.pth/.bin file written by torch.save, e.g. "
                "torch.save(model.state_dict(), 'model.pt')",
                start=text.splitlines()[0][:40],
            )
        )
    raise ValueError(
        msg(
            "this is not a PyTorch or safetensors file but unknown data: expected a .safetensors file or a "
            ".pt/.pth/.bin file written by torch.save, e.g. torch.save(model.state_dict(), 'model.pt')"
        )
    )


def _read_safetensors(data: bytes) -> dict[str, Tensor]:
    _check_safetensors_header(data)
    try:
        return safetensors_load(data)
    except Exception as e:  # safetensors raises its own SafetensorError (and others) on damaged headers
        raise ValueError(
            msg(
                "this safetensors file is damaged and cannot be read ({error}); upload the file exactly as save_file "
                "wrote it",
                error=short_error(e),
            )
        ) from None


def _check_safetensors_header(data: bytes) -> None:
    """Count a safetensors file's tensors and check their names from its header, before any is read."""
    header_len = int.from_bytes(data[:8], "little")
    if header_len > MAX_HEADER_BYTES:
        raise ValueError(
            msg(
                "this safetensors file's header is {size}, above the limit of {limit}: a file may hold at most "
                "{tensors:,} tensors",
                size=_mb(header_len),
                limit=_mb(MAX_HEADER_BYTES),
                tensors=MAX_TENSORS,
            )
        )
    try:
        header = json.loads(data[8 : 8 + header_len])
    except ValueError:
        return  # safetensors itself says what is damaged
    if not isinstance(header, dict):
        return
    count = len(header) - ("__metadata__" in header)
    if count > MAX_TENSORS:
        raise ValueError(
            msg(
                "this file holds {count:,} tensors, above the limit of {limit:,} per file",
                count=count,
                limit=MAX_TENSORS,
            )
        )
    # Every LSTM has exactly one weight_hh_l0, so they are counted before safetensors reads any tensor.
    lstms = sum(1 for k in header if k == "weight_hh_l0" or k.endswith(".weight_hh_l0"))
    if lstms > MAX_LSTMS:
        raise ValueError(lstm_count_message(lstms))
    long = next((k for k in header if len(k) > MAX_NAME_CHARS), None)
    if long is not None:
        raise ValueError(long_name_message(long))


def lstm_count_message(count: int) -> Message:
    """The refusal of a file holding ``count`` LSTMs, over ``MAX_LSTMS``."""
    return msg(
        "this file holds {count:,} LSTMs, above the limit of {limit} per file: save only the model (or the LSTMs) "
        "you want to look at",
        count=count,
        limit=MAX_LSTMS,
    )


def long_name_message(name: str) -> Message:
    """The refusal of a tensor name longer than ``MAX_NAME_CHARS``, quoting its start."""
    return msg(
        "a tensor name in this file is longer than {limit:,} characters, the limit (it starts {start!r})",
        limit=MAX_NAME_CHARS,
        start=name[:40],
    )


def _read_torch(data: bytes, kind: str) -> object:
    if kind == "zip":
        _check_zip(data)
    elif not _starts_with_torch_magic(data):
        raise ValueError(_plain_pickle_message(data))
    else:
        _check_legacy_sizes(data)
    try:
        with warnings.catch_warnings():
            # torch warns about pickle protocols it did not write; the refusal below says what matters.
            warnings.simplefilter("ignore")
            return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as e:
        raise ValueError(_unpickling_message(data, kind, e)) from None
    except Exception as e:  # torch raises RuntimeError, EOFError, KeyError, ... on damaged archives
        raise ValueError(_damaged_message(e)) from None


def _damaged_message(error: Exception) -> Message:
    return msg(
        "this PyTorch file is damaged or cut short and cannot be read ({error}); upload the file exactly as "
        "torch.save wrote it",
        error=short_error(error),
    )


def _check_legacy_sizes(data: bytes) -> None:
    """Refuse a legacy file whose storages claim more values than it holds (torch would allocate them first)."""
    try:
        _names, sizes = _scan_pickles(data)
    except Exception as e:  # pickletools raises ValueError and others on damaged opcodes
        raise ValueError(
            msg(
                "this PyTorch file is damaged or cut short and cannot be read (nothing in the file was run; {error}); "
                "upload the file exactly as torch.save wrote it",
                error=short_error(e),
            )
        ) from None
    # Each storage's values are written in the file (at least a byte each), and so is every tensor's: torch
    # would allocate a storage as declared, and grow it to fit a view that claims more.
    storages, views = sizes
    largest = max([*storages, *views], default=0)
    if largest > len(data):
        raise ValueError(
            msg(
                "this PyTorch file is damaged: it declares a tensor of {values:,} values but the whole file is only "
                "{size:,} bytes (nothing in the file was run); upload the file exactly as torch.save wrote it",
                values=largest,
                size=len(data),
            )
        )
    if sum(storages) > len(data):
        raise ValueError(
            msg(
                "this PyTorch file is damaged: it declares tensors of {values:,} values but the whole file is only "
                "{size:,} bytes (nothing in the file was run); upload the file exactly as torch.save wrote it",
                values=sum(storages),
                size=len(data),
            )
        )


def _check_zip(data: bytes) -> None:
    """Refuse zips torch.save did not write (or that unpack beyond the limit) before torch reads them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except Exception as e:  # BadZipFile, or OSError/ValueError/EOFError from a damaged directory
        raise ValueError(
            msg(
                "this PyTorch (zip) file is damaged or cut short and cannot be read ({error}); upload the file "
                "exactly as torch.save wrote it",
                error=short_error(e),
            )
        ) from None
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_FILE_BYTES:
        raise ValueError(
            msg(
                "this archive unpacks to {size}, above the limit of {limit}; torch.save files do not shrink when "
                "zipped, so upload the .pt file itself",
                size=_mb(unpacked),
                limit=_mb(MAX_FILE_BYTES),
            )
        )
    names = [info.filename for info in infos]
    if any("/code/" in n or n.endswith("/constants.pkl") for n in names):
        raise ValueError(
            msg(
                "this is a TorchScript file (torch.jit.save), which stores code as well as weights and is not read "
                "here: save the weights instead with torch.save(model.state_dict(), 'model.pt')"
            )
        )
    if not any(n.endswith("data.pkl") for n in names):
        raise ValueError(
            msg(
                "this is a zip archive but not a file written by torch.save (it has no data.pkl inside); if you "
                "zipped a checkpoint, upload the .pt/.safetensors file itself"
            )
        )
    if len(infos) > MAX_TENSORS + 16:  # one record per storage, and a few of torch.save's own
        raise ValueError(
            msg(
                "this archive holds {count:,} files, above the limit of {limit:,} tensors",
                count=len(infos),
                limit=MAX_TENSORS,
            )
        )
    # torch's weights-only unpickler is written in Python: its opcodes are counted first, statically.
    try:
        ops = sum(1 for _ in itertools.islice(pickletools.genops(io.BytesIO(_data_pkl(data))), MAX_PICKLE_OPS + 1))
    except Exception:  # noqa: BLE001 - a damaged pickle: torch.load says what is wrong below
        ops = 0
    if ops > MAX_PICKLE_OPS:
        raise ValueError(
            msg(
                "this file's object takes more than {limit:,} pickle operations to describe, the limit: save only "
                "the model's state_dict, e.g. torch.save(model.state_dict(), 'model.pt')",
                limit=MAX_PICKLE_OPS,
            )
        )


def _unpickling_message(data: bytes, kind: str, error: Exception) -> Message:
    """Why the weights-only unpickler refused: a whole module, other Python objects, or damage."""
    names = _unsafe_globals(data, kind)
    modules = [n for n in names if n.startswith(("torch.nn.modules.", "torch.jit", "torch.nn.parallel"))]
    if modules:
        # Name the user's own classes when there are some (the model), else the torch module class.
        own = [n for n in names if not n.startswith("torch.")]
        shown = ", ".join(map(_cut, own[:3])) + (", ..." if len(own) > 3 else "") if own else _cut(modules[0])
        return msg(
            "this file holds a whole pickled model ({shown}) instead of a state_dict; reading it would mean running "
            "Python code from the file, so it is refused (nothing in the file was run): save model.state_dict() "
            "instead, e.g. torch.save(model.state_dict(), 'model.pt')",
            shown=shown,
        )
    if names:
        shown = ", ".join(map(_cut, names[:3])) + (", ..." if len(names) > 3 else "")
        return msg(
            "this file holds Python objects beside its tensors ({shown}); loading them would run code from the "
            "file, so it is refused (nothing in the file was run): save only tensors, e.g. "
            "torch.save(model.state_dict(), 'model.pt') or a dict of tensors, numbers and strings",
            shown=shown,
        )
    pkl = _data_pkl(data) if kind == "zip" else data
    if pkl[:1] == b"\x80" and pkl[1:2] in (b"\x04", b"\x05") and "Unsupported operand" in str(error):
        return msg(
            "this file was saved with pickle_protocol={protocol}, which PyTorch's safe loader (weights_only=True) "
            "cannot read (nothing in the file was run): save it again with torch.save's default protocol, e.g. "
            "torch.save(model.state_dict(), 'model.pt')",
            protocol=pkl[1],
        )
    return msg(
        "this PyTorch file is damaged or not a torch.save file, and cannot be read safely (nothing in the file was "
        "run; {error}); upload the file exactly as torch.save wrote it",
        error=short_error(error),
    )


_TORCH_MAGIC = 0x1950A86A20F9469CFC6C
"""The number legacy (pre-1.6) torch.save writes first, as its own little pickle."""


def _starts_with_torch_magic(data: bytes) -> bool:
    """Whether the first pickle in ``data`` is legacy torch.save's magic number (read statically)."""
    try:
        for op, arg, _pos in pickletools.genops(io.BytesIO(data)):
            if op.name in ("LONG1", "LONG4", "LONG", "INT"):
                return arg == _TORCH_MAGIC
            if op.name not in ("PROTO", "FRAME"):
                return False
    except Exception:  # not even one sound pickle opcode
        return False
    return False


def _plain_pickle_message(data: bytes) -> Message:
    """A pickle torch.save did not write is never unpickled: say whether it would even have run code."""
    names = _unsafe_globals(data, "pickle")
    if names:
        shown = ", ".join(map(_cut, names[:3])) + (", ..." if len(names) > 3 else "")
        return msg(
            "this is a plain Python pickle holding Python objects ({shown}); loading it would run code from the "
            "file, so it is refused (nothing in the file was run): save the weights with "
            "torch.save(model.state_dict(), 'model.pt') or safetensors instead",
            shown=shown,
        )
    return msg(
        "this is a plain Python pickle, not a file written by torch.save, and it is not read (nothing in the file "
        "was run): save the weights with torch.save(model.state_dict(), 'model.pt') or safetensors instead"
    )


def _unsafe_globals(data: bytes, kind: str) -> list[str]:
    """The classes/functions a pickle would import, read statically (nothing is imported or run)."""
    if kind == "zip":
        try:
            return sorted(torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data)))
        except Exception:  # torch's scan stops at opcodes it does not know (pickle protocols 4 and 5)
            data = _data_pkl(data)
    try:
        found, _sizes = _scan_pickles(data)
    except Exception:  # a damaged pickle just names nothing; the caller then says "damaged"
        return []
    safe = ("torch._utils.", "torch.storage.", "collections.OrderedDict", "builtins.set", "torch.Size")
    return sorted(n for n in found if not n.startswith(safe) and not _is_torch_type(n))


def _cut(name: str) -> str:
    """A name from the file as a message quotes it: at most 80 characters."""
    return name if len(name) <= 80 else name[:77] + "..."


def _is_torch_type(name: str) -> bool:
    """Whether ``name`` is ``torch.<word>`` (a dtype or storage class such as ``torch.FloatStorage``), in linear time.

    Names come from the file, so no pattern with ambiguous repetition ever reads them.
    """
    rest = name.removeprefix("torch.")
    return rest != name and bool(rest) and all(c.isalnum() or c == "_" for c in rest)


def _data_pkl(data: bytes) -> bytes:
    """The pickle inside a torch.save zip (b"" when there is none)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            name = next(n for n in zf.namelist() if n.endswith("data.pkl"))
            return zf.read(name)
    except Exception:  # damaged or no data.pkl: nothing to scan
        return b""


MAX_PICKLE_OPS = 2_000_000
"""Pickle opcodes read statically before a file is called damaged (a state_dict needs about 20 per tensor)."""
_STRING_OPS = ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE")
_INT_OPS = ("BININT", "BININT1", "BININT2", "LONG1", "LONG4", "INT", "LONG")


def _scan_pickles(data: bytes) -> tuple[list[str], tuple[list[int], list[int]]]:
    """Read the pickles at the start of ``data`` statically: what they import, and the sizes they declare.

    Returns the GLOBAL / STACK_GLOBAL targets, the declared size of every distinct storage (legacy
    torch.save's persistent id ``("storage", type, key, location, numel, view)``, by key), which torch would
    allocate before reading any data, and the element count of every tensor view (the size tuple that
    follows a storage and its offset in ``_rebuild_tensor_v2``'s arguments), which torch would grow a storage
    to fit. Legacy torch.save writes five pickles in a row; a plain pickle is one.
    """
    found: list[str] = []
    storages: dict[object, int] = {}
    views: list[int] = []
    stream = io.BytesIO(data)
    ops = 0
    for _ in range(5):  # magic number, protocol, sys info, the object, storage keys
        strings: list[str] = []
        memo: dict[int, str | None] = {}
        ints: list[int] = []
        pid_strings: list[str] = []
        top: str | None = None  # the string the last op pushed, for the memo op that may follow it
        # After a storage (persistent id or memo get) and one integer (the offset), the next tuple of integers
        # is a tensor's size: ``view`` holds the integers seen since, or None when not in that pattern.
        after_storage = False
        view: list[int] | None = None
        for op, arg, _pos in pickletools.genops(stream):
            ops += 1
            if ops > MAX_PICKLE_OPS:
                raise ValueError(f"more than {MAX_PICKLE_OPS:,} pickle operations")
            name = op.name
            pushed = None
            is_int = name in _INT_OPS and isinstance(arg, int) and not isinstance(arg, bool)
            if is_int:
                ints.append(arg)
            if name in _STRING_OPS:
                pushed = arg
            elif name == "MEMOIZE":
                memo[len(memo)] = top
                pushed = top
            elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
                memo[arg] = top
                pushed = top
            elif name in ("BINGET", "LONG_BINGET", "GET"):
                pushed = memo.get(arg)
            elif name == "GLOBAL":
                found.append(arg.replace(" ", "."))
            elif name == "STACK_GLOBAL" and len(strings) >= 2:
                found.append(f"{strings[-2]}.{strings[-1]}")
            elif name in ("BINPERSID", "PERSID"):
                key = pid_strings[0] if pid_strings else len(storages)
                storages[key] = max([storages.get(key, 0), *ints[:1]])
                ints = []
            # The tensor-view pattern: storage, offset, then the size tuple.
            if view is not None and name not in ("BINPUT", "LONG_BINPUT", "PUT", "MEMOIZE"):
                if is_int or name == "MARK":
                    view.extend([arg] if is_int else [])
                elif name in ("TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "EMPTY_TUPLE"):
                    count = {"TUPLE1": 1, "TUPLE2": 2, "TUPLE3": 3, "EMPTY_TUPLE": 0}.get(name, len(view))
                    dims = view[len(view) - count :] if count else []
                    numel = 1
                    for d in dims:
                        numel *= max(d, 0)
                    views.append(numel)
                    view = None
                else:
                    view = None
            elif after_storage and name not in ("BINPUT", "LONG_BINPUT", "PUT", "MEMOIZE"):
                view = [] if is_int else None
                after_storage = False
            if name in ("BINPERSID", "PERSID", "BINGET", "LONG_BINGET", "GET"):
                after_storage, view = True, None
            if pushed is not None and name not in ("MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT"):
                strings.append(pushed)
                pid_strings.append(pushed)
                if pushed == "storage":  # a persistent id starts: its key and sizes follow
                    ints, pid_strings = [], []
            top = pushed
        if stream.tell() >= len(data):
            break
    return list(dict.fromkeys(found)), (list(storages.values()), views)


def short_error(error: Exception) -> str:
    """An exception's message on one line, at most 160 characters."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:160] + ("..." if len(text) > 160 else "")
