"""States as trajectories: a 2-D PCA of h or c over time, and chosen units' c and h as lines."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from torch import Tensor

from lstm_viz.figures.base import base_layout, integer_dtick, make_figure, step_pairs, step_words, time_axis, to_numpy
from lstm_viz.figures.gradients import LEGEND_ON_TOP, title_on_top
from lstm_viz.figures.scales import GATE_SCALE, TANH_RANGE, symmetric_limit
from lstm_viz.i18n import t
from lstm_viz.trace import LayerTrace

UNIT_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
"""Okabe-Ito colours, one per chosen unit (colour-blind safe)."""


def pca_trajectory_figure(
    coords: Tensor,
    explained: Tensor,
    title: str,
    inputs: list[list[str]] | None = None,
    height: int = 440,
    *,
    lang: str = "en",
) -> go.Figure:
    """One line per batch item through the first two principal components, markers coloured by step.

    Args:
        coords: The projected states (``lstm_viz.analysis.pca_2d(...).coords``).
        explained: The fraction of variance each component carries, for the axis titles.
        title: The figure's title.
        inputs: The input at each step of each batch item, in words, for the hover (``[B][T]``), or None.
        height: Figure height in pixels.
        lang: The language of the axis titles, hovers and colour bar.

    Shapes:
        coords [B, T, 2]; explained [2].
    """
    xy = to_numpy(coords)
    batch, steps, _ = xy.shape
    data = []
    if inputs is None:
        hover = t(lang, "step %{customdata}")
    else:
        hover = t(lang, "step %{customdata[0]}<br>input %{customdata[1]}")
    components = t(lang, "PC1 %{x:.3f}, PC2 %{y:.3f}")
    for b in range(batch):
        custom = np.arange(steps) if inputs is None else np.array(list(zip(range(steps), inputs[b], strict=True)))
        item = t(lang, "batch item {batch_item}", batch_item=b)
        data.append(
            dict(
                type="scatter",
                mode="lines+markers",
                x=xy[b, :, 0],
                y=xy[b, :, 1],
                name=item,
                line=dict(color="rgba(120,120,120,0.5)", width=1),
                marker=dict(
                    size=7,
                    color=np.arange(steps),
                    colorscale=GATE_SCALE,
                    cmin=0,
                    cmax=max(steps - 1, 1),
                    showscale=b == 0,
                    colorbar=dict(
                        title=dict(text=t(lang, "time step t"), side="right"),
                        thickness=12,
                        len=0.9,
                        tickmode="linear",
                        tick0=0,
                        dtick=integer_dtick(steps, 8),  # whole steps, never 0.5
                    ),
                ),
                customdata=custom,
                hovertemplate=f"{item}<br>{hover}<br>{components}<extra></extra>",
            )
        )
    ev = to_numpy(explained)
    layout = base_layout(
        title,
        height,
        xaxis=dict(
            title=dict(text=t(lang, "principal component 1 ({share:.0%} of variance, state units)", share=ev[0]))
        ),
        # Short: a rotated title longer than a slide's plot height would run into the figure's title.
        yaxis=dict(title=dict(text=t(lang, "PC 2 ({share:.0%} of variance)", share=ev[1]))),
        showlegend=False,
    )
    return make_figure(data, layout)


def unit_lines_figure(
    rec: LayerTrace,
    units: list[int],
    batch_item: int,
    title: str,
    step_labels: list[str] | None = None,
    height: int = 340,
    *,
    lang: str = "en",
) -> go.Figure:
    """Chosen units' cell state c (left panel) and hidden state h (right panel) over time, words in ``lang``.

    With a projection, h has fewer features than c has units; a unit beyond them is left out of the h panel.

    Shapes:
        ``rec.c[batch_item]`` [T, H] and ``rec.h[batch_item]`` [T, H_out] -> one line per chosen unit.
    """
    c, h = rec.c[batch_item], rec.h[batch_item]  # [T, H], [T, H_out]
    projected = rec.weights.weight_hr is not None
    data = []
    steps_words = step_words(step_labels, lang=lang)
    for n, u in enumerate(units):
        colour = UNIT_COLOURS[n % len(UNIT_COLOURS)]
        name = t(lang, "unit {unit}", unit=u)
        for axis, values, label in (("", c, "c"), ("2", h, "h")):
            if u >= values.shape[1]:
                continue
            data.append(
                dict(
                    type="scatter",
                    mode="lines",
                    x=np.arange(values.shape[0]),
                    y=to_numpy(values[:, u]),
                    name=name,
                    legendgroup=f"unit {u}",
                    showlegend=label == "c",
                    line=dict(color=colour, width=2),
                    xaxis=f"x{axis}",
                    yaxis=f"y{axis}",
                    customdata=step_pairs(step_labels),
                    hovertemplate=t(lang, "{state}, unit {unit}", state=label, unit=u)
                    + f"<br>{steps_words}<br>%{{y:.4f}}<extra></extra>",
                )
            )
    c_lim = symmetric_limit(c)
    h_range = [-symmetric_limit(h), symmetric_limit(h)] if projected else list(TANH_RANGE)
    steps = c.shape[0]
    layout = base_layout(
        title,
        height,
        # Two panels side by side: half the step numbers and symbols of a full-width axis.
        xaxis=dict(domain=[0, 0.44], **time_axis(steps, step_labels, max_ticks=8, max_symbols=40, lang=lang)),
        xaxis2=dict(
            domain=[0.56, 1], anchor="y2", **time_axis(steps, step_labels, max_ticks=8, max_symbols=40, lang=lang)
        ),
        yaxis=dict(title=dict(text=t(lang, "cell state c (no unit)")), range=[-c_lim * 1.05, c_lim * 1.05]),
        yaxis2=dict(
            title=dict(
                text=t(lang, "hidden state h (projected)") if projected else t(lang, "hidden state h, range −1..1")
            ),
            range=h_range,
            anchor="x2",
        ),
        legend=LEGEND_ON_TOP,
        margin=dict(l=60, r=20, t=85, b=45),
    )
    return make_figure(data, title_on_top(layout))
