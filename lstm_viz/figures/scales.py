"""Colour scales, fixed ranges and names of every recorded quantity, shared by every view."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from lstm_viz.i18n import N_
from lstm_viz.trace import LayerTrace

# Colour-blind-safe scales, fixed by meaning so screenshots stay comparable.
GATE_SCALE = "Viridis"  # sigmoid gates, 0..1
SIGNED_SCALE = "RdBu_r"  # tanh values and signed states, symmetric around 0
ERROR_SCALE = "Cividis"  # |differences|, 0..max
SIGMOID_RANGE = (0.0, 1.0)
TANH_RANGE = (-1.0, 1.0)
CURSOR_COLOUR = "#ff7f0e"
MAX_UNITS_SHOWN = 64
"""Units per heatmap page: a screen shows no more, and it keeps each page's data under 2 MB."""

FONT = dict(family="Inter, Helvetica, Arial, sans-serif", size=13)


@dataclass(frozen=True)
class Quantity:
    """How one recorded quantity is named, ranged and coloured."""

    name: str
    title: str
    """The English title, marked for the catalogue: a figure says it with ``i18n.t(lang, title)``."""
    scale: str
    fixed_range: tuple[float, float] | None  # None: symmetric around 0 from the data


QUANTITIES = {
    "i": Quantity("i", N_("input gate i = σ(·)"), GATE_SCALE, SIGMOID_RANGE),
    "f": Quantity("f", N_("forget gate f = σ(·)"), GATE_SCALE, SIGMOID_RANGE),
    "g": Quantity("g", N_("cell candidate g = tanh(·)"), SIGNED_SCALE, TANH_RANGE),
    "o": Quantity("o", N_("output gate o = σ(·)"), GATE_SCALE, SIGMOID_RANGE),
    "c": Quantity("c", N_("cell state c"), SIGNED_SCALE, None),
    "m": Quantity("m", "m = o ⊙ tanh(c)", SIGNED_SCALE, TANH_RANGE),
    "h": Quantity("h", N_("hidden state h"), SIGNED_SCALE, TANH_RANGE),
}
STATE_ORDER = ("i", "f", "g", "o", "c", "m", "h")
SHORT_TITLES = {"i": "i (σ)", "f": "f (σ)", "g": "g (tanh)", "o": "o (σ)", "c": "c", "m": "m", "h": "h"}


def unit_pages(n_units: int, per_page: int = MAX_UNITS_SHOWN) -> list[tuple[int, int]]:
    """Split ``n_units`` into ``[start, stop)`` windows of at most ``per_page`` units."""
    return [(s, min(s + per_page, n_units)) for s in range(0, n_units, per_page)]


def symmetric_limit(t: Tensor) -> float:
    """The symmetric colour limit for a signed quantity: max |value|, at least 1e-12."""
    return max(float(t.abs().max()) if t.numel() else 0.0, 1e-12)


def quantity_range(rec: LayerTrace, name: str) -> tuple[float, float]:
    """The fixed colour range of one quantity of a layer-direction (whole record, all batch items)."""
    q = QUANTITIES[name]
    if name == "h" and rec.weights.weight_hr is not None:
        limit = symmetric_limit(rec.h)
        return (-limit, limit)
    if q.fixed_range is not None:
        return q.fixed_range
    limit = symmetric_limit(getattr(rec, name))
    return (-limit, limit)
