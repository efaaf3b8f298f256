"""Compare views: output heatmaps, the per-step error against the verdict's tolerance, final states."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from torch import Tensor

from lstm_viz.figures.base import (
    HEATMAP_MARGIN,
    base_layout,
    colour_bar,
    heat_hover,
    integer_dtick,
    log_axis,
    make_figure,
    plot_height,
    step_customdata,
    time_axis,
    to_numpy,
    two_line_title,
    unit_axis,
)
from lstm_viz.figures.scales import ERROR_SCALE, SIGNED_SCALE, symmetric_limit
from lstm_viz.i18n import t

ZERO_FLOOR = 1e-18
"""Exact zeros cannot sit on a log axis: the per-step error draws them here, and says so."""


def output_heatmap_figure(
    values: Tensor,
    title: str,
    units: tuple[int, int],
    zrange: tuple[float, float],
    scale: str,
    step_labels: list[str] | None = None,
    detail: str = "",
    *,
    lang: str = "en",
) -> go.Figure:
    """Heatmap of an output-like tensor for one batch item, features x steps.

    Args:
        values: One batch item's output (or a difference of two), time-major.
        title: The title's first line; keep it short (the page shows two side by side).
        units: ``[start, stop)`` window of output features.
        zrange: The colour range (shared by the heatmaps compared).
        scale: ``SIGNED_SCALE`` for values, ``ERROR_SCALE`` for |differences|.
        step_labels: The input symbol of each step, or None.
        detail: A smaller second title line (which kernel, batch item).
        lang: The language of the axis titles, colour bar and hover (the caller says ``title`` and ``detail``).

    Shapes:
        values [T, features] -> drawn [features in ``units``, T].
    """
    z = np.ascontiguousarray(to_numpy(values[:, units[0] : units[1]]).T)  # [features, T]
    error = scale == ERROR_SCALE
    heat = dict(
        type="heatmap",
        z=z,
        x0=0,
        dx=1,
        y0=units[0],
        dy=1,
        zmin=zrange[0],
        zmax=zrange[1],
        colorscale=scale,
        colorbar=colour_bar(t(lang, "|diff|") if error else t(lang, "value")),
        customdata=step_customdata(step_labels, z.shape[0]),
        hovertemplate=heat_hover(
            t(lang, "|difference|") if error else t(lang, "output"), step_labels, row=t(lang, "feature"), lang=lang
        ),
    )
    layout = base_layout(
        two_line_title(title, detail),
        300,
        xaxis=time_axis(values.shape[0], step_labels, max_ticks=8, max_symbols=24, lang=lang),
        margin=dict(HEATMAP_MARGIN, t=64 if detail else 50),
    )
    layout["yaxis"] = unit_axis(z.shape[0], plot_height(layout), t(lang, "output feature"), lang=lang)
    return make_figure([heat], layout)


def step_error_figure(step_max_diff: Tensor, atol: float, against: str, *, lang: str = "en") -> go.Figure:
    """Per-step max |hand-written - nn.LSTM| of the output, on a log axis, against the verdict's atol.

    ``against`` names the official output compared (``"nn.LSTM generic loop"``), said by the caller in ``lang``.

    Shapes:
        step_max_diff [T].
    """
    err = to_numpy(step_max_diff).astype(np.float64)
    steps = len(err)
    data = [
        dict(
            type="scatter",
            x=np.arange(steps, dtype=np.int32),
            y=np.maximum(err, ZERO_FLOOR),
            mode="lines+markers",
            name=t(lang, "max |diff| at step"),
            customdata=err,
            hovertemplate=t(lang, "step %{x}<br>max |diff| %{customdata:.2e}") + "<extra></extra>",
        )
    ]
    detail = t(lang, "hand-written vs {against}", against=against)
    annotations = [
        dict(
            text=t(lang, "allclose atol {atol:.0e}", atol=atol),
            xref="paper",
            x=0.01,
            xanchor="left",
            y=np.log10(atol),
            yanchor="bottom",
            showarrow=False,
            font=dict(color="grey"),
        )
    ]
    if not err.any():
        # Said beside the points, not in the title: the title of a half-width chart holds no more.
        annotations.append(
            dict(
                text=t(lang, "all exactly 0, drawn at 10<sup>−18</sup>"),
                xref="paper",
                x=0.99,
                xanchor="right",
                y=np.log10(ZERO_FLOOR),
                yanchor="bottom",
                showarrow=False,
                font=dict(color="#0072B2"),
            )
        )
    top = max(float(err.max()) if steps else 0.0, atol, 1.0)
    layout = base_layout(
        two_line_title(t(lang, "Max |difference| of the output per step"), detail),
        300,
        xaxis=dict(
            title=dict(text=t(lang, "time step t")),
            tickmode="linear",
            tick0=0,
            dtick=integer_dtick(steps, 8),
            zeroline=False,
        ),
        yaxis=log_axis(t(lang, "max |difference|"), ZERO_FLOOR / 10, top),
        shapes=[
            dict(
                type="line",
                xref="paper",
                x0=0,
                x1=1,
                y0=atol,
                y1=atol,
                line=dict(dash="dot", color="grey"),
            )
        ],
        annotations=annotations,
        showlegend=False,
        margin=dict(HEATMAP_MARGIN, t=64),
    )
    return make_figure(data, layout)


def final_state_figure(values: Tensor, title: str, row_labels: list[str], *, lang: str = "en") -> go.Figure:
    """Heatmap of ``h_n`` or ``c_n`` for one batch item: one row per layer-direction; axis words in ``lang``.

    Shapes:
        values [D*L, features].
    """
    limit = symmetric_limit(values)
    features = values.shape[-1]
    heat = dict(
        type="heatmap",
        z=to_numpy(values),
        y=row_labels,
        zmin=-limit,
        zmax=limit,
        colorscale=SIGNED_SCALE,
        colorbar=dict(colour_bar(t(lang, "value")), len=1.0),
        hovertemplate="%{y}<br>" + t(lang, "unit %{x}<br>value %{z:.6f}") + "<extra></extra>",
    )
    layout = base_layout(
        title,
        190 + 36 * len(row_labels),
        xaxis=dict(
            title=dict(text=t(lang, "unit")),
            tickmode="linear",
            tick0=0,
            dtick=integer_dtick(features, 8),
            showgrid=False,
            zeroline=False,
        ),
        yaxis=dict(title=dict(text=t(lang, "layer, direction")), showgrid=False, autorange="reversed"),
        margin=dict(HEATMAP_MARGIN, l=110),
    )
    return make_figure([heat], layout)
