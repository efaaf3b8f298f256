"""Pure Plotly builders: trace records in, labelled ``go.Figure`` out; colour scales and ranges defined once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from torch import Tensor

from lstm_viz.engine import GATES
from lstm_viz.trace import LayerTrace, StepTerms

# Colour-blind-safe scales, fixed by meaning so screenshots stay comparable.
GATE_SCALE = "Viridis"  # sigmoid gates, 0..1
SIGNED_SCALE = "RdBu_r"  # tanh values and signed states, symmetric around 0
ERROR_SCALE = "Cividis"  # |differences|, 0..max
SIGMOID_RANGE = (0.0, 1.0)
TANH_RANGE = (-1.0, 1.0)
CURSOR_COLOUR = "#ff7f0e"
MAX_UNITS_SHOWN = 64
"""Units per heatmap page: a screen shows no more, and it keeps each page's data under 2 MB."""

FONT = dict(family="Inter, Helvetica, Arial, sans-serif", size=13)


@dataclass(frozen=True)
class Quantity:
    """How one recorded quantity is named, ranged and coloured."""

    name: str
    title: str
    scale: str
    fixed_range: tuple[float, float] | None  # None: symmetric around 0 from the data


QUANTITIES = {
    "i": Quantity("i", "input gate i = σ(·)", GATE_SCALE, SIGMOID_RANGE),
    "f": Quantity("f", "forget gate f = σ(·)", GATE_SCALE, SIGMOID_RANGE),
    "g": Quantity("g", "cell candidate g = tanh(·)", SIGNED_SCALE, TANH_RANGE),
    "o": Quantity("o", "output gate o = σ(·)", GATE_SCALE, SIGMOID_RANGE),
    "c": Quantity("c", "cell state c", SIGNED_SCALE, None),
    "m": Quantity("m", "m = o ⊙ tanh(c)", SIGNED_SCALE, TANH_RANGE),
    "h": Quantity("h", "hidden state h", SIGNED_SCALE, TANH_RANGE),
}
STATE_ORDER = ("i", "f", "g", "o", "c", "m", "h")
SHORT_TITLES = {"i": "i (σ)", "f": "f (σ)", "g": "g (tanh)", "o": "o (σ)", "c": "c", "m": "m", "h": "h"}


def unit_pages(n_units: int, per_page: int = MAX_UNITS_SHOWN) -> list[tuple[int, int]]:
    """Split ``n_units`` into ``[start, stop)`` windows of at most ``per_page`` units."""
    return [(s, min(s + per_page, n_units)) for s in range(0, n_units, per_page)]


def _np(t: Tensor) -> np.ndarray:
    # float32 halves what the browser receives and is far finer than any colour scale.
    return np.ascontiguousarray(t.detach().cpu().float().numpy())


def symmetric_limit(t: Tensor) -> float:
    """The symmetric colour limit for a signed quantity: max |value|, at least 1e-12."""
    return max(float(t.abs().max()) if t.numel() else 0.0, 1e-12)


def quantity_range(rec: LayerTrace, name: str) -> tuple[float, float]:
    """The fixed colour range of one quantity of a layer-direction (whole record, all batch items)."""
    q = QUANTITIES[name]
    if name == "h" and rec.weights.weight_hr is not None:
        limit = symmetric_limit(rec.h)
        return (-limit, limit)
    if q.fixed_range is not None:
        return q.fixed_range
    limit = symmetric_limit(getattr(rec, name))
    return (-limit, limit)


def _layout(title: str, height: int, **extra: object) -> dict:
    """Layout shared by every figure; built as one dict because per-call ``update_*`` costs milliseconds."""
    return dict(
        title=dict(text=title, x=0.01, xanchor="left", font=dict(size=15)),
        font=FONT,
        height=height,
        margin=dict(l=60, r=20, t=50, b=45),
        paper_bgcolor="white",
        plot_bgcolor="white",
        **extra,
    )


def _figure(data: list[dict], layout: dict) -> go.Figure:
    # One validated construction from plain dicts: a tenth of the time of trace objects plus updates,
    # which keeps a cursor move well inside its budget. No template: Streamlit applies its own theme.
    return go.Figure(dict(data=data, layout=layout))


def _style(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(_layout(title, height))
    return fig


def direction_label(reverse: bool) -> str:
    """Words for a direction, as in PyTorch's names."""
    return "reverse" if reverse else "forward"


def record_label(rec: LayerTrace, batch_item: int) -> str:
    """'layer 0 forward, batch item 1' for figure titles."""
    return f"layer {rec.layer} {direction_label(rec.reverse)}, batch item {batch_item}"


def state_heatmap_figure(
    rec: LayerTrace,
    name: str,
    batch_item: int = 0,
    units: tuple[int, int] | None = None,
    cursor: int | None = None,
    height: int = 260,
) -> go.Figure:
    """Heatmap of one gate or state over time, units x steps, with a fixed colour range.

    Args:
        rec: The layer-direction record.
        name: One of ``i, f, g, o, c, m, h``.
        batch_item: Which sequence of the batch.
        units: ``[start, stop)`` window of units to show; default all (at most ``MAX_UNITS_SHOWN``).
        cursor: Step to highlight, or None.
        height: Figure height in pixels.

    Shapes:
        ``getattr(rec, name)[batch_item]`` [T, units] is drawn transposed, [units, T].
    """
    q = QUANTITIES[name]
    values = getattr(rec, name)[batch_item]  # [T, units]
    start, stop = units or (0, min(values.shape[1], MAX_UNITS_SHOWN))
    z = np.ascontiguousarray(_np(values[:, start:stop]).T)  # [units, T]
    zmin, zmax = quantity_range(rec, name)
    heat = dict(
        type="heatmap",
        z=z,
        x0=0,
        dx=1,
        y0=start,
        dy=1,
        zmin=zmin,
        zmax=zmax,
        colorscale=q.scale,
        colorbar=dict(title=dict(text="value", side="right"), thickness=12, len=0.9),
        hovertemplate=f"{name}<br>unit %{{y}}<br>step %{{x}}<br>value %{{z:.4f}}<extra></extra>",
    )
    projected_h = name == "h" and rec.weights.weight_hr is not None
    title = "hidden state h = W_hr m (projected)" if projected_h else q.title
    layout = _layout(
        f"{title}, {record_label(rec, batch_item)}",
        height,
        xaxis=dict(title=dict(text="time step t"), showgrid=False, zeroline=False),
        yaxis=dict(
            title=dict(text="projected feature" if projected_h else "unit"),
            showgrid=False,
            zeroline=False,
            autorange="reversed",
        ),
        shapes=[] if cursor is None else [cursor_shape(cursor)],
    )
    return _figure([heat], layout)


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


def step_bars_figure(rec: LayerTrace, t: int, batch_item: int = 0, units: tuple[int, int] | None = None) -> go.Figure:
    """Bars of every gate and state at step ``t``, one panel per quantity, each on its fixed range.

    Shapes:
        each quantity at ``[batch_item, t]`` is a [units] vector.
    """
    n = len(STATE_ORDER)
    gap = 0.035
    width = (1 - gap * (n - 1)) / n
    data, axes, titles = [], {}, []
    for k, name in enumerate(STATE_ORDER):
        values = getattr(rec, name)[batch_item, t]
        start, stop = units or (0, min(values.shape[0], MAX_UNITS_SHOWN))
        v = _np(values[start:stop])
        lo, hi = quantity_range(rec, name)
        suffix = "" if k == 0 else str(k + 1)
        data.append(
            dict(
                type="bar",
                x=v,
                y=np.arange(start, start + len(v), dtype=np.int16),
                orientation="h",
                xaxis=f"x{suffix}",
                yaxis=f"y{suffix}",
                marker=dict(color=v, colorscale=QUANTITIES[name].scale, cmin=lo, cmax=hi),
                hovertemplate=f"{name}<br>unit %{{y}}<br>value %{{x:.4f}}<extra></extra>",
                showlegend=False,
            )
        )
        left = k * (width + gap)
        axes[f"xaxis{suffix}"] = dict(
            domain=[left, left + width], range=[lo, hi], title=dict(text="value"), anchor=f"y{suffix}"
        )
        axes[f"yaxis{suffix}"] = dict(
            anchor=f"x{suffix}",
            autorange="reversed",
            showticklabels=k == 0,
            title=dict(text="unit" if k == 0 else ""),
        )
        titles.append(
            dict(
                text=SHORT_TITLES[name],
                x=left + width / 2,
                y=1.0,
                xref="paper",
                yref="paper",
                xanchor="center",
                yanchor="bottom",
                showarrow=False,
                font=dict(size=12),
            )
        )
    layout = _layout(
        f"Every gate and state at step t = {t}, {record_label(rec, batch_item)}",
        340,
        annotations=titles,
        **axes,
    )
    return _figure(data, layout)


def output_heatmap_figure(
    values: Tensor, title: str, units: tuple[int, int], zrange: tuple[float, float], scale: str
) -> go.Figure:
    """Heatmap of an output-like tensor for one batch item, features x steps.

    Shapes:
        values [T, features] -> drawn [features in ``units``, T].
    """
    z = np.ascontiguousarray(_np(values[:, units[0] : units[1]]).T)  # [features, T]
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
        colorbar=dict(title=dict(text="|diff|" if scale == ERROR_SCALE else "value"), thickness=12),
        hovertemplate="feature %{y}<br>step %{x}<br>value %{z:.3g}<extra></extra>",
    )
    layout = _layout(
        title,
        300,
        xaxis=dict(title=dict(text="time step t"), showgrid=False, zeroline=False),
        yaxis=dict(title=dict(text="output feature"), showgrid=False, zeroline=False, autorange="reversed"),
    )
    return _figure([heat], layout)


def step_error_figure(step_max_diff: Tensor, atol: float, against: str) -> go.Figure:
    """Per-step max |hand-written - nn.LSTM| of the output, on a log axis, against the verdict's atol.

    Shapes:
        step_max_diff [T].
    """
    err = _np(step_max_diff).astype(np.float64)
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
    layout = _layout(
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
    return _figure(data, layout)


def final_state_figure(values: Tensor, title: str, row_labels: list[str]) -> go.Figure:
    """Heatmap of ``h_n`` or ``c_n`` for one batch item: one row per layer-direction.

    Shapes:
        values [D*L, features].
    """
    limit = symmetric_limit(values)
    heat = dict(
        type="heatmap",
        z=_np(values),
        y=row_labels,
        zmin=-limit,
        zmax=limit,
        colorscale=SIGNED_SCALE,
        colorbar=dict(title=dict(text="value"), thickness=12, len=1.0),
        hovertemplate="%{y}<br>unit %{x}<br>value %{z:.6f}<extra></extra>",
    )
    layout = _layout(
        title,
        190 + 36 * len(row_labels),
        xaxis=dict(title=dict(text="unit"), showgrid=False, zeroline=False),
        yaxis=dict(title=dict(text="layer, direction"), showgrid=False, autorange="reversed"),
    )
    return _figure([heat], layout)


MAX_WEIGHT_SIDE = 256
"""Rows or columns of a weight heatmap beyond this are strided: no screen shows more, and bytes stay low."""


def weight_figure(weight: Tensor, name: str) -> go.Figure:
    """Heatmap of one weight matrix; 4H-row matrices are split into their i, f, g, o blocks.

    Matrices wider or taller than ``MAX_WEIGHT_SIDE`` show every k-th row or column (said in the title);
    hover still names the true row and column.

    Shapes:
        weight [rows, cols] (``weight_ih``/``weight_hh`` [4H, ·], ``weight_hr`` [P, H]).
    """
    rows, cols = weight.shape
    row_step = -(-rows // MAX_WEIGHT_SIDE)
    col_step = -(-cols // MAX_WEIGHT_SIDE)
    z = _np(weight[::row_step, ::col_step])  # [ceil(rows / row_step), ceil(cols / col_step)]
    limit = symmetric_limit(weight)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=np.arange(0, cols, col_step, dtype=np.int32),
            y=np.arange(0, rows, row_step, dtype=np.int32),
            zmin=-limit,
            zmax=limit,
            colorscale=SIGNED_SCALE,
            colorbar=dict(title=dict(text="weight"), thickness=12),
            hovertemplate="row %{y}<br>column %{x}<br>weight %{z:.4f}<extra></extra>",
        )
    )
    gated = name.startswith(("weight_ih", "weight_hh"))
    if gated:
        hidden = rows // 4
        for k in range(1, 4):
            fig.add_hline(y=k * hidden - row_step / 2, line=dict(color="black", width=2))
        fig.update_yaxes(
            tickvals=[(k + 0.5) * hidden - 0.5 for k in range(4)],
            ticktext=[f"{g} rows {k * hidden}–{(k + 1) * hidden - 1}" for k, g in enumerate(GATES)],
        )
    col_words = {"weight_ih": "input feature", "weight_hh": "h_(t-1) feature", "weight_hr": "cell unit"}
    fig.update_xaxes(title_text=f"column ({col_words[name.split('_l')[0]]})", showgrid=False)
    fig.update_yaxes(
        title_text="row (gate block)" if gated else "row (projected feature)",
        showgrid=False,
        autorange="reversed",
    )
    title = f"{name}, shape {tuple(weight.shape)}"
    if row_step > 1 or col_step > 1:
        title += f" (strided: 1 in {row_step} rows, 1 in {col_step} columns shown)"
    return _style(fig, title, min(700, max(260, 40 + 6 * z.shape[0])))


def click_grid_figure(
    rec: LayerTrace, name: str, batch_item: int, units: tuple[int, int], selected: tuple[int, int]
) -> go.Figure:
    """A heatmap to click on: a transparent scatter overlay, one marker per cell, carries the clicks.

    Plotly heatmap clicks do not reach Streamlit's selection events; scatter points do.

    Shapes:
        ``getattr(rec, name)[batch_item]`` [T, units] -> a grid of T * units markers.
    """
    fig = state_heatmap_figure(rec, name, batch_item, units, cursor=selected[0], height=320)
    steps = rec.steps
    # int16 indices: a quarter of the bytes of int64, and T, H <= 512.
    tt, uu = np.meshgrid(  # [units, T] each
        np.arange(steps, dtype=np.int16), np.arange(units[0], units[1], dtype=np.int16)
    )
    fig.add_trace(
        go.Scatter(
            x=tt.ravel(),
            y=uu.ravel(),
            mode="markers",
            marker=dict(size=14, symbol="square", opacity=0),
            # Hoverable on purpose: Plotly only clicks what it hovers, so the overlay carries the label.
            customdata=fig.data[0].z.ravel(),
            hovertemplate=f"{name}<br>unit %{{y}}<br>step %{{x}}<br>value %{{customdata:.4f}}"
            "<br>click to select<extra></extra>",
            showlegend=False,
            name="cells",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[selected[0]],
            y=[selected[1]],
            mode="markers",
            marker=dict(size=16, symbol="square-open", color=CURSOR_COLOUR, line=dict(width=3)),
            hoverinfo="skip",
            showlegend=False,
            name="selected",
        )
    )
    fig.update_layout(clickmode="event+select", dragmode=False)
    fig.layout.title.text = f"Click a cell to pick step t and unit j: {fig.layout.title.text}"
    return fig


def _arrow(fig: go.Figure, x0: float, y0: float, x1: float, y1: float, text: str = "") -> None:
    fig.add_annotation(
        x=x1,
        y=y1,
        ax=x0,
        ay=y0,
        axref="x",
        ayref="y",
        xref="x",
        yref="y",
        text=text,
        showarrow=True,
        arrowhead=2,
        arrowwidth=1.5,
        arrowcolor="#555",
    )


def _node(fig: go.Figure, x: float, y: float, text: str, fill: str = "white", size: int = 12) -> None:
    fig.add_annotation(
        x=x,
        y=y,
        text=text,
        showarrow=False,
        bgcolor=fill,
        bordercolor="#444",
        borderwidth=1,
        borderpad=6,
        font=dict(size=size),
    )


def cell_diagram_figure(terms: StepTerms, rec: LayerTrace, batch_item: int, unit: int) -> go.Figure:
    """A schematic LSTM cell for one unit at one step, every box and arrow carrying its real value."""
    t = terms.t
    v = {n: float(getattr(rec, n)[batch_item, t, unit]) for n in ("i", "f", "g", "o", "c", "m")}
    c_prev = float(terms.c_prev[batch_item, unit])
    fig = go.Figure()
    top, mid, gate_y, bottom = 3.6, 2.5, 1.3, 0.0
    gate_x = {"f": 1.5, "i": 3.5, "g": 5.5, "o": 7.5}
    words = {"f": "forget", "i": "input", "g": "candidate", "o": "output"}
    for gate, x in gate_x.items():
        a, b = terms.split(gate)
        pre_x, pre_h = float(a[batch_item, unit]), float(b[batch_item, unit])
        act = "tanh" if gate == "g" else "σ"
        fill = "#fde0c5" if gate == "g" else "#d7ecd9"
        _arrow(fig, x, bottom + 0.25, x, gate_y - 0.3, "")
        fig.add_annotation(
            x=x,
            y=bottom + 0.55,
            text=f"{pre_x:+.3f} + {pre_h:+.3f}",
            showarrow=False,
            font=dict(size=10),
            bgcolor="rgba(255,255,255,0.85)",
        )
        _node(fig, x, gate_y, f"{act}: {words[gate]}<br><b>{gate} = {v[gate]:.3f}</b>", fill)
    fig.add_annotation(
        x=4.5,
        y=bottom - 0.25,
        showarrow=False,
        font=dict(size=11),
        text="pre-activations: W<sub>i·</sub>x<sub>t</sub> + b<sub>i·</sub>  +  "
        "W<sub>h·</sub>h<sub>t−1</sub> + b<sub>h·</sub>   (x<sub>t</sub> and h<sub>t−1</sub> enter from below)",
    )
    # The cell-state line along the top: c_{t-1} -> x f -> + i*g -> c_t.
    _arrow(fig, 0.0, top, 9.6, top)
    _node(fig, 0.2, top + 0.35, f"c<sub>t−1</sub> = {c_prev:.3f}")
    _node(fig, 1.5, top, "×")
    _arrow(fig, 1.5, gate_y + 0.35, 1.5, top - 0.2)
    _node(fig, 4.5, mid, f"i·g = {v['i'] * v['g']:.3f}")
    _arrow(fig, 3.5, gate_y + 0.35, 4.3, mid - 0.2)
    _arrow(fig, 5.5, gate_y + 0.35, 4.7, mid - 0.2)
    _node(fig, 4.5, top, "+")
    _arrow(fig, 4.5, mid + 0.2, 4.5, top - 0.2)
    _node(fig, 9.3, top + 0.35, f"<b>c<sub>t</sub> = {v['c']:.3f}</b>")
    # The output branch: tanh(c_t) times o gives m_t.
    _node(fig, 8.6, mid, f"tanh(c<sub>t</sub>) = {np.tanh(v['c']):.3f}")
    _arrow(fig, 8.6, top - 0.05, 8.6, mid + 0.2)
    _arrow(fig, 8.15, gate_y, 8.75, gate_y)
    _arrow(fig, 8.6, mid - 0.2, 9.6, gate_y + 0.3)
    _node(fig, 9.9, gate_y, f"<b>m<sub>t</sub> = o·tanh(c<sub>t</sub>)<br>= {v['m']:.3f}</b>", "#eef")
    if rec.weights.weight_hr is not None:
        h_words = f"h<sub>t</sub> = W<sub>hr</sub> m<sub>t</sub> ({rec.weights.weight_hr.shape[0]} features)"
    else:
        h_words = f"h<sub>t</sub> = m<sub>t</sub> = {v['m']:.3f}"
    _arrow(fig, 9.9, gate_y - 0.35, 9.9, bottom + 0.3)
    _node(fig, 9.9, bottom + 0.05, h_words)
    fig.update_xaxes(visible=False, range=[-0.8, 11.2], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-0.6, 4.2], fixedrange=True)
    title = f"The cell at step t = {t}, unit j = {unit}, {record_label(rec, batch_item)}"
    return _style(fig, title, 420)
