"""Tracks of Python text: per-character hypotheses of what a cell might follow (strings, depth, indentation...).

A *track* is a hypothesis about what a cell might follow, one value per character of a text: inside a string,
inside a comment, inside a docstring (binary), bracket depth, indentation of the line, column, position in a
word (counts). Strings, comments, docstrings and brackets come from the standard library's ``tokenize``; text
that does not tokenize (a fragment cut mid-string, a bad dedent, anything that is not Python) is read by
``tokenize`` as far as it goes and by a small scanner after that, so every text gets every track.
"""

from __future__ import annotations

import io
import token
import tokenize
from dataclasses import dataclass

import torch
from torch import Tensor

from lstm_viz.i18n import N_, msg

TAB = 8
"""Tab stop for the indentation and column tracks (Python's tokenize uses 8 too)."""


@dataclass(frozen=True)
class TrackInfo:
    """What a track is.

    Attributes:
        name: Short id (``"indentation"``), used in URLs; also its name in a figure's words (said with
            ``i18n.t``, so a figure in another language names it in that language).
        kind: ``"binary"`` (0/1) or ``"count"`` (0, 1, 2, ...).
        label: Words for a legend (``"indentation of the line"``).
        verb: What a cell following it does (``"counts the indentation"``).
        inside: Where it holds (a count track: where it is above 0), for a sentence (``"on an indented line"``).

    Every word here is English, marked for the catalogue (``N_``): a page says it with ``i18n.t(lang, words)``.
    """

    name: str
    kind: str
    label: str
    verb: str
    inside: str


TRACKS: dict[str, TrackInfo] = {
    t.name: t
    for t in (
        TrackInfo(N_("string"), N_("binary"), N_("inside a string"), N_("is on inside strings"), N_("inside a string")),
        TrackInfo(
            N_("comment"), N_("binary"), N_("inside a comment"), N_("is on inside comments"), N_("inside a comment")
        ),
        TrackInfo(
            N_("docstring"),
            N_("binary"),
            N_("inside a docstring"),
            N_("is on inside docstrings"),
            N_("inside a docstring"),
        ),
        TrackInfo(
            N_("brackets"), N_("count"), N_("bracket depth"), N_("follows the bracket depth"), N_("inside brackets")
        ),
        TrackInfo(
            N_("indentation"),
            N_("count"),
            N_("indentation of the line"),
            N_("counts the indentation"),
            N_("on an indented line"),
        ),
        TrackInfo(
            N_("column"),
            N_("count"),
            N_("column"),
            N_("follows the column (position in the line)"),
            N_("after a line's first character"),
        ),
        TrackInfo(
            N_("word"),
            N_("count"),
            N_("position in a word"),
            N_("counts the characters into a word"),
            N_("inside a word"),
        ),
    )
}
"""Every track, in display order."""
TARGET_TRACKS = ("string", "comment", "brackets", "indentation", "column")
"""The tracks the `code` task's target is stated over."""

_OPEN, _CLOSE = "([{", ")]}"
_PREFIX = set("rRbBuUfF")
_WORD = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_HEADERS = {"def", "class", "async"}
_FSTRING_START = getattr(token, "FSTRING_START", -1)
_FSTRING_END = getattr(token, "FSTRING_END", -1)


@dataclass(frozen=True)
class Tracks:
    """Every track of one text.

    Attributes:
        text: The text.
        values: Track name -> values, one per character. Shapes: each [len(text)] float64.
        method: ``"tokenize"``, or how far tokenize read and why the scanner took over (an ``i18n.Message``).
    """

    text: str
    values: dict[str, Tensor]
    method: str

    def __getitem__(self, name: str) -> Tensor:
        """The values of track ``name``."""
        return self.values[name]

    def window(self, start: int, stop: int) -> Tracks:
        """The tracks of ``text[start:stop]`` as read in the whole text (a string opened before stays open)."""
        return Tracks(self.text[start:stop], {k: v[start:stop] for k, v in self.values.items()}, self.method)


def _lines(text: str) -> list[str]:
    r"""Lines split at ``\n`` only (the newline kept), unlike ``str.splitlines``, which also splits at ``\r``."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    return lines + [parts[-1]] if parts[-1] else lines


def indentation(text: str) -> Tensor:
    """Width of the leading whitespace of each character's line (tabs to the next multiple of ``TAB``).

    Every character of a line, its newline included, gets the line's indentation; blank lines get 0.
    Shapes: [len(text)] float64.
    """
    out = torch.zeros(len(text), dtype=torch.float64)
    pos = 0
    for line in _lines(text):
        width = 0
        for ch in line:
            if ch == " ":
                width += 1
            elif ch == "\t":
                width = (width // TAB + 1) * TAB
            else:
                break
        if line.strip() == "":
            width = 0
        out[pos : pos + len(line)] = width
        pos += len(line)
    return out


def _columns_and_words(text: str) -> tuple[list[int], list[int]]:
    columns, words = [0] * len(text), [0] * len(text)
    col = run = 0
    for k, ch in enumerate(text):
        columns[k] = col
        run = run + 1 if ch in _WORD else 0
        words[k] = run
        if ch == "\n":
            col = 0
        elif ch == "\t":
            col = (col // TAB + 1) * TAB
        else:
            col += 1
    return columns, words


class _Marks:
    """Per-character marks filled by the tokenize pass and the scanner."""

    def __init__(self, n: int) -> None:
        self.string = bytearray(n)
        self.comment = bytearray(n)
        self.docstring = bytearray(n)
        self.delta = [0] * (n + 1)  # bracket depth changes, applied at their character

    def fill(self, mark: bytearray, start: int, end: int) -> None:
        mark[start:end] = b"\x01" * (end - start)


def _offsets(text: str) -> list[int]:
    starts, pos = [], 0
    for line in _lines(text):
        starts.append(pos)
        pos += len(line)
    starts.append(pos)
    return starts


def _tokenize(text: str, marks: _Marks) -> tuple[int, int, str | None]:
    """Mark strings, comments, docstrings and brackets from ``tokenize``.

    Returns ``(offset, depth, problem)``: how far the tokens reached, the bracket depth there, and why tokenize
    stopped early (None when it read everything).
    """
    line_at = _offsets(text)

    def offset(pos: tuple[int, int]) -> int:
        row, col = pos
        return min(line_at[min(row - 1, len(line_at) - 1)] + col, len(text))

    reached, depth, fstrings = 0, 0, []
    logical: list[tokenize.TokenInfo] = []
    previous_header = False  # the last logical line was a def/class header
    indented = False  # an INDENT came since the last logical line
    first_statement = True
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            start, end = offset(tok.start), offset(tok.end)
            if tok.type == _FSTRING_START:
                fstrings.append(start)
            elif tok.type == _FSTRING_END and fstrings:
                s = fstrings.pop()
                if not fstrings:
                    marks.fill(marks.string, s, end)
            elif fstrings:
                pass  # f-string contents: inside a string whatever the tokens are
            elif tok.type == tokenize.STRING:
                marks.fill(marks.string, start, end)
            elif tok.type == tokenize.COMMENT:
                marks.fill(marks.comment, start, end)
            elif tok.type == tokenize.OP and tok.string in _OPEN:
                depth += 1
                marks.delta[start] += 1
            elif tok.type == tokenize.OP and tok.string in _CLOSE and depth > 0:
                depth -= 1
                marks.delta[start] -= 1
            elif tok.type == tokenize.ERRORTOKEN and tok.string in ("'", '"'):
                # Python 3.11 reads an unterminated one-line string as a lone quote: the rest of the line is it.
                stop = text.find("\n", start)
                marks.fill(marks.string, start, len(text) if stop < 0 else stop)
            if tok.type == tokenize.INDENT:
                indented = True
            elif tok.type == tokenize.NEWLINE or tok.type == tokenize.ENDMARKER:
                if logical:
                    if all(t.type == tokenize.STRING for t in logical) and (
                        first_statement or (indented and previous_header)
                    ):
                        marks.fill(marks.docstring, offset(logical[0].start), offset(logical[-1].end))
                    previous_header = logical[0].string in _HEADERS
                    first_statement = False
                    indented = False
                logical = []
            elif tok.type not in (tokenize.NL, tokenize.COMMENT, tokenize.DEDENT, _FSTRING_END) and not fstrings:
                logical.append(tok)
            reached = max(reached, end)
    except (tokenize.TokenError, SyntaxError) as err:
        return reached, depth, f"{type(err).__name__}: {err.args[0] if err.args else err}"
    return len(text), depth, None


def _scan(text: str, start: int, depth: int, marks: _Marks) -> None:
    """Mark strings, comments and brackets from ``start`` on without tokenize (any text, however broken)."""
    n, k = len(text), start
    while k < n:
        ch = text[k]
        if ch == "#":
            stop = text.find("\n", k)
            stop = n if stop < 0 else stop
            marks.fill(marks.comment, k, stop)
            k = stop
            continue
        p = k
        if ch in _PREFIX and (k == 0 or text[k - 1] not in _WORD):
            while p < n and p - k < 2 and text[p] in _PREFIX:
                p += 1
        if p < n and text[p] in "'\"" and (p == k or text[k - 1 : k] not in _WORD or k == 0):
            quote = text[p]
            triple = text.startswith(quote * 3, p)
            j = p + (3 if triple else 1)
            while j < n:
                c = text[j]
                if c == "\\":
                    j += 2
                    continue
                if triple and text.startswith(quote * 3, j):
                    j += 3
                    break
                if not triple and c == quote:
                    j += 1
                    break
                if not triple and c == "\n":
                    break
                j += 1
            j = min(j, n)
            marks.fill(marks.string, k, j)
            line_start = text.rfind("\n", 0, k) + 1
            if triple and text[line_start:k].strip() == "":
                marks.fill(marks.docstring, k, j)
            k = j
            continue
        if ch in _OPEN:
            depth += 1
            marks.delta[k] += 1
        elif ch in _CLOSE and depth > 0:
            depth -= 1
            marks.delta[k] -= 1
        k += 1


def tracks(text: str) -> Tracks:
    """Every track of ``text`` (see the module docstring), computed with ``tokenize`` where it can read the text.

    Conventions: a string's quotes and prefix are inside it; a comment runs from ``#`` to the end of its line
    (newline excluded); the bracket depth at a bracket counts that bracket (``(`` raises it, ``)`` lowers it),
    brackets inside strings and comments do not count; columns start at 0; the word position is 1 at a word's
    first character and 0 outside words (words are runs of letters, digits and ``_``).
    """
    marks = _Marks(len(text))
    reached, depth, problem = _tokenize(text, marks)
    method = "tokenize"
    if problem is not None:
        _scan(text, reached, depth, marks)
        line = text.count("\n", 0, reached) + 1
        method = msg("tokenize to line {line} (`{problem}`), then a simple scanner", line=line, problem=problem)
    depth_values = torch.tensor(marks.delta[: len(text)], dtype=torch.float64).cumsum(0)
    columns, words = _columns_and_words(text)

    def binary(mark: bytearray) -> Tensor:
        return torch.frombuffer(bytearray(mark), dtype=torch.uint8).double() if mark else torch.zeros(0).double()

    values = {
        "string": binary(marks.string),
        "comment": binary(marks.comment),
        "docstring": binary(marks.docstring),
        "brackets": depth_values,
        "indentation": indentation(text),
        "column": torch.tensor(columns, dtype=torch.float64),
        "word": torch.tensor(words, dtype=torch.float64),
    }
    return Tracks(text, values, method)
