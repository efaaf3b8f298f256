"""The Gates figure: every gate and state over time in one aligned figure, its time cursor animated in the browser."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_viz.figures.base import (
    base_layout,
    heat_image,
    highlight_shapes,
    named_ticks,
    play_buttons,
    record_label,
    to_numpy,
)
from lstm_viz.figures.paint import PaintedFigure, axis_scale, heat_colours, heat_png
from lstm_viz.figures.scales import (
    CURSOR_COLOUR,
    FONT,
    MAX_UNITS_SHOWN,
    QUANTITIES,
    SIGNED_SCALE,
    STATE_ORDER,
    quantity_range,
    symmetric_limit,
)
from lstm_viz.i18n import N_, t
from lstm_viz.trace import LayerTrace

PICKED_COLOUR = "#111111"
"""The frame of a picked unit's rows: dark and solid, apart from a task unit's dashed orange outline."""
HERO_HEIGHT = 640
"""Pixels of the whole figure: seven rows, the input strip, the slider and the buttons."""
FRAME_MS = 60
"""Milliseconds per step while playing: up to 16 steps a second, at least 10 where a step takes 100 ms to draw."""
MAX_CELL_POINTS = 24_000
"""Up to this many heatmap cells (all seven rows) carry a transparent hover and click point each.

Beyond it only the input strip takes clicks (a step, no unit): a point per cell would make the page heavy.
"""
ROW_LABELS = {
    "i": N_("<b>i</b> input"),
    "f": N_("<b>f</b> forget"),
    "g": N_("<b>g</b> candidate"),
    "o": N_("<b>o</b> output"),
    "c": N_("<b>c</b> cell"),
    "m": "<b>m</b> o·tanh(c)",
    "h": N_("<b>h</b> hidden"),
}
"""A row's letter and its label, short enough for the left margin (said with ``t(lang, ...)``)."""
RESTYLE_MS = 1
"""The transition of every move between steps: plotly.js restyles a bar (its fill colour) inside an animation only
when the transition lasts longer than 0 ms; at 0 it moves the bars and keeps the fills of the step it opened at.
plotly.js also cuts a transition to its frame's duration, so a frame lasts at least as long."""
ANIMATE = dict(mode="immediate", frame=dict(duration=RESTYLE_MS, redraw=False), transition=dict(duration=RESTYLE_MS))
"""How the slider moves to a step: at once, only the moving traces redrawn (and restyled)."""
NICE_STRIDES = (1, 2, 5, 10, 20, 50, 100, 200, 500)

_HIDDEN_POINTS = dict(
    xaxis="x",
    yaxis="y",
    showlegend=False,
    unselected=dict(marker=dict(opacity=0)),
    selected=dict(marker=dict(opacity=0)),
)
"""What the transparent hover-and-click points on the heatmaps share: invisible, selected or not."""

# Vertical layout in pixels of the plot area (the figure less its margins).
_STRIP_PX = 22
_MAX_STRIP_PX = 60
_GAP_PX = 13
_TOP, _BOTTOM, _LEFT, _RIGHT = 56, 92, 122, 78
# Horizontal layout in fractions of the plot width: heatmaps, then the values at the cursor.
_HEAT_END, _BARS_START = 0.70, 0.765

Scales = dict[str, tuple[str, tuple[float, float]]]
"""Each painted row's colour scale and range, by row name (``i, f, g, ...``, then ``x`` for the input)."""


@dataclass(frozen=True)
class _Rows:
    """Where every row sits on the figure's one unit axis (in unit rows, 0 at the top), and what it holds.

    Attributes:
        steps: T.
        windows: Each quantity's ``[start, stop)`` units (a projected h: its first features).
        values: Each quantity's values. Shapes: [units, T].
        x_values: The input's first features, painted in the strip when the steps have no symbols. Shapes:
            [features, T].
        labels: Each step's input symbol, or None.
        projected: Whether h is the projection's output (its rows are features, not units).
        strip_h: The input strip's height.
        begins: Each quantity's first row.
        centres: Each quantity's rows' centres. Shapes: [units].
        total: The axis's length.
        per_unit: Pixels per unit row.
    """

    steps: int
    windows: dict[str, tuple[int, int]]
    values: dict[str, np.ndarray]
    x_values: np.ndarray | None
    labels: list[str] | None
    projected: bool
    strip_h: float
    begins: dict[str, float]
    centres: dict[str, np.ndarray]
    total: float
    per_unit: float

    def spans(self) -> list[tuple[float, float]]:
        """The strip's and each quantity's top and bottom, for the cursor's outline."""
        return [(0.0, self.strip_h)] + [
            (self.begins[n], self.begins[n] + hi - lo) for n, (lo, hi) in self.windows.items()
        ]


def _window(rec: LayerTrace, name: str, units: tuple[int, int]) -> tuple[int, int]:
    """The rows a quantity shows: the units window, or a projected h's first features."""
    n = getattr(rec, name).shape[-1]
    if name == "h" and rec.weights.weight_hr is not None:
        return (0, min(n, MAX_UNITS_SHOWN))
    return (min(units[0], n), min(units[1], n))


def _rows(rec: LayerTrace, batch_item: int, units: tuple[int, int], labels: list[str] | None, plot_px: float) -> _Rows:
    """Lay the strip and the seven quantities out on one unit axis, gaps between them, in ``plot_px`` pixels."""
    windows = {name: _window(rec, name, units) for name in STATE_ORDER}
    values = {  # [units, T] each
        name: np.ascontiguousarray(to_numpy(getattr(rec, name)[batch_item, :, lo:hi]).T)
        for name, (lo, hi) in windows.items()
    }
    # Without symbols the input strip paints the input's values (its first features), a few pixels each.
    x_values = None if labels else np.ascontiguousarray(to_numpy(rec.x[batch_item, :, :MAX_UNITS_SHOWN]).T)
    strip_px = _STRIP_PX if x_values is None else min(max(_STRIP_PX, 6 * x_values.shape[0]), _MAX_STRIP_PX)
    total_units = sum(hi - lo for lo, hi in windows.values())
    per_unit = (plot_px - strip_px - len(STATE_ORDER) * _GAP_PX) / total_units  # pixels per unit row
    strip_h, gap = strip_px / per_unit, _GAP_PX / per_unit
    begins, y = {}, strip_h
    for name, (lo, hi) in windows.items():
        begins[name] = y + gap
        y = begins[name] + hi - lo
    centres = {n: begins[n] + np.arange(hi - lo, dtype=np.float32) + 0.5 for n, (lo, hi) in windows.items()}
    projected = rec.weights.weight_hr is not None
    return _Rows(rec.steps, windows, values, x_values, labels, projected, strip_h, begins, centres, y, per_unit)


def gates_over_time_figure(
    rec: LayerTrace,
    batch_item: int = 0,
    units: tuple[int, int] | None = None,
    cursor: int = 0,
    step_labels: list[str] | None = None,
    highlight: tuple[int, ...] = (),
    height: int = HERO_HEIGHT,
    frame_ms: int = FRAME_MS,
    clickable: bool = True,
    picked: int | None = None,
    *,
    lang: str = "en",
) -> AnimatedFigure:
    """Every gate and state over time on one shared time axis, with the values at a cursor that moves in the browser.

    Rows, top to bottom: the input (its symbols, or its values painted), then ``i, f, g, o, c, m, h`` as
    units x steps heatmaps; at the right of each row, that row's values at the cursor step as bars on the same
    unit axis. One colour bar per range (sigmoid 0..1, tanh -1..1, c's symmetric range, a projected h's, the
    input's). The cursor is an outlined column across every row; one Plotly frame per step moves it and the bars,
    played by the slider and the play/pause buttons in the browser with no server run (frames carry only the
    moving traces, never the heatmaps). Each cell carries a transparent point for hover (step, symbol, unit,
    value) and for clicks (Streamlit's selection events: heatmap clicks do not reach them), up to
    ``MAX_CELL_POINTS`` cells.

    All rows share one unit axis (and the bars one value axis, each row scaled to its range): a frame redraws
    every subplot, so two subplots keep a step's redraw short. The heatmaps are layout images, not heatmap
    traces: plotly.js drops every trace of a kind it cannot animate from a frame drawn without a full redraw.

    Args:
        rec: The layer-direction record.
        batch_item: Which sequence of the batch.
        units: ``[start, stop)`` window of units; default the first ``MAX_UNITS_SHOWN``.
        cursor: The step the figure opens at (clamped into the sequence).
        step_labels: The input symbol of each step, or None.
        highlight: Units outlined on every row (a task's memory unit).
        height: Figure height in pixels.
        frame_ms: Milliseconds per step while playing.
        clickable: Whether the page takes clicks (hover then says "click to move the cursor here").
        picked: A unit picked by a click or a link: framed on every row and named in the title.
        lang: The language of every word: titles, row labels, hovers, the buttons and each frame's step words.

    Shapes:
        each quantity's ``[batch_item]`` [T, units] is drawn transposed, [units, T]; a frame holds each
        quantity at ``[batch_item, t]`` ([units]).
    """
    t0 = min(max(int(cursor), 0), rec.steps - 1)
    units = units or (0, min(rec.c.shape[-1], MAX_UNITS_SHOWN))
    plot_px = height - _TOP - _BOTTOM
    rows = _rows(rec, batch_item, units, list(step_labels) if step_labels else None, plot_px)
    scales = _row_scales(rec, with_input=rows.x_values is not None)
    axis_of = _groups(scales)
    decor = _row_decor(rows, highlight, picked, axis_of, lang)

    click = "<br>" + t(lang, "click to move the cursor here") if clickable else ""
    data: list[dict] = [_input_strip(rows, click, lang)]
    if sum(v.size for v in rows.values.values()) <= MAX_CELL_POINTS:
        # One trace for every row: plotly.js redoes each trace's defaults on every frame, so fewer is faster.
        data.append(_cell_points(rows, click, lang))
    data += _bar_ranges(rec, rows)
    moving_start = len(data)
    data += _moving_traces(rec, rows, t0, lang)
    moving = list(range(moving_start, len(data)))
    data += _colour_bar_carriers(axis_of, scales)

    layout = base_layout(
        _title(rec, batch_item, rows.steps, units, highlight, picked, lang),
        height,
        margin=dict(l=_LEFT, r=_RIGHT, t=_TOP, b=_BOTTOM),
        showlegend=False,
        hovermode="closest",
        hoverdistance=-1,
        clickmode="event+select" if clickable else "event",
        dragmode=False,
        annotations=decor.annotations,
        shapes=decor.shapes,
        images=decor.images,
        **_axes(rows, decor, lang),
        **_controls(t0, rows.steps, frame_ms, plot_px, lang),
        **_colour_axes(scales, axis_of, plot_px),
    )
    bars = (moving_start + 1, 1, [(rows.values[n], axis_of[n]) for n in STATE_ORDER])
    return AnimatedFigure(dict(data=data, layout=layout), _frames(rec, rows, moving, lang), decor.paint, bars, t0)


def _title(
    rec: LayerTrace,
    batch_item: int,
    steps: int,
    units: tuple[int, int],
    highlight: tuple[int, ...],
    picked: int | None,
    lang: str,
) -> str:
    """'Every gate and state over 40 steps, layer 0 forward, batch item 0 (unit 3 outlined), unit 2 picked'."""
    where = record_label(rec, batch_item, lang=lang)
    title = t(lang, "Every gate and state over {steps} steps, {where}", steps=steps, where=where)
    if highlight:
        title = t(lang, "{title} (unit {units} outlined)", title=title, units=", ".join(map(str, highlight)))
    if picked is not None and units[0] <= picked < units[1]:
        title = t(lang, "{title}, unit {unit} picked", title=title, unit=picked)
    return title


@dataclass(frozen=True)
class _Decor:
    """The layout items that draw the rows: painted images, row labels, outlines and the unit axis's ticks."""

    images: list[dict]
    paint: list[tuple[np.ndarray, str]]
    annotations: list[dict]
    shapes: list[dict]
    tickvals: list[float]
    ticktext: list[str]


def _row_decor(
    rows: _Rows, highlight: tuple[int, ...], picked: int | None, axis_of: dict[str, str], lang: str
) -> _Decor:
    """Each row's painted heatmap, its label in the margin, its unit ticks and the outlines of special units."""
    decor = _Decor([], [], [], [], [], [])
    total = rows.total
    for name, (lo, hi) in rows.windows.items():
        own = not (rows.projected and name == "h")
        first = float(rows.centres[name][0])
        ticks = _integer_ticks(lo, hi, _stride(hi - lo, (hi - lo) * rows.per_unit, FONT["size"] + 4))
        if own and picked is not None and lo <= picked < hi and picked not in ticks:
            ticks = sorted({*ticks, picked})
        for u in ticks:
            decor.tickvals.append(float(rows.centres[name][u - lo]))
            label = f"<b>{u}</b>" if own and u in highlight else str(u)
            decor.ticktext.append(f"▸{label}" if own and u == picked else label)
        decor.images.append(heat_image(1 - rows.begins[name] / total, (hi - lo) / total))
        decor.paint.append((rows.values[name], axis_of[name]))
        middle = 1 - (rows.begins[name] + (hi - lo) / 2) / total
        decor.annotations.append(_row_label(t(lang, ROW_LABELS[name]), middle))
        if own:
            # One outline across the row's heatmap and its bars (paper x): one shape per row, not two.
            decor.shapes.extend(highlight_shapes(list(highlight), (lo, hi), first=first, width=1.5))
            if picked is not None:
                decor.shapes.extend(
                    highlight_shapes([picked], (lo, hi), PICKED_COLOUR, first=first, width=2, dash="solid")
                )
    if rows.x_values is not None:
        decor.images.append(heat_image(1.0, rows.strip_h / total))
        decor.paint.append((rows.x_values, axis_of["x"]))
    words = t(lang, "input") if rows.labels else t(lang, "<b>x</b> input")
    decor.annotations.append(_row_label(words, 1 - rows.strip_h / 2 / total))
    return decor


def _input_strip(rows: _Rows, click: str, lang: str) -> dict:
    """The input row: its symbols (or a hover with its values) along the shared time axis, a point per step."""
    steps, labels = rows.steps, rows.labels
    strip = dict(
        type="scatter",
        x=np.arange(steps, dtype=np.int16),
        y=np.full(steps, rows.strip_h / 2, dtype=np.float32),
        mode="markers+text" if labels else "markers",
        marker=dict(size=12, symbol="square", opacity=0),
        **_HIDDEN_POINTS,
        name="input",
    )
    if labels:
        every = -(-steps // 80)
        strip |= dict(
            text=[s if t % every == 0 else "" for t, s in enumerate(labels)],
            textfont=dict(size=12, color="#222"),
            textposition="middle center",
            hovertext=labels,
            hovertemplate=t(lang, "step %{x}<br>input %{hovertext}") + f"{click}<extra></extra>",
        )
    else:
        strip |= dict(
            hovertext=_input_words(rows.x_values),
            hovertemplate=t(lang, "step %{x}") + f"<br>%{{hovertext}}{click}<extra></extra>",
        )
    return strip


def _moving_traces(rec: LayerTrace, rows: _Rows, t0: int, lang: str) -> list[dict]:
    """The traces every frame moves, in this order: the cursor, the bars, the readout (at step ``t0`` here)."""
    spans = rows.spans()
    cursor = dict(
        type="scatter",
        x=_cursor_x(t0, len(spans)),
        y=[v for y0, y1 in spans for v in (y0, y0, y1, y1, y0, None)],
        mode="lines",
        line=dict(color=CURSOR_COLOUR, width=2.5),
        xaxis="x",
        yaxis="y",
        hoverinfo="skip",
        showlegend=False,
        name="cursor",
    )
    windows, labels = rows.windows, rows.labels
    feature, unit = t(lang, "feature"), t(lang, "unit")
    what = {n: feature if rows.projected and n == "h" else unit for n in STATE_ORDER}
    # Every row's bars in one trace: plotly.js redoes each trace's defaults on every frame, so fewer is faster.
    bars = dict(
        type="bar",
        x=_bar_lengths(rec, rows.values, t0),
        # A list: Plotly keeps an array ``base`` as an object array, which orjson cannot write (a slow path).
        base=[_zero(rec, n) for n, (lo, hi) in windows.items() for _ in range(lo, hi)],
        y=np.concatenate([rows.centres[n] for n in STATE_ORDER]),
        width=0.85,
        orientation="h",
        xaxis="x2",
        yaxis="y",
        # Colours as strings, painted from each row's colour axis (``AnimatedFigure.paint``): numbers on a
        # colour scale make plotly.js log a warning per bar on every frame, a quarter of its time.
        marker=dict(color="#888", line=dict(width=0)),
        # Each bar's row and unit as text never drawn (static), the values as customdata (each frame's own).
        text=[n for n, (lo, hi) in windows.items() for _ in range(lo, hi)],
        hovertext=[f"{what[n]} {u}" for n, (lo, hi) in windows.items() for u in range(lo, hi)],
        textposition="none",
        customdata=_bar_values(rows.values, t0),
        meta=_meta(t0, labels, lang),
        hovertemplate=t(lang, "<b>%{text}</b> at step %{meta[0]}%{meta[1]}<br>%{hovertext}<br>value %{customdata:.4f}")
        + "<extra></extra>",
        unselected=dict(marker=dict(opacity=1)),
        showlegend=False,
        name="values at the cursor",
    )
    readout = dict(
        type="scatter",
        x=[0.0],
        y=[rows.strip_h / 2],
        mode="text",
        textposition="middle right",
        text=[_readout(t0, labels, lang)],
        textfont=dict(size=13, color="#222"),
        xaxis="x2",
        yaxis="y",
        hoverinfo="skip",
        showlegend=False,
        name="readout",
    )
    return [cursor, bars, readout]


def _frames(rec: LayerTrace, rows: _Rows, moving: list[int], lang: str) -> list[dict]:
    """One frame per step: the moving traces' updates (the bars' fills are painted in later), words in ``lang``.

    plotly.js draws a frame's text as the frame says it (``redraw=False`` or not): the readout and the bars'
    hover words are written in ``lang`` in every frame, as in the figure's first state.
    """
    spans = len(rows.spans())
    return [
        dict(
            name=str(step),
            traces=moving,
            # Each update names its trace's type: a frame's trace without one would be read as a scatter.
            data=[
                dict(type="scatter", x=_cursor_x(step, spans)),
                dict(
                    type="bar",
                    x=_bar_lengths(rec, rows.values, step),
                    customdata=_bar_values(rows.values, step),
                    marker=dict(color=[]),  # painted
                    meta=_meta(step, rows.labels, lang),
                ),
                dict(type="scatter", text=[_readout(step, rows.labels, lang)]),
            ],
        )
        for step in range(rows.steps)
    ]


def _axes(rows: _Rows, decor: _Decor, lang: str) -> dict:
    """The shared time axis, the bars' value axis (hidden) and the one unit axis with every row's ticks."""
    steps = rows.steps
    return dict(
        xaxis=dict(
            domain=[0, _HEAT_END],
            range=[-0.5, steps - 0.5],
            anchor="y",
            tickmode="array",
            tickvals=_integer_ticks(0, steps, _stride(steps, 620 * _HEAT_END, 22)),
            title=dict(text=t(lang, "time step t"), standoff=4),
            showgrid=False,
            zeroline=False,
            fixedrange=True,
        ),
        xaxis2=dict(domain=[_BARS_START, 1.0], range=[0, 1], anchor="y", visible=False, fixedrange=True),
        yaxis=dict(
            domain=[0, 1],
            range=[rows.total, 0],  # the strip and unit 0 at the top
            anchor="x",
            tickmode="array",
            tickvals=decor.tickvals,
            ticktext=decor.ticktext,
            tickfont=dict(size=11),
            showgrid=False,
            zeroline=False,
            fixedrange=True,
        ),
    )


def _controls(t0: int, steps: int, frame_ms: int, plot_px: float, lang: str) -> dict:
    """The slider under the time axis and the play/pause buttons under the bars, all played in the browser."""
    play = dict(
        mode="immediate",
        fromcurrent=True,
        frame=dict(duration=frame_ms, redraw=False),
        transition=dict(duration=RESTYLE_MS),
    )
    pause = dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))
    slider_y = -44 / plot_px
    return dict(
        sliders=[
            dict(
                active=t0,
                steps=[dict(method="animate", label=str(k), args=[[str(k)], ANIMATE]) for k in range(steps)],
                x=0,
                len=_HEAT_END,
                y=slider_y,
                yanchor="top",
                pad=dict(t=0, b=0, l=0, r=0),
                currentvalue=dict(visible=False),
                font=dict(size=1, color="rgba(0,0,0,0)"),
                ticklen=3,
                minorticklen=0,
                tickwidth=1,
                transition=dict(duration=0),
            )
        ],
        # Play from the figure's own step, then from wherever the slider was moved to.
        updatemenus=[
            play_buttons(
                _BARS_START,
                slider_y + 4 / plot_px,
                (t(lang, "▶ play"), [str(k) for k in range(t0, steps)], play),
                (t(lang, "❚❚ pause"), pause),
            )
        ],
    )


def _row_scales(rec: LayerTrace, with_input: bool) -> Scales:
    """The colour scale and fixed range of every painted row: each quantity's, and the input's when painted."""
    scales: Scales = {name: (QUANTITIES[name].scale, quantity_range(rec, name)) for name in STATE_ORDER}
    if with_input:
        limit = symmetric_limit(rec.x)
        scales["x"] = (SIGNED_SCALE, (-limit, limit))
    return scales


def _groups(scales: Scales) -> dict[str, str]:
    """Each row's colour axis: rows on the same range and scale share one axis and one colour bar.

    Returns row name -> ``"coloraxis"``, ``"coloraxis2"``, ... in the order the ranges first appear.
    """
    keys: dict[tuple, str] = {}
    axis_of = {}
    for name, scale in scales.items():
        # The input's bar stays its own, whatever its range: its values are no gate's or state's.
        key = (name, *scale) if name == "x" else scale
        if key not in keys:
            keys[key] = "coloraxis" + ("" if not keys else str(len(keys) + 1))
        axis_of[name] = keys[key]
    return axis_of


_BAR_PAD_PX = 3
"""Padding above and below each colour bar (Plotly's default, 10, left a 44 px slot a bar of 8 px on Home)."""
_BAR_GAP_PX = 14
"""Space between one colour bar's slot and the next: room for the end ticks' labels, which overhang the bar."""
_BAR_MIN_PX = 56
"""The shortest colour bar slot: its title, its padding and a bar long enough for three tick labels."""


def _colour_axes(scales: Scales, axis_of: dict[str, str], plot_px: float) -> dict[str, dict]:
    """One colour axis per range, its colour bar stacked under the others in one column at the right.

    Titled on one line above the bar ("σ: i f o"): sized in pixels, the bar keeps its length at any height.
    """
    members: dict[str, list[str]] = {}
    for name, axis in axis_of.items():
        members.setdefault(axis, []).append(name)
    n = len(members)
    slot_px = plot_px / n
    axes = {}
    for k, (axis, names) in enumerate(members.items()):
        scale, (lo, hi) = scales[names[0]]
        kind = (
            "" if names == ["x"] else "σ: " if (lo, hi) == (0.0, 1.0) else "tanh: " if (lo, hi) == (-1.0, 1.0) else ""
        )
        axes[axis] = dict(
            colorscale=scale,
            cmin=lo,
            cmax=hi,
            colorbar=dict(
                title=dict(text=kind + " ".join(names), side="top", font=dict(size=12)),
                thickness=12,
                # Plotly takes the title and ``ypad`` above and below out of ``len``: the bar is what is left.
                len=max(slot_px - _BAR_GAP_PX, _BAR_MIN_PX),
                lenmode="pixels",
                ypad=_BAR_PAD_PX,
                y=1 - k / n,
                yanchor="top",
                x=1.015,
                xanchor="left",
                tickfont=dict(size=11),
                # Its ends and middle named, as the bars' ranges are: Plotly's own three ticks for c's
                # -0.87..0.87 are a lone 0.
                **named_ticks([lo, (lo + hi) / 2, hi]),
                outlinewidth=0,
            ),
        )
    return axes


def _colour_bar_carriers(axis_of: dict[str, str], scales: Scales) -> list[dict]:
    """One invisible point per colour axis: it carries the axis's colour bar (the bars' colours are strings)."""
    carriers = []
    for axis in dict.fromkeys(axis_of.values()):
        name = next(n for n, a in axis_of.items() if a == axis)
        carriers.append(
            dict(
                type="scatter",
                x=[None],
                y=[None],
                mode="markers",
                marker=dict(color=[scales[name][1][0]], coloraxis=axis, size=1),
                xaxis="x2",
                yaxis="y",
                hoverinfo="skip",
                showlegend=False,
                name=f"colour bar {axis}",
            )
        )
    return carriers


def _stride(n: int, room_px: float, label_px: float) -> int:
    """The smallest nice stride that gives each of ``n`` labels ``label_px`` in ``room_px``."""
    for s in NICE_STRIDES:
        if room_px / max(-(-n // s), 1) >= label_px:
            return s
    return NICE_STRIDES[-1]


def _integer_ticks(start: int, stop: int, stride: int) -> list[int]:
    """Multiples of ``stride`` in ``[start, stop)``, and ``start`` itself: integer ticks only, never halves."""
    first = -(-start // stride) * stride
    return sorted({start, *range(first, stop, stride)})


def _scaled(v: float | np.ndarray, lo: float, hi: float) -> float | np.ndarray:
    """A value's place on a row's bar axis: its range ``[lo, hi]`` spans 0..1."""
    return (v - lo) / max(hi - lo, 1e-12)


def _bar_length(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Bar lengths on the shared 0..1 value axis, from the row's zero (its range's start if it has no zero)."""
    zero = _scaled(0.0, lo, hi) if lo < 0 else 0.0
    return (np.clip(_scaled(v, lo, hi), 0, 1) - zero).astype(np.float32)


def _zero(rec: LayerTrace, name: str) -> float:
    """Where a row's bars start on the shared 0..1 value axis: its zero, or its range's start if it has none."""
    lo, hi = quantity_range(rec, name)
    return float(_scaled(0.0, lo, hi)) if lo < 0 else 0.0


def _bar_lengths(rec: LayerTrace, values: dict[str, np.ndarray], t: int) -> np.ndarray:
    """Every row's bar lengths at step ``t``, rows in ``STATE_ORDER``. Shapes: each [units, T] -> [all units]."""
    return np.concatenate([_bar_length(values[n][:, t], *quantity_range(rec, n)) for n in STATE_ORDER])


def _bar_values(values: dict[str, np.ndarray], t: int) -> np.ndarray:
    """Every row's values at step ``t``, rows in ``STATE_ORDER``. Shapes: each [units, T] -> [all units]."""
    return np.concatenate([values[n][:, t] for n in STATE_ORDER])


def _bar_ranges(rec: LayerTrace, rows: _Rows) -> list[dict]:
    """Each row's zero line beside its bars, and the ends (and zero) of its range under them: two static traces.

    Traces, not a shape and three annotations per row: plotly.js redoes every layout item's defaults on every
    frame. Points are (x on the 0..1 value axis, y on the unit axis); ``None`` breaks the lines between rows.
    """
    line_x: list[float | None] = []
    line_y: list[float | None] = []
    xs: list[float] = []
    ys: list[float] = []
    texts: list[str] = []
    where: list[str] = []
    for name, (lo, hi) in rows.windows.items():
        r_lo, r_hi = quantity_range(rec, name)
        top, bottom = rows.begins[name], rows.begins[name] + hi - lo
        zero = _zero(rec, name)
        line_x += [zero, zero, None]
        line_y += [top, bottom, None]
        marks = [(0.0, _short(r_lo), "bottom right"), (1.0, _short(r_hi), "bottom left")]
        if r_lo < 0:
            marks.append((zero, "0", "bottom center"))
        for x, text, position in marks:
            xs.append(x)
            ys.append(bottom)
            texts.append(text)
            where.append(position)
    common = dict(type="scatter", xaxis="x2", yaxis="y", hoverinfo="skip", showlegend=False)
    return [
        dict(common, x=line_x, y=line_y, mode="lines", line=dict(color="#bbb", width=1), name="bar zeros"),
        dict(
            common,
            x=xs,
            y=ys,
            mode="text",
            text=texts,
            textposition=where,
            textfont=dict(size=10, color="#666"),
            cliponaxis=False,
            name="bar ranges",
        ),
    ]


def _row_label(text: str, y: float) -> dict:
    """A row's name in the left margin, left of its unit ticks, at ``y`` (paper)."""
    return dict(
        text=text,
        xref="paper",
        yref="paper",
        x=0,
        y=y,
        xanchor="right",
        yanchor="middle",
        xshift=-30,
        showarrow=False,
        font=dict(size=13),
    )


def _cell_points(rows: _Rows, click: str, lang: str) -> dict:
    """A transparent point on every cell of every row: Plotly hovers and clicks them (it does not click heatmaps).

    Each point's ``customdata`` is ``[unit, value]``: the unit axis is shared by all rows, so ``y`` is a place
    on it, not the unit. Its ``text`` is the row's letter, its ``hovertext`` the step's input symbol.

    Shapes:
        each ``rows.values[name]`` [units, T] -> ``units * T`` points, unit-major like ``z.ravel()``;
        ``rows.centres[name]`` [units].
    """
    xs, ys, custom, names, symbols = [], [], [], [], []
    labels = rows.labels
    for name in STATE_ORDER:
        z = rows.values[name]
        units, steps = z.shape
        xs.append(np.tile(np.arange(steps, dtype=np.int16), units))  # [units * T]
        ys.append(np.repeat(rows.centres[name].astype(np.float32), steps))
        first = rows.windows[name][0]
        unit = np.repeat(np.arange(first, first + units, dtype=np.float32), steps)
        custom.append(np.stack([unit, z.ravel()], axis=1))
        # A letter and a symbol per point: a row's name in every point would make the cells most of the figure.
        names += [name] * (units * steps)
        if labels:
            symbols += labels * units
    if labels:
        where = t(lang, "step %{x}, input %{hovertext}")
    else:
        where = t(lang, "step %{x}")
    what = t(lang, "unit (feature of a projected h)") if rows.projected else t(lang, "unit")
    points = dict(
        type="scatter",
        x=np.concatenate(xs),
        y=np.concatenate(ys),
        mode="markers",
        marker=dict(size=10, symbol="square", opacity=0),
        customdata=np.concatenate(custom),  # [cells, 2]
        text=names,
        hovertemplate=f"<b>%{{text}}</b> = %{{customdata[1]:.4f}}<br>{where}<br>{what} "
        f"%{{customdata[0]:.0f}}{click}<extra></extra>",
        **_HIDDEN_POINTS,
        name="cells",
    )
    if labels:
        points["hovertext"] = symbols
    return points


def _input_words(x: np.ndarray, shown: int = 6) -> list[str]:
    """Each step's input values for the strip's hover: ``x_t = [0.12, −0.30, …]`` (the first ``shown``).

    Shapes: ``x`` [features, T] -> [T].
    """
    features = x.shape[0]
    more = ", …" if features > shown else ""
    return [
        "x<sub>t</sub> = [" + ", ".join(f"{v:.3g}" for v in column[:shown]).replace("-", "−") + more + "]"
        for column in x.T
    ]


def _cursor_x(t: int, rows: int) -> list[float | None]:
    """The outline of column ``t`` in each of ``rows`` rows, as closed lines with breaks between them."""
    return [t - 0.5, t + 0.5, t + 0.5, t - 0.5, t - 0.5, None] * rows


def _meta(step: int, labels: list[str] | None, lang: str) -> list:
    """What a bar's hover names: the step, and its input symbol where there is one."""
    return [step, t(lang, " (input {symbol})", symbol=labels[step]) if labels else ""]


def _readout(step: int, labels: list[str] | None, lang: str) -> str:
    """The words above the bars: which step they show."""
    if labels:
        return t(lang, "<b>at t = {t}</b>  input {symbol}", t=step, symbol=labels[step])
    return t(lang, "<b>at t = {t}</b>", t=step)


def _short(v: float) -> str:
    """A colour range end as a tick label: 0, 1, -1, 0.5, 3.2."""
    return f"{v:.2g}" if abs(v) < 10 else f"{v:.0f}"


class AnimatedFigure(PaintedFigure):
    """The Gates figure: its heatmaps images and its bars' fills painted from the colour axes, its frames dicts.

    Read-only once made, like ``SharedFigure`` (``raw_frames`` and the painted values are not copied).
    """

    def __init__(
        self,
        figure: dict,
        raw_frames: list[dict],
        paint: list[tuple[np.ndarray, str]],
        bars: tuple[int, int, list[tuple[np.ndarray, str]]],
        t0: int,
    ) -> None:
        """A figure from a ``data``/``layout`` dict, its frames, and what ``paint`` colours.

        Args:
            figure: ``data`` and ``layout``.
            raw_frames: One dict per step (see ``raw_frames``).
            paint: Each layout image's values and colour axis.
            bars: The bar trace's index in ``data``, its index in a frame's ``data``, and each row's values and
                colour axis (rows in the trace's order).
            t0: The step the figure opens at.

        Shapes:
            each value array is [units, T], painted row 0 at the top.
        """
        super().__init__(figure, raw_frames)
        self._paint = paint
        self._bars = bars
        self._t0 = t0
        self.paint()

    def paint(self) -> None:
        """(Re)draw each heatmap image and every step's bar fills in their colour axes' current scales and ranges."""
        for image, (z, axis) in zip(self.layout.images, self._paint, strict=True):
            image.source = heat_png(z, *axis_scale(self, axis))
        index, position, rows = self._bars
        colours = np.concatenate([heat_colours(z, *axis_scale(self, axis)) for z, axis in rows])  # [units, T]
        self.data[index].marker.color = colours[:, self._t0].tolist()
        for step, frame in enumerate(self._raw_frames):
            frame["data"][position]["marker"]["color"] = colours[:, step].tolist()
        super().paint()
