"""Charts on a page: drawn in the chosen colours and view, listed for the exports; the record pickers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from lstm_viz import i18n
from lstm_viz.export import figure_filename
from lstm_viz.export.names import spec_summary
from lstm_viz.figures import (
    PALETTES,
    SLIDE_TITLE_CHARS,
    SLIDE_TITLE_CHARS_FULL,
    direction_label,
    for_slides,
    recolour,
    unit_pages,
)
from lstm_viz.run import Run
from lstm_viz.server.figures import FigureCache
from lstm_viz.settings import BOUND_DEFAULTS
from lstm_viz.trace import LayerTrace
from lstm_viz.ui.language import lang, tr
from lstm_viz.ui.page import view_mode
from lstm_viz.ui.state import CHART_KEYS, FIGURES, RUN, URL_SETTINGS

FIGURE_VIEW_HEIGHT = 640
"""Pixels of the one figure shown alone: most of a projected 1080p screen."""
PICKER_WIDTH = 180
"""Pixels for a picker in a row: wide enough for "0–63 of 512", narrow enough for four in a row."""
figures = FigureCache()


def setting(key: str) -> Any:
    """One URL-bound control's value: its widget's, the link's in the teacher view, else the default."""
    if key in st.session_state:
        return st.session_state[key]
    return (st.session_state.get(URL_SETTINGS) or {}).get(key, BOUND_DEFAULTS[key])


def show_chart(
    fig: go.Figure | Callable[[], go.Figure],
    key: str,
    cache: tuple | None = None,
    half: bool = False,
    **kwargs: Any,
) -> Any:
    """Draw a figure in the chosen colours, slide-styled in the slide view, and list it for the page's exports.

    Its camera button saves a PNG at 3x, named after the figure and the run.

    Args:
        fig: The figure, or a function that builds it (called only when ``cache`` misses).
        key: The chart's key on the page (also its name in exported files).
        cache: What decides the figure (the run's spec and the builder's arguments): given, the finished
            figure is built once server-wide and shared read-only by every session that shows the same.
        half: The chart sits in one of two (or more) columns: its slide title breaks at half the width.
        **kwargs: Passed to ``st.plotly_chart`` (e.g. ``on_select``).
    """
    mode = view_mode()
    # Keys in drawing order, each once (a fragment's reruns draw its charts again).
    st.session_state.setdefault(CHART_KEYS, {})[key] = None
    if mode.figure is not None and key != mode.figure:
        # The one-figure view: the page's other charts are neither built nor sent.
        return None
    palette = PALETTES.get(setting("colours"), PALETTES["viridis"])
    r = st.session_state.get(RUN)
    slide = mode.slide and r is not None
    alone = mode.figure is not None

    def finish() -> go.Figure:
        built = fig() if callable(fig) else fig
        recolour(built, palette)
        if slide:
            words = r.describe(lang=lang())
            for_slides(built, words, SLIDE_TITLE_CHARS if half and not alone else SLIDE_TITLE_CHARS_FULL)
        if alone:
            built.update_layout(height=FIGURE_VIEW_HEIGHT)
        return built

    key_words = (key, palette.name, slide, alone, half, lang())
    figure = finish() if cache is None else figures.get((*cache, *key_words), finish)
    st.session_state.setdefault(FIGURES, {})[key] = figure
    name = figure_filename(key, run_summary(r), "png").removesuffix(".png") if r is not None else f"lstm_{key}"
    config = {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "scale": 3, "filename": name},
    }
    return st.plotly_chart(figure, key=key, config=config, width="stretch", **kwargs)


def run_summary(r: Run) -> str:
    """The run in a file name: sizes, dtype, input or task, seed, edits."""
    return spec_summary(r.spec, r.config)


@dataclass(frozen=True)
class Selection:
    """Which layer-direction, batch item and window of units a page shows."""

    record: LayerTrace
    batch_item: int
    units: tuple[int, int]


def record_controls(r: Run, key: str, units_of: str = "hidden") -> Selection:
    """Pickers for layer, direction, batch item and (for wide layers) a page of units, in one row.

    Only what has a choice gets a picker; the rest is named in one caption ("layer 0 · forward · ..."), so a
    one-layer run shows no disabled controls (and a class's server sends a few elements, not nine).

    Args:
        r: The run shown.
        key: Prefix keeping each page's pickers apart.
        units_of: ``"hidden"`` to page over H units, ``"out"`` over H_out features.
    """
    cfg = r.config
    n_units = cfg.hidden_size if units_of == "hidden" else cfg.out_size
    row = st.container(horizontal=True, vertical_alignment="bottom")
    fixed = []
    layer, reverse, batch_item = 0, False, 0
    language = lang()
    if cfg.num_layers > 1:
        layer = row.selectbox(tr("layer"), range(cfg.num_layers), key=f"{key}_layer", width=PICKER_WIDTH)
    else:
        fixed.append(tr("layer 0"))
    if cfg.bidirectional:
        # Not bound to the link (the page's link carries no direction): its options may be said in any language.
        reverse = row.selectbox(
            tr("direction"),
            [False, True],
            format_func=lambda r: direction_label(r, lang=language),
            key=f"{key}_dir",
            width=PICKER_WIDTH,
        )
    else:
        fixed.append(direction_label(False, lang=language))
    if cfg.batch > 1:
        batch_item = row.selectbox(tr("batch item"), range(cfg.batch), key=f"{key}_batch", width=PICKER_WIDTH)
    else:
        fixed.append(tr("batch item 0"))
    if len(unit_pages(n_units)) > 1:
        window = unit_window(n_units, tr("units shown"), f"{key}_units", row)
    else:
        window = (0, n_units)
        fixed.append(tr("all {n} units", n=n_units))
    if fixed:
        row.caption(" · ".join(fixed))
    return Selection(r.trace.layer(layer, reverse=reverse), batch_item, window)


def unit_window(n_units: int, label: str, key: str, container: Any = st) -> tuple[int, int]:
    """A picker for which page of ``MAX_UNITS_SHOWN`` units the heatmaps show (disabled when one page)."""
    pages = unit_pages(n_units)
    language = lang()
    return container.selectbox(
        label,
        pages,
        # Not bound to the link: the pages' unit windows may be said in the reader's language (fixed when drawn:
        # Streamlit, and AppTest, may format an option outside this run).
        format_func=lambda p: i18n.t(language, "{first}–{last} of {n}", first=p[0], last=p[1] - 1, n=n_units),
        # The size in the key: a new size starts on its first page instead of a page that no longer exists.
        key=f"{key}_{n_units}",
        disabled=len(pages) == 1,
        width=PICKER_WIDTH,
    )
