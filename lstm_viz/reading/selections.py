"""Natural selections of Python text, drawn by a stated rule: what select-and-match is measured on.

A reader selects whole things: a string, a line of a docstring, a comment, a bracketed expression, an indented
block. ``draw`` takes them from files by a fixed rule, so the set a test measures is not picked by hand:

- **string**: a string token on one line that is not a docstring, 5 to 60 characters, quotes and prefix included;
- **docstring line**: a line strictly inside a docstring (not its first or last line), without its indentation
  and newline, 10 to 80 characters;
- **comment**: a comment, ``#`` included, 10 to 80 characters;
- **bracketed expression**: a bracket and its matching bracket on the same line, both included, 5 to 60
  characters, not inside a string or comment;
- **indented block**: the body of a statement nested at least 8 columns deep, 2 to 8 whole lines (from column 0
  to the end of its last line, newline excluded), at most 400 characters.

In each file, in order, the middle one of each kind's qualifying occurrences (the one at index ``len // 2``) is
taken, until ``per_kind`` of each kind; a file ``tokenize`` cannot read is skipped.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import asdict, dataclass

from lstm_viz.tasks import corpus

PER_KIND = 10
"""Selections of each kind in the committed set (tests/data/code_selections.json: ``draw`` over ``unseen_files``)."""
KINDS = {
    "string": "string",
    "docstring line": "docstring",
    "comment": "comment",
    "bracketed expression": "brackets",
    "indented block": "indentation",
}
"""Each kind of selection and the track (``cells.TRACKS``) a cell that follows it follows."""
_OPEN, _CLOSE = "([{", ")]}"
_HEADERS = {"def", "class", "async"}


@dataclass(frozen=True)
class Selection:
    """A span of a file a reader might select.

    Attributes:
        kind: A key of ``KINDS``.
        path: The file (relative to the torch package, as the corpus names it).
        start: Offset of its first character in the file's text (as the model reads it).
        stop: One past its last character.
        line: Its first line, 1-based.
        text: The characters selected (``file[start:stop]``), to check that the file has not changed.
    """

    kind: str
    path: str
    start: int
    stop: int
    line: int
    text: str

    @property
    def track(self) -> str:
        """The track a cell that follows this selection follows."""
        return KINDS[self.kind]

    def to_dict(self) -> dict:
        """As stored in JSON."""
        return asdict(self)


def _line_starts(text: str) -> list[int]:
    starts, pos = [0], 0
    for line in text.split("\n"):
        pos += len(line) + 1
        starts.append(pos)
    return starts


def candidates(text: str) -> dict[str, list[tuple[int, int]]] | None:
    """Every qualifying span of each kind in ``text``, in order; None when ``tokenize`` cannot read it."""
    starts = _line_starts(text)

    def at(pos: tuple[int, int]) -> int:
        return starts[pos[0] - 1] + pos[1]

    found: dict[str, list[tuple[int, int]]] = {kind: [] for kind in KINDS}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    docstrings = _docstrings(tokens)
    stack: list[tokenize.TokenInfo] = []
    indents: list[tuple[int, int]] = []  # (line of the block's first line, its indentation)
    for tok in tokens:
        a, b = at(tok.start), at(tok.end)
        if tok.type == tokenize.STRING and tok.start[0] == tok.end[0] and tok.start not in docstrings:
            if 5 <= b - a <= 60:
                found["string"].append((a, b))
        elif tok.type == tokenize.STRING and tok.start in docstrings and tok.end[0] - tok.start[0] >= 2:
            for row in range(tok.start[0] + 1, tok.end[0]):
                line = text[starts[row - 1] : starts[row] - 1]
                body = line.lstrip()
                if 10 <= len(body) <= 80:
                    found["docstring line"].append((starts[row] - 1 - len(body), starts[row] - 1))
        elif tok.type == tokenize.COMMENT and 10 <= b - a <= 80:
            found["comment"].append((a, b))
        elif tok.type == tokenize.OP and tok.string in _OPEN:
            stack.append(tok)
        elif tok.type == tokenize.OP and tok.string in _CLOSE and stack:
            opened = stack.pop()
            first = at(opened.start)
            if opened.start[0] == tok.end[0] and 5 <= b - first <= 60:
                found["bracketed expression"].append((first, b))
        elif tok.type == tokenize.INDENT:
            indents.append((tok.start[0], len(tok.string.expandtabs(8))))
        elif tok.type == tokenize.DEDENT and indents:
            first_row, width = indents.pop()
            last_row = tok.start[0] - 1
            # The block ends at its last line indented as deep (blank lines and outer comments come before a dedent).
            while last_row > first_row and not _indented(text[starts[last_row - 1] : starts[last_row] - 1], width):
                last_row -= 1
            a, b = starts[first_row - 1], starts[last_row] - 1
            if width >= 8 and 2 <= last_row - first_row + 1 <= 8 and b - a <= 400:
                found["indented block"].append((a, b))
    for spans in found.values():
        spans.sort()
    return found


def _indented(line: str, width: int) -> bool:
    """Whether ``line`` has text and is indented at least ``width`` columns."""
    body = line.lstrip()
    return bool(body) and len(line[: len(line) - len(body)].expandtabs(8)) >= width


def _docstrings(tokens: list[tokenize.TokenInfo]) -> set[tuple[int, int]]:
    """Start positions of the string tokens that are docstrings (a module's, a class's or a function's)."""
    out: set[tuple[int, int]] = set()
    logical: list[tokenize.TokenInfo] = []
    first, header, indented = True, False, False
    for tok in tokens:
        if tok.type == tokenize.INDENT:
            indented = True
        elif tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            if logical:
                if len(logical) == 1 and logical[0].type == tokenize.STRING and (first or (indented and header)):
                    out.add(logical[0].start)
                header, first, indented = logical[0].string in _HEADERS, False, False
            logical = []
        elif tok.type not in (tokenize.NL, tokenize.COMMENT, tokenize.DEDENT):
            logical.append(tok)
    return out


def draw(paths: list[str] | tuple[str, ...], texts: list[str] | tuple[str, ...], per_kind: int = 10) -> list[Selection]:
    """Selections drawn by the module's rule from ``texts`` (in order), ``per_kind`` of each kind at most."""
    out: list[Selection] = []
    counts = dict.fromkeys(KINDS, 0)
    for path, text in zip(paths, texts, strict=True):
        found = candidates(text)
        if found is None:
            continue
        for kind, spans in found.items():
            if spans and counts[kind] < per_kind:
                a, b = spans[len(spans) // 2]
                out.append(Selection(kind, path, a, b, text.count("\n", 0, a) + 1, text[a:b]))
                counts[kind] += 1
        if all(n >= per_kind for n in counts.values()):
            break
    return sorted(out, key=lambda s: (list(KINDS).index(s.kind), s.path))


def unseen_files() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The files the committed set is drawn from: the fixed held-out corpus's files outside the analysis corpus.

    Never trained on, and never searched by select-and-match (which searches the analysis corpus), so a
    selection cannot match itself. Returns ``(paths, texts)`` in the corpus's order.
    """
    held, searched = corpus.held_out(), set(corpus.analysis().paths)
    kept = [(p, t) for p, t in zip(held.paths, held.texts, strict=True) if p not in searched]
    return tuple(p for p, _ in kept), tuple(t for _, t in kept)
