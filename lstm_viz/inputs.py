"""A user's own input sequence: CSV or NPY files, numbers typed in a box, or token ids for an embedding."""

from __future__ import annotations

import io
import math
import re
from pathlib import PurePath

import numpy as np
import torch
from torch import Tensor

from lstm_viz import config

MAX_INPUT_BYTES = 64 * 1024 * 1024
"""The largest input file read at all (64 MB): a [32, 512, 512] float64 NPY is exactly that, plus its header."""

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_NPY_MAGIC = b"\x93NUMPY"


def parse_sequence(
    data: bytes,
    filename: str,
    input_size: int,
    max_steps: int = config.MAX_SEQ_LEN,
    max_batch: int = config.MAX_BATCH,
) -> Tensor:
    """An uploaded input sequence: a CSV of T rows x input_size columns, or an NPY of [T, I] or [B, T, I].

    CSV: comma-, semicolon- or whitespace-separated (with semicolons a decimal comma is accepted; a one-column
    file must use decimal points, having no ";" to tell them apart), an optional header line (a first line
    without a single number), blank lines and ``#`` comments skipped; a pandas index column (empty first
    header cell) is dropped. NPY: read with ``allow_pickle=False`` after its header is checked, so a hostile
    header cannot make it allocate more than the file holds; a 1-D [T] array is accepted when ``input_size``
    is 1.

    Args:
        data: the file's bytes.
        filename: its name; ``.npy`` files are told by their magic bytes whatever the name.
        input_size: the LSTM's I, the number of values every step must have.
        max_steps: the most steps T allowed.
        max_batch: the most sequences B allowed (a CSV is always one sequence).

    Returns:
        The sequence as float64. Shapes: -> [B, T, I].

    Raises:
        ValueError: naming the problem, the line/column or position where it is, and the limit.
    """
    if len(data) > MAX_INPUT_BYTES:
        raise ValueError(f"the file is {len(data) / 2**20:.1f} MB, above the limit of {MAX_INPUT_BYTES // 2**20} MB")
    if not data.strip():
        raise ValueError("the file is empty: expected one row per step with one value per input feature")
    ext = PurePath(filename or "").suffix.lower()
    if data.startswith(_NPY_MAGIC):
        return _parse_npy(data, input_size, max_steps, max_batch)
    if ext == ".npy":
        raise ValueError("this is not a valid .npy file (it does not start with NumPy's header): save it with np.save")
    if data.startswith(b"PK"):
        raise ValueError(
            "this is a zip archive (an .npz or .xlsx?), not a CSV or .npy file: save one array with np.save, "
            "or export the sheet as CSV"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(
            "this file is neither a text CSV (it is not UTF-8 text) nor an .npy array: expected T rows of "
            f"{input_size} numbers, or an array saved with np.save"
        ) from None
    return _parse_csv(text, input_size, max_steps)


def parse_typed(text: str, input_size: int, max_steps: int = config.MAX_SEQ_LEN) -> Tensor:
    """Numbers typed into a text box: one step per line, its values separated by commas, spaces or semicolons.

    Brackets are allowed (``[[0.1, 0.2], [0.3, 0.4]]`` is two steps). With ``input_size`` 1 a single line of
    numbers is read as one value per step.

    Shapes: -> [1, T, I], float64.

    Raises:
        ValueError: naming the line, the problem and the limit.
    """
    lines = _bracket_lines(text)
    if not lines:
        raise ValueError(f"nothing typed: enter one step per line, each with {input_size} number(s)")
    if input_size == 1 and len(lines) == 1:
        number, line = lines[0]
        lines = [(number, cell) for cell in _split_cells(line, None)]
    _check_steps(len(lines), max_steps, "lines")
    rows = [_parse_row(number, _split_cells(line, None), decimal_comma=False) for number, line in lines]
    return _rows_to_tensor(rows, lines, input_size, "number")


def parse_token_ids(
    text: str, vocab_size: int, max_steps: int = config.MAX_SEQ_LEN, max_batch: int = config.MAX_BATCH
) -> Tensor:
    """Token ids typed as a list (``3, 14, 15`` or ``[3 14 15]``); several lines (or ``[[..], [..]]``) are a batch.

    Shapes: -> [B, T], int64; every sequence must have the same length T.

    Raises:
        ValueError: for text that is not whole numbers, ids outside 0..vocab_size-1, ragged lines, nothing
            typed, or more than ``max_steps`` ids / ``max_batch`` lines.
    """
    lines = _bracket_lines(text)
    if not lines:
        raise ValueError(f"no token ids typed: enter whole numbers from 0 to {vocab_size - 1}, e.g. 3, 14, 15")
    if len(lines) > max_batch:
        raise ValueError(
            f"{len(lines)} sequences (lines) typed, above the limit of {max_batch}: one line per sequence in the batch"
        )
    rows = []
    for number, line in lines:
        ids = []
        for cell in _split_cells(line, None):
            if not re.fullmatch(r"[+-]?\d+", cell):
                kind = "not a whole number" if _NUMBER.fullmatch(cell) else "not a number"
                raise ValueError(f"line {number}: {cell!r} is {kind}; token ids are whole numbers 0..{vocab_size - 1}")
            value = int(cell)
            if not 0 <= value < vocab_size:
                raise ValueError(
                    f"line {number}: token id {value} is out of range: the embedding has {vocab_size} rows, "
                    f"so ids go from 0 to {vocab_size - 1}"
                )
            ids.append(value)
        _check_steps(len(ids), max_steps, "token ids")
        rows.append(ids)
    _check_ragged(rows, lines, "ids")
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
        raise ValueError(f"token ids must be between 0 and {weight.shape[0] - 1}, the embedding's rows")
    return weight[ids]  # [B, T, I]


# ----------------------------------------------------------------------------------------------------------


def _check_steps(steps: int, max_steps: int, what: str) -> None:
    if steps > max_steps:
        raise ValueError(f"{steps} steps ({what}), above the limit of {max_steps} steps per sequence")


def _bracket_lines(text: str) -> list[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers; a closing bracket also ends a line, brackets are dropped."""
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        for part in re.split(r"[\]\)]\s*,?", line):
            part = re.sub(r"[\[\(]", " ", part).strip().strip(",;").strip()
            if part and not part.startswith("#"):
                lines.append((number, part))
    return lines


def _split_cells(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return [c for c in re.split(r"[,;\s]+", line.strip()) if c]
    return [c.strip() for c in line.split(delimiter)]


def _parse_row(number: int, cells: list[str], decimal_comma: bool) -> list[float]:
    row = []
    for col, cell in enumerate(cells, start=1):
        text = cell.replace(",", ".") if decimal_comma else cell
        if not text:
            raise ValueError(f"line {number}, column {col} is empty: every cell must hold a number")
        if _NON_FINITE.fullmatch(text):
            raise ValueError(f"line {number}, column {col} is {cell!r}: every value must be a finite number")
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"line {number}, column {col}: {cell!r} is not a number")
        value = float(text)
        if not math.isfinite(value):  # e.g. 1e999 overflows to inf
            raise ValueError(f"line {number}, column {col}: {cell!r} is too large to be a finite number")
        row.append(value)
    return row


def _check_ragged(rows: list[list], lines: list[tuple[int, str]], what: str) -> None:
    for row, (number, _line) in zip(rows, lines, strict=True):
        if len(row) != len(rows[0]):
            raise ValueError(
                f"line {number} has {len(row)} {what} but line {lines[0][0]} has {len(rows[0])}: every line must have "
                "the same number"
            )


def _rows_to_tensor(rows: list[list[float]], lines: list[tuple[int, str]], input_size: int, what: str) -> Tensor:
    _check_ragged(rows, lines, f"{what}s")
    if len(rows[0]) != input_size:
        raise ValueError(
            f"each line has {len(rows[0])} {what}(s) but this LSTM's input_size is {input_size}: every step "
            f"needs exactly {input_size} value(s), one per input feature"
        )
    return torch.tensor(rows, dtype=torch.float64).unsqueeze(0)  # [1, T, I]


def _parse_csv(text: str, input_size: int, max_steps: int) -> Tensor:
    lines = [
        (n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip() and not line.startswith("#")
    ]
    if not lines:
        raise ValueError("the file has no data rows: expected one row per step with one value per input feature")
    first = lines[0][1]
    delimiter = ";" if ";" in first else "," if "," in first else None
    decimal_comma = delimiter == ";"
    header = _split_cells(first, delimiter)
    drop_index = False
    # A first line without a single number is a header (one with a typo among numbers gets its error below);
    # pandas' index column leaves the header's first cell empty.
    if not any(_NUMBER.fullmatch(c.replace(",", ".") if decimal_comma else c) for c in header):
        drop_index = header[0] == "" and len(header) == input_size + 1
        lines = lines[1:]
        if not lines:
            raise ValueError("the file has a header line but no data rows below it")
    _check_steps(len(lines), max_steps, "rows")
    rows = []
    for number, line in lines:
        cells = _split_cells(line, delimiter)
        rows.append(_parse_row(number, cells[1:] if drop_index else cells, decimal_comma))
    return _rows_to_tensor(rows, lines, input_size, "column")


def _parse_npy(data: bytes, input_size: int, max_steps: int, max_batch: int) -> Tensor:
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        # Version 3.0 differs from 2.0 only in the header's text encoding (utf-8 field names).
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _fortran, dtype = read_header(stream)
    except Exception as e:  # numpy raises ValueError/SyntaxError/... on damaged headers
        raise ValueError(f"this .npy file has a damaged header and cannot be read ({e})") from None
    if dtype.hasobject or dtype.kind not in "biuf":
        raise ValueError(
            f"this .npy array holds {dtype} values; expected plain numbers (float or int), saved without Python objects"
        )
    if len(shape) == 1 and input_size == 1:
        shape = (1, shape[0], 1)
    elif len(shape) == 2:
        shape = (1, *shape)
    elif len(shape) != 3:
        raise ValueError(
            f"this .npy array has shape {list(shape)}; expected [T, {input_size}] (steps x features) or "
            f"[B, T, {input_size}] (sequences x steps x features)"
        )
    batch, steps, feats = shape
    if feats != input_size:
        raise ValueError(
            f"this .npy array has {feats} features per step (its last dimension) but this LSTM's input_size is "
            f"{input_size}"
        )
    if steps == 0 or batch == 0:
        raise ValueError(f"this .npy array is empty (shape {list(shape)}): it needs at least one step")
    _check_steps(steps, max_steps, "the array's time dimension")
    if batch > max_batch:
        raise ValueError(f"this .npy array holds {batch} sequences, above the limit of {max_batch}")
    if batch * steps * feats * dtype.itemsize > len(data) - stream.tell():
        raise ValueError("this .npy file is cut short: its header promises more values than it holds")
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as e:  # damaged data after a sound header
        raise ValueError(f"this .npy file cannot be read ({e})") from None
    values = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float64).reshape(shape))  # [B, T, I]
    bad = ~torch.isfinite(values)
    if bad.any():
        b, t, i = (int(k) for k in bad.nonzero()[0])
        raise ValueError(
            f"sequence {b}, step {t}, feature {i} is {values[b, t, i].item()}: every value must be a finite number"
        )
    return values
