"""The checker's views: each case against its tolerance, and where a learner's forward parts from nn.LSTM."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from torch import Tensor

from lstm_viz.figures.base import (
    HEATMAP_MARGIN,
    base_layout,
    colour_bar,
    decade_label,
    integer_dtick,
    make_figure,
    plot_height,
    time_axis,
    to_numpy,
    unit_axis,
)
from lstm_viz.figures.scales import CURSOR_COLOUR, ERROR_SCALE
from lstm_viz.i18n import N_, t

FLOOR = 1e-18
"""An exact zero cannot sit on a log scale: it is drawn here (and its hover says 0)."""
DIFF_RANGES = {"float32": (-10, 1), "float64": (-16, 1)}
"""Colour ranges of log10 |difference|, fixed by dtype so screenshots stay comparable."""
RATIO_RANGE = (-4, 4)
"""Colour range of log10(max |difference| / tolerance): 1 (10^0) is the line between match and differ."""
STATUS_WORDS = {
    "raised": N_("raised {error}"),
    "skipped": N_("skipped: no w_hr parameter"),
    "stopped": N_("stopped while running"),
    "not_run": N_("not run"),
}
"""Words drawn on a case without a ratio (English; ``t(lang, word, error=...)`` says them in another language)."""


def _log_bar(title: str, low: int, high: int, max_ticks: int = 6) -> dict:
    """A colour bar over log10 values labelled as the decades themselves (at most ``max_ticks`` of them)."""
    every = integer_dtick(high - low + 1, max_ticks)
    ticks = [k for k in range(low, high + 1) if k % every == 0]
    return dict(colour_bar(title), tickmode="array", tickvals=ticks, ticktext=[decade_label(k) for k in ticks])


def _log10(values: np.ndarray) -> np.ndarray:
    return np.log10(np.maximum(np.nan_to_num(values, nan=1e30, posinf=1e30), FLOOR))


def cases_figure(
    names: list[str],
    ratios: list[float | None],
    notes: list[str],
    hovers: list[str],
    title_detail: str = "",
    *,
    lang: str = "en",
) -> go.Figure:
    """Each case's largest |yours - nn.LSTM| over its tolerance, on a log axis: left of 1 matches, right differs.

    Args:
        names: The cases, in running order (drawn top to bottom).
        ratios: max over elements of |difference| / (atol + rtol |nn.LSTM|); None when nothing was compared.
        notes: Words drawn on a case without a ratio (raised, skipped, not run).
        hovers: One line per case for its hover (max |difference| and the tolerance in words).
        title_detail: A second title line.
        lang: The language of the figure's own words (``names``, ``notes`` and ``hovers`` come said already).
    """
    lo, hi = RATIO_RANGE
    x = np.array([max(r, 10.0**lo) if r is not None else np.nan for r in ratios], dtype=np.float64)
    shown = np.where(np.isnan(x), 10.0**lo, np.minimum(x, 10.0**hi))
    colour = np.clip(_log10(shown), lo, hi)
    bars = dict(
        type="bar",
        orientation="h",
        y=names,
        x=np.where(np.isnan(x), 0, shown),
        base=None,
        marker=dict(
            color=colour,
            cmin=lo,
            cmax=hi,
            colorscale=ERROR_SCALE,
            colorbar=_log_bar(t(lang, "|diff| / tolerance"), lo, hi),
            line=dict(width=0),
        ),
        customdata=np.array(hovers, dtype=object),
        hovertemplate="%{y}<br>%{customdata}<extra></extra>",
        name=t(lang, "max |diff| / tolerance"),
    )
    annotations = [
        dict(
            text=note,
            x=lo,
            y=name,
            xref="x",
            yref="y",
            xanchor="left",
            showarrow=False,
            font=dict(color="#555"),
        )
        for name, note, r in zip(names, notes, ratios, strict=True)
        if r is None and note
    ]
    annotations.append(
        dict(
            text=t(lang, "tolerance"),
            x=0,
            y=1.0,
            xref="x",
            yref="paper",
            yanchor="bottom",
            showarrow=False,
            font=dict(color="grey"),
        )
    )
    title = t(lang, "Each case: largest |yours − nn.LSTM| over its tolerance")
    layout = base_layout(
        title + (f"<br><sup>{title_detail}</sup>" if title_detail else ""),
        90 + 30 * len(names),
        xaxis=dict(
            title=dict(text=t(lang, "max |yours − nn.LSTM| / tolerance (log scale; 1 = the tolerance)")),
            type="log",
            range=[lo, hi],
            tickmode="array",
            tickvals=[10.0**k for k in range(lo, hi + 1)],
            ticktext=[decade_label(k) for k in range(lo, hi + 1)],
            zeroline=False,
        ),
        yaxis=dict(title=dict(text=t(lang, "case")), autorange="reversed", automargin=True),
        shapes=[dict(type="line", xref="x", yref="paper", x0=1, x1=1, y0=0, y1=1, line=dict(dash="dot", color="grey"))],
        annotations=annotations,
        showlegend=False,
        margin=dict(l=60, r=96, t=64 if title_detail else 50, b=48),
        bargap=0.35,
    )
    return make_figure([bars], layout)


def difference_figure(
    diff: Tensor,
    dtype: str,
    first: tuple[int, int] | None,
    parting: Tensor | None,
    detail: str = "",
    *,
    lang: str = "en",
) -> go.Figure:
    """Heatmap of |yours - nn.LSTM| of the output over steps and units (largest over the batch), log colours.

    Args:
        diff: |yours - nn.LSTM| per step and output feature.
        dtype: The case's dtype (fixes the colour range).
        first: (step, unit) of the first divergence, outlined; None when the output does not part.
        parting: Where the difference is past the tolerance (True), same shape as ``diff``; dotted in the hover.
        detail: A second title line (which case).
        lang: The language of its words.

    Shapes:
        diff [T, features] -> drawn [features, T]; parting [T, features].
    """
    values = to_numpy(diff).astype(np.float64).T  # [features, T]
    lo, hi = DIFF_RANGES.get(dtype, DIFF_RANGES["float32"])
    z = np.clip(_log10(values), lo, hi)
    past = to_numpy(parting).T.astype(bool) if parting is not None else np.zeros_like(values, dtype=bool)
    words = np.where(past, t(lang, "past the tolerance"), t(lang, "within the tolerance"))
    custom = np.stack([values, words], axis=-1).astype(object)
    steps = values.shape[1]
    heat = dict(
        type="heatmap",
        z=z,
        x0=0,
        dx=1,
        y0=0,
        dy=1,
        zmin=lo,
        zmax=hi,
        colorscale=ERROR_SCALE,
        colorbar=_log_bar(t(lang, "|diff|"), lo, hi),
        customdata=custom,
        hovertemplate=t(lang, "step %{x}<br>unit %{y}<br>|yours − nn.LSTM| %{customdata[0]:.3g}<br>%{customdata[1]}")
        + "<extra></extra>",
    )
    shapes = []
    if first is not None:
        step, j = first
        shapes.append(
            dict(
                type="rect",
                x0=step - 0.5,
                x1=step + 0.5,
                y0=j - 0.5,
                y1=j + 0.5,
                line=dict(color=CURSOR_COLOUR, width=3),
                fillcolor="rgba(0,0,0,0)",
            )
        )
    title = t(lang, "|yours − nn.LSTM| of the output, over steps and units")
    layout = base_layout(
        title + (f"<br><sup>{detail}</sup>" if detail else ""),
        340,
        xaxis=time_axis(steps, max_ticks=12, lang=lang),
        shapes=shapes,
        margin=dict(HEATMAP_MARGIN, t=64 if detail else 50),
    )
    layout["yaxis"] = unit_axis(values.shape[0], plot_height(layout), t(lang, "output unit (feature)"), lang=lang)
    return make_figure([heat], layout)


def final_states_figure(
    h_diff: Tensor | None, c_diff: Tensor | None, dtype: str, detail: str = "", *, lang: str = "en"
) -> go.Figure:
    """|yours - nn.LSTM| of h_n and c_n side by side, per batch item and unit, on one log colour scale.

    ``lang`` is the language of its words.

    Shapes:
        h_diff [B, H_out]; c_diff [B, H] (either None when its shape was wrong).
    """
    lo, hi = DIFF_RANGES.get(dtype, DIFF_RANGES["float32"])
    traces = []
    parts = [(name, d) for name, d in (("h_n", h_diff), ("c_n", c_diff)) if d is not None]
    widths = [max(int(d.shape[-1]), 1) for _, d in parts] or [1]
    total = sum(widths)
    gap = 0.08
    x0 = 0.0
    layout_axes: dict = {}
    annotations = []
    for k, (name, d) in enumerate(parts):
        values = to_numpy(d).astype(np.float64)
        share = (1 - gap * (len(parts) - 1)) * widths[k] / total
        axis = "" if k == 0 else str(k + 1)
        traces.append(
            dict(
                type="heatmap",
                z=np.clip(_log10(values), lo, hi),
                zmin=lo,
                zmax=hi,
                colorscale=ERROR_SCALE,
                colorbar=_log_bar(t(lang, "|diff|"), lo, hi, max_ticks=4),
                showscale=k == 0,
                customdata=values,
                xaxis=f"x{axis}",
                yaxis=f"y{axis}",
                hovertemplate=t(
                    lang,
                    "{name}<br>batch item %{{y}}<br>unit %{{x}}<br>|yours − nn.LSTM| %{{customdata:.3g}}",
                    name=name,
                )
                + "<extra></extra>",
            )
        )
        layout_axes[f"xaxis{axis}"] = dict(
            domain=[x0, x0 + share],
            title=dict(text=t(lang, "{name} unit", name=name)),
            tickmode="linear",
            tick0=0,
            dtick=integer_dtick(values.shape[1], 8),
            showgrid=False,
            zeroline=False,
            anchor=f"y{axis}",
        )
        layout_axes[f"yaxis{axis}"] = dict(
            title=dict(text=t(lang, "batch item") if k == 0 else ""),
            tickmode="linear",
            tick0=0,
            dtick=1,
            autorange="reversed",
            showgrid=False,
            zeroline=False,
            anchor=f"x{axis}",
        )
        annotations.append(
            dict(text=name, x=x0 + share / 2, y=1.0, xref="paper", yref="paper", yanchor="bottom", showarrow=False)
        )
        x0 += share + gap
    title = t(lang, "|yours − nn.LSTM| of the final states h_n and c_n")
    rows = max((int(d.shape[0]) for _, d in parts), default=1)
    layout = base_layout(
        title + (f"<br><sup>{detail}</sup>" if detail else ""),
        230 + 26 * rows,
        annotations=annotations,
        margin=dict(HEATMAP_MARGIN, t=76 if detail else 60),
        **layout_axes,
    )
    return make_figure(traces, layout)
