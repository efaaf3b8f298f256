r"""The `code` task's corpus: the ``.py`` files of the installed ``torch`` package, its vocabulary and split.

Nothing is copied into the repository: the files are read from the pinned ``torch`` wheel every install has.
Order: relative paths sorted as strings. Held out (never trained on): every file whose path's SHA-256 is
0 modulo ``HELD_OUT_MOD``. Vocabulary: tab, newline and printable ASCII (space..``~``); every other character
(non-ASCII letters, arrows, ``\r``, form feeds) maps to the fallback symbol ``FALLBACK`` (U+FFFD).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

FALLBACK = "\ufffd"
SYMBOLS: tuple[str, ...] = ("\t", "\n", *(chr(c) for c in range(32, 127)), FALLBACK)
"""Every character the model reads and writes; index = symbol id."""
VOCAB = len(SYMBOLS)
HELD_OUT_MOD = 20
"""About one file in 20 is held out."""
EVAL_CHARS = 240_000
"""Size of the fixed held-out corpus the app colours, matches and scores (whole files, sorted order)."""
ANALYSIS_CHARS = 60_000
"""Size of the held-out corpus the unit finder and the match view use (its states are kept per server)."""
EVAL_FILE_MAX = 16_000
"""Held-out files longer than this stay out of the fixed held-out corpus, so it spans many files."""

_OUTSIDE = re.compile(r"[^\t\n\x20-\x7e]")
# Byte -> symbol id for the ASCII text left after the fallback substitution (\x7f stands for the fallback).
_LOOKUP = torch.full((128,), VOCAB - 1, dtype=torch.uint8)
for _i, _ch in enumerate(SYMBOLS[:-1]):
    _LOOKUP[ord(_ch)] = _i


def torch_root() -> Path:
    """The directory of the installed ``torch`` package."""
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:  # pragma: no cover - torch is a hard dependency
        raise RuntimeError("the torch package is not installed")
    return Path(spec.origin).parent


@functools.cache
def file_list() -> tuple[str, ...]:
    """Every ``.py`` file of the torch package, as sorted POSIX paths relative to its directory."""
    root = torch_root()
    return tuple(sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py")))


def is_held_out(path: str) -> bool:
    """Whether a corpus file is in the held-out part (decided by its path alone, so it never moves)."""
    return int(_path_hash(path), 16) % HELD_OUT_MOD == 0


def read(path: str) -> str:
    """A corpus file's text (UTF-8; undecodable bytes become the fallback)."""
    return (torch_root() / path).read_text(encoding="utf-8", errors="replace")


def encode_ids(text: str) -> Tensor:
    """Symbol ids of any text; characters outside the vocabulary become ``FALLBACK``. Shapes: [len(text)] uint8."""
    data = _OUTSIDE.sub("\x7f", text).encode("ascii")
    if not data:
        return torch.zeros(0, dtype=torch.uint8)
    return _LOOKUP[torch.frombuffer(bytearray(data), dtype=torch.uint8).long()]


def decode_ids(ids: Tensor | list[int]) -> str:
    """The text of symbol ids."""
    return "".join(SYMBOLS[int(k)] for k in ids)


def normalise(text: str) -> str:
    """The text as the model sees it: characters outside the vocabulary replaced by ``FALLBACK``."""
    return _OUTSIDE.sub(FALLBACK, text)


@dataclass(frozen=True)
class Split:
    """The training and held-out files with a digest of everything read.

    Attributes:
        train: Training files, in corpus order.
        held_out: Held-out files, in corpus order.
        digest: SHA-256 over every file's path and text, in order (changes if the torch wheel does).
        chars: Characters in the training files.
    """

    train: tuple[str, ...]
    held_out: tuple[str, ...]
    digest: str
    chars: int


def training_text() -> tuple[str, Split]:
    """The training files concatenated in corpus order (the text streamed to training), and the split."""
    digest = hashlib.sha256()
    train, held, parts = [], [], []
    for path in file_list():
        text = read(path)
        digest.update(path.encode() + b"\0" + text.encode("utf-8", "surrogatepass") + b"\0")
        if is_held_out(path):
            held.append(path)
        else:
            train.append(path)
            parts.append(text)
    text = "".join(parts)
    return text, Split(tuple(train), tuple(held), digest.hexdigest(), len(text))


@dataclass(frozen=True)
class HeldOut:
    """A fixed corpus of whole held-out files.

    Attributes:
        paths: The files, in the order of their path's SHA-256 (a fixed shuffle, so it spans the package).
        texts: Their texts as the model sees them (``normalise``).
        starts: Offset of each file in ``text``.
        text: The files concatenated.
        digest: SHA-256 of ``text``.
    """

    paths: tuple[str, ...]
    texts: tuple[str, ...]
    starts: tuple[int, ...]
    text: str
    digest: str

    def file_at(self, offset: int) -> int:
        """The index of the file holding character ``offset`` of ``text``."""
        return max(k for k, s in enumerate(self.starts) if s <= offset)


def _path_hash(path: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest()


@functools.cache
def held_out(limit: int = EVAL_CHARS) -> HeldOut:
    """The fixed held-out corpus of at most ``limit`` characters (read once per process).

    Whole held-out files, non-blank and at most ``EVAL_FILE_MAX`` characters, in the order of their path's
    SHA-256, while the total stays within ``limit``.
    """
    paths, texts, starts, total = [], [], [], 0
    for path in sorted((p for p in file_list() if is_held_out(p)), key=_path_hash):
        text = normalise(read(path))
        if not text.strip() or len(text) > EVAL_FILE_MAX or total + len(text) > limit:
            continue
        paths.append(path)
        texts.append(text)
        starts.append(total)
        total += len(text)
    text = "".join(texts)
    return HeldOut(tuple(paths), tuple(texts), tuple(starts), text, hashlib.sha256(text.encode()).hexdigest())


def analysis() -> HeldOut:
    """The smaller fixed held-out corpus the unit finder ranks cells on and the match view searches."""
    return held_out(ANALYSIS_CHARS)
