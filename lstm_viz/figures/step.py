"""One-step views: a clickable heatmap grid and the cell diagram carrying one unit's real values."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lstm_viz.figures.base import record_label, restyle
from lstm_viz.figures.gates import state_heatmap_figure
from lstm_viz.figures.scales import CURSOR_COLOUR
from lstm_viz.i18n import N_, t
from lstm_viz.trace import LayerTrace, StepTerms

GATE_BOXES = {
    "f": N_("σ: forget<br><b>f = {value:.3f}</b>"),
    "i": N_("σ: input<br><b>i = {value:.3f}</b>"),
    "g": N_("tanh: candidate<br><b>g = {value:.3f}</b>"),
    "o": N_("σ: output<br><b>o = {value:.3f}</b>"),
}
"""Each gate's box in the cell diagram: its activation, its name and its value (said with ``t(lang, ...)``)."""


def click_grid_figure(
    rec: LayerTrace,
    name: str,
    batch_item: int,
    units: tuple[int, int],
    selected: tuple[int, int],
    step_labels: list[str] | None = None,
    *,
    clickable: bool = True,
    lang: str = "en",
) -> go.Figure:
    """A heatmap to click on: a transparent scatter overlay, one marker per cell, carries the clicks.

    Plotly heatmap clicks do not reach Streamlit's selection events; scatter points do. The overlay's hover
    names the step index, its input symbol (``step_labels``, when the input has symbols), the unit and the value;
    its words, and the title's, are in ``lang``. ``clickable=False`` (a notebook, which takes no clicks) leaves
    out the invitations to click in the title and the hover.

    Shapes:
        ``getattr(rec, name)[batch_item]`` [T, units] -> a grid of T * units markers.
    """
    fig = state_heatmap_figure(
        rec, name, batch_item, units, cursor=selected[0], height=320, step_labels=step_labels, lang=lang
    )
    steps = rec.steps
    # int16 indices: a quarter of the bytes of int64, and T, H <= 512.
    tt, uu = np.meshgrid(  # [units, T] each
        np.arange(steps, dtype=np.int16), np.arange(units[0], units[1], dtype=np.int16)
    )
    values = fig.data[0].z.ravel()
    if step_labels is None:
        custom = values
        if clickable:
            words = t(lang, "step %{x}<br>unit %{y}<br>value %{customdata:.4f}<br>click to select")
        else:
            words = t(lang, "step %{x}<br>unit %{y}<br>value %{customdata:.4f}")
    else:  # [units * T, 2]: value and input symbol; a plain float array where there are no symbols (fewer bytes)
        # The step index too: on an axis labelled by symbols, %{x} reads as the symbol.
        symbols = np.broadcast_to(np.asarray(step_labels, dtype=object), tt.shape).ravel()
        custom = np.stack([values.astype(object), symbols, tt.ravel().astype(object)], axis=1)  # [units * T, 3]
        if clickable:
            words = t(
                lang,
                "step %{customdata[2]} (input %{customdata[1]})<br>unit %{y}<br>value %{customdata[0]:.4f}"
                "<br>click to select",
            )
        else:
            words = t(lang, "step %{customdata[2]} (input %{customdata[1]})<br>unit %{y}<br>value %{customdata[0]:.4f}")
    fig.add_trace(
        go.Scatter(
            x=tt.ravel(),
            y=uu.ravel(),
            mode="markers",
            marker=dict(size=14, symbol="square", opacity=0),
            # Hoverable on purpose: Plotly only clicks what it hovers, so the overlay carries the label.
            customdata=custom,
            hovertemplate=f"{name}<br>{words}<extra></extra>",
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
    if clickable:
        fig.layout.title.text = t(lang, "Click a cell to pick step t and unit j: {title}", title=fig.layout.title.text)
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


def cell_diagram_figure(
    terms: StepTerms, rec: LayerTrace, batch_item: int, unit: int, *, lang: str = "en"
) -> go.Figure:
    """A schematic LSTM cell for one unit at one step, every box and arrow carrying its real value; words in lang."""
    step = terms.t
    v = {n: float(getattr(rec, n)[batch_item, step, unit]) for n in ("i", "f", "g", "o", "c", "m")}
    c_prev = float(terms.c_prev[batch_item, unit])
    fig = go.Figure()
    top, mid, gate_y, bottom = 3.6, 2.5, 1.3, 0.0
    gate_x = {"f": 1.5, "i": 3.5, "g": 5.5, "o": 7.5}
    for gate, x in gate_x.items():
        a, b = terms.split(gate)
        pre_x, pre_h = float(a[batch_item, unit]), float(b[batch_item, unit])
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
        _node(fig, x, gate_y, t(lang, GATE_BOXES[gate], value=v[gate]), fill)
    fig.add_annotation(
        x=4.5,
        y=bottom - 0.25,
        showarrow=False,
        font=dict(size=11),
        text=t(
            lang,
            "pre-activations: W<sub>i·</sub>x<sub>t</sub> + b<sub>i·</sub>  +  "
            "W<sub>h·</sub>h<sub>t−1</sub> + b<sub>h·</sub>   (x<sub>t</sub> and h<sub>t−1</sub> enter from below)",
        ),
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
        h_words = t(
            lang, "h<sub>t</sub> = W<sub>hr</sub> m<sub>t</sub> ({n} features)", n=rec.weights.weight_hr.shape[0]
        )
    else:
        h_words = f"h<sub>t</sub> = m<sub>t</sub> = {v['m']:.3f}"
    _arrow(fig, 9.9, gate_y - 0.35, 9.9, bottom + 0.3)
    _node(fig, 9.9, bottom + 0.05, h_words)
    fig.update_xaxes(visible=False, range=[-0.8, 11.2], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-0.6, 4.2], fixedrange=True)
    title = t(
        lang,
        "The cell at step t = {t}, unit j = {unit}, {where}",
        t=step,
        unit=unit,
        where=record_label(rec, batch_item, lang=lang),
    )
    return restyle(fig, title, 420)
