"""Compare views: output heatmaps, the per-step error against the verdict's tolerance, final states."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from torch import Tensor

from lstm_viz.figures.base import base_layout, make_figure, to_numpy
from lstm_viz.figures.scales import ERROR_SCALE, SIGNED_SCALE, symmetric_limit


def output_heatmap_figure(
    values: Tensor, title: str, units: tuple[int, int], zrange: tuple[float, float], scale: str
) -> go.Figure:
    """Heatmap of an output-like tensor for one batch item, features x steps.

    Shapes:
        values [T, features] -> drawn [features in ``units``, T].
    """
    z = np.ascontiguousarray(to_numpy(values[:, units[0] : units[1]]).T)  # [features, T]
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
        # As the state heatmaps' colour bar, so the official output and the hand-written states look alike.
        colorbar=dict(
            title=dict(text="|diff|" if scale == ERROR_SCALE else "value", side="right"), thickness=12, len=0.9
        ),
        hovertemplate="feature %{y}<br>step %{x}<br>value %{z:.3g}<extra></extra>",
    )
    layout = base_layout(
        title,
        300,
        xaxis=dict(title=dict(text="time step t"), showgrid=False, zeroline=False),
        yaxis=dict(title=dict(text="output feature"), showgrid=False, zeroline=False, autorange="reversed"),
    )
    return make_figure([heat], layout)


def step_error_figure(step_max_diff: Tensor, atol: float, against: str) -> go.Figure:
    """Per-step max |hand-written - nn.LSTM| of the output, on a log axis, against the verdict's atol.

    Shapes:
        step_max_diff [T].
    """
    err = to_numpy(step_max_diff).astype(np.float64)
    # Exact zeros cannot sit on a log axis: draw them at a floor, say so in the hover and the title.
    floor = 1e-18
    data = [
        dict(
            type="scatter",
            x=np.arange(len(err), dtype=np.int32),
            y=np.maximum(err, floor),
            mode="lines+markers",
            name="max |diff| at step",
            customdata=err,
            hovertemplate="step %{x}<br>max |diff| %{customdata:.2e}<extra></extra>",
        )
    ]
    title = f"Largest |hand-written − {against}| output difference at each step"
    if not err.any():
        title += " (all exactly 0, drawn at 1e-18)"
    layout = base_layout(
        title,
        300,
        xaxis=dict(title=dict(text="time step t")),
        yaxis=dict(title=dict(text="max |difference| (log)"), type="log", exponentformat="e", range=[-19, 0]),
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
        annotations=[
            dict(
                text=f"allclose atol {atol:.0e}",
                xref="paper",
                x=0.01,
                y=np.log10(atol),
                yanchor="bottom",
                showarrow=False,
                font=dict(color="grey"),
            )
        ],
        showlegend=False,
    )
    return make_figure(data, layout)


def final_state_figure(values: Tensor, title: str, row_labels: list[str]) -> go.Figure:
    """Heatmap of ``h_n`` or ``c_n`` for one batch item: one row per layer-direction.

    Shapes:
        values [D*L, features].
    """
    limit = symmetric_limit(values)
    heat = dict(
        type="heatmap",
        z=to_numpy(values),
        y=row_labels,
        zmin=-limit,
        zmax=limit,
        colorscale=SIGNED_SCALE,
        colorbar=dict(title=dict(text="value"), thickness=12, len=1.0),
        hovertemplate="%{y}<br>unit %{x}<br>value %{z:.6f}<extra></extra>",
    )
    layout = base_layout(
        title,
        190 + 36 * len(row_labels),
        xaxis=dict(title=dict(text="unit"), showgrid=False, zeroline=False),
        yaxis=dict(title=dict(text="layer, direction"), showgrid=False, autorange="reversed"),
    )
    return make_figure([heat], layout)
