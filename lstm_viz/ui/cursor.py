"""The time cursor a page opens at: the link's step and unit, or the cell this session last clicked or opened."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lstm_viz.cursor import STEP_KEY, UNIT_KEY, parse_step, parse_unit
from lstm_viz.ui.language import say
from lstm_viz.ui.markup import plain
from lstm_viz.ui.state import CURSOR


def link_cursor(steps: int, window: tuple[int, int], notes: Any = None, default_t: int = 0) -> tuple[int, int | None]:
    """The step and unit this page opens at, said at the top when the link asked for one it cannot show.

    The link's ``t`` and ``unit`` come first; a page opened without them (a page link along the top, which keeps
    only the settings) takes the step and unit this session last opened or picked on another page, and writes
    them into its own link, so a copied link opens the same cell. Out of range: the nearest step, and no unit,
    named in a warning that every view shows (a link not honoured as written).

    Args:
        steps: The run's sequence length T.
        window: The ``[start, stop)`` units the page shows.
        notes: Where to put a warning (default: the page, here).
        default_t: The step when neither the link nor the session names one.
    """
    raw_t, raw_unit = st.query_params.get(STEP_KEY), st.query_params.get(UNIT_KEY)
    carried = st.session_state.get(CURSOR)
    if raw_t is None and raw_unit is None:
        if carried is None:
            return default_t, None
        t, unit = carried
        # Carried from another page, maybe of another run: kept only where this run has that cell.
        t = t if 0 <= t < steps else default_t
        unit = unit if unit is not None and window[0] <= unit < window[1] else None
        set_cursor(t, unit)
        return t, unit
    t, step_problem = parse_step(raw_t, steps) if raw_t is not None else (default_t, None)
    unit, unit_problem = parse_unit(raw_unit, window)
    for problem in (step_problem, unit_problem):
        if problem:
            (notes or st).warning(plain(say(problem)), icon=":material/link_off:")
    st.session_state[CURSOR] = (t, unit)
    return t, unit


def set_cursor(t: int, unit: int | None) -> None:
    """Move this page's link (and the step other pages open at) to step ``t`` and ``unit`` (None: no unit)."""
    st.session_state[CURSOR] = (t, unit)
    st.query_params[STEP_KEY] = str(t)
    if unit is None:
        st.query_params.pop(UNIT_KEY, None)
    else:
        st.query_params[UNIT_KEY] = str(unit)
