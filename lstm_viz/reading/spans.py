"""Select and match (LSTMVis's match view, made simple): the cells a span stands out in, and where else they fire.

A span names its cells without a threshold: the units whose values across it sit furthest from where they
usually are on held-out code. The threshold only says where a named cell is on, so a lower one finds every
character a higher one found, and more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from lstm_viz.i18n import msg

NAMED = 3
"""Cells named for a span: the three that stand out most in it."""
LEVEL = 0.2
"""A span's level of a unit is the value that 4 in 5 of its characters reach (in the unit's sign)."""
MIN_STD = 0.05
"""A unit that hardly moves on held-out code is measured against at least this spread (values lie in -1..1)."""
FOLLOWS = 0.3
"""A cell follows a track when its r with it, in the cell's sign, is at least this on held-out code."""
THRESHOLDS = (0.1, 0.95)
"""Where a reader may say a cell is on: beyond ± this much (tanh(c) and h lie in -1..1)."""
MIN_FRACTION = 0.5
"""A match is where at least this fraction of the named cells are on together."""


@dataclass(frozen=True)
class Baseline:
    """Where each unit usually sits on held-out code: the mean and spread of one state over the corpus.

    Shapes: ``mean`` and ``std`` [units].
    """

    mean: Tensor
    std: Tensor

    @classmethod
    def of(cls, states: Tensor) -> Baseline:
        """The baseline of ``states`` [N, units] (e.g. tanh(c) over the held-out corpus)."""
        v = states.float()
        return cls(v.mean(0), v.std(0).clamp_min(MIN_STD))


@dataclass(frozen=True)
class SpanCell:
    """A unit that stands out across a span.

    Attributes:
        unit: The unit (column of the states).
        sign: +1 when it stands out above its usual values, -1 below.
        level: The value (times ``sign``) that 4 in 5 of the span's characters reach.
        score: How far that level lies from the unit's mean on held-out code, in its standard deviations.
    """

    unit: int
    sign: int
    level: float
    score: float


def name_cells(values: Tensor, span: tuple[int, int], base: Baseline, top: int = NAMED) -> list[SpanCell]:
    """The ``top`` units that stand out most across ``span``, in either sign, the most first.

    A unit's score in a sign is ``(level - sign * mean) / std``, its level being the value 4 in 5 of the
    span's characters reach (``LEVEL``): a unit on across the whole span and seldom that far on elsewhere
    scores high; one that flickers in the span or is always on does not. No threshold is involved.

    Shapes: ``values`` [T, units] (the text's states, the same kind as ``base``); ``span`` is ``(start, stop)``,
    stop excluded.

    Raises:
        ValueError: for an empty span or one outside the text.
    """
    steps = values.shape[0]
    start, stop = span
    if not 0 <= start < stop <= steps:
        raise ValueError(
            msg("the span {start}-{stop} is not inside the text's steps 0-{steps}", start=start, stop=stop, steps=steps)
        )
    inside = values[start:stop].float()  # [n, units]
    low, high = inside.quantile(LEVEL, dim=0), inside.quantile(1 - LEVEL, dim=0)
    scores = torch.cat([(low - base.mean) / base.std, (base.mean - high) / base.std])  # [2 * units]
    order = torch.argsort(-scores, stable=True)[:top].tolist()  # a tie keeps the lower unit, above first
    units = values.shape[1]
    out = []
    for k in order:
        unit, sign = k % units, 1 if k < units else -1
        out.append(SpanCell(unit, sign, float(low[unit] if sign > 0 else -high[unit]), float(scores[k])))
    return out


def share_on(values: Tensor, span: tuple[int, int], cells: list[SpanCell], threshold: float) -> list[float]:
    """For each cell, the share of the span's characters where it is beyond ``threshold`` in its sign.

    Shapes: ``values`` [T, units].
    """
    inside = values[span[0] : span[1]].float()
    return [float((c.sign * inside[:, c.unit] > threshold).float().mean()) for c in cells]


@dataclass(frozen=True)
class Match:
    """A span of a corpus where the named cells fire.

    Attributes:
        start: First step of the span.
        stop: One past its last step.
        overlap: Mean fraction of the named cells on over the span (1: all of them, everywhere).
        score: ``overlap`` times the length similarity to the selected span, the ranking.
    """

    start: int
    stop: int
    overlap: float
    score: float


def firing(states: Tensor, cells: list[SpanCell], threshold: float) -> Tensor:
    """The fraction of ``cells`` beyond ``threshold`` (each in its sign) at every step.

    Shapes: ``states`` [N, units] -> [N] float32.
    """
    units = torch.tensor([c.unit for c in cells])
    signs = torch.tensor([c.sign for c in cells], dtype=torch.float32)
    return (states[:, units].float() * signs > threshold).float().mean(1)


def match_spans(
    states: Tensor,
    cells: list[SpanCell],
    threshold: float,
    length: int,
    exclude: tuple[int, int] | None = None,
    min_fraction: float = MIN_FRACTION,
) -> list[Match]:
    """Every span of a corpus where the named cells fire, ranked by overlap and length similarity.

    A span is a maximal run of steps where at least ``min_fraction`` of the cells are beyond the threshold
    (each in its sign): a lower threshold only adds steps, so every step matched at a threshold is matched
    at any lower one. Its score is the mean fraction on times ``min(len, length) / max(len, length)``, so a
    span as long as the selected one ranks above a sliver or a whole file.

    Args:
        states: The corpus's states (same kind as the selection's).
        cells: The cells named for the selection.
        threshold: Where a cell is on.
        length: The selected span's length.
        exclude: A span to leave out (the selection itself when it lies in this corpus).
        min_fraction: The fraction of cells that must be on.

    Shapes: ``states`` [N, units].
    """
    if not cells:
        return []
    fraction = firing(states, cells, threshold)  # [N]
    on = (fraction >= min_fraction - 1e-6).to(torch.int8)
    edges = torch.diff(torch.cat([torch.zeros(1, dtype=torch.int8), on, torch.zeros(1, dtype=torch.int8)]))
    starts = (edges == 1).nonzero().flatten().tolist()
    stops = (edges == -1).nonzero().flatten().tolist()
    cumulative = torch.cat([torch.zeros(1, dtype=torch.float64), fraction.double().cumsum(0)])
    found = []
    for a, b in zip(starts, stops, strict=True):
        if exclude is not None and a < exclude[1] and exclude[0] < b:
            continue
        overlap = float(cumulative[b] - cumulative[a]) / (b - a)
        similar = min(b - a, length) / max(b - a, length)
        found.append(Match(a, b, overlap, overlap * similar))
    found.sort(key=lambda m: (-m.score, m.start))
    return found


def clearest_track(r: Tensor, cell: SpanCell) -> tuple[int, float]:
    """The track a named cell follows best in its sign, and its r with it (negative for a cell on below).

    Shapes: ``r`` [tracks, units], Pearson's r of each unit with each track on held-out code.
    """
    signed = cell.sign * r[:, cell.unit]
    k = int(signed.argmax())
    return k, float(r[k, cell.unit])


def follows(r: Tensor, cell: SpanCell, track: int, at_least: float = FOLLOWS) -> bool:
    """Whether a named cell follows a track: its r with the track, in the cell's sign, is at least ``at_least``.

    Shapes: ``r`` [tracks, units], Pearson's r of each unit with each track on held-out code.
    """
    return cell.sign * float(r[track, cell.unit]) >= at_least


def cells_needed(cells: int, min_fraction: float = MIN_FRACTION) -> int:
    """How many of ``cells`` named cells must be on together for ``match_spans`` to count a step (at least 1)."""
    return max(math.ceil(cells * min_fraction - 1e-6), 1)


@dataclass(frozen=True)
class NamedCell:
    """A cell named for a span, measured: where it usually sits, how much of the span it is on, what it follows.

    Attributes:
        cell: The cell and how it stands out (``name_cells``).
        usually: Its mean on held-out code (the baseline's).
        share: The share of the span's characters where it is beyond the threshold in its sign.
        track: Its clearest track in its sign (an index into the tracks of ``r``).
        track_r: Its r with that track on held-out code.
    """

    cell: SpanCell
    usually: float
    share: float
    track: int
    track_r: float

    @property
    def follows(self) -> bool:
        """Whether it clearly follows its clearest track (``FOLLOWS``, in its sign)."""
        return self.cell.sign * self.track_r >= FOLLOWS


def named_cells(
    values: Tensor, span: tuple[int, int], base: Baseline, r: Tensor, threshold: float, top: int = NAMED
) -> list[NamedCell]:
    """The ``top`` cells that stand out across ``span`` (``name_cells``), each measured for the reader.

    Shapes: ``values`` [T, units] (the text's states, the kind of ``base``); ``r`` [tracks, units], Pearson's r
    of each unit with each track on held-out code.

    Raises:
        ValueError: for an empty span or one outside the text.
    """
    named = name_cells(values, span, base, top)
    shares = share_on(values, span, named, threshold)
    out = []
    for c, share in zip(named, shares, strict=True):
        k, r_k = clearest_track(r, c)
        out.append(NamedCell(c, float(base.mean[c.unit]), share, k, r_k))
    return out


def word_span(text: str, k: int) -> tuple[int, int]:
    """The word (a run of letters, digits and ``_``) character ``k`` of ``text`` is in, or that character alone."""
    if not text[k].isalnum() and text[k] != "_":
        return k, k + 1
    start, stop = k, k + 1
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    while stop < len(text) and (text[stop].isalnum() or text[stop] == "_"):
        stop += 1
    return start, stop


def parse_span(text: str, steps: int) -> tuple[int, int]:
    """``"12-20"`` as the span (12, 20) of a text of ``steps`` characters.

    Raises:
        ValueError: naming the problem and the allowed range.
    """
    start, sep, stop = text.strip().partition("-")
    try:
        a, b = int(start), int(stop)
    except ValueError:
        raise ValueError(msg("a span is written start-stop, e.g. 12-20; {text} is not", text=repr(text))) from None
    if not sep or not 0 <= a < b <= steps:
        raise ValueError(
            msg(
                "the span {text} must satisfy 0 ≤ start < stop ≤ {steps} (the text's length)",
                text=repr(text),
                steps=steps,
            )
        )
    return a, b
