"""Layout, labels and conversions shared by every figure builder."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from torch import Tensor

from lstm_viz.figures.scales import CURSOR_COLOUR, FONT
from lstm_viz.i18n import t
from lstm_viz.trace import LayerTrace


def to_numpy(t: Tensor) -> np.ndarray:
    """A tensor as a contiguous float32 array for Plotly."""
    # float32 halves what the browser receives and is far finer than any colour scale.
    return np.ascontiguousarray(t.detach().cpu().float().numpy())


def base_layout(title: str, height: int, **extra: object) -> dict:
    """Layout shared by every figure; built as one dict because per-call ``update_*`` costs milliseconds."""
    layout = dict(
        title=dict(text=title, x=0.01, xanchor="left", font=dict(size=15)),
        font=FONT,
        height=height,
        margin=dict(l=60, r=20, t=50, b=45),
        paper_bgcolor="white",
        plot_bgcolor="white",
        # No Plotly template (6.5 KB of JSON in every chart, sent, hashed and drawn on every run): Streamlit
        # applies its own theme, and every figure states the styling it needs.
        template="none",
    )
    layout.update(extra)  # a figure may override the shared margin
    return layout


def unit_dtick(rows: int, plot_px: float, text_px: int = FONT["size"]) -> int | None:
    """1 (every unit labelled) when each of ``rows`` rows of a ``plot_px``-tall plot has room for its label.

    None otherwise: Plotly then labels every few units instead of overprinting them.
    """
    return 1 if rows <= 16 and plot_px >= rows * (text_px + 2) else None


def plot_height(layout: dict | go.Layout) -> float:
    """Pixels between the top and bottom margins of a layout made by ``base_layout``."""
    margin = layout["margin"]
    return layout["height"] - margin["t"] - margin["b"]


def two_line_title(title: str, detail: str) -> str:
    """A title for a narrow figure: what it shows, and on a second, smaller line where it is from.

    ``<sup>`` rather than a styled ``<span>``: a tag without spaces survives the slide view's wrapping at spaces.
    """
    return f"{title}<br><sup>{detail}</sup>" if detail else title


def make_figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure from plain trace and layout dicts."""
    # One validated construction from plain dicts: a tenth of the time of trace objects plus updates,
    # which keeps a cursor move well inside its budget. No template: Streamlit applies its own theme.
    return go.Figure(dict(data=data, layout=layout))


def restyle(fig: go.Figure, title: str, height: int) -> go.Figure:
    """Apply the shared layout to a figure built with graph objects."""
    fig.update_layout(base_layout(title, height))
    return fig


def direction_label(reverse: bool, *, lang: str = "en") -> str:
    """Words for a direction, as in PyTorch's names."""
    return t(lang, "reverse") if reverse else t(lang, "forward")


def record_label(rec: LayerTrace, batch_item: int, *, lang: str = "en") -> str:
    """'layer 0 forward, batch item 1' for figure titles."""
    if rec.reverse:
        return t(lang, "layer {layer} reverse, batch item {batch_item}", layer=rec.layer, batch_item=batch_item)
    return t(lang, "layer {layer} forward, batch item {batch_item}", layer=rec.layer, batch_item=batch_item)


def titled(title: str, where: str, *, lang: str = "en") -> str:
    """A figure's title: what it shows, then where it is from ("input gate i, layer 0 forward, batch item 0")."""
    return t(lang, "{title}, {where}", title=title, where=where)


def cursor_shape(t: int) -> dict:
    """A layout shape outlining column ``t`` of a heatmap, all rows."""
    return dict(
        type="rect",
        xref="x",
        yref="paper",
        x0=t - 0.5,
        x1=t + 0.5,
        y0=0,
        y1=1,
        line=dict(color=CURSOR_COLOUR, width=2),
        fillcolor="rgba(0,0,0,0)",
    )


MAX_SYMBOL_TICKS = 80
"""Up to this many steps every step's input symbol is a tick label; beyond, every k-th."""
NICE_STEPS = (1, 2, 5)
"""Tick spacings for whole-number axes: 1, 2, 5, 10, 20, 50, ..."""


def integer_dtick(n: int, max_ticks: int = 10) -> int:
    """The smallest of 1, 2, 5, 10, 20, ... that labels ``n`` whole numbers with at most ``max_ticks`` ticks.

    Steps and units are whole numbers: a spacing that is itself whole never draws a half-integer tick.
    """
    scale = 1
    while True:
        for base in NICE_STEPS:
            if -(-n // (base * scale)) <= max(max_ticks, 1):
                return base * scale
        scale *= 10


def _ordinal(k: int) -> str:
    """'2nd', '3rd', '4th', '11th', '21st'."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def time_axis(
    steps: int,
    labels: list[str] | None = None,
    max_ticks: int = 10,
    max_symbols: int = MAX_SYMBOL_TICKS,
    *,
    lang: str = "en",
) -> dict:
    """An x axis over time steps: whole step numbers, or each step's input symbol when the input has them.

    Args:
        steps: How many steps the axis spans.
        labels: The input symbol of each step, or None for step numbers.
        max_ticks: At most this many step numbers (a narrow chart passes fewer).
        max_symbols: At most this many symbols; beyond, every k-th step's symbol (said in the axis title).
        lang: The language of the axis title.
    """
    if labels is None:
        return dict(
            title=dict(text=t(lang, "time step t")),
            tickmode="linear",
            tick0=0,
            dtick=integer_dtick(steps, max_ticks),
            showgrid=False,
            zeroline=False,
            automargin=True,
        )
    stride = -(-steps // max(max_symbols, 1))
    ticks = list(range(0, steps, stride))
    if stride > 1:
        # "every 3rd" in English; a language without ordinal suffixes says the plain number.
        nth = _ordinal(stride) if lang == "en" else str(stride)
        words = t(lang, "step t (input symbol, every {nth})", nth=nth)
    else:
        words = t(lang, "step t (input symbol)")
    return dict(
        title=dict(text=words),
        tickmode="array",
        tickvals=ticks,
        ticktext=[labels[t] for t in ticks],
        tickangle=0,
        showgrid=False,
        zeroline=False,
        automargin=True,
    )


def unit_axis(
    rows: int, plot_px: float, title: str | None = None, text_px: int = FONT["size"], *, lang: str = "en"
) -> dict:
    """A y axis over units (rows from the top): whole-number ticks spaced so that their labels fit ``plot_px``.

    ``title`` defaults to "unit" in ``lang``.
    """
    return dict(
        title=dict(text=t(lang, "unit") if title is None else title),
        tickmode="linear",
        dtick=integer_dtick(rows, max(int(plot_px // (text_px + 4)), 1)),
        showgrid=False,
        zeroline=False,
        autorange="reversed",
        automargin=True,
    )


def step_customdata(labels: list[str] | None, rows: int) -> np.ndarray | None:
    """Each cell's step index and input symbol for a heatmap's hover, ``[rows, T, 2]``; None without symbols.

    The index is carried, not read from ``%{x}``: on an axis labelled by symbols, ``%{x}`` is the symbol.
    """
    if labels is None:
        return None
    steps = len(labels)
    cell = np.empty((steps, 2), dtype=object)  # [T, 2]: index, symbol
    cell[:, 0] = np.arange(steps)
    cell[:, 1] = labels
    return np.broadcast_to(cell, (rows, steps, 2)).copy()  # [rows, T, 2]


def step_words(
    labels: list[str] | None,
    index: str = "customdata[0]",
    symbol: str = "customdata[1]",
    *,
    lang: str = "en",
) -> str:
    """'step %{x}' for a hover; 'step 12 (input ()' from customdata where the axis is labelled by symbols."""
    if labels is None:
        return t(lang, "step %{x}")
    return t(lang, "step %{{{index}}} (input %{{{symbol}}})", index=index, symbol=symbol)


def step_pairs(labels: list[str] | None) -> np.ndarray | None:
    """Each step's index and input symbol, ``[T, 2]``, as the customdata of a line over time; None without."""
    if labels is None:
        return None
    pairs = np.empty((len(labels), 2), dtype=object)
    pairs[:, 0] = np.arange(len(labels))
    pairs[:, 1] = labels
    return pairs


def heat_hover(
    what: str,
    labels: list[str] | None,
    value: str | None = None,
    row: str | None = None,
    *,
    lang: str = "en",
) -> str:
    """A heatmap hover naming the step index, its input symbol (when there is one), the unit and the value.

    Args:
        what: The quantity's name, the hover's first line.
        labels: The input symbol of each step, or None.
        value: The value's line; default "value %{z:.4g}" in ``lang``.
        row: What a row is; default "unit" in ``lang``.
        lang: The language of the words.
    """
    value = t(lang, "value %{z:.4g}") if value is None else value
    row = t(lang, "unit") if row is None else row
    return f"{what}<br>{step_words(labels, lang=lang)}<br>{row} %{{y}}<br>{value}<extra></extra>"


HEATMAP_MARGIN = dict(l=92, r=96, t=50, b=48)
"""Every heatmap's margins: figures shown together share them, so their plots and colour bars line up.

Wide enough on the right for a colour bar, its tick labels and its title, so Plotly need not widen one
figure's margin and not its neighbour's."""


def named_ticks(values: list[float]) -> dict:
    """Colour-bar ticks at exactly ``values``, each written with two significant digits and Plotly's minus sign.

    For a bar whose ends matter (a range such as -0.87..0.87, where Plotly's own few ticks are a lone 0).
    """
    return dict(tickmode="array", tickvals=list(values), ticktext=[f"{v:.2g}".replace("-", "−") for v in values])


def colour_bar(title: str) -> dict:
    """A heatmap's colour bar, placed the same way on every heatmap so neighbouring bars line up."""
    return dict(
        title=dict(text=title, side="right"),
        thickness=12,
        len=0.9,
        x=1.0,
        xanchor="left",
        xpad=10,
        tickformat=".2~g",
    )


def log_axis(title: str, low: float, high: float) -> dict:
    """A log axis with only decades labelled, as 10^k (never 5 2 1 5 2 between them).

    Args:
        title: The axis title.
        low: The smallest value drawn (> 0).
        high: The largest value drawn (> 0).
    """
    lo = math.floor(math.log10(max(low, 1e-300)))
    hi = math.ceil(math.log10(max(high, low, 1e-300)))
    hi = max(hi, lo + 1)
    every = integer_dtick(hi - lo + 1, 6)
    ticks = [k for k in range(lo, hi + 1) if k % every == 0] or [lo, hi]
    return dict(
        title=dict(text=title),
        type="log",
        range=[lo - 0.05, hi + 0.05],
        tickmode="array",
        tickvals=[10.0**k for k in ticks],
        ticktext=[decade_label(k) for k in ticks],
        automargin=True,
    )


def decade_label(k: int) -> str:
    """10^k as a reader writes it: 0.1, 1, 10 near one, else 10 with a superscript power."""
    if k in (-1, 0, 1):
        return {-1: "0.1", 0: "1", 1: "10"}[k]
    return f"10<sup>{k}</sup>".replace("-", "−")


def highlight_shapes(
    units: list[int],
    window: tuple[int, int],
    colour: str = CURSOR_COLOUR,
    first: float | None = None,
    width: float = 2,
    dash: str = "dash",
) -> list[dict]:
    """Outlines (dashed by default) around whole rows (units) of a unit x step heatmap, for the units inside ``window``.

    Args:
        units: The units to outline.
        window: ``[start, stop)`` of the units drawn.
        colour: The outline's colour.
        first: Where on the y axis the centre of unit ``window[0]``'s row is (default: at ``window[0]``, one
            row per unit); for rows placed on a shared axis, such as the Gates figure's.
        width: The outline's width in pixels.
        dash: Plotly's line dash (``"dash"``, ``"solid"``).
    """
    first = window[0] if first is None else first
    return [
        dict(
            type="rect",
            xref="paper",
            yref="y",
            x0=0,
            x1=1,
            y0=first + u - window[0] - 0.5,
            y1=first + u - window[0] + 0.5,
            line=dict(color=colour, width=width, dash=dash),
            fillcolor="rgba(0,0,0,0)",
        )
        for u in units
        if window[0] <= u < window[1]
    ]


def play_buttons(x: float, y: float, play: tuple[str, list[str], dict], pause: tuple[str, dict]) -> dict:
    """A row of two buttons that play a figure's frames in the browser and pause them.

    Args:
        x: Left edge, in paper units.
        y: Top edge, in paper units.
        play: The play button's label, the frame names it plays and Plotly's animation options.
        pause: The pause button's label and animation options.
    """
    (play_label, names, play_options), (pause_label, pause_options) = play, pause
    return dict(
        type="buttons",
        direction="left",
        showactive=False,
        x=x,
        xanchor="left",
        y=y,
        yanchor="top",
        pad=dict(t=0, r=4),
        buttons=[
            dict(label=play_label, method="animate", args=[names, play_options]),
            dict(label=pause_label, method="animate", args=[[None], pause_options]),
        ],
    )


def heat_image(y: float, sizey: float, sizex: float = 1.0) -> dict:
    """A layout image for a painted heatmap: from the x axis's left edge, its top at ``y`` (paper), stretched.

    Its ``source`` is painted later (a PNG data URL); it sits below the traces. Sizes are in x-domain and paper
    fractions.
    """
    return dict(
        source="",
        xref="x domain",
        yref="paper",
        x=0,
        y=y,
        sizex=sizex,
        sizey=sizey,
        xanchor="left",
        yanchor="top",
        sizing="stretch",
        layer="below",
    )


def merge_frame(into: dict, update: dict) -> None:
    """Apply one trace's update from a Plotly frame, as plotly.js does: nested dicts merge, the rest is replaced."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge_frame(into[key], value)
        else:
            into[key] = value
