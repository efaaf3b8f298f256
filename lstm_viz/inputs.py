"""A user's own input sequence: CSV or NPY files, numbers typed in a box, or token ids for an embedding."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from pathlib import PurePath
from typing import BinaryIO

import numpy as np
import torch
from torch import Tensor

from lstm_viz import config
from lstm_viz.i18n import N_, msg
from lstm_viz.weights.files import memory_refusal

MAX_INPUT_BYTES = 64 * 1024 * 1024 + 64 * 1024
"""The largest input file read at all (64 MB and room for a header): a [32, 512, 512] float64 NPY is 64 MB."""
MAX_TEXT_CHARS = 1_000_000
"""The most characters a text box (typed numbers, token ids) may hold; ``max_chars`` of every text area."""
MAX_LINE_CHARS = 65_536
"""The longest line (one step) read: 512 columns of 17-digit numbers with separators need under 13,000."""
MAX_CELL_CHARS = 64
"""The longest cell read as a number: any float64 written exactly needs at most 24 characters."""
MAX_SKIPPED_LINES = 10_000
"""Blank and comment lines a file or text may have beside its data rows; past this it is not read further."""

_NPY_MAGIC = b"\x93NUMPY"
_NUMBER_CHARS = frozenset("0123456789+-.eE")
_NON_FINITE = frozenset(s + w for s in ("", "+", "-") for w in ("nan", "inf", "infinity"))
_CELL_SEPARATORS = str.maketrans({",": " ", ";": " "})
_OPENING = str.maketrans({"[": " ", "(": " "})
_CLOSING = str.maketrans({"]": "\n", ")": "\n"})


def parse_sequence(
    data: bytes | BinaryIO,
    filename: str,
    input_size: int,
    max_steps: int = config.MAX_SEQ_LEN,
    max_batch: int = config.MAX_BATCH,
) -> Tensor:
    """An uploaded input sequence: a CSV of T rows x input_size columns, or an NPY of [T, I] or [B, T, I].

    CSV: comma-, semicolon- or whitespace-separated (with semicolons a decimal comma is accepted; a one-column
    file must use decimal points, having no ";" to tell them apart), an optional header line (a first line
    without a single number), blank lines and ``#`` comments skipped; a pandas index column (empty first
    header cell) is dropped. It is read line by line and stops at the first limit it reaches: ``max_steps``
    rows, ``MAX_LINE_CHARS`` per line, ``MAX_CELL_CHARS`` per cell, ``input_size`` (+1 index) columns,
    ``MAX_SKIPPED_LINES`` blank or comment lines; no line is matched by a regular expression. NPY: its header
    is checked first, then exactly the bytes it promises are read (``allow_pickle`` is never on), so a hostile
    header cannot make it allocate more than the limits allow; a 1-D [T] array is accepted when ``input_size``
    is 1.

    Args:
        data: the file's bytes, or a binary file object positioned at its start (read lazily).
        filename: its name; ``.npy`` files are told by their magic bytes whatever the name.
        input_size: the LSTM's I, the number of values every step must have.
        max_steps: the most steps T allowed.
        max_batch: the most sequences B allowed (a CSV is always one sequence).

    Returns:
        The sequence as float64. Shapes: -> [B, T, I].

    Raises:
        ValueError: naming the problem, the line/column or position where it is, and the limit (or that the
            server had no memory for it: any allocation failure is this same refusal).
    """
    with memory_refusal(msg("this file")):
        return _parse_sequence(data, filename, input_size, max_steps, max_batch)


def _parse_sequence(data: bytes | BinaryIO, filename: str, input_size: int, max_steps: int, max_batch: int) -> Tensor:
    stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    size = _remaining_bytes(stream)
    if size is not None and size > MAX_INPUT_BYTES:
        raise ValueError(
            msg(
                "the file is {size:.1f} MB, above the limit of {limit} MB",
                size=size / 2**20,
                limit=MAX_INPUT_BYTES // 2**20,
            )
        )
    reader = _Reader(stream)
    head = reader.peek(len(_NPY_MAGIC))
    ext = PurePath(filename or "").suffix.lower()
    if head.startswith(_NPY_MAGIC):
        return _parse_npy(reader, input_size, max_steps, max_batch)
    if ext == ".npy" and head.strip():
        raise ValueError(
            msg("this is not a valid .npy file (it does not start with NumPy's header): save it with np.save")
        )
    if head.startswith(b"PK"):
        raise ValueError(
            msg(
                "this is a zip archive (an .npz or .xlsx?), not a CSV or .npy file: save one array with np.save, or "
                "export the sheet as CSV"
            )
        )
    return _parse_csv(_file_lines(reader, input_size), input_size, max_steps)


def parse_typed(text: str, input_size: int, max_steps: int = config.MAX_SEQ_LEN) -> Tensor:
    """Numbers typed into a text box: one step per line, its values separated by commas, spaces or semicolons.

    Brackets are allowed (``[[0.1, 0.2], [0.3, 0.4]]`` is two steps). With ``input_size`` 1 a single line of
    numbers is read as one value per step. At most ``MAX_TEXT_CHARS`` characters, read line by line up to the
    first limit reached (steps, characters per line and per number).

    Shapes: -> [1, T, I], float64.

    Raises:
        ValueError: naming the line, the problem and the limit (or that the server had no memory for it).
    """
    _check_text(text, "typed numbers")
    with memory_refusal(msg("these numbers")):
        return _parse_typed(text, input_size, max_steps)


def _parse_typed(text: str, input_size: int, max_steps: int) -> Tensor:
    lines = []
    for number, line in _bracket_lines(text):
        lines.append((number, line))
        # One more line than the limit is enough to refuse (a single line may still be one value per step).
        if len(lines) > max_steps:
            _check_steps(len(lines), max_steps, "lines", at_least=True)
    if not lines:
        raise ValueError(msg("nothing typed: enter one step per line, each with {size} number(s)", size=input_size))
    if input_size == 1 and len(lines) == 1:
        number, line = lines[0]
        cells = _split_cells(line, None, number, max_steps + 1, "values (one per step)")
        lines = [(number, cell) for cell in cells]
    _check_steps(len(lines), max_steps, "lines")
    rows = [
        _parse_row(number, _split_cells(line, None, number, input_size + 1, "numbers"), decimal_comma=False)
        for number, line in lines
    ]
    return _rows_to_tensor(rows, [n for n, _ in lines], input_size, "number")


def parse_token_ids(
    text: str, vocab_size: int, max_steps: int = config.MAX_SEQ_LEN, max_batch: int = config.MAX_BATCH
) -> Tensor:
    """Token ids typed as a list (``3, 14, 15`` or ``[3 14 15]``); several lines (or ``[[..], [..]]``) are a batch.

    At most ``MAX_TEXT_CHARS`` characters, read line by line up to the first limit reached.

    Shapes: -> [B, T], int64; every sequence must have the same length T.

    Raises:
        ValueError: for text that is not whole numbers, ids outside 0..vocab_size-1, ragged lines, nothing
            typed, or more than ``max_steps`` ids / ``max_batch`` lines.
    """
    _check_text(text, "token ids")
    with memory_refusal(msg("these token ids")):
        return _parse_token_ids(text, vocab_size, max_steps, max_batch)


def _parse_token_ids(text: str, vocab_size: int, max_steps: int, max_batch: int) -> Tensor:
    rows: list[list[int]] = []
    numbers: list[int] = []
    for number, line in _bracket_lines(text):
        if len(rows) >= max_batch:
            raise ValueError(
                msg(
                    "at least {count} sequences (lines) typed, above the limit of {limit}: one line per sequence in "
                    "the batch",
                    count=max_batch + 1,
                    limit=max_batch,
                )
            )
        ids = []
        for cell in _split_cells(line, None, number, max_steps + 1, "token ids (steps)"):
            if not _is_whole(cell):
                values = dict(line=number, cell=cell, last=vocab_size - 1)
                if _is_number(cell):
                    raise ValueError(
                        msg(
                            "line {line}: {cell!r} is not a whole number; token ids are whole numbers 0..{last}",
                            **values,
                        )
                    )
                raise ValueError(
                    msg("line {line}: {cell!r} is not a number; token ids are whole numbers 0..{last}", **values)
                )
            value = int(cell)
            if not 0 <= value < vocab_size:
                raise ValueError(
                    msg(
                        "line {line}: token id {value} is out of range: the embedding has {rows} rows, so ids go from "
                        "0 to {last}",
                        line=number,
                        value=value,
                        rows=vocab_size,
                        last=vocab_size - 1,
                    )
                )
            ids.append(value)
        _check_steps(len(ids), max_steps, "token ids", at_least=len(ids) > max_steps)
        rows.append(ids)
        numbers.append(number)
    if not rows:
        raise ValueError(
            msg("no token ids typed: enter whole numbers from 0 to {last}, e.g. 3, 14, 15", last=vocab_size - 1)
        )
    _check_ragged([len(r) for r in rows], numbers, "ids")
    return torch.tensor(rows, dtype=torch.int64)  # [B, T]


def random_token_ids(vocab_size: int, steps: int, batch: int = 1, seed: int = 0) -> Tensor:
    """Token ids drawn uniformly from 0..vocab_size-1 with a private generator (same seed, same ids).

    Shapes: -> [B, T], int64.
    """
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab_size, (batch, steps), generator=gen)


def embed_tokens(ids: Tensor, weight: Tensor) -> Tensor:
    """The input vectors an ``nn.Embedding`` with ``weight`` gives for ``ids``: row ``ids[b, t]`` of ``weight``.

    Shapes: ``ids`` [B, T], ``weight`` [V, I] -> [B, T, I] in ``weight``'s dtype.
    """
    if ids.numel() and not 0 <= int(ids.min()) <= int(ids.max()) < weight.shape[0]:
        raise ValueError(msg("token ids must be between 0 and {last}, the embedding's rows", last=weight.shape[0] - 1))
    return weight[ids]  # [B, T, I]


# ----------------------------------------------------------------------------------------------------------


_TOO_LONG = {
    "typed numbers": N_(
        "the typed numbers are {count:,} characters long, above the limit of {limit:,}: upload a CSV or NPY file for "
        "long sequences"
    ),
    "token ids": N_(
        "the token ids are {count:,} characters long, above the limit of {limit:,}: upload a CSV or NPY file for "
        "long sequences"
    ),
}
"""The refusal of a text box's text over ``MAX_TEXT_CHARS``, by what the box holds (whole sentences per language)."""

_TOO_MANY_STEPS = {
    ("lines", False): N_("{steps} steps (lines), above the limit of {limit} steps per sequence"),
    ("lines", True): N_("at least {steps} steps (lines), above the limit of {limit} steps per sequence"),
    ("rows", True): N_("at least {steps} steps (rows), above the limit of {limit} steps per sequence"),
    ("token ids", False): N_("{steps} steps (token ids), above the limit of {limit} steps per sequence"),
    ("token ids", True): N_("at least {steps} steps (token ids), above the limit of {limit} steps per sequence"),
    ("time dimension", False): N_(
        "{steps} steps (the array's time dimension), above the limit of {limit} steps per sequence"
    ),
}
"""The refusal of a sequence over the step limit, by what its steps are and whether more may follow."""


def _check_text(text: str, what: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(msg(_TOO_LONG[what], count=len(text), limit=MAX_TEXT_CHARS))


def _check_steps(steps: int, max_steps: int, what: str, at_least: bool = False) -> None:
    if steps > max_steps:
        raise ValueError(msg(_TOO_MANY_STEPS[what, at_least], steps=steps, limit=max_steps))


def _is_number(cell: str) -> bool:
    """Whether ``cell`` is a plain decimal number (``-1``, ``.5``, ``2.``, ``1e-3``), with no regex.

    The characters are checked first, so ``float`` (linear, in C) never sees ``nan``, ``inf`` or ``1_0``.
    """
    if not cell or len(cell) > MAX_CELL_CHARS or not _NUMBER_CHARS.issuperset(cell):
        return False
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _is_whole(cell: str) -> bool:
    digits = cell[1:] if cell[:1] in ("+", "-") else cell
    return 0 < len(digits) <= MAX_CELL_CHARS and digits.isascii() and digits.isdigit()


class _Reader:
    """A binary stream read forward once, with a look at its first bytes and a count of the bytes read."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._head = b""
        self.read_bytes = 0

    def peek(self, n: int) -> bytes:
        while len(self._head) < n:
            more = self._stream.read(n - len(self._head))
            if not more:
                break
            self._head += more
        return self._head[:n]

    def read(self, n: int) -> bytes:
        parts = [self._head[:n]]
        self._head = self._head[n:]
        got = len(parts[0])
        while got < n:  # a raw stream may return less than asked before its end
            more = self._stream.read(n - got)
            if not more:
                break
            parts.append(more)
            got += len(more)
        self._count(got)
        return b"".join(parts)

    def readline(self, limit: int) -> bytes:
        if self._head:
            cut = self._head.find(b"\n")
            if cut >= 0 or len(self._head) >= limit:
                end = min(cut + 1 if cut >= 0 else len(self._head), limit)
                out, self._head = self._head[:end], self._head[end:]
                self._count(len(out))
                return out
            out, self._head = self._head, b""
            out += self._stream.readline(limit - len(out))
        else:
            out = self._stream.readline(limit)
        self._count(len(out))
        return out

    def _count(self, n: int) -> None:
        self.read_bytes += n
        if self.read_bytes > MAX_INPUT_BYTES:
            raise ValueError(msg("the file is over the limit of {limit} MB", limit=MAX_INPUT_BYTES // 2**20))


def _remaining_bytes(stream: BinaryIO) -> int | None:
    """How many bytes a seekable stream holds from its position on; None when it cannot say without reading."""
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
    except (AttributeError, OSError, ValueError):
        return None
    return end - here


def _file_lines(reader: _Reader, input_size: int) -> Iterator[tuple[int, str]]:
    """The lines of a text file, numbered from 1, read one at a time and each at most ``MAX_LINE_CHARS`` long."""
    number = 0
    while True:
        raw = reader.readline(MAX_LINE_CHARS + 2)  # room for "\r\n" after a line of exactly the limit
        if not raw:
            return
        number += 1
        if not raw.endswith(b"\n") and len(raw) > MAX_LINE_CHARS:
            raise ValueError(
                msg(
                    "line {line} is longer than {limit:,} characters, the limit per line: a CSV has one row per step "
                    "with {size} value(s) in it",
                    line=number,
                    limit=MAX_LINE_CHARS,
                    size=input_size,
                )
            )
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise ValueError(
                msg(
                    "this file is neither a text CSV (it is not UTF-8 text) nor an .npy array: expected T rows of "
                    "{size} numbers, or an array saved with np.save",
                    size=input_size,
                )
            ) from None
        text = text.rstrip("\r\n")
        if "\r" in text:  # old Mac line ends: one physical line holds several
            for k, part in enumerate(text.split("\r")):
                yield number + k, part
            number += text.count("\r")
        else:
            yield number, text


def _text_lines(text: str) -> Iterator[tuple[int, str]]:
    """The lines of a text, numbered from 1, without splitting the whole text first."""
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        yield number, line.rstrip("\n")


def _bracket_lines(text: str) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers; a closing bracket also ends a line, brackets are dropped.

    Each yielded line is at most ``MAX_LINE_CHARS`` long; at most ``MAX_SKIPPED_LINES`` blank lines are passed.
    """
    skipped = 0
    for number, line in _text_lines(text):
        parts = line.translate(_CLOSING).split("\n") if "]" in line or ")" in line else [line]
        kept = False
        for part in parts:
            part = part.translate(_OPENING).strip().strip(",;").strip()
            if part and not part.startswith("#"):
                if len(part) > MAX_LINE_CHARS:
                    raise ValueError(
                        msg(
                            "line {line} has a step longer than {limit:,} characters, the limit per step",
                            line=number,
                            limit=MAX_LINE_CHARS,
                        )
                    )
                kept = True
                yield number, part
        if not kept:
            skipped += 1
            if skipped > MAX_SKIPPED_LINES:
                raise ValueError(msg("more than {limit:,} blank or comment lines, the limit", limit=MAX_SKIPPED_LINES))


_TOO_MANY_CELLS = {
    "values": N_("line {line} has more than {limit} values, above the limit of {limit}"),
    "values (one per step)": N_("line {line} has more than {limit} values (one per step), above the limit of {limit}"),
    "numbers": N_("line {line} has more than {limit} numbers, above the limit of {limit}"),
    "token ids (steps)": N_("line {line} has more than {limit} token ids (steps), above the limit of {limit}"),
    "columns": N_("line {line} has more than {limit} columns, above the limit of {limit}"),
}
"""The refusal of a line with too many cells, by what its cells are."""


def _split_cells(
    line: str,
    delimiter: str | None,
    number: int,
    limit: int,
    what: str = "values",
    cell_chars: int = MAX_CELL_CHARS,
) -> list[str]:
    """The cells of one line, refusing ``limit`` or more of them or any longer than ``MAX_CELL_CHARS``.

    The line is split at most ``limit`` times, so a line of a million cells costs no more than one of ``limit``.
    ``what`` (a key of ``_TOO_MANY_CELLS``) names the cells in the refusal.
    """
    if delimiter is None:
        cells = line.translate(_CELL_SEPARATORS).split(None, limit)
    else:
        cells = [c.strip() for c in line.split(delimiter, limit)]
    if len(cells) >= limit:
        raise ValueError(msg(_TOO_MANY_CELLS[what], line=number, limit=limit - 1))
    for col, cell in enumerate(cells, start=1):
        if len(cell) > cell_chars:
            raise ValueError(
                msg(
                    "line {line}, column {column} is {count:,} characters long, above the limit of {limit} per number",
                    line=number,
                    column=col,
                    count=len(cell),
                    limit=cell_chars,
                )
            )
    return cells


def _parse_row(number: int, cells: list[str], decimal_comma: bool) -> list[float]:
    row = []
    for col, cell in enumerate(cells, start=1):
        text = cell.replace(",", ".") if decimal_comma else cell
        where = dict(line=number, column=col, cell=cell)
        if not text:
            raise ValueError(msg("line {line}, column {column} is empty: every cell must hold a number", **where))
        if text.lower() in _NON_FINITE:
            raise ValueError(
                msg("line {line}, column {column} is {cell!r}: every value must be a finite number", **where)
            )
        if not _is_number(text):
            raise ValueError(msg("line {line}, column {column}: {cell!r} is not a number", **where))
        value = float(text)
        if not math.isfinite(value):  # e.g. 1e999 overflows to inf
            raise ValueError(msg("line {line}, column {column}: {cell!r} is too large to be a finite number", **where))
        row.append(value)
    return row


_RAGGED = {
    "ids": N_("line {line} has {width} ids but line {first} has {first_width}: every line must have the same number"),
    "columns": N_(
        "line {line} has {width} columns but line {first} has {first_width}: every line must have the same number"
    ),
    "numbers": N_(
        "line {line} has {width} numbers but line {first} has {first_width}: every line must have the same number"
    ),
}
"""The refusal of lines of different widths, by what their cells are."""


def _check_ragged(widths: list[int], numbers: list[int], what: str) -> None:
    for width, number in zip(widths, numbers, strict=True):
        if width != widths[0]:
            raise ValueError(msg(_RAGGED[what], line=number, width=width, first=numbers[0], first_width=widths[0]))


def _rows_to_tensor(rows: list[list[float]], numbers: list[int], input_size: int, what: str) -> Tensor:
    """The rows as one sequence, every row ``input_size`` wide; ``what`` is ``"column"`` (a file) or ``"number"``."""
    _check_ragged([len(r) for r in rows], numbers, "columns" if what == "column" else "numbers")
    if len(rows[0]) != input_size:
        values = dict(count=len(rows[0]), size=input_size)
        if what == "column":
            raise ValueError(
                msg(
                    "each line has {count} column(s) but this LSTM's input_size is {size}: every step needs exactly "
                    "{size} value(s), one per input feature",
                    **values,
                )
            )
        raise ValueError(
            msg(
                "each line has {count} number(s) but this LSTM's input_size is {size}: every step needs exactly "
                "{size} value(s), one per input feature",
                **values,
            )
        )
    return torch.tensor(rows, dtype=torch.float64).unsqueeze(0)  # [1, T, I]


def _parse_csv(lines: Iterator[tuple[int, str]], input_size: int, max_steps: int) -> Tensor:
    width_limit = input_size + 2  # one more than the widest allowed row (an index column and the features)
    skipped = 0
    saw_text = False
    header_done = False
    delimiter: str | None = None
    decimal_comma = drop_index = False
    rows: list[list[float]] = []
    numbers: list[int] = []
    for number, line in lines:
        if not line.strip() or line.startswith("#"):
            saw_text = saw_text or bool(line.strip())
            skipped += 1
            if skipped > MAX_SKIPPED_LINES:
                raise ValueError(
                    msg("the file has more than {limit:,} blank or comment lines, the limit", limit=MAX_SKIPPED_LINES)
                )
            continue
        saw_text = True
        if not header_done:
            header_done = True
            delimiter = ";" if ";" in line else "," if "," in line else None
            decimal_comma = delimiter == ";"
            # Column names may be longer than numbers: the header's cells are only compared, never parsed.
            header = _split_cells(line, delimiter, number, width_limit, "columns", cell_chars=MAX_LINE_CHARS)
            # A first line without a single number is a header (one with a typo among numbers gets its error
            # below); pandas' index column leaves the header's first cell empty.
            if not any(_is_number(c.replace(",", ".") if decimal_comma else c) for c in header):
                drop_index = header[0] == "" and len(header) == input_size + 1
                continue
        if len(rows) == max_steps:
            _check_steps(max_steps + 1, max_steps, "rows", at_least=True)
        cells = _split_cells(line, delimiter, number, width_limit, "columns")
        rows.append(_parse_row(number, cells[1:] if drop_index else cells, decimal_comma))
        numbers.append(number)
    if not saw_text:
        raise ValueError(msg("the file is empty: expected one row per step with one value per input feature"))
    if not rows:
        if header_done:
            raise ValueError(msg("the file has a header line but no data rows below it"))
        raise ValueError(msg("the file has no data rows: expected one row per step with one value per input feature"))
    return _rows_to_tensor(rows, numbers, input_size, "column")


def _parse_npy(reader: _Reader, input_size: int, max_steps: int, max_batch: int) -> Tensor:
    header_stream = _HeaderStream(reader)
    try:
        version = np.lib.format.read_magic(header_stream)
        # Version 3.0 differs from 2.0 only in the header's text encoding (utf-8 field names).
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(header_stream)
    except ValueError as e:  # numpy raises ValueError (and SyntaxError inside it) on damaged headers
        raise ValueError(
            msg("this .npy file has a damaged header and cannot be read ({error})", error=str(e))
        ) from None
    except Exception as e:  # noqa: BLE001 - any other failure of numpy's header parser is a damaged header too
        raise ValueError(
            msg("this .npy file has a damaged header and cannot be read ({error})", error=type(e).__name__)
        ) from None
    if dtype.hasobject or dtype.kind not in "biuf":
        raise ValueError(
            msg(
                "this .npy array holds {dtype} values; expected plain numbers (float or int), saved without Python "
                "objects",
                dtype=str(dtype),
            )
        )
    stored = tuple(shape)
    if len(shape) == 1 and input_size == 1:
        shape = (1, shape[0], 1)
    elif len(shape) == 2:
        shape = (1, *shape)
    elif len(shape) != 3:
        raise ValueError(
            msg(
                "this .npy array has shape {shape}; expected [T, {size}] (steps x features) or [B, T, {size}] "
                "(sequences x steps x features)",
                shape=str(list(shape)),
                size=input_size,
            )
        )
    batch, steps, feats = shape
    if feats != input_size:
        raise ValueError(
            msg(
                "this .npy array has {feats} features per step (its last dimension) but this LSTM's input_size is "
                "{size}",
                feats=feats,
                size=input_size,
            )
        )
    if steps == 0 or batch == 0:
        raise ValueError(
            msg("this .npy array is empty (shape {shape}): it needs at least one step", shape=str(list(shape)))
        )
    _check_steps(steps, max_steps, "time dimension")
    if batch > max_batch:
        raise ValueError(
            msg("this .npy array holds {count} sequences, above the limit of {limit}", count=batch, limit=max_batch)
        )
    nbytes = batch * steps * feats * dtype.itemsize  # at most 32 x 512 x 512 x 8 = 64 MB after the checks above
    body = reader.read(nbytes)
    if len(body) < nbytes:
        raise ValueError(msg("this .npy file is cut short: its header promises more values than it holds"))
    array = np.frombuffer(body, dtype=dtype).reshape(stored, order="F" if fortran else "C")
    values = torch.from_numpy(np.array(array, dtype=np.float64, order="C").reshape(shape))  # [B, T, I]
    bad = ~torch.isfinite(values)
    if bad.any():
        b, t, i = (int(k) for k in bad.nonzero()[0])
        raise ValueError(
            msg(
                "sequence {b}, step {t}, feature {i} is {value}: every value must be a finite number",
                b=b,
                t=t,
                i=i,
                value=values[b, t, i].item(),
            )
        )
    return values


class _HeaderStream:
    """What numpy's header readers need of a file (``read``), reading through a ``_Reader``."""

    def __init__(self, reader: _Reader) -> None:
        self._reader = reader

    def read(self, n: int = -1) -> bytes:
        # numpy reads the magic, a length and then the header it announced (at most 4 GB by its format, but
        # numpy itself refuses headers over 10,000 bytes unless told otherwise).
        return self._reader.read(max(0, min(n, MAX_LINE_CHARS)) if n >= 0 else MAX_LINE_CHARS)
