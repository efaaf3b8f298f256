"""The time cursor in a link: the step (and unit) a page opens at, read from URL values without ever raising."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lstm_viz.i18n import msg
from lstm_viz.settings import quoted

STEP_KEY = "t"
"""The query parameter of the step a page opens at (``?t=12``); the share dialog writes it."""
UNIT_KEY = "unit"
"""The query parameter of the unit picked with the step (``&unit=3``)."""


def _integer(value: object) -> int | None:
    """``value`` as an integer (``"12"``, ``12``, ``"12.0"``), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def parse_step(value: object, steps: int) -> tuple[int, str | None]:
    """The step a link asks for, clamped into ``0..steps-1``, and a message when it was not taken as written.

    Args:
        value: The URL value (a string, or None when the link has none).
        steps: The run's sequence length T (at least 1).

    Returns:
        ``(t, message)``: ``message`` is None when the value was used as written (or absent); otherwise it
        names the value and the limit, and ``t`` is the nearest step (0 for an unreadable value).
    """
    last = max(steps - 1, 0)
    if value is None or value == "":
        return 0, None
    t = _integer(value)
    if t is None:
        return 0, msg(
            "{key}={value} is not a whole number: the page opens at step 0 (steps are 0..{last}).",
            key=STEP_KEY,
            value=quoted(str(value)),
            last=last,
        )
    if t < 0 or t > last:
        clamped = min(max(t, 0), last)
        return clamped, msg(
            "{key}={value} is outside this run's steps 0..{last}: the page opens at step {clamped}.",
            key=STEP_KEY,
            value=quoted(str(value)),
            last=last,
            clamped=clamped,
        )
    return t, None


def parse_unit(value: object, window: tuple[int, int]) -> tuple[int | None, str | None]:
    """The unit a link asks for inside the shown ``[start, stop)`` window, or None, with a message when not taken.

    A unit outside the window (or unreadable) is dropped rather than clamped: a neighbouring unit is a
    different unit, not a nearby value.
    """
    if value is None or value == "":
        return None, None
    unit = _integer(value)
    start, stop = window
    if unit is None:
        return None, msg(
            "{key}={value} is not a whole number: no unit is picked (units are {start}..{last}).",
            key=UNIT_KEY,
            value=quoted(str(value)),
            start=start,
            last=stop - 1,
        )
    if not start <= unit < stop:
        return None, msg(
            "{key}={value} is outside the units shown, {start}..{last}: no unit is picked.",
            key=UNIT_KEY,
            value=quoted(str(value)),
            start=start,
            last=stop - 1,
        )
    return unit, None


def clicked_cell(points: Sequence[Mapping[str, Any]]) -> tuple[int | None, int | None]:
    """The step and unit of a clicked point of the Gates figure, from Streamlit's selection points.

    A cell point carries ``customdata`` ``[unit, value]``; a point of the input strip carries none (a step only).
    Returns ``(None, None)`` when nothing usable was clicked.
    """
    if not points:
        return None, None
    point = points[0]
    t = _integer(point.get("x"))
    data = point.get("customdata")
    # A row of a 2-D typed array reaches Python as {"0": unit, "1": value}; a plain list as [unit, value].
    first = (
        data.get("0") if isinstance(data, Mapping) else data[0] if isinstance(data, (list, tuple)) and data else None
    )
    unit = _integer(round(float(first))) if isinstance(first, (int, float)) else None
    return t, unit
