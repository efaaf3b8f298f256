"""The code page's headline, measured: where its cell is on off its track, and an opening window that shows it."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from lstm_viz.i18n import DEFAULT, N_, t

ON = 0.5
"""A cell is on where its value (in the sign it follows its track with) is beyond this."""
REGIONS = {
    "docstring": N_("in docstrings"),
    "string": N_("in other strings"),
    "comment": N_("in comments"),
    "head": N_("at the start of a file, before its first def or class"),
    "code": N_("in other code"),
}
"""Where a character can be, checked in this order (the first that holds names it): words for each (English,
said with ``i18n.t``)."""
SHOWN_SHARE = 0.05
"""A region is named in the headline when at least this share of the cell's on characters lie in it."""
FIRST_LINES = 8
"""Lines of the text view on a 1280x720 first screen: the opening window shows its cell on these."""
_HEADERS = ("def ", "class ", "async def ", "@")


def file_heads(texts: list[str] | tuple[str, ...]) -> Tensor:
    """Whether each character lies before its file's first line that opens a top-level def, class or decorator.

    A file with none is all head. Shapes: -> [sum of lengths] bool.
    """
    parts = []
    for text in texts:
        head = torch.zeros(len(text), dtype=torch.bool)
        cut = len(text)
        pos = 0
        for line in text.split("\n"):
            if line.startswith(_HEADERS):
                cut = pos
                break
            pos += len(line) + 1
        head[:cut] = True
        parts.append(head)
    return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.bool)


def regions(tracks: dict[str, Tensor], heads: Tensor) -> Tensor:
    """The region (an index into ``REGIONS``) of every character: docstring, string, comment, head, else code.

    Shapes: each track and ``heads`` [N] -> [N] int64.
    """
    out = torch.full(heads.shape, list(REGIONS).index("code"), dtype=torch.int64)
    # Written from the last of the order to the first, so that the first that holds is the one kept.
    for k, name in reversed(list(enumerate(REGIONS))):
        if name == "head":
            out[heads] = k
        elif name != "code":
            out[tracks[name] > 0] = k
    return out


@dataclass(frozen=True)
class OnProfile:
    """Where a cell is on over a corpus: on its track, and in each region off it.

    Attributes:
        on: Characters where the cell is on.
        on_track: Of those, the ones inside its track (a count track: where it is above 0).
        off_track: Characters of each region (``REGIONS`` order) where it is on outside its track.
        sign: +1 when the cell follows its track with positive values, -1 with negative ones.
        total: Characters of the corpus.
        threshold: The value it is on beyond (in its sign).
    """

    on: int
    on_track: int
    off_track: tuple[int, ...]
    sign: int
    total: int
    threshold: float = ON

    @property
    def track_share(self) -> float:
        """Share of its on characters that lie inside its track."""
        return self.on_track / self.on if self.on else 0.0

    def elsewhere(self, min_share: float = SHOWN_SHARE) -> list[tuple[str, float]]:
        """The regions off its track holding at least ``min_share`` of its on characters, largest first."""
        if not self.on:
            return []
        shares = [(name, n / self.on) for name, n in zip(REGIONS, self.off_track, strict=True)]
        return sorted(((r, s) for r, s in shares if s >= min_share), key=lambda rs: -rs[1])

    def sentence(self, track_words: str, lang: str = DEFAULT) -> str:
        """'Beyond +0.5 it is on at 19,694 of 59,946 held-out characters: 79% of them inside a docstring; also ...'.

        Args:
            track_words: Where its track holds (``TrackInfo.inside``, said in ``lang``).
            lang: The language of the sentence.
        """
        sign = "+" if self.sign > 0 else "−"
        if not self.on:
            return t(
                lang,
                "It is never beyond {sign}{threshold:g} on the {total:,} held-out characters.",
                sign=sign,
                threshold=self.threshold,
                total=self.total,
            )
        values = dict(
            sign=sign,
            threshold=self.threshold,
            on=self.on,
            total=self.total,
            share=self.track_share,
            inside=t(lang, track_words),
        )
        others = self.elsewhere()
        if not others:
            return t(
                lang,
                "Beyond {sign}{threshold:g} it is on at {on:,} of {total:,} held-out characters: {share:.0%} of them "
                "{inside}; it is rarely on anywhere else.",
                **values,
            )
        words = [
            t(lang, "{region} ({share:.0%})", region=t(lang, REGIONS[name]), share=share) for name, share in others
        ]
        return t(
            lang,
            "Beyond {sign}{threshold:g} it is on at {on:,} of {total:,} held-out characters: {share:.0%} of them "
            "{inside}; also {elsewhere}.",
            elsewhere=listed(words, lang),
            **values,
        )


def listed(words: list[str], lang: str = DEFAULT) -> str:
    """'a', 'a and b', 'a, b and c' in ``lang``."""
    if len(words) <= 1:
        return "".join(words)
    comma = t(lang, ", ")
    items = comma.join(words[:-1])
    return t(lang, "{items} and {last}", items=items, last=words[-1])


def on_profile(values: Tensor, sign: int, inside: Tensor, where: Tensor, threshold: float = ON) -> OnProfile:
    """Count where a cell is on, inside its track and in each region outside it.

    Args:
        values: The cell's state over the corpus.
        sign: The sign it follows its track with (the sign of its r).
        inside: Where the track holds (a binary track's 1s, a count track's positives).
        where: Each character's region (``regions``).
        threshold: The value it is on beyond, in its sign.

    Shapes: ``values``, ``inside`` and ``where`` [N].
    """
    on = sign * values.float() > threshold
    off = on & ~inside
    counts = torch.bincount(where[off], minlength=len(REGIONS))
    return OnProfile(int(on.sum()), int((on & inside).sum()), tuple(int(c) for c in counts), sign, len(on), threshold)


@dataclass(frozen=True)
class Window:
    """Where the text view opens: a held-out file and a line, and how well its first lines show the cell.

    Attributes:
        file: Index of the file among the corpus's files.
        line: First line shown, 1-based.
        accuracy: Balanced accuracy of "on" against "inside its track" over the first ``lines`` lines.
        lines: How many lines were scored.
    """

    file: int
    line: int
    accuracy: float
    lines: int


def opening_window(
    values: Tensor, sign: int, inside: Tensor, texts: list[str] | tuple[str, ...], lines: int = FIRST_LINES
) -> Window:
    """The window of ``lines`` lines of held-out code whose characters best show the cell following its track.

    Rule: over every run of ``lines`` lines inside one file whose first line opens a def, class or decorator
    outside the track, and whose characters are 20% to 80% inside the track (both shown), the highest balanced
    accuracy of "the cell is on" against "inside the track" (the mean of the share of inside characters it is on
    at and the share of outside characters it is off at); the earliest wins a tie. With no such run: the first
    file's start.

    Shapes: ``values`` and ``inside`` [sum of the texts' lengths], the texts concatenated.
    """
    on = (sign * values.float() > ON).double()
    inside_d = inside.double()
    best = Window(0, 1, 0.0, lines)
    pos = 0
    for index, text in enumerate(texts):
        bounds = [0]
        for line in text.split("\n"):
            bounds.append(bounds[-1] + len(line) + 1)
        bounds[-1] = min(bounds[-1], len(text))
        b = torch.tensor(bounds, dtype=torch.int64) + pos

        def per_line(x: Tensor, b: Tensor = b) -> Tensor:
            c = torch.cat([torch.zeros(1, dtype=torch.float64), x.cumsum(0)])
            return c[b[1:]] - c[b[:-1]]  # [lines of the file]

        n_in, n_all = per_line(inside_d), (b[1:] - b[:-1]).double()
        tp, fp = per_line(on * inside_d), per_line(on * (1 - inside_d))
        count = len(bounds) - 1
        for first in range(max(count - lines + 1, 0)):
            start = int(b[first])
            if bool(inside[start]) or not text[start - pos :].lstrip(" \t").startswith(_HEADERS):
                continue
            sl = slice(first, first + lines)
            p, total = float(n_in[sl].sum()), float(n_all[sl].sum())
            if not 0.2 <= p / max(total, 1.0) <= 0.8:
                continue
            n = total - p
            accuracy = 0.5 * (float(tp[sl].sum()) / p + (n - float(fp[sl].sum())) / n)
            if accuracy > best.accuracy:
                best = Window(index, first + 1, accuracy, lines)
        pos += len(text)
    return best
