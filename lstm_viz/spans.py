"""Select and match (LSTMVis's match view, made simple): the cells on across a span, and where else they fire."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

MAX_CELLS = 8
"""At most this many cells describe a span (the most clearly on first): more would match nothing."""


@dataclass(frozen=True)
class SpanCell:
    """A unit that is on across a span and off around it.

    Attributes:
        unit: The unit (column of the states).
        sign: +1 when it is on above the threshold, -1 when it is on below minus the threshold.
        inside: Its weakest (sign-adjusted) value inside the span.
        outside: Its strongest (sign-adjusted) value just around it.
    """

    unit: int
    sign: int
    inside: float
    outside: float


def cells_on(values: Tensor, span: tuple[int, int], threshold: float, around: int = 1) -> list[SpanCell]:
    """The units on across ``span`` (every step beyond the threshold) and off for ``around`` steps either side.

    A unit may be on in either sign (tanh(c) and h are signed); the clearest (largest gap between its weakest
    value inside and its strongest outside) come first, at most ``MAX_CELLS``.

    Shapes: ``values`` [T, units] (e.g. tanh(c) of one text); ``span`` is ``(start, stop)``, stop excluded.

    Raises:
        ValueError: for an empty span or one outside the text.
    """
    steps = values.shape[0]
    start, stop = span
    if not 0 <= start < stop <= steps:
        raise ValueError(f"the span {start}-{stop} is not inside the text's steps 0-{steps}")
    found = []
    before = values[max(start - around, 0) : start]
    after = values[stop : stop + around]
    ring = torch.cat([before, after])  # [<= 2 * around, units]
    for sign in (1, -1):
        inside = (sign * values[start:stop]).amin(0)  # [units]
        outside = (sign * ring).amax(0) if ring.numel() else torch.full_like(inside, -float("inf"))
        on = (inside > threshold) & (outside < threshold)
        for unit in on.nonzero().flatten().tolist():
            found.append(SpanCell(unit, sign, float(inside[unit]), float(outside[unit])))
    found.sort(key=lambda c: -(c.inside - max(c.outside, -1.0)))
    return found[:MAX_CELLS]


@dataclass(frozen=True)
class Match:
    """A span of a corpus where the selected cells fire.

    Attributes:
        start: First step of the span.
        stop: One past its last step.
        overlap: Mean fraction of the selected cells on over the span (1: all of them, everywhere).
        score: ``overlap`` times the length similarity to the selected span, the ranking.
    """

    start: int
    stop: int
    overlap: float
    score: float


def match_spans(
    states: Tensor,
    cells: list[SpanCell],
    threshold: float,
    length: int,
    top: int = 10,
    exclude: tuple[int, int] | None = None,
    min_fraction: float = 0.5,
) -> list[Match]:
    """The top spans of a corpus where the same cells fire, ranked by overlap and length similarity.

    A span is a maximal run of steps where at least ``min_fraction`` of the cells are on (beyond the threshold,
    each in its sign). Its score is the mean fraction on times ``min(len, length) / max(len, length)``, so a span
    as long as the selected one ranks above a sliver or a whole file.

    Args:
        states: The corpus's states (same kind as the selection's).
        cells: The cells found on across the selected span.
        threshold: The same threshold.
        length: The selected span's length.
        top: How many spans to return.
        exclude: A span to leave out (the selection itself when it lies in this corpus).
        min_fraction: The fraction of cells that must be on.

    Shapes: ``states`` [N, units].
    """
    if not cells:
        return []
    units = torch.tensor([c.unit for c in cells])
    signs = torch.tensor([c.sign for c in cells], dtype=states.dtype)
    on = (states[:, units] * signs > threshold).float()  # [N, k]
    fraction = on.mean(1)  # [N]
    firing = (fraction >= min_fraction - 1e-9).to(torch.int8)
    edges = torch.diff(torch.cat([torch.zeros(1, dtype=torch.int8), firing, torch.zeros(1, dtype=torch.int8)]))
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
    return found[:top]


def parse_span(text: str, steps: int) -> tuple[int, int]:
    """``"12-20"`` as the span (12, 20) of a text of ``steps`` characters.

    Raises:
        ValueError: naming the problem and the allowed range.
    """
    start, sep, stop = text.strip().partition("-")
    try:
        a, b = int(start), int(stop)
    except ValueError:
        raise ValueError(f"a span is written start-stop, e.g. 12-20; {text!r} is not") from None
    if not sep or not 0 <= a < b <= steps:
        raise ValueError(f"the span {text!r} must satisfy 0 ≤ start < stop ≤ {steps} (the text's length)")
    return a, b
