"""Gradient flow: per-step gradient norms on a log scale, gradient heatmaps and gate saturation scatters."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from torch import Tensor

from lstm_viz.figures.base import (
    HEATMAP_MARGIN,
    base_layout,
    colour_bar,
    heat_hover,
    log_axis,
    make_figure,
    plot_height,
    step_customdata,
    step_pairs,
    step_words,
    time_axis,
    to_numpy,
    two_line_title,
    unit_axis,
)
from lstm_viz.figures.scales import GATE_SCALE, MAX_UNITS_SHOWN
from lstm_viz.i18n import N_, t

if TYPE_CHECKING:
    from lstm_viz.gradient_flow import Reach

DECADES = 8
"""Gradient heatmaps show ``DECADES`` powers of ten below the largest |gradient|: below that it has vanished."""
FLOOR = 1e-30
"""Norms below this are drawn at it, so a log axis can show a gradient that is exactly zero."""
LSTM_DC = "LSTM ‖dL/dc_t‖"
LSTM_DH = "LSTM ‖dL/dh_t‖"
RNN_DH = "RNN ‖dL/dh_t‖"
FORGET_PRODUCT = N_("forget product f_(t+1)···f_T (mean over units)")
"""The race's series, by their English legend names (symbols but the last, which is said in the reader's language)."""
SERIES_STYLE = {
    LSTM_DC: dict(color="#0072B2", dash="solid"),
    LSTM_DH: dict(color="#009E73", dash="solid"),
    RNN_DH: dict(color="#D55E00", dash="solid"),
    FORGET_PRODUCT: dict(color="#555555", dash="dash"),
}
"""Okabe-Ito colours (colour-blind safe), fixed per series so every run's chart reads the same."""
GATE_COLOURS = {"i": "#0072B2", "f": "#D55E00", "o": "#009E73"}
GATE_MARKERS = {
    "i": dict(symbol="circle-open", size=14),
    "f": dict(symbol="square", size=9),
    "o": dict(symbol="diamond", size=9),
}
"""A shape per gate as well as a colour; the input gate a ring larger than the others, so where gates of one unit
sit at the same place (at 0, 0 with random weights) each still shows."""
LEGEND_ON_TOP = dict(orientation="h", yanchor="bottom", y=1.0, x=0.0, xanchor="left")
"""A horizontal legend just above the plot area, under a title pinned to the top by ``title_on_top``."""


def title_on_top(layout: dict) -> dict:
    """Pin a layout's title to the figure's top edge, so a legend above the plot (two rows when narrow) clears it.

    Plotly centres a title in the top margin by default, where a wrapping legend grows into it.
    """
    title = layout["title"]
    pad = title_pad(title.get("text", ""), title.get("font", {}).get("size", 15))
    layout["title"] = {**title, "yref": "container", "y": 1.0, "yanchor": "top", "pad": dict(t=pad)}
    return layout


def title_pad(text: str, size: float) -> int:
    """Pixels between a top-anchored title of font ``size`` and the figure's top edge.

    Plotly sets a one-line title's top at the pad, but a title of several lines by its first line's baseline
    (the first line's own offset is dropped): such a title needs its font's height more, or its first line's
    top is drawn past the edge.
    """
    return 10 + (round(size) if "<br>" in text else 0)


def reach_series(reach: Reach) -> dict[str, Tensor]:
    """The race's four series, by their English names (``SERIES_STYLE``'s).

    Shapes:
        each [T].
    """
    return {
        LSTM_DC: reach.lstm_dc,
        LSTM_DH: reach.lstm_dh,
        RNN_DH: reach.rnn_dh,
        FORGET_PRODUCT: reach.forget_product,
    }


def reach_figure(
    reach: Reach,
    title: str,
    step_labels: list[str] | None = None,
    height: int = 360,
    mark_gap: bool = False,
    *,
    lang: str = "en",
) -> go.Figure:
    """The race drawn: the LSTM's and the RNN's per-step gradient norms and the forget product, on one log axis.

    Args:
        reach: The race measured (``GradientFlow.reach``).
        title: The figure's title.
        step_labels: The input symbol of each step for the time axis, or None.
        height: Figure height in pixels.
        mark_gap: Mark how many powers of ten the LSTM's ‖dL/dc‖ lies above the RNN's ‖dL/dh‖ at the far step.
        lang: The language of the figure's words.
    """
    gap = (reach.far, LSTM_DC, RNN_DH) if mark_gap else None
    return gradient_norms_figure(reach_series(reach), title, step_labels, height, gap, lang=lang)


def gradient_norms_figure(
    series: dict[str, Tensor],
    title: str,
    step_labels: list[str] | None = None,
    height: int = 360,
    gap: tuple[int, str, str] | None = None,
    *,
    lang: str = "en",
) -> go.Figure:
    """Lines of per-step norms (and the forget product) over time on one log axis.

    Args:
        series: English name -> values over time, e.g. ``SERIES_STYLE``'s names (the legend says each in
            ``lang``); zeros are drawn at ``FLOOR``.
        title: The figure's title.
        step_labels: The input symbol of each step for the time axis, or None.
        height: Figure height in pixels.
        gap: ``(step, upper, lower)``: mark how many powers of ten series ``upper`` lies above ``lower`` at
            ``step`` (a bracket between the two points and its count of decades), or None.
        lang: The language of the figure's words.

    Shapes:
        each series [T].
    """
    data = []
    steps, low, high = 0, 1.0, 1.0
    for name, values in series.items():
        v = np.maximum(to_numpy(values).astype(np.float64), FLOOR)
        steps = len(v)
        if len(v):
            low, high = min(low, float(v.min())), max(high, float(v.max()))
        style = SERIES_STYLE.get(name, {})
        said = t(lang, name)  # the names are symbols, or marked where they are defined (FORGET_PRODUCT)
        data.append(
            dict(
                type="scatter",
                mode="lines+markers" if len(v) <= 64 else "lines",
                x=np.arange(len(v)),
                y=v,
                name=said,
                line=dict(width=2, **style),
                marker=dict(size=4),
                customdata=step_pairs(step_labels),
                hovertemplate=f"{said}<br>{step_words(step_labels, lang=lang)}<br>%{{y:.3e}}<extra></extra>",
            )
        )
    layout = base_layout(
        title,
        height,
        xaxis=time_axis(steps, step_labels, lang=lang),
        # Decades only, as powers of ten: "100μ" reads as a unit, and 5 2 1 between decades as noise.
        yaxis=log_axis(t(lang, "norm, product of f (log scale)"), low, high),
        legend=LEGEND_ON_TOP,
        # The heatmaps' margins: drawn one under another, the time axes line up.
        margin=dict(HEATMAP_MARGIN, t=85),
    )
    if gap is not None:
        layout["shapes"], layout["annotations"] = _gap_marks(series, *gap, lang=lang)
    return make_figure(data, title_on_top(layout))


def _gap_marks(
    series: dict[str, Tensor], step: int, upper: str, lower: str, *, lang: str
) -> tuple[list[dict], list[dict]]:
    """A bracket at ``step`` from series ``lower`` up to ``upper``, and its size in powers of ten beside it."""
    # Positions on a log axis are given as log10 of the value.
    top = math.log10(max(float(series[upper][step]), FLOOR))
    bottom = math.log10(max(float(series[lower][step]), FLOOR))
    line = dict(type="line", x0=step, x1=step, y0=bottom, y1=top, line=dict(color="#222", width=2, dash="dot"))
    left = step < len(series[upper]) / 2  # the words go on the side with room
    words = dict(
        x=step,
        y=(top + bottom) / 2,
        text=t(lang, "{orders:.0f} orders of<br>magnitude apart", orders=top - bottom),
        showarrow=False,
        xanchor="left" if left else "right",
        xshift=8 if left else -8,
        align="left",
        bgcolor="rgba(255,255,255,0.85)",
    )
    return [line], [words]


def log_magnitude(grad: Tensor) -> tuple[np.ndarray, float, float]:
    """``log10 |grad|`` and its colour range: ``DECADES`` decades up to the largest value (zeros at the floor).

    Shapes:
        grad [T, n] -> ([n, T], zmin, zmax).
    """
    mag = np.abs(to_numpy(grad).astype(np.float64)).T  # [n, T]
    top = float(mag.max()) if mag.size else 0.0
    zmax = math.ceil(math.log10(top)) if top > 0 else 0.0
    zmin = zmax - DECADES
    with np.errstate(divide="ignore"):
        z = np.log10(np.maximum(mag, 10.0**zmin))
    return z, float(zmin), float(zmax)


def gradient_heatmap_figure(
    grad: Tensor,
    name: str,
    title: str,
    units: tuple[int, int] | None = None,
    step_labels: list[str] | None = None,
    height: int = 300,
    detail: str = "",
    *,
    lang: str = "en",
) -> go.Figure:
    """Heatmap of log10 |gradient| of one batch item, units x steps, over ``DECADES`` decades.

    Args:
        grad: One batch item's gradient over time, e.g. ``g.layer(0).dc[b]``.
        name: What it is, e.g. ``"dL/dc_t"``, for the hover and colour bar.
        title: The figure's title; keep it short.
        units: ``[start, stop)`` window of units; default the first ``MAX_UNITS_SHOWN``.
        step_labels: The input symbol of each step for the time axis, or None.
        height: Figure height in pixels.
        detail: Where the gradient is from (layer, direction, batch item), a smaller second title line.
        lang: The language of the figure's words.

    Shapes:
        grad [T, n] is drawn as [units, T].
    """
    start, stop = units or (0, min(grad.shape[1], MAX_UNITS_SHOWN))
    z, zmin, zmax = log_magnitude(grad[:, start:stop])
    heat = dict(
        type="heatmap",
        z=z.astype(np.float32),
        x0=0,
        dx=1,
        y0=start,
        dy=1,
        zmin=zmin,
        zmax=zmax,
        colorscale=GATE_SCALE,
        colorbar=colour_bar(f"log10 |{name}|"),
        customdata=step_customdata(step_labels, z.shape[0]),
        hovertemplate=heat_hover(name, step_labels, "log10 |·| %{z:.2f}", lang=lang),
    )
    layout = base_layout(
        two_line_title(title, detail),
        height,
        xaxis=time_axis(grad.shape[0], step_labels, lang=lang),
        margin=dict(HEATMAP_MARGIN, t=72 if detail else 50),
    )
    layout["yaxis"] = unit_axis(z.shape[0], plot_height(layout), lang=lang)
    return make_figure([heat], title_on_top(layout))


def saturation_figure(sat: dict, title: str, height: int = 380, *, lang: str = "en") -> go.Figure:
    """Gate saturation: one point per unit and gate, left-saturated fraction against right-saturated fraction.

    Args:
        sat: Gate -> ``lstm_viz.analysis.Saturation`` (``left``/``right`` fractions per unit).
        title: The figure's title.
        height: Figure height in pixels.
        lang: The language of the figure's words.

    Shapes:
        each ``left``/``right`` [H] -> one marker per unit.
    """
    data = []
    for gate, s in sat.items():
        left, right = to_numpy(s.left), to_numpy(s.right)
        data.append(
            dict(
                type="scatter",
                mode="markers",
                x=left,
                y=right,
                name=t(lang, "gate {gate}", gate=gate),
                customdata=np.arange(len(left)),
                marker=dict(
                    color=GATE_COLOURS.get(gate),
                    opacity=0.8,
                    # an open symbol is drawn by its line alone
                    line=dict(width=2, color=GATE_COLOURS.get(gate))
                    if "open" in GATE_MARKERS.get(gate, {}).get("symbol", "")
                    else dict(width=0.5, color="white"),
                    **GATE_MARKERS.get(gate, dict(symbol="circle", size=9)),
                ),
                # Plotly's own placeholders go in as values: the message keeps only named ones.
                hovertemplate=t(
                    lang,
                    "gate {gate}, unit {unit}<br>< 0.1 on {shut} of steps<br>> 0.9 on {open} of steps",
                    gate=gate,
                    unit="%{customdata}",
                    shut="%{x:.0%}",
                    open="%{y:.0%}",
                )
                + "<extra></extra>",
            )
        )
    diagonal = dict(type="line", x0=0, y0=1, x1=1, y1=0, line=dict(color="#bbbbbb", dash="dot", width=1))
    layout = base_layout(
        title,
        height,
        xaxis=dict(
            title=dict(text=t(lang, "left-saturated: fraction of steps with gate < 0.1")),
            range=[-0.03, 1.03],
            tickformat=".0%",
        ),
        yaxis=dict(title=dict(text=t(lang, "right-saturated: gate > 0.9")), range=[-0.03, 1.03], tickformat=".0%"),
        shapes=[diagonal],
        legend=LEGEND_ON_TOP,
        margin=dict(l=70, r=20, t=85, b=45),
    )
    return make_figure(data, title_on_top(layout))
