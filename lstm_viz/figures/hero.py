"""The Gates hero: every gate and state over time in one aligned figure, its time cursor animated in the browser."""

from __future__ import annotations

import base64
import copy
import functools
import io

import numpy as np
import plotly.colors
import plotly.graph_objects as go
from PIL import Image

from lstm_viz.figures.base import (
    base_layout,
    heat_image,
    highlight_shapes,
    merge_frame,
    play_buttons,
    record_label,
    to_numpy,
)
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
ROW_WORDS = {
    "i": "input",
    "f": "forget",
    "g": "candidate",
    "o": "output",
    "c": "cell",
    "m": "o·tanh(c)",
    "h": "hidden",
}
"""A row's label beside its letter, short enough for the left margin."""
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


Scales = dict[str, tuple[str, tuple[float, float]]]
"""Each painted row's colour scale and range, by row name (``x`` for the input, then ``i, f, g, ...``)."""


def _row_scales(rec: LayerTrace, with_input: bool) -> Scales:
    """The colour scale and fixed range of every painted row: the input's (when painted) and each quantity's."""
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
                len=max(slot_px - 34, 20),
                lenmode="pixels",
                y=1 - k / n,
                yanchor="top",
                x=1.015,
                xanchor="left",
                tickfont=dict(size=11),
                nticks=3,
                outlinewidth=0,
            ),
        )
    return axes


def _window(rec: LayerTrace, name: str, units: tuple[int, int]) -> tuple[int, int]:
    """The rows a quantity shows: the units window, or a projected h's first features."""
    n = getattr(rec, name).shape[-1]
    if name == "h" and rec.weights.weight_hr is not None:
        return (0, min(n, MAX_UNITS_SHOWN))
    return (min(units[0], n), min(units[1], n))


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
) -> AnimatedFigure:
    """Every gate and state over time on one shared time axis, with the values at a cursor that moves in the browser.

    Rows, top to bottom: the input symbols (when the run has them), then ``i, f, g, o, c, m, h`` as units x steps
    heatmaps; at the right of each row, that row's values at the cursor step as bars on the same unit axis. One
    colour bar per range (sigmoid 0..1, tanh -1..1, c's symmetric range, a projected h's). The cursor is an
    outlined column across every row; one Plotly frame per step moves it and the bars, played by the slider and
    the play/pause buttons in the browser with no server run (frames carry only the moving traces, never the
    heatmaps). Each cell carries a transparent point for hover (step, symbol, unit, value) and for clicks
    (Streamlit's selection events: heatmap clicks do not reach them), up to ``MAX_CELL_POINTS`` cells.

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

    Shapes:
        each quantity's ``[batch_item]`` [T, units] is drawn transposed, [units, T]; a frame holds each
        quantity at ``[batch_item, t]`` ([units]).
    """
    steps = rec.steps
    t0 = min(max(int(cursor), 0), steps - 1)
    hidden = rec.c.shape[-1]
    units = units or (0, min(hidden, MAX_UNITS_SHOWN))
    windows = {name: _window(rec, name, units) for name in STATE_ORDER}
    values = {  # [units, T] each
        name: np.ascontiguousarray(to_numpy(getattr(rec, name)[batch_item, :, lo:hi]).T)
        for name, (lo, hi) in windows.items()
    }
    labels = list(step_labels) if step_labels else None
    projected = rec.weights.weight_hr is not None
    n_rows = len(STATE_ORDER)
    # Without symbols the input strip paints the input's values (its first features), a few pixels each.
    x_values = None if labels else np.ascontiguousarray(to_numpy(rec.x[batch_item, :, :MAX_UNITS_SHOWN]).T)
    strip_px = _STRIP_PX if x_values is None else min(max(_STRIP_PX, 6 * x_values.shape[0]), _MAX_STRIP_PX)

    # One y axis in "unit rows", 0 at the top: the strip, then each quantity's units, gaps between.
    plot_px = height - _TOP - _BOTTOM
    total_units = sum(hi - lo for lo, hi in windows.values())
    per_unit = (plot_px - strip_px - n_rows * _GAP_PX) / total_units  # pixels per unit row
    strip_h, gap = strip_px / per_unit, _GAP_PX / per_unit
    begins, y = {}, strip_h
    for name, (lo, hi) in windows.items():
        begins[name] = y + gap
        y = begins[name] + hi - lo
    total = y
    centres = {n: begins[n] + np.arange(hi - lo, dtype=np.float32) + 0.5 for n, (lo, hi) in windows.items()}
    scales = _row_scales(rec, with_input=x_values is not None)
    axis_of = _groups(scales)
    cells = sum(v.size for v in values.values())

    data: list[dict] = []
    images: list[dict] = []
    paint: list[tuple[np.ndarray, str]] = []
    annotations: list[dict] = []
    shapes: list[dict] = []
    tickvals: list[float] = []
    ticktext: list[str] = []
    for name, (lo, hi) in windows.items():
        own = not (projected and name == "h")
        row_px = (hi - lo) * per_unit
        ticks = _integer_ticks(lo, hi, _stride(hi - lo, row_px, FONT["size"] + 4))
        if own and picked is not None and lo <= picked < hi and picked not in ticks:
            ticks = sorted({*ticks, picked})
        for u in ticks:
            tickvals.append(float(centres[name][u - lo]))
            label = f"<b>{u}</b>" if own and u in highlight else str(u)
            ticktext.append(f"▸{label}" if own and u == picked else label)
        images.append(heat_image(1 - begins[name] / total, (hi - lo) / total))
        paint.append((values[name], axis_of[name]))
        middle = 1 - (begins[name] + (hi - lo) / 2) / total
        annotations.append(_row_label(f"<b>{name}</b> {ROW_WORDS[name]}", middle))
        if own:
            # One outline across the row's heatmap and its bars (paper x): one shape per row, not two.
            shapes += highlight_shapes(list(highlight), (lo, hi), first=float(centres[name][0]), width=1.5)
            if picked is not None:
                shapes += highlight_shapes(
                    [picked], (lo, hi), PICKED_COLOUR, first=float(centres[name][0]), width=2, dash="solid"
                )
    if x_values is not None:
        images.append(heat_image(1.0, strip_h / total))
        paint.append((x_values, axis_of["x"]))
    annotations.append(_row_label("input" if labels else "<b>x</b> input", 1 - strip_h / 2 / total))

    # The input strip: symbols along the shared time axis, and a transparent point per step to click.
    click = "<br>click to move the cursor here" if clickable else ""
    strip = dict(
        type="scatter",
        x=np.arange(steps, dtype=np.int16),
        y=np.full(steps, strip_h / 2, dtype=np.float32),
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
            hovertemplate=f"step %{{x}}<br>input %{{hovertext}}{click}<extra></extra>",
        )
    else:
        strip |= dict(
            hovertext=_input_words(x_values), hovertemplate=f"step %{{x}}<br>%{{hovertext}}{click}<extra></extra>"
        )
    data.append(strip)
    if cells <= MAX_CELL_POINTS:
        # One trace for every row: plotly.js redoes each trace's defaults on every frame, so fewer is faster.
        data.append(_cell_points(values, windows, centres, labels, projected, click))

    data += _bar_ranges(rec, windows, begins)

    # The moving traces, in this order in every frame: the cursor, the bars, the readout.
    moving_start = len(data)
    spans = [(0.0, strip_h)] + [(begins[n], begins[n] + hi - lo) for n, (lo, hi) in windows.items()]
    data.append(
        dict(
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
    )
    # Every row's bars in one trace: plotly.js redoes each trace's defaults on every frame, so fewer is faster.
    what = {n: "feature" if projected and n == "h" else "unit" for n in STATE_ORDER}
    data.append(
        dict(
            type="bar",
            x=_bar_lengths(rec, values, t0),
            # A list: Plotly keeps an array ``base`` as an object array, which orjson cannot write (a slow path).
            base=[_zero(rec, n) for n, (lo, hi) in windows.items() for _ in range(lo, hi)],
            y=np.concatenate([centres[n] for n in STATE_ORDER]),
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
            customdata=_bar_values(values, t0),
            meta=_meta(t0, labels),
            hovertemplate="<b>%{text}</b> at step %{meta[0]}%{meta[1]}<br>%{hovertext}"
            "<br>value %{customdata:.4f}<extra></extra>",
            unselected=dict(marker=dict(opacity=1)),
            showlegend=False,
            name="values at the cursor",
        )
    )
    data.append(
        dict(
            type="scatter",
            x=[0.0],
            y=[strip_h / 2],
            mode="text",
            textposition="middle right",
            text=[_readout(t0, labels)],
            textfont=dict(size=13, color="#222"),
            xaxis="x2",
            yaxis="y",
            hoverinfo="skip",
            showlegend=False,
            name="readout",
        )
    )
    moving = list(range(moving_start, len(data)))
    # One invisible point per colour axis: it carries the axis's colour bar (the bars' colours are strings).
    for axis in dict.fromkeys(axis_of.values()):
        name = next(n for n, a in axis_of.items() if a == axis)
        data.append(
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
    bars = (moving_start + 1, 1, [(values[n], axis_of[n]) for n in STATE_ORDER])
    frames = [
        dict(
            name=str(t),
            traces=moving,
            # Each update names its trace's type: a frame's trace without one would be read as a scatter.
            data=[
                dict(type="scatter", x=_cursor_x(t, len(spans))),
                dict(
                    type="bar",
                    x=_bar_lengths(rec, values, t),
                    customdata=_bar_values(values, t),
                    marker=dict(color=[]),  # painted
                    meta=_meta(t, labels),
                ),
                dict(type="scatter", text=[_readout(t, labels)]),
            ],
        )
        for t in range(steps)
    ]
    play = dict(
        mode="immediate",
        fromcurrent=True,
        frame=dict(duration=frame_ms, redraw=False),
        transition=dict(duration=RESTYLE_MS),
    )
    pause = dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))
    slider_y = -44 / plot_px
    title = f"Every gate and state over {steps} steps, {record_label(rec, batch_item)}"
    if highlight:
        title += f" (unit {', '.join(map(str, highlight))} outlined)"
    if picked is not None and units[0] <= picked < units[1]:
        title += f", unit {picked} picked"
    layout = base_layout(
        title,
        height,
        margin=dict(l=_LEFT, r=_RIGHT, t=_TOP, b=_BOTTOM),
        showlegend=False,
        hovermode="closest",
        hoverdistance=-1,
        clickmode="event+select" if clickable else "event",
        dragmode=False,
        annotations=annotations,
        shapes=shapes,
        images=images,
        xaxis=dict(
            domain=[0, _HEAT_END],
            range=[-0.5, steps - 0.5],
            anchor="y",
            tickmode="array",
            tickvals=_integer_ticks(0, steps, _stride(steps, 620 * _HEAT_END, 22)),
            title=dict(text="time step t", standoff=4),
            showgrid=False,
            zeroline=False,
            fixedrange=True,
        ),
        xaxis2=dict(domain=[_BARS_START, 1.0], range=[0, 1], anchor="y", visible=False, fixedrange=True),
        yaxis=dict(
            domain=[0, 1],
            range=[total, 0],  # the strip and unit 0 at the top
            anchor="x",
            tickmode="array",
            tickvals=tickvals,
            ticktext=ticktext,
            tickfont=dict(size=11),
            showgrid=False,
            zeroline=False,
            fixedrange=True,
        ),
        sliders=[
            dict(
                active=t0,
                steps=[dict(method="animate", label=str(t), args=[[str(t)], ANIMATE]) for t in range(steps)],
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
                ("▶ play", [str(t) for t in range(t0, steps)], play),
                ("❚❚ pause", pause),
            )
        ],
        **_colour_axes(scales, axis_of, plot_px),
    )
    return AnimatedFigure(dict(data=data, layout=layout), frames, paint, bars, t0)


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


def _bar_ranges(rec: LayerTrace, windows: dict[str, tuple[int, int]], begins: dict[str, float]) -> list[dict]:
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
    for name, (lo, hi) in windows.items():
        r_lo, r_hi = quantity_range(rec, name)
        top, bottom = begins[name], begins[name] + hi - lo
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


class AnimatedFigure(go.Figure):
    """A figure whose frames stay plain dicts and whose heatmaps are images painted from their colour axes.

    Graph-object frames cost more to build and to copy than the rest of the figure (one per step, each validated
    again by every copy): they stay dicts, added to the figure's dict as they are. Read-only once made, like
    ``SharedFigure`` (``raw_frames`` and the painted values are not copied).
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
        super().__init__(figure)
        self._raw_frames = raw_frames
        self._paint = paint
        self._bars = bars
        self._t0 = t0
        self._encoded: list[dict] | None = None
        self.paint()

    @property
    def raw_frames(self) -> list[dict]:
        """One dict per step: ``name`` (the step), ``traces`` (the moving traces' indices) and their ``data``."""
        return self._raw_frames

    def paint(self) -> None:
        """(Re)draw each heatmap image in its colour axis's current scale and range (after ``recolour``)."""
        for image, (z, axis) in zip(self.layout.images, self._paint, strict=True):
            ca = self.layout[axis]
            image.source = heat_png(z, tuple(tuple(p) for p in ca.colorscale), ca.cmin, ca.cmax)
        index, position, rows = self._bars
        colours = np.concatenate(  # [all units, T], rows in order
            [
                heat_colours(z, tuple(tuple(p) for p in ca.colorscale), ca.cmin, ca.cmax)
                for z, ca in ((z, self.layout[axis]) for z, axis in rows)
            ]
        )
        self.data[index].marker.color = colours[:, self._t0].tolist()
        for t, frame in enumerate(self._raw_frames):
            frame["data"][position]["marker"]["color"] = colours[:, t].tolist()
        self._encoded = None

    def to_dict(self) -> dict:
        """The figure's dict with its frames, their arrays base64-encoded as Plotly's own ``to_dict`` does."""
        result = super().to_dict()
        if self._encoded is None:
            self._encoded = [_encoded(frame) for frame in self._raw_frames]
        result["frames"] = list(self._encoded)
        return result


CELL_PX = (720, 160)
"""A heatmap image is at least about this wide and tall in pixels (whole cells each): crisp when the browser scales."""


@functools.lru_cache(maxsize=32)
def _lut(scale: tuple[tuple[float, str], ...]) -> np.ndarray:
    """256 RGB colours along a colour scale. Shapes: [256, 3] uint8."""
    colours = plotly.colors.sample_colorscale([list(p) for p in scale], np.linspace(0, 1, 256).tolist())
    return np.array([plotly.colors.unlabel_rgb(c) for c in colours], dtype=np.uint8)


@functools.lru_cache(maxsize=32)
def _hex_lut(scale: tuple[tuple[float, str], ...]) -> np.ndarray:
    """``_lut`` as '#rrggbb' strings. Shapes: [256]."""
    return np.array([f"#{r:02x}{g:02x}{b:02x}" for r, g, b in _lut(scale)])


def _index(z: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Each value's place on a 256-colour scale over ``[lo, hi]``."""
    return np.rint(np.clip((z - lo) / max(hi - lo, 1e-12), 0, 1) * 255).astype(np.uint8)


def heat_colours(z: np.ndarray, scale: tuple[tuple[float, str], ...], lo: float, hi: float) -> np.ndarray:
    """Each value's colour on ``scale`` over ``[lo, hi]`` as a '#rrggbb' string. Shapes: like ``z``."""
    return _hex_lut(scale)[_index(z, lo, hi)]


def heat_png(z: np.ndarray, scale: tuple[tuple[float, str], ...], lo: float, hi: float) -> str:
    """A heatmap as a PNG data URL: each value coloured on ``scale`` over ``[lo, hi]``, each cell a block of pixels.

    Shapes:
        ``z`` [rows, columns] -> an image of rows x columns blocks, row 0 at the top.
    """
    rows, cols = z.shape
    rgb = _lut(scale)[_index(z, lo, hi)]  # [rows, cols, 3]
    ky, kx = max(1, -(-CELL_PX[1] // max(rows, 1))), max(1, -(-CELL_PX[0] // max(cols, 1)))
    big = np.repeat(np.repeat(rgb, ky, axis=0), kx, axis=1)  # [rows * ky, cols * kx, 3]
    buffer = io.BytesIO()
    Image.fromarray(big, "RGB").save(buffer, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def heat_rgba_png(
    z: np.ndarray, scale: tuple[tuple[float, str], ...], lo: float, hi: float, row_px: list[int], col_px: int
) -> str:
    """A grid as a PNG data URL, rows of their own heights, NaN transparent, each value coloured on ``scale``.

    Values are placed on the scale over ``[lo, hi]``.

    Shapes:
        ``z`` [rows, columns], ``row_px`` [rows] -> an image ``sum(row_px)`` x ``columns * col_px`` pixels.
    """
    rgba = np.zeros((*z.shape, 4), dtype=np.uint8)  # [rows, columns, 4]
    known = ~np.isnan(z)
    rgba[known, :3] = _lut(scale)[_index(z[known], lo, hi)]
    rgba[known, 3] = 255
    big = np.repeat(np.repeat(rgba, row_px, axis=0), col_px, axis=1)  # [sum(row_px), columns * col_px, 4]
    buffer = io.BytesIO()
    Image.fromarray(big, "RGBA").save(buffer, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _encoded(value: object) -> object:
    """``value`` with every numpy array as Plotly's typed-array dict (what ``to_dict`` sends), lists kept."""
    # Plotly's own convert_to_base64 inspects every list it meets: ten times slower on a figure's frames.
    if isinstance(value, np.ndarray):
        return {"dtype": value.dtype.str.lstrip("<|"), "bdata": base64.b64encode(value.tobytes()).decode("ascii")}
    if isinstance(value, dict):
        return {k: _encoded(v) for k, v in value.items()}
    if isinstance(value, list) and any(isinstance(v, (dict, np.ndarray)) for v in value):
        return [_encoded(v) for v in value]
    return value


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


def _cell_points(
    values: dict[str, np.ndarray],
    windows: dict[str, tuple[int, int]],
    centres: dict[str, np.ndarray],
    labels: list[str] | None,
    projected: bool,
    click: str,
) -> dict:
    """A transparent point on every cell of every row: Plotly hovers and clicks them (it does not click heatmaps).

    Each point's ``customdata`` is ``[unit, value]``: the unit axis is shared by all rows, so ``y`` is a place
    on it, not the unit. Its ``text`` is the row's letter, its
    ``hovertext`` the step's input symbol.

    Shapes:
        each ``values[name]`` [units, T] -> ``units * T`` points, unit-major like ``z.ravel()``; ``centres[name]``
        [units].
    """
    xs, ys, custom, names, symbols = [], [], [], [], []
    for name in STATE_ORDER:
        z = values[name]
        units, steps = z.shape
        xs.append(np.tile(np.arange(steps, dtype=np.int16), units))  # [units * T]
        ys.append(np.repeat(centres[name].astype(np.float32), steps))
        unit = np.repeat(np.arange(windows[name][0], windows[name][0] + units, dtype=np.float32), steps)
        custom.append(np.stack([unit, z.ravel()], axis=1))
        # A letter and a symbol per point: a row's name in every point would make the cells most of the figure.
        names += [name] * (units * steps)
        if labels:
            symbols += labels * units
    what = "unit (feature of a projected h)" if projected else "unit"
    symbol = ", input %{hovertext}" if labels else ""
    points = dict(
        type="scatter",
        x=np.concatenate(xs),
        y=np.concatenate(ys),
        mode="markers",
        marker=dict(size=10, symbol="square", opacity=0),
        customdata=np.concatenate(custom),  # [cells, 2]
        text=names,
        hovertemplate=f"<b>%{{text}}</b> = %{{customdata[1]:.4f}}<br>step %{{x}}{symbol}<br>{what} "
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


def _meta(t: int, labels: list[str] | None) -> list:
    """What a bar's hover names: the step, and its input symbol where there is one."""
    return [t, f" (input {labels[t]})" if labels else ""]


def _readout(t: int, labels: list[str] | None) -> str:
    """The words above the bars: which step they show."""
    return f"<b>at t = {t}</b>" + (f"  input {labels[t]}" if labels else "")


def _short(v: float) -> str:
    """A colour range end as a tick label: 0, 1, -1, 0.5, 3.2."""
    return f"{v:.2g}" if abs(v) < 10 else f"{v:.0f}"


def still_at(fig: AnimatedFigure, t: int) -> go.Figure:
    """The figure as it stands at step ``t``, without frames, slider, buttons or hover points: one still image.

    Kaleido renders a figure's data, not its frames: frame ``t``'s moving traces are written into a copy.
    """
    return go.Figure(stills(fig, [t])[0])


def stills(fig: AnimatedFigure, steps: list[int]) -> list[dict]:
    """``still_at`` for each of ``steps`` as plain figure dicts (what a renderer takes), the static parts shared.

    The transparent hover and click points are left out: an image has no hover, and they cost render time.
    """
    kept = [
        n
        for n, trace in enumerate(fig.data)
        if not (trace.type == "scatter" and trace.mode == "markers" and trace.marker.opacity == 0)
    ]
    data = [fig.data[n].to_plotly_json() for n in kept]
    layout = copy.deepcopy(fig.layout.to_plotly_json())
    layout.pop("sliders", None)
    layout.pop("updatemenus", None)
    margin = dict(layout.get("margin") or {})
    margin["b"] = max(int(margin.get("b", 0)) - STILL_TRIM_PX, 45)  # no slider under the time axis
    layout["margin"] = margin
    layout["height"] = int(layout.get("height") or HERO_HEIGHT) - STILL_TRIM_PX
    result = []
    for t in steps:
        frame = fig.raw_frames[t]
        moved = [copy.deepcopy(trace) for trace in data]
        for index, update in zip(frame["traces"], frame["data"], strict=True):
            merge_frame(moved[kept.index(index)], update)
        result.append(dict(data=moved, layout=layout))
    return result


STILL_TRIM_PX = 50
"""Pixels a still is shorter than the figure: the slider and buttons under the time axis are left out."""
