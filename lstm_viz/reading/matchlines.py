"""Matches shown as a reader finds them: each in its line of code, the matched characters marked, grouped by kind."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
from torch import Tensor

from lstm_viz.i18n import DEFAULT, N_, t, tn
from lstm_viz.reading.spans import Match

GROUPS = {
    "docstring": N_("in docstrings"),
    "string": N_("in strings"),
    "comment": N_("in comments"),
    "code": N_("in code"),
}
"""What a match can be (the kind most of its characters have), in the order shown, and words for each (English,
said with ``i18n.t``)."""
SHOWN = 4
"""Matches shown per group (the best ranked); the rest are counted."""
CONTEXT = 48
"""Characters of the line shown either side of the marked ones."""
MARKED_MAX = 90
"""Marked characters shown at most (a longer match ends in '…')."""
MARK_STYLE = "background:rgba(255,127,14,0.35);outline:1.5px solid #ff7f0e;color:inherit;padding:0"


def kind_counts(tracks: dict[str, Tensor]) -> dict[str, np.ndarray]:
    """Running counts of the docstring, string and comment characters of a text, for ``group_of``.

    Shapes: each track [N] -> each [N + 1] int64 (the count before each character, and the total).
    """
    return {
        k: np.concatenate([[0], np.cumsum((tracks[k] > 0).numpy(), dtype=np.int64)])
        for k in ("docstring", "string", "comment")
    }


def group_of(counts: dict[str, np.ndarray], start: int, stop: int) -> str:
    """The kind most of ``[start, stop)`` is: docstring, string, comment (by their tracks), else code.

    ``counts`` is ``kind_counts`` of the text the span lies in.
    """
    n = stop - start
    shares = {k: (int(c[stop]) - int(c[start])) / n for k, c in counts.items()}
    # A docstring is a string too: it is named as a docstring when most of the span is one.
    if shares["docstring"] > 0.5:
        return "docstring"
    kind = max(("string", "comment"), key=lambda k: shares[k])
    return kind if shares[kind] > 0.5 else "code"


@dataclass(frozen=True)
class MatchLine:
    """One match in the line of code it starts on.

    Attributes:
        path: The file.
        line: The line's number, 1-based.
        before: The line's characters shown before the marked ones ('…' where cut).
        marked: The matched characters on this line.
        after: The line's characters shown after them ('…' where cut).
        more_lines: Further lines the match runs on to.
        overlap: The share of the named cells on over the match.
    """

    path: str
    line: int
    before: str
    marked: str
    after: str
    more_lines: int
    overlap: float


def match_line(text: str, paths: tuple[str, ...], starts: tuple[int, ...], m: Match) -> MatchLine:
    """The line of corpus ``text`` where match ``m`` starts, cut to ``CONTEXT`` characters around it."""
    file = max(k for k, s in enumerate(starts) if s <= m.start)
    first = text.rfind("\n", 0, m.start) + 1
    end = text.find("\n", m.start)
    end = len(text) if end < 0 else end
    stop = min(m.stop, end)
    left, right = max(first, m.start - CONTEXT), min(end, stop + CONTEXT)
    # The line's indentation is not shown (the line number places it): a match can start inside it.
    before = ("…" if left > first else "") + text[left : m.start].lstrip(" \t")
    after = text[stop:right] + ("…" if right < end else "")
    marked = text[m.start : stop] or "↵"
    if len(marked) > MARKED_MAX:
        marked, after = marked[: MARKED_MAX - 1] + "…", ""
    return MatchLine(
        paths[file],
        text.count("\n", starts[file], m.start) + 1,
        before,
        marked,
        after,
        text.count("\n", m.start, m.stop - 1),
        m.overlap,
    )


@dataclass(frozen=True)
class MatchGroups:
    """Every match of a selection, grouped: each group's count and its best-ranked matches as lines."""

    counts: dict[str, int]
    lines: dict[str, list[MatchLine]]

    @property
    def total(self) -> int:
        """How many matches in all."""
        return sum(self.counts.values())


def group_matches(
    text: str, paths: tuple[str, ...], starts: tuple[int, ...], kinds: dict[str, np.ndarray], matches: list[Match]
) -> MatchGroups:
    """Sort ranked matches of corpus ``text`` into ``GROUPS``, keeping the ``SHOWN`` best of each as lines.

    ``kinds`` is ``kind_counts`` of the corpus's tracks.
    """
    counts = dict.fromkeys(GROUPS, 0)
    lines: dict[str, list[MatchLine]] = {g: [] for g in GROUPS}
    for m in matches:
        g = group_of(kinds, m.start, m.stop)
        counts[g] += 1
        if len(lines[g]) < SHOWN:
            lines[g].append(match_line(text, paths, starts, m))
    return MatchGroups(counts, lines)


def _shown(s: str) -> str:
    return html.escape(s.replace("\t", "⇥"))


def _count_words(n: int, shown: int, lang: str) -> str:
    """'1 match', '3 matches', '12 matches, the 4 best shown' in ``lang``."""
    if shown < n:
        return t(lang, "{n:,} matches, the {shown} best shown", n=n, shown=shown)
    return tn(lang, "{n:,} match", "{n:,} matches", n)


def groups_html(groups: MatchGroups, lang: str = DEFAULT) -> str:
    """The groups as one HTML table: a heading row per group with its count, then each match's line, in ``lang``.

    Everything from the corpus is escaped; the marked characters sit in a ``<mark>``.
    """
    rows = []
    for g, words in GROUPS.items():
        n = groups.counts[g]
        if not n:
            continue
        rows.append(
            f'<tr><td colspan="2" style="padding:0.6em 0 0.1em 0;border:none"><b>{t(lang, words)}</b> · '
            f"{_count_words(n, len(groups.lines[g]), lang)}</td></tr>"
        )
        for m in groups.lines[g]:
            more = t(lang, "(+{n} lines)", n=m.more_lines)
            more = f' <span style="color:#888">{more}</span>' if m.more_lines else ""
            rows.append(
                '<tr><td style="white-space:nowrap;color:#666;padding:1px 10px 1px 0;border:none;'
                f'vertical-align:top">{html.escape(m.path)}:{m.line}</td>'
                '<td style="padding:1px 0;border:none"><code style="white-space:pre-wrap;word-break:break-all">'
                f'{_shown(m.before)}<mark style="{MARK_STYLE}">{_shown(m.marked)}</mark>{_shown(m.after)}'
                f"</code>{more}</td></tr>"
            )
    return f'<table style="border:none;margin:0;font-size:0.85em;width:100%">{"".join(rows)}</table>'
