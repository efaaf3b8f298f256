"""Task views: a unit's state against the task's latent variable, every unit's correlation, the loss curve."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from torch import Tensor

from lstm_viz.figures.base import base_layout, make_figure, time_axis, to_numpy
from lstm_viz.figures.scales import CURSOR_COLOUR
from lstm_viz.tasks.units import UnitScore

STATE_COLOUR = "#0072b2"  # Okabe-Ito blue and vermillion: tell apart under every common colour blindness
LATENT_COLOUR = "#d55e00"
UNTRAINED_COLOUR = "#999999"
STATE_WORDS = {"c": "cell state c", "h": "hidden state h"}


def unit_latent_figure(
    values: Tensor,
    latent: Tensor,
    score: UnitScore,
    latent_name: str,
    step_labels: list[str] | None,
    where: str,
) -> go.Figure:
    """One unit's state and the task's latent variable over the same steps, on two y axes.

    Args:
        values: The unit's ``c`` or ``h`` at every step of one sequence.
        latent: The latent variable at the same steps.
        score: The unit's score (its r is measured on fresh sequences, not only this one).
        latent_name: Words for the latent (``"nesting depth"``).
        step_labels: Input symbols for the time axis, or None.
        where: Which record and sequence (``"layer 0 forward, batch item 0"``) for the title.

    Shapes: ``values`` [T]; ``latent`` [T].
    """
    steps = values.shape[0]
    t = np.arange(steps, dtype=np.int32)
    hover = step_labels or [str(k) for k in range(steps)]
    data = [
        dict(
            type="scatter",
            x=t,
            y=to_numpy(values),
            mode="lines+markers",
            name=f"unit {score.unit} {STATE_WORDS[score.state]}",
            line=dict(color=STATE_COLOUR, width=2),
            marker=dict(size=5),
            customdata=hover,
            hovertemplate="step %{x} (%{customdata})<br>" + score.state + " %{y:.4f}<extra></extra>",
        ),
        dict(
            type="scatter",
            x=t,
            y=to_numpy(latent),
            yaxis="y2",
            mode="lines",
            line=dict(color=LATENT_COLOUR, width=2, dash="dot", shape="hv"),
            name=latent_name,
            customdata=hover,
            hovertemplate="step %{x} (%{customdata})<br>" + latent_name + " %{y:g}<extra></extra>",
        ),
    ]
    layout = base_layout(
        f"Unit {score.unit}'s {STATE_WORDS[score.state]} follows the {latent_name} "
        f"(r = {score.r:+.2f} on fresh sequences), {where}",
        340,
        xaxis=time_axis(steps, step_labels),
        yaxis=dict(
            title=dict(text=f"{score.state} of unit {score.unit}", font=dict(color=STATE_COLOUR)),
            zeroline=True,
            zerolinecolor="#ccc",
        ),
        yaxis2=dict(
            title=dict(text=latent_name, font=dict(color=LATENT_COLOUR)),
            overlaying="y",
            side="right",
            tickmode="auto",  # not synced to the left axis: the latent keeps its own whole-number ticks
            showgrid=False,
            zeroline=False,
        ),
        legend=dict(orientation="h", x=0, y=-0.25),
        margin=dict(l=60, r=60, t=50, b=80),
    )
    return make_figure(data, layout)


def unit_scores_figure(scores: list[UnitScore], untrained: list[UnitScore], latent_name: str) -> go.Figure:
    """Every unit's Pearson r with the latent, for c and h, beside the same measure on the untrained weights.

    The y range is fixed at -1..1 so figures of different models compare.
    """
    data = []
    for state, colour in (("c", STATE_COLOUR), ("h", "#56b4e9")):
        for label, group, fill in (("as shown", scores, colour), ("untrained", untrained, UNTRAINED_COLOUR)):
            rows = sorted((s for s in group if s.state == state), key=lambda s: s.unit)
            data.append(
                dict(
                    type="bar",
                    x=[f"{s.unit}" for s in rows],
                    y=[s.r for s in rows],
                    name=f"{state}, {label}",
                    marker=dict(
                        color=fill,
                        pattern=dict(shape="" if state == "c" else "/"),
                        line=dict(color=colour, width=1),
                    ),
                    hovertemplate=f"unit %{{x}}<br>{state} ({label})<br>r = %{{y:+.3f}}<extra></extra>",
                )
            )
    layout = base_layout(
        f"Each unit's Pearson r with the {latent_name}, fresh sequences",
        320,
        barmode="group",
        xaxis=dict(title=dict(text="unit"), type="category"),
        yaxis=dict(title=dict(text="Pearson r"), range=[-1, 1], zeroline=True, zerolinecolor="#999"),
        legend=dict(orientation="h", x=0, y=-0.3),
        margin=dict(l=60, r=20, t=50, b=90),
    )
    return make_figure(data, layout)


def loss_curve_figure(losses: list[float], title: str, live_step: int | None = None) -> go.Figure:
    """The training loss at every Adam step, on a log axis (``live_step`` marks a training still running)."""
    y = np.asarray(losses, dtype=np.float64)
    data = [
        dict(
            type="scatter",
            x=np.arange(1, len(y) + 1, dtype=np.int32),
            y=np.maximum(y, 1e-6),
            mode="lines",
            line=dict(color=STATE_COLOUR, width=1.5),
            hovertemplate="step %{x}<br>loss %{y:.4f}<extra></extra>",
            name="training loss",
        )
    ]
    shapes = []
    if live_step is not None:
        shapes.append(
            dict(type="line", x0=live_step, x1=live_step, yref="paper", y0=0, y1=1, line=dict(color=CURSOR_COLOUR))
        )
    layout = base_layout(
        title,
        280,
        xaxis=dict(title=dict(text="Adam step"), rangemode="tozero"),
        yaxis=dict(title=dict(text="loss (log scale)"), type="log"),
        shapes=shapes,
        showlegend=False,
    )
    return make_figure(data, layout)
