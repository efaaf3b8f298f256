"""Interpretable cells of a character model: per-character annotation tracks of Python text and the unit finder.

A *track* is a hypothesis about what a cell might follow, one value per character of a text: inside a string,
inside a comment, inside a docstring (binary), bracket depth, indentation of the line, column, position in a
word (counts). Strings, comments, docstrings and brackets come from the standard library's ``tokenize``; text
that does not tokenize (a fragment cut mid-string, a bad dedent, anything that is not Python) is read by
``tokenize`` as far as it goes and by a small scanner after that, so every text gets every track.
"""

from __future__ import annotations

import io
import math
import token
import tokenize
from dataclasses import dataclass

import torch
from torch import Tensor, nn

TAB = 8
"""Tab stop for the indentation and column tracks (Python's tokenize uses 8 too)."""


@dataclass(frozen=True)
class TrackInfo:
    """What a track is.

    Attributes:
        name: Short id (``"indentation"``), used in URLs.
        kind: ``"binary"`` (0/1) or ``"count"`` (0, 1, 2, ...).
        label: Words for a legend (``"indentation of the line"``).
        verb: What a cell following it does (``"counts the indentation"``).
        inside: Where it holds (a count track: where it is above 0), for a sentence (``"on an indented line"``).
    """

    name: str
    kind: str
    label: str
    verb: str
    inside: str


TRACKS: dict[str, TrackInfo] = {
    t.name: t
    for t in (
        TrackInfo("string", "binary", "inside a string", "is on inside strings", "inside a string"),
        TrackInfo("comment", "binary", "inside a comment", "is on inside comments", "inside a comment"),
        TrackInfo("docstring", "binary", "inside a docstring", "is on inside docstrings", "inside a docstring"),
        TrackInfo("brackets", "count", "bracket depth", "follows the bracket depth", "inside brackets"),
        TrackInfo("indentation", "count", "indentation of the line", "counts the indentation", "on an indented line"),
        TrackInfo(
            "column", "count", "column", "follows the column (position in the line)", "after a line's first character"
        ),
        TrackInfo("word", "count", "position in a word", "counts the characters into a word", "inside a word"),
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
        method: ``"tokenize"``, or how far tokenize read and why the scanner took over.
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
        method = f"tokenize to line {line} ({problem}), then a simple scanner"
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


# ---------------------------------------------------------------- the unit finder


@dataclass(frozen=True)
class CellFinding:
    """The unit that best follows one track, beside the best unit of the untrained weights.

    Attributes:
        track: The track's name.
        unit: The unit's index.
        state: ``"c"`` (reported as ``tanh(c)``'s unit, the cell) or ``"h"``.
        r: Pearson's r of the unit's state with the track over the text.
        untrained_unit: The best unit of the untrained weights on the same text.
        untrained_state: Its state.
        untrained_r: Its r.
    """

    track: str
    unit: int
    state: str
    r: float
    untrained_unit: int
    untrained_state: str
    untrained_r: float

    @property
    def margin(self) -> float:
        """How much more the trained unit follows the track than any untrained one: |r| - |r untrained|."""
        return abs(self.r) - abs(self.untrained_r)

    @property
    def name(self) -> str:
        """'cell 18' for a cell state, 'hidden unit 18' for h."""
        return f"cell {self.unit}" if self.state == "c" else f"hidden unit {self.unit}"

    def sentence(self) -> str:
        """'cell 18 counts the indentation, r = +0.80; untrained best 0.17'."""
        return f"{self.name} {TRACKS[self.track].verb}, r = {self.r:+.2f}; untrained best {abs(self.untrained_r):.2f}"


def correlations(states: dict[str, Tensor], values: dict[str, Tensor], chunk: int = 8192) -> dict[str, Tensor]:
    """Pearson's r of every unit of every state with every track, in float64, in chunks of characters.

    A constant unit or track gets r = 0.

    Shapes: each state [N, H]; each track [N] -> each result [tracks, H] (tracks in ``values`` order).
    """
    names = list(values)
    y = torch.stack([values[k].double() for k in names], 1)  # [N, K]
    y = y - y.mean(0)
    y_norm = y.norm(dim=0)  # [K]
    out = {}
    for state, v in states.items():
        mean = v.double().mean(0)  # [H]
        cross = torch.zeros(len(names), v.shape[1], dtype=torch.float64)
        sq = torch.zeros(v.shape[1], dtype=torch.float64)
        for s in range(0, v.shape[0], chunk):
            block = v[s : s + chunk].double() - mean  # [n, H]
            cross += y[s : s + chunk].t() @ block
            sq += (block**2).sum(0)
        denom = y_norm.view(-1, 1) * sq.sqrt().view(1, -1)  # [K, H]
        out[state] = torch.where(denom > 0, cross / denom.clamp_min(1e-300), torch.zeros_like(cross))
    return out


def _best(r: dict[str, Tensor], k: int) -> tuple[int, str, float]:
    best = (0, "c", 0.0)
    for state, table in r.items():
        unit = int(table[k].abs().argmax())
        value = float(table[k, unit])
        if math.isfinite(value) and abs(value) > abs(best[2]):
            best = (unit, state, value)
    return best


def find_cells(
    trained: dict[str, Tensor], untrained: dict[str, Tensor], values: dict[str, Tensor]
) -> list[CellFinding]:
    """For every track, the unit (of c or h) whose state follows it best, beside the untrained weights' best.

    Found by ranking every unit against every track, nothing named in advance; the clearest (largest
    margin over the untrained weights) first.

    Shapes: each state [N, H] (trained and untrained on the same N characters); each track [N].
    """
    r_trained, r_untrained = correlations(trained, values), correlations(untrained, values)
    found = []
    for k, name in enumerate(values):
        unit, state, r = _best(r_trained, k)
        u_unit, u_state, u_r = _best(r_untrained, k)
        found.append(CellFinding(name, unit, state, r, u_unit, u_state, u_r))
    return sorted(found, key=lambda f: -f.margin)


# ---------------------------------------------------------------- states of every character, from nn.LSTM


def corpus_states(lstm: nn.LSTM, x: Tensor, segments: int = 16, warmup: int = 256, chunk: int = 1024) -> dict:
    """The cell state ``c`` and hidden state ``h`` of a one-layer ``nn.LSTM`` at every character of a long text.

    ``nn.LSTM`` itself runs the text, cut into ``segments`` pieces run side by side; each piece after the first
    starts ``warmup`` characters early from a zero state (those steps are dropped), as a reader who has just
    come in. ``h`` is ``nn.LSTM``'s output; ``c`` is rebuilt from it with the same weights
    (``c_t = f_t c_(t-1) + i_t g_t``, gates from ``x_t`` and ``nn.LSTM``'s ``h_(t-1)``), restarted from
    ``nn.LSTM``'s own ``c_n`` at every chunk so rounding never accumulates; ``c_check`` is the largest
    difference between the rebuilt ``c`` and ``nn.LSTM``'s ``c_n`` at the chunk ends.

    Shapes: ``x`` [N, I] (one text, float) -> ``{"c": [N, H], "h": [N, H], "c_check": float}``.
    """
    n, hidden = x.shape[0], lstm.hidden_size
    length = -(-n // segments)
    segments = -(-n // length)
    lead = warmup if segments > 1 else 0
    # [S, lead + length, I]: segment s reads x[s*length - lead : (s+1)*length], zero input past the end.
    padded = torch.cat([x.new_zeros(lead, x.shape[1]), x, x.new_zeros(segments * length - n, x.shape[1])])
    idx = torch.arange(segments).view(-1, 1) * length + torch.arange(lead + length).view(1, -1)
    xs = padded[idx]  # [S, lead + length, I]
    w_ih, w_hh = lstm.weight_ih_l0, lstm.weight_hh_l0
    b = lstm.bias_ih_l0 + lstm.bias_hh_l0 if lstm.bias else torch.zeros(4 * hidden, dtype=x.dtype)
    hs, cs, check = [], [], 0.0
    state = None
    with torch.inference_mode():
        if lead:
            _, (h_n, c_n) = lstm(xs[:, :lead])
            h_n[:, 0], c_n[:, 0] = 0.0, 0.0  # segment 0 starts at the text's start, from a zero state
            state = (h_n, c_n)
        for s in range(lead, lead + length, chunk):
            part = xs[:, s : s + chunk]  # [S, t, I]
            h, (h_n, c_n) = lstm(part, state)  # h [S, t, H]
            h0 = state[0][0] if state is not None else h.new_zeros(segments, hidden)
            c_prev = state[1][0] if state is not None else h.new_zeros(segments, hidden)
            h_prev = torch.cat([h0.unsqueeze(1), h[:, :-1]], 1)  # [S, t, H]
            pre = part @ w_ih.t() + h_prev @ w_hh.t() + b  # [S, t, 4H]
            i, f, g, o = pre.chunk(4, -1)
            i, f, g = i.sigmoid(), f.sigmoid(), g.tanh()
            c = torch.empty_like(h)
            for t in range(part.shape[1]):
                c_prev = f[:, t] * c_prev + i[:, t] * g[:, t]
                c[:, t] = c_prev
            check = max(check, float((c[:, -1] - c_n[0]).abs().max()))
            hs.append(h)
            cs.append(c)
            state = (h_n, c_n)
    h_all = torch.cat(hs, 1)  # [S, length, H]
    c_all = torch.cat(cs, 1)
    return {
        "c": c_all.reshape(-1, hidden)[:n],
        "h": h_all.reshape(-1, hidden)[:n],
        "c_check": check,
    }


def text_tracks(texts: tuple[str, ...] | list[str]) -> dict[str, Tensor]:
    """Every track of several texts (each read on its own), concatenated. Shapes: each [sum of lengths]."""
    each = [tracks(t) for t in texts]
    return {name: torch.cat([t[name] for t in each]) for name in TRACKS}


def find_in_corpus(lstm: nn.LSTM, untrained: nn.LSTM, x: Tensor, values: dict[str, Tensor]) -> list[CellFinding]:
    """Rank every unit of ``lstm`` and of ``untrained`` against every track on one long input (``corpus_states``).

    Shapes: ``x`` [N, I]; each track [N].
    """
    trained = corpus_states(lstm, x)
    base = corpus_states(untrained, x)
    return find_cells({k: trained[k] for k in ("c", "h")}, {k: base[k] for k in ("c", "h")}, values)
