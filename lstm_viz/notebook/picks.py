"""Which part of a run a view draws: layer, direction, batch item, step and units, each checked against the run."""

from __future__ import annotations

from dataclasses import dataclass

from lstm_viz.figures import MAX_UNITS_SHOWN
from lstm_viz.i18n import N_, msg
from lstm_viz.trace import LayerTrace, LSTMTrace

DIRECTIONS = ("forward", "reverse")
ROWS = {"unit": N_("units"), "output feature": N_("output features")}
"""What a window's rows are, in the plural its messages say (``units_window``'s ``what``)."""


@dataclass(frozen=True)
class Pick:
    """One layer-direction, one sequence, a window of units and a step of a traced run.

    Attributes:
        record: The layer-direction's record.
        batch_item: The sequence.
        units: ``[start, stop)`` of the units drawn, at most ``MAX_UNITS_SHOWN``.
        t: The step (the cursor, the step shown).
        unit: A unit picked inside ``units``, or None.
    """

    record: LayerTrace
    batch_item: int
    units: tuple[int, int]
    t: int
    unit: int | None


def _whole(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(msg("{name} must be a whole number; it was given {value!r}", name=name, value=value))
    return value


def units_window(units: object, n: int, unit: int | None = None, what: str = "unit") -> tuple[int, int]:
    """``[start, stop)`` of the units to draw: as given, else the page of ``MAX_UNITS_SHOWN`` holding ``unit``.

    Args:
        units: ``(start, stop)``, a ``range`` with step 1, or None.
        n: How many units there are.
        unit: A unit that must be inside the window, or None.
        what: What the rows are (``"unit"``, ``"output feature"``: a key of ``ROWS``), for messages.

    Raises:
        ValueError: for a window outside ``0..n``, empty, or wider than ``MAX_UNITS_SHOWN``.
    """
    if units is None:
        first = 0 if unit is None else unit // MAX_UNITS_SHOWN * MAX_UNITS_SHOWN
        return first, min(first + MAX_UNITS_SHOWN, n)
    if isinstance(units, range) and units.step == 1:
        units = (units.start, units.stop)
    rows = msg(ROWS[what])
    if not (isinstance(units, (tuple, list)) and len(units) == 2):
        raise TypeError(
            msg(
                "units is a window (start, stop) of {rows}, e.g. (0, {stop}); it was given {units!r}",
                rows=rows,
                stop=min(n, 16),
                units=units,
            )
        )
    start, stop = (_whole("units", u) for u in units)
    if not 0 <= start < stop <= n:
        raise ValueError(
            msg(
                "units=({start}, {stop}) is not a window of this LSTM's {rows}: 0 <= start < stop <= {n}",
                start=start,
                stop=stop,
                rows=rows,
                n=n,
            )
        )
    if stop - start > MAX_UNITS_SHOWN:
        raise ValueError(
            msg(
                "units=({start}, {stop}) spans {count} {rows}; a view draws at most {most} at once: "
                "e.g. units=({start}, {end})",
                start=start,
                stop=stop,
                count=stop - start,
                rows=rows,
                most=MAX_UNITS_SHOWN,
                end=start + MAX_UNITS_SHOWN,
            )
        )
    if unit is not None and not start <= unit < stop:
        raise ValueError(
            msg(
                "unit={unit} is outside units=({start}, {stop}): pick a window that holds it",
                unit=unit,
                start=start,
                stop=stop,
            )
        )
    return start, stop


def pick(
    tr: LSTMTrace,
    layer: int = 0,
    direction: str = "forward",
    batch_item: int = 0,
    t: int | None = None,
    units: object = None,
    unit: int | None = None,
    default_t: int = 0,
) -> Pick:
    """The part of ``tr`` a view draws; ``t`` counts from the end when negative, as Python's indices do.

    Raises:
        TypeError: for an argument of the wrong kind.
        ValueError: for a layer, direction, batch item, step, unit or window the run does not have, naming its range.
    """
    layer, batch_item = _whole("layer", layer), _whole("batch_item", batch_item)
    if not 0 <= layer < tr.num_layers:
        raise ValueError(
            msg(
                "layer={layer}: this LSTM has num_layers={n}, so layer is 0..{last}",
                layer=layer,
                n=tr.num_layers,
                last=tr.num_layers - 1,
            )
        )
    if direction not in DIRECTIONS:
        raise ValueError(
            msg(
                "direction={direction!r} is not one of {choices}",
                direction=direction,
                choices=", ".join(map(repr, DIRECTIONS)),
            )
        )
    if direction == "reverse" and not tr.bidirectional:
        raise ValueError(msg("direction='reverse': this LSTM is not bidirectional, it has only the forward direction"))
    rec = tr.layer(layer, reverse=direction == "reverse")
    batch = rec.c.shape[0]
    if not tr.batched and batch_item != 0:
        raise ValueError(
            msg(
                "batch_item={batch_item}: x is unbatched ([T, I]), so there is one sequence, batch_item=0",
                batch_item=batch_item,
            )
        )
    if not 0 <= batch_item < batch:
        raise ValueError(
            msg(
                "batch_item={batch_item}: x holds {batch} sequences, so batch_item is 0..{last}",
                batch_item=batch_item,
                batch=batch,
                last=batch - 1,
            )
        )
    steps = rec.steps
    t = default_t if t is None else _whole("t", t)
    if not -steps <= t < steps:
        raise ValueError(
            msg(
                "t={t} is outside the run's steps 0..{last} (or -{steps}..-1 from the end)",
                t=t,
                last=steps - 1,
                steps=steps,
            )
        )
    hidden = rec.c.shape[-1]
    if unit is not None:
        unit = _whole("unit", unit)
        if not 0 <= unit < hidden:
            raise ValueError(
                msg(
                    "unit={unit}: this LSTM has hidden_size={hidden}, so unit is 0..{last}",
                    unit=unit,
                    hidden=hidden,
                    last=hidden - 1,
                )
            )
    return Pick(rec, batch_item, units_window(units, hidden, unit), t % steps, unit)
