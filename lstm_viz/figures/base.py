"""Layout, labels and conversions shared by every figure builder."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from torch import Tensor

from lstm_viz.figures.scales import CURSOR_COLOUR, FONT
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


def make_figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure from plain trace and layout dicts."""
    # One validated construction from plain dicts: a tenth of the time of trace objects plus updates,
    # which keeps a cursor move well inside its budget. No template: Streamlit applies its own theme.
    return go.Figure(dict(data=data, layout=layout))


def restyle(fig: go.Figure, title: str, height: int) -> go.Figure:
    """Apply the shared layout to a figure built with graph objects."""
    fig.update_layout(base_layout(title, height))
    return fig


def direction_label(reverse: bool) -> str:
    """Words for a direction, as in PyTorch's names."""
    return "reverse" if reverse else "forward"


def record_label(rec: LayerTrace, batch_item: int) -> str:
    """'layer 0 forward, batch item 1' for figure titles."""
    return f"layer {rec.layer} {direction_label(rec.reverse)}, batch item {batch_item}"


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


def time_axis(steps: int, labels: list[str] | None = None) -> dict:
    """An x axis over time steps: plain step numbers, or each step's input symbol when the input has them."""
    if labels is None:
        return dict(title=dict(text="time step t"), showgrid=False, zeroline=False)
    stride = -(-steps // MAX_SYMBOL_TICKS)
    ticks = list(range(0, steps, stride))
    return dict(
        title=dict(text="time step t, labelled by its input symbol" + (f" (every {stride}th)" if stride > 1 else "")),
        tickmode="array",
        tickvals=ticks,
        ticktext=[labels[t] for t in ticks],
        tickangle=0,
        showgrid=False,
        zeroline=False,
    )


def highlight_shapes(units: list[int], window: tuple[int, int], colour: str = CURSOR_COLOUR) -> list[dict]:
    """Dashed outlines around whole rows (units) of a unit x step heatmap, for the units inside ``window``."""
    return [
        dict(
            type="rect",
            xref="paper",
            yref="y",
            x0=0,
            x1=1,
            y0=u - 0.5,
            y1=u + 0.5,
            line=dict(color=colour, width=2, dash="dash"),
            fillcolor="rgba(0,0,0,0)",
        )
        for u in units
        if window[0] <= u < window[1]
    ]
