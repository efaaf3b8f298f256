"""Reading a user's checkpoint file safely: format by its bytes, static pickle checks, size limits."""

from __future__ import annotations

import io
import pickle
import pickletools
import re
import warnings
import zipfile
from pathlib import PurePath

import torch
from safetensors.torch import load as safetensors_load
from torch import Tensor

from lstm_viz.config import MAX_LAYERS, MAX_SIZE

MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest file read at all (64 MB), checked before any byte of it is parsed."""

_SAFE_TAIL = "nothing in the file was run"


def read_checkpoint(data: bytes, filename: str) -> object:
    """The object a file holds, read without running anything in it (format told by its bytes).

    Raises:
        ValueError: for a damaged, unknown or unsafe file, saying what is wrong and what was expected.
    """
    kind = _detect_format(data, filename)
    return _read_safetensors(data) if kind == "safetensors" else _read_torch(data, kind)


def check_file_size(nbytes: int) -> None:
    """Refuse a file above ``MAX_FILE_BYTES`` from its size alone (before reading it).

    Raises:
        ValueError: naming the size and the limit.
    """
    if nbytes > MAX_FILE_BYTES:
        raise ValueError(
            f"the file is {_mb(nbytes)}, above the limit of {_mb(MAX_FILE_BYTES)}: the explorer shows LSTMs of at "
            f"most {MAX_LAYERS} layers of {MAX_SIZE} units, which fit well below that; save only the model's "
            "state_dict (no optimizer state) or only the LSTM's tensors"
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
                f"this safetensors file is cut short: its header says {header_len:,} bytes of description follow, "
                f"but the file has only {len(data) - 8:,} after the first 8; upload the whole file again"
            )
        return "safetensors"
    if data[:2] == b"PK":
        return "zip"
    if data[0] == 0x80 and len(data) > 1 and 2 <= data[1] <= 5:
        return "pickle"
    if ext == ".safetensors":
        raise ValueError(
            "this is not a valid safetensors file: it should start with 8 bytes giving the header length and then "
            "a JSON header starting with '{'; was it saved with safetensors' save_file, and uploaded completely?"
        )
    try:
        text = data[:60].decode("utf-8")
    except UnicodeDecodeError:
        text = None
    what = f"a text file (it starts with {text.splitlines()[0][:40]!r})" if text and text.strip() else "unknown data"
    raise ValueError(
        f"this is not a PyTorch or safetensors file but {what}: expected a .safetensors file or a .pt/.pth/.bin "
        "file written by torch.save, e.g. torch.save(model.state_dict(), 'model.pt')"
    )


def _read_safetensors(data: bytes) -> dict[str, Tensor]:
    try:
        return safetensors_load(data)
    except Exception as e:  # safetensors raises its own SafetensorError (and others) on damaged headers
        raise ValueError(
            f"this safetensors file is damaged and cannot be read ({short_error(e)}); "
            "upload the file exactly as save_file wrote it"
        ) from None


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
        raise ValueError(
            f"this PyTorch file is damaged or cut short and cannot be read ({short_error(e)}); "
            "upload the file exactly as torch.save wrote it"
        ) from None


def _check_legacy_sizes(data: bytes) -> None:
    """Refuse a legacy file whose storages claim more values than it holds (torch would allocate them first)."""
    try:
        _names, sizes = _scan_pickles(data)
    except Exception as e:  # pickletools raises ValueError and others on damaged opcodes
        raise ValueError(
            f"this PyTorch file is damaged or cut short and cannot be read ({_SAFE_TAIL}; {short_error(e)}); "
            "upload the file exactly as torch.save wrote it"
        ) from None
    if any(n > len(data) for n in sizes):
        raise ValueError(
            f"this PyTorch file is damaged: it declares a tensor of {max(sizes):,} values but the whole file is only "
            f"{len(data):,} bytes ({_SAFE_TAIL}); upload the file exactly as torch.save wrote it"
        )


def _check_zip(data: bytes) -> None:
    """Refuse zips torch.save did not write (or that unpack beyond the limit) before torch reads them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except Exception as e:  # BadZipFile, or OSError/ValueError/EOFError from a damaged directory
        raise ValueError(
            f"this PyTorch (zip) file is damaged or cut short and cannot be read ({short_error(e)}); "
            "upload the file exactly as torch.save wrote it"
        ) from None
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_FILE_BYTES:
        raise ValueError(
            f"this archive unpacks to {_mb(unpacked)}, above the limit of {_mb(MAX_FILE_BYTES)}; "
            "torch.save files do not shrink when zipped, so upload the .pt file itself"
        )
    names = [info.filename for info in infos]
    if any("/code/" in n or n.endswith("/constants.pkl") for n in names):
        raise ValueError(
            "this is a TorchScript file (torch.jit.save), which stores code as well as weights and is not "
            "read here: save the weights instead with torch.save(model.state_dict(), 'model.pt')"
        )
    if not any(n.endswith("data.pkl") for n in names):
        raise ValueError(
            "this is a zip archive but not a file written by torch.save (it has no data.pkl inside); "
            "if you zipped a checkpoint, upload the .pt/.safetensors file itself"
        )


def _unpickling_message(data: bytes, kind: str, error: Exception) -> str:
    """Why the weights-only unpickler refused: a whole module, other Python objects, or damage."""
    names = _unsafe_globals(data, kind)
    modules = [n for n in names if n.startswith(("torch.nn.modules.", "torch.jit", "torch.nn.parallel"))]
    if modules:
        # Name the user's own classes when there are some (the model), else the torch module class.
        own = [n for n in names if not n.startswith("torch.")]
        shown = ", ".join(own[:3]) + (", ..." if len(own) > 3 else "") if own else modules[0]
        return (
            f"this file holds a whole pickled model ({shown}) instead of a state_dict; reading it would mean "
            f"running Python code from the file, so it is refused ({_SAFE_TAIL}): "
            "save model.state_dict() instead, e.g. torch.save(model.state_dict(), 'model.pt')"
        )
    if names:
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        return (
            f"this file holds Python objects beside its tensors ({shown}); loading them would run code from the "
            f"file, so it is refused ({_SAFE_TAIL}): save only tensors, e.g. "
            "torch.save(model.state_dict(), 'model.pt') or a dict of tensors, numbers and strings"
        )
    pkl = _data_pkl(data) if kind == "zip" else data
    if pkl[:1] == b"\x80" and pkl[1:2] in (b"\x04", b"\x05") and "Unsupported operand" in str(error):
        return (
            f"this file was saved with pickle_protocol={pkl[1]}, which PyTorch's safe loader (weights_only=True) "
            f"cannot read ({_SAFE_TAIL}): save it again with torch.save's default protocol, "
            "e.g. torch.save(model.state_dict(), 'model.pt')"
        )
    return (
        f"this PyTorch file is damaged or not a torch.save file, and cannot be read safely ({_SAFE_TAIL}; "
        f"{short_error(error)}); upload the file exactly as torch.save wrote it"
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


def _plain_pickle_message(data: bytes) -> str:
    """A pickle torch.save did not write is never unpickled: say whether it would even have run code."""
    names = _unsafe_globals(data, "pickle")
    if names:
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        return (
            f"this is a plain Python pickle holding Python objects ({shown}); loading it would run code from the "
            f"file, so it is refused ({_SAFE_TAIL}): save the weights with torch.save(model.state_dict(), "
            "'model.pt') or safetensors instead"
        )
    return (
        f"this is a plain Python pickle, not a file written by torch.save, and it is not read ({_SAFE_TAIL}): "
        "save the weights with torch.save(model.state_dict(), 'model.pt') or safetensors instead"
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
    return sorted(n for n in found if not n.startswith(safe) and not re.fullmatch(r"torch\.\w+(Storage|\d+)?", n))


def _data_pkl(data: bytes) -> bytes:
    """The pickle inside a torch.save zip (b"" when there is none)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            name = next(n for n in zf.namelist() if n.endswith("data.pkl"))
            return zf.read(name)
    except Exception:  # damaged or no data.pkl: nothing to scan
        return b""


_STRING_OPS = ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE")
_INT_OPS = ("BININT", "BININT1", "BININT2", "LONG1", "LONG4", "INT", "LONG")


def _scan_pickles(data: bytes) -> tuple[list[str], list[int]]:
    """Read the pickles at the start of ``data`` statically: what they import, and their storage sizes.

    Returns the GLOBAL / STACK_GLOBAL targets and every integer in a storage's persistent id (legacy
    torch.save's ``("storage", type, key, location, numel, view)``), which torch would allocate before
    reading any data. Legacy torch.save writes five pickles in a row; a plain pickle is one.
    """
    found: list[str] = []
    storage_ints: list[int] = []
    stream = io.BytesIO(data)
    for _ in range(5):  # magic number, protocol, sys info, the object, storage keys
        strings: list[str] = []
        memo: dict[int, str | None] = {}
        ints: list[int] = []
        top: str | None = None  # the string the last op pushed, for the memo op that may follow it
        for op, arg, _pos in pickletools.genops(stream):
            pushed = None
            if op.name in _STRING_OPS:
                pushed = arg
            elif op.name in _INT_OPS and isinstance(arg, int) and not isinstance(arg, bool):
                ints.append(arg)
            elif op.name == "MEMOIZE":
                memo[len(memo)] = top
                pushed = top
            elif op.name in ("BINPUT", "LONG_BINPUT", "PUT"):
                memo[arg] = top
                pushed = top
            elif op.name in ("BINGET", "LONG_BINGET", "GET"):
                pushed = memo.get(arg)
            elif op.name == "GLOBAL":
                found.append(arg.replace(" ", "."))
            elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                found.append(f"{strings[-2]}.{strings[-1]}")
            elif op.name in ("BINPERSID", "PERSID"):
                storage_ints.extend(ints)
                ints = []
            if pushed is not None and op.name not in ("MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT"):
                strings.append(pushed)
                if pushed == "storage":  # a persistent id starts: its sizes follow
                    ints = []
            top = pushed
        if stream.tell() >= len(data):
            break
    return list(dict.fromkeys(found)), storage_ints


def short_error(error: Exception) -> str:
    """An exception's message on one line, at most 160 characters."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:160] + ("..." if len(text) > 160 else "")
