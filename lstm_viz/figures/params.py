"""Parameter views: a weight matrix as a heatmap split into its gate blocks."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from torch import Tensor

from lstm_viz.engine import GATES
from lstm_viz.figures.base import colour_bar, integer_dtick, restyle, to_numpy
from lstm_viz.figures.scales import SIGNED_SCALE, symmetric_limit
from lstm_viz.i18n import t

MAX_WEIGHT_SIDE = 256
"""Rows or columns of a weight heatmap beyond this are strided: no screen shows more, and bytes stay low."""


def weight_figure(weight: Tensor, name: str, *, lang: str = "en") -> go.Figure:
    """Heatmap of one weight matrix; 4H-row matrices are split into their i, f, g, o blocks.

    Matrices wider or taller than ``MAX_WEIGHT_SIDE`` show every k-th row or column (said in the title);
    hover still names the true row and column. Its words are in ``lang``.

    Shapes:
        weight [rows, cols] (``weight_ih``/``weight_hh`` [4H, ·], ``weight_hr`` [P, H]).
    """
    rows, cols = weight.shape
    row_step = -(-rows // MAX_WEIGHT_SIDE)
    col_step = -(-cols // MAX_WEIGHT_SIDE)
    z = to_numpy(weight[::row_step, ::col_step])  # [ceil(rows / row_step), ceil(cols / col_step)]
    limit = symmetric_limit(weight)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=np.arange(0, cols, col_step, dtype=np.int32),
            y=np.arange(0, rows, row_step, dtype=np.int32),
            zmin=-limit,
            zmax=limit,
            colorscale=SIGNED_SCALE,
            colorbar=colour_bar(t(lang, "weight")),
            hovertemplate=t(lang, "row %{y}<br>column %{x}<br>weight %{z:.4f}<extra></extra>"),
        )
    )
    gated = name.startswith(("weight_ih", "weight_hh"))
    if gated:
        hidden = rows // 4
        for k in range(1, 4):
            fig.add_hline(y=k * hidden - row_step / 2, line=dict(color="black", width=2))
        fig.update_yaxes(
            tickvals=[(k + 0.5) * hidden - 0.5 for k in range(4)],
            ticktext=[
                t(lang, "{gate} rows {first}–{last}", gate=g, first=k * hidden, last=(k + 1) * hidden - 1)
                for k, g in enumerate(GATES)
            ],
        )
    columns = {
        "weight_ih": t(lang, "column (input feature)"),
        "weight_hh": t(lang, "column (h_(t-1) feature)"),
        "weight_hr": t(lang, "column (cell unit)"),
    }
    # Whole-number ticks: a column or row index is never 2.5.
    fig.update_xaxes(
        title_text=columns[name.split("_l")[0]],
        showgrid=False,
        tickmode="linear",
        tick0=0,
        dtick=integer_dtick(cols, 10),
    )
    fig.update_yaxes(
        title_text=t(lang, "row (gate block)") if gated else t(lang, "row (projected feature)"),
        showgrid=False,
        autorange="reversed",
        # The gate blocks' labels ("i rows 0–15") are wider than a margin Streamlit does not widen for them.
        automargin=True,
    )
    if not gated:
        fig.update_yaxes(tickmode="linear", tick0=0, dtick=integer_dtick(rows, 10))
    shape = tuple(weight.shape)
    if row_step > 1 or col_step > 1:
        title = t(
            lang,
            "{name}, shape {shape} (strided: 1 in {row_step} rows, 1 in {col_step} columns shown)",
            name=name,
            shape=shape,
            row_step=row_step,
            col_step=col_step,
        )
    else:
        title = t(lang, "{name}, shape {shape}", name=name, shape=shape)
    return restyle(fig, title, min(700, max(260, 40 + 6 * z.shape[0])))
