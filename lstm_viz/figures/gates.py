"""Gates over time: heatmaps of one quantity (unit x step) and bars of every quantity at one step."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lstm_viz import i18n
from lstm_viz.figures.base import (
    HEATMAP_MARGIN,
    base_layout,
    colour_bar,
    cursor_shape,
    heat_hover,
    highlight_shapes,
    make_figure,
    plot_height,
    record_label,
    step_customdata,
    time_axis,
    titled,
    to_numpy,
    two_line_title,
    unit_axis,
    unit_dtick,
)
from lstm_viz.figures.scales import MAX_UNITS_SHOWN, QUANTITIES, SHORT_TITLES, STATE_ORDER, quantity_range
from lstm_viz.i18n import t
from lstm_viz.trace import LayerTrace


def state_heatmap_figure(
    rec: LayerTrace,
    name: str,
    batch_item: int = 0,
    units: tuple[int, int] | None = None,
    cursor: int | None = None,
    height: int = 260,
    step_labels: list[str] | None = None,
    highlight: tuple[int, ...] = (),
    narrow: bool = False,
    *,
    lang: str = "en",
) -> go.Figure:
    """Heatmap of one gate or state over time, units x steps, with a fixed colour range.

    Args:
        rec: The layer-direction record.
        name: One of ``i, f, g, o, c, m, h``.
        batch_item: Which sequence of the batch.
        units: ``[start, stop)`` window of units to show; default at most ``MAX_UNITS_SHOWN`` of them, around the
            first outlined unit when there is one.
        cursor: Step to outline, or None.
        height: Figure height in pixels.
        step_labels: The input symbol of each step, on the time axis and in the hover; None for step numbers.
        highlight: Units to outline (e.g. the unit that tracks a task's memory), named in the title.
        narrow: For a chart beside others: its title on two lines, fewer time ticks, margins shared with the
            heatmaps it stands with.
        lang: The language of the figure's words.

    Shapes:
        ``getattr(rec, name)[batch_item]`` [T, units] is drawn transposed, [units, T].
    """
    q = QUANTITIES[name]
    values = getattr(rec, name)[batch_item]  # [T, units]
    start, stop = units or _window_around(values.shape[1], highlight[0] if highlight else 0)
    z = np.ascontiguousarray(to_numpy(values[:, start:stop]).T)  # [units, T]
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
        colorbar=colour_bar(t(lang, "value")),
        customdata=step_customdata(step_labels, z.shape[0]),
        hovertemplate=heat_hover(name, step_labels, lang=lang),
    )
    projected_h = name == "h" and rec.weights.weight_hr is not None
    title = t(lang, "hidden state h = W_hr m (projected)") if projected_h else t(lang, q.title)
    units_words = ", ".join(map(str, highlight))
    shapes = highlight_shapes(list(highlight), (start, stop))
    if cursor is not None:
        shapes.append(cursor_shape(cursor))
    if narrow:
        if highlight:
            detail = t(lang, "unit {units} outlined, batch item {batch_item}", units=units_words, batch_item=batch_item)
        else:
            detail = t(lang, "batch item {batch_item}", batch_item=batch_item)
        layout = base_layout(
            two_line_title(title, detail),
            height,
            xaxis=time_axis(values.shape[0], step_labels, max_ticks=8, max_symbols=20, lang=lang),
            shapes=shapes,
            margin=dict(HEATMAP_MARGIN, t=64),
        )
    else:
        if highlight:
            title = t(lang, "{title} (unit {units} outlined)", title=title, units=units_words)
        layout = base_layout(
            titled(title, record_label(rec, batch_item, lang=lang), lang=lang),
            height,
            xaxis=time_axis(values.shape[0], step_labels, lang=lang),
            shapes=shapes,
        )
    row = t(lang, "projected feature") if projected_h else t(lang, "unit")
    layout["yaxis"] = unit_axis(z.shape[0], plot_height(layout), row, lang=lang)
    if start:  # whole-number ticks counted from the window's first unit
        layout["yaxis"]["tick0"] = start
    return make_figure([heat], layout)


def _window_around(units: int, centre: int) -> tuple[int, int]:
    """At most ``MAX_UNITS_SHOWN`` of ``units`` units, ``centre`` inside (a screen shows no more)."""
    start = max(0, min(centre - MAX_UNITS_SHOWN // 2, units - MAX_UNITS_SHOWN))
    return start, min(units, start + MAX_UNITS_SHOWN)


def step_bars_figure(
    rec: LayerTrace,
    t: int,
    batch_item: int = 0,
    units: tuple[int, int] | None = None,
    symbol: str | None = None,
    *,
    lang: str = "en",
) -> go.Figure:
    """Bars of every gate and state at step ``t``, one panel per quantity, each on its fixed range.

    ``symbol``, the input symbol at step ``t`` where the input has symbols, goes into the title; its words are
    in ``lang`` (said with ``i18n.t``: ``t`` is the step here).

    Shapes:
        each quantity at ``[batch_item, t]`` is a [units] vector.
    """
    n = len(STATE_ORDER)
    gap = 0.035
    width = (1 - gap * (n - 1)) / n
    data, axes, titles = [], {}, []
    unit_words, value_words, value_title = i18n.t(lang, "unit"), i18n.t(lang, "value %{x:.4f}"), i18n.t(lang, "value")
    for k, name in enumerate(STATE_ORDER):
        values = getattr(rec, name)[batch_item, t]
        start, stop = units or (0, min(values.shape[0], MAX_UNITS_SHOWN))
        v = to_numpy(values[start:stop])
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
                hovertemplate=f"{name}<br>{unit_words} %{{y}}<br>{value_words}<extra></extra>",
                showlegend=False,
            )
        )
        left = k * (width + gap)
        axes[f"xaxis{suffix}"] = dict(
            domain=[left, left + width],
            range=[lo, hi],
            nticks=3,  # seven narrow panels side by side: the ends and the middle, even at slide size
            title=dict(text=value_title),
            anchor=f"y{suffix}",
        )
        axes[f"yaxis{suffix}"] = dict(
            anchor=f"x{suffix}",
            autorange="reversed",
            showticklabels=k == 0,
            title=dict(text=unit_words if k == 0 else ""),
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
    where = record_label(rec, batch_item, lang=lang)
    if symbol:
        title = i18n.t(
            lang, "Every gate and state at step t = {t} (input {symbol}), {where}", t=t, symbol=symbol, where=where
        )
    else:
        title = i18n.t(lang, "Every gate and state at step t = {t}, {where}", t=t, where=where)
    layout = base_layout(
        title,
        340,
        annotations=titles,
        **axes,
    )
    dtick = unit_dtick(stop - start, plot_height(layout))
    for k in range(n):
        layout[f"yaxis{'' if k == 0 else k + 1}"]["dtick"] = dtick
    return make_figure(data, layout)
