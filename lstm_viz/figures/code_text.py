"""The text view: a text drawn as its characters, each on a background coloured by one cell, tracks as bars under it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
from torch import Tensor

from lstm_viz.figures.base import base_layout, colour_bar, heat_image, make_figure, play_buttons, to_numpy
from lstm_viz.figures.gradients import title_pad
from lstm_viz.figures.paint import PaintedFigure, heat_rgba_png
from lstm_viz.figures.scales import SIGNED_SCALE, TANH_RANGE
from lstm_viz.i18n import DEFAULT, t
from lstm_viz.reading.spans import word_span

WRAP = 100
"""Characters per row: a longer source line continues on the next row (marked ↪ in the hover)."""
ROW = 1.0
"""Height of a row of characters, in y units (the tracks' bars add ``BAR`` each below it)."""
BAR = 0.2
GAP = 0.12
ROW_PX = 19
"""Pixels per row of characters; bars and gaps scale with it."""
PANEL_GAP_PX = 34
SHOWN = {" ": " ", "\n": "↵", "\t": "⇥"}
"""How invisible characters are drawn (a space stays blank, so the background shows)."""
TRACK_COLOUR = "#444444"
MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"
LIGHT_TEXT_ABOVE = 0.55
"""|value| beyond which a character is drawn white, to stay readable on a dark background."""
WRITING_FRAMES = 150
"""At most this many frames replay a text being written (several characters a frame for a long text)."""
WRITING_MS = 40
"""Milliseconds per frame of the replay: 600 characters written in about 4 s."""
WRITING_PX = 56
"""Pixels under the figure for the replay's slider and buttons."""
IMAGE_PX_PER_ROW = 25
"""Pixels of a character row in a replay's background image (its track bars and gap in proportion)."""
IMAGE_PX_PER_COLUMN = 6
SUBTITLE_CHARS = 110
"""A line under the title holds at most this many characters (at 1280x720 a chart is about 820 px wide); a wide
character (Chinese) counts as two."""
SUBTITLE_PX = 20
"""Pixels each line under the title takes (Plotly spaces a title's lines by its own font, ``<sup>`` ones too)."""


@dataclass(frozen=True)
class TextPanel:
    """One coloured copy of the text.

    Attributes:
        values: The colour of each character, in ``colour_range``.
        label: What the colour is (``"tanh(c) of cell 18"``), for the panel's heading and the hover.
        colour_range: Fixed colour limits; default -1..1 (tanh(c), h and probability changes all lie in it).
        quantity: The colour bar's title when this panel is alone (``"tanh(c)"``); default the start of
            ``label`` up to its first ``" of "`` when that is short, else "value".

    Shapes: ``values`` [T], one per character.
    """

    values: Tensor
    label: str
    colour_range: tuple[float, float] = TANH_RANGE
    quantity: str = ""


def layout_grid(text: str, wrap: int = WRAP) -> tuple[np.ndarray, np.ndarray]:
    """Column and row of every character: a row per source line, long lines wrapped at ``wrap`` characters.

    Shapes: -> ``(columns, rows)``, each [len(text)] int.
    """
    cols = np.zeros(len(text), dtype=np.int32)
    rows = np.zeros(len(text), dtype=np.int32)
    col = row = 0
    for k, ch in enumerate(text):
        if col >= wrap:
            col, row = 0, row + 1
        cols[k], rows[k] = col, row
        if ch == "\n":
            col, row = 0, row + 1
        else:
            col += 1
    return cols, rows


def text_figure(
    text: str,
    panels: list[TextPanel],
    title: str,
    tracks: dict[str, Tensor] | None = None,
    wrap: int = WRAP,
    first_step: int = 0,
    selected: tuple[int, int] | None = None,
    writing: bool = False,
    subtitle: str = "",
    written: int | None = None,
    first_line: int = 1,
    *,
    lang: str = DEFAULT,
) -> go.Figure:
    """The text drawn once per panel, each character on a background coloured by that panel's values.

    A transparent marker sits on every character (hover: the character, its step and each value; box or click
    selection reports its step as the point's index), so a span can be selected in the browser.

    Args:
        text: The characters, as the model read them.
        panels: One coloured copy of the text each, stacked top to bottom.
        title: The figure's title (one line).
        tracks: Named per-character tracks drawn as thin bars under each row (count tracks scaled to their
            maximum); their names (in the figure's language) are listed under the title.
        wrap: Characters per row.
        first_step: Step number of the first character (for a window cut from a longer text).
        selected: A span ``(start, stop)`` of steps outlined in every panel.
        writing: Replay the text being written, in the browser: a slider and a play button whose Plotly frames
            uncover it a few characters at a time, every panel's colours with it (the figure opens whole).
        subtitle: Smaller words under the title (what the colours are, where the text is from); broken into
            lines of at most ``SUBTITLE_CHARS`` at its ``"; "``.
        first_line: The line number of the text's first line (a window of a file is labelled with the file's).
        written: With ``writing``, open the replay with this many characters written (the cover and the
            slider where a slider move to that step leaves them); default: all of them.
        lang: The language of the figure's own words (axes, hover, bars, replay); ``title``, ``subtitle`` and
            the panels' labels are given in it.

    A box drawn on it selects characters in both directions (``selectdirection="d"``): Plotly's default turns
    a thin drag into a range of columns on every row. ``box_span`` turns the box into the characters it covers.

    Shapes: each panel's ``values`` and each track [len(text)].
    """
    n = len(text)
    cols, rows = layout_grid(text, wrap)
    n_rows = int(rows.max()) + 1 if n else 1
    tracks = tracks or {}
    pitch = ROW + len(tracks) * BAR + GAP
    panel_height = n_rows * pitch
    px_per_unit = ROW_PX / ROW
    gap_units = PANEL_GAP_PX / px_per_unit
    shown = np.asarray([SHOWN.get(ch, ch) for ch in text], dtype=object)
    steps = np.arange(first_step, first_step + n, dtype=np.int32)
    # float32 throughout: half the bytes every student's browser receives, far finer than a colour or a hover.
    values = [to_numpy(p.values) for p in panels]
    hover_values = np.stack(values, 1) if values else np.zeros((n, 0), dtype=np.float32)  # [T, panels]
    custom = np.concatenate([steps[:, None].astype(np.float32), hover_values], 1)  # [T, 1 + panels]
    lines = "<br>".join(f"{p.label} %{{customdata[{k + 1}]:+.3f}}" for k, p in enumerate(panels))
    hover = t(lang, "'%{text}' at step %{customdata[0]}") + "<br>" + lines + "<extra></extra>"
    data, shapes, annotations, images, paint = [], [], [], [], []
    width = max(int(cols.max()) + 1 if n else 1, 1)
    writing = writing and n > 0
    x_end = max(width, 10) - 0.5
    total = len(panels) * panel_height + max(len(panels) - 1, 0) * gap_units
    for k, (panel, v) in enumerate(zip(panels, values, strict=True)):
        top = k * (panel_height + gap_units)
        # Bricks given by their edges: a row of characters, then empty (NaN) space where the track bars go.
        edges = [y for r in range(n_rows) for y in (top + r * pitch, top + r * pitch + ROW)]
        edges.append(top + n_rows * pitch)
        grid = np.full((2 * n_rows, width), np.nan, dtype=np.float32)  # [2 * rows, columns]
        grid[2 * rows, cols] = v
        lo, hi = panel.colour_range
        if writing:
            # plotly.js drops heatmaps from frames drawn without a full redraw: a replay paints an image.
            band = pitch - ROW
            row_px = [IMAGE_PX_PER_ROW, round(band * IMAGE_PX_PER_ROW)] * n_rows
            images.append(
                heat_image((total - top) / (total + 0.6), n_rows * pitch / (total + 0.6), width / (x_end + 0.5))
            )
            paint.append((grid, row_px, (lo, hi)))
            if k == 0:
                data.append(_carrier(lo, hi, _bar(panels, lang)))
        else:
            data.append(
                dict(
                    type="heatmap",
                    x=np.arange(width + 1, dtype=np.float64) - 0.5,
                    y=np.asarray(edges),
                    z=grid,
                    zmin=lo,
                    zmax=hi,
                    colorscale=SIGNED_SCALE,
                    colorbar=_bar(panels, lang),
                    hoverinfo="skip",
                    showscale=k == 0,
                )
            )
        ys = (top + rows * pitch + ROW / 2).astype(np.float32)
        light = np.abs(v) > LIGHT_TEXT_ABOVE * max(abs(lo), abs(hi))
        data.append(
            dict(
                type="scatter",
                mode="markers+text",
                x=cols.astype(np.float32),
                y=ys,
                text=shown,
                textposition="middle center",
                textfont=dict(family=MONO, size=12, color=np.where(light, "#fff", "#111")),
                marker=dict(size=14, symbol="square", color="rgba(0,0,0,0)"),
                customdata=custom,
                hovertemplate=hover,
                showlegend=False,
                name=panel.label,
            )
        )
        for j, (name, values_t) in enumerate(tracks.items()):
            along = to_numpy(values_t).astype(np.float64)
            peak = float(np.max(np.abs(along))) if along.size else 0.0
            scaled = along / peak if peak > 0 else along
            y0 = top + rows * pitch + ROW + j * BAR
            on = scaled > 0
            if on.any():
                data.append(
                    dict(
                        type="bar",
                        x=cols[on].astype(np.float64),
                        y=np.full(int(on.sum()), BAR * 0.8),
                        base=y0[on] + BAR * 0.1,
                        width=1.0,
                        marker=dict(color=TRACK_COLOUR, opacity=np.clip(scaled[on], 0.15, 1.0), line=dict(width=0)),
                        hoverinfo="skip",
                        showlegend=False,
                        name=name,
                    )
                )
        annotations.append(
            dict(
                text=panel.label,
                x=0,
                xref="paper",
                xanchor="left",
                y=top - 0.15,
                yref="y",
                yanchor="bottom",
                showarrow=False,
                font=dict(size=12),
            )
        )
        if selected is not None:
            a, b = selected
            for s in range(max(a, first_step), min(b, first_step + n)):
                i = s - first_step
                y0 = top + rows[i] * pitch
                shapes.append(
                    dict(
                        type="rect",
                        x0=cols[i] - 0.5,
                        x1=cols[i] + 0.5,
                        y0=y0,
                        y1=y0 + ROW,
                        line=dict(color="#ff7f0e", width=1.5),
                        fillcolor="rgba(0,0,0,0)",
                    )
                )
    row_ticks = [
        k * (panel_height + gap_units) + r * pitch + ROW / 2 for k in range(len(panels)) for r in range(n_rows)
    ]
    line_numbers = _line_numbers(text, rows, n_rows, first_line)
    every = max(1, n_rows // 30)
    details = [subtitle] if subtitle else []
    if tracks:
        counts = any(_is_count(v) for v in tracks.values())
        names = t(lang, ", ").join(tracks)
        if counts:
            details.append(t(lang, "bars under each row: {names} (darker: more)", names=names))
        else:
            details.append(t(lang, "bars under each row: {names}", names=names))
    lines = subtitle_lines(t(lang, "; ").join(details))
    title = "<br>".join([title, *(f"<sup>{line}</sup>" for line in lines)])
    frames, controls = [], {}
    extra_px = 0
    if writing:
        tops = [k * (panel_height + gap_units) for k in range(len(panels))]
        placed = _Grid(cols, rows, pitch, n_rows, tops, x_end)
        shown_now = n if written is None else min(max(int(written), 0), n)
        data.append(_writing_mask(placed, shown_now))
        frames, controls = _writing_frames(placed, len(data) - 1, total, shown_now, lang)
        extra_px = WRITING_PX
    title_px = 40 + SUBTITLE_PX * len(lines)
    layout = base_layout(
        title,
        int(total * px_per_unit) + title_px + 50 + extra_px,
        margin=dict(l=56, r=96, t=title_px, b=46 + extra_px),
        xaxis=dict(
            title=dict(text=t(lang, "column")),
            range=[-0.5, max(width, 10) - 0.5],
            showgrid=False,
            zeroline=False,
            fixedrange=True,
        ),
        yaxis=dict(
            title=dict(text=t(lang, "line")),
            range=[total, -0.6],
            tickmode="array",
            tickvals=[row_ticks[i] for i in range(len(row_ticks)) if (i % n_rows) % every == 0],
            ticktext=[line_numbers[i % n_rows] for i in range(len(row_ticks)) if (i % n_rows) % every == 0],
            showgrid=False,
            zeroline=False,
            fixedrange=True,
        ),
        shapes=shapes,
        annotations=annotations,
        dragmode="select",
        selectdirection="d",
        barmode="overlay",
        bargap=0,
        hovermode="closest",
        images=images,
        **controls,
    )
    # Pinned to the top edge, so lines under the title grow down into the margin made for them, not into the
    # panel's label above the plot (Plotly centres a title in the top margin by default).
    layout["title"].update(yref="container", y=1.0, yanchor="top", pad=dict(t=title_pad(title, 15)))
    if writing:
        return WritingFigure(dict(data=data, layout=layout, frames=frames), paint)
    return make_figure(data, layout)


class WritingFigure(PaintedFigure):
    """A text view that replays its text being written: its backgrounds are images painted from its colour bar.

    ``recolour`` swaps the colour bar's scale and calls ``paint``, as for the Gates figure's images. Its frames
    are Plotly's own (in the figure's dict, not ``raw_frames``): a still export writes the chosen frame's cover
    into a copy, as for any figure with frames.
    """

    def __init__(self, figure: dict, paint: list[tuple[np.ndarray, list[int], tuple[float, float]]]) -> None:
        """A figure from its dict (frames included) and each panel's grid, pixel rows and colour range.

        Shapes: each grid [2 * rows, columns] (a row of characters, then its bars' band, NaN where empty).
        """
        super().__init__(figure)
        self._grids = paint
        self.paint()

    def paint(self) -> None:
        """(Re)draw each panel's background in the colour bar's current scale."""
        super().paint()
        carrier = next(tr for tr in self.data if tr.name == "colour bar")
        scale = tuple(tuple(p) for p in carrier.marker.colorscale)
        for image, (grid, row_px, (lo, hi)) in zip(self.layout.images, self._grids, strict=True):
            image.source = heat_rgba_png(grid, scale, lo, hi, row_px, IMAGE_PX_PER_COLUMN)


def _carrier(lo: float, hi: float, colorbar: dict) -> dict:
    """An invisible point that carries the colour bar of a figure whose colours are images."""
    return dict(
        type="scatter",
        x=[None],
        y=[None],
        mode="markers",
        marker=dict(color=[lo], cmin=lo, cmax=hi, colorscale=SIGNED_SCALE, showscale=True, colorbar=colorbar, size=1),
        hoverinfo="skip",
        showlegend=False,
        name="colour bar",
    )


def _bar(panels: list[TextPanel], lang: str = DEFAULT) -> dict:
    """The colour bar, titled on one line above it with what the colour is (each panel names its cell above it).

    A title beside the bar would run past the top of a figure a few lines tall.
    """
    what = ""
    if len(panels) == 1:
        what = panels[0].quantity or panels[0].label.split(" of ")[0]
    what = what if what and _width(what) <= 10 else t(lang, "value")
    return colour_bar(what) | dict(title=dict(text=what, side="top"))


@dataclass(frozen=True)
class _Grid:
    """Where a text's characters sit: each one's column and row, the rows' pitch, and each panel's top.

    Shapes: ``cols`` and ``rows`` [len(text)].
    """

    cols: np.ndarray
    rows: np.ndarray
    pitch: float
    n_rows: int
    tops: list[float]
    x_end: float

    @property
    def n(self) -> int:
        """How many characters."""
        return len(self.cols)


def _writing_mask(g: _Grid, written: int) -> dict:
    """A white cover over every character from ``written`` on, in every panel: closed polygons, gaps between.

    Each panel's cover is the rest of the row of character ``written`` and every row under it (its track bars
    included); nothing when the whole text is written.
    """
    xs: list[float | None] = []
    ys: list[float | None] = []
    if written < g.n:
        c, r = float(g.cols[written]) - 0.5, int(g.rows[written])
        for top in g.tops:
            y_row, y_next, y_end = top + r * g.pitch, top + (r + 1) * g.pitch, top + g.n_rows * g.pitch
            xs += [c, g.x_end, g.x_end, -0.5, -0.5, c, c, None]
            ys += [y_row, y_row, y_end, y_end, y_next, y_next, y_row, None]
    return dict(
        type="scatter",
        x=xs or [None],
        y=ys or [None],
        mode="lines",
        fill="toself",
        fillcolor="white",
        line=dict(width=0, color="white"),
        hoverinfo="skip",
        showlegend=False,
        name="not yet written",
    )


def writing_counts(n: int) -> list[int]:
    """The characters written after each frame of the replay of a text of ``n`` characters (its slider's steps)."""
    per_frame = -(-n // WRITING_FRAMES)
    return list(range(per_frame, n, per_frame)) + [n]


def _writing_frames(
    g: _Grid, mask_index: int, total: float, written: int, lang: str = DEFAULT
) -> tuple[list[dict], dict]:
    """The replay's frames (each moves only the cover) and the slider and play/pause buttons that run them.

    The slider stands at the last step that has at most ``written`` characters written (the first if none).
    """
    counts = writing_counts(g.n)  # characters written after each frame
    frames = [
        dict(
            name=str(k),
            traces=[mask_index],
            data=[{key: v for key, v in _writing_mask(g, w).items() if key in ("type", "x", "y")}],
        )
        for k, w in enumerate(counts)
    ]
    still = dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))
    play = dict(still, frame=dict(duration=WRITING_MS, redraw=False), fromcurrent=False)
    plot_px = max(total * ROW_PX, 1)
    slider_y = -48 / plot_px  # under the column axis's title
    controls = dict(
        sliders=[
            dict(
                active=max([k for k, w in enumerate(counts) if w <= written] or [0]),
                steps=[dict(method="animate", label=str(w), args=[[str(k)], still]) for k, w in enumerate(counts)],
                x=0.22,  # right of the buttons, at 1280 px too
                len=0.78,
                y=slider_y,
                yanchor="top",
                pad=dict(t=0, b=0),
                currentvalue=dict(prefix=t(lang, "characters written: "), font=dict(size=12)),
                font=dict(size=10, color="#666"),
                ticklen=0,
                minorticklen=0,
                transition=dict(duration=0),
            )
        ],
        updatemenus=[
            # Beside the slider's rail, under its "written:" label.
            play_buttons(
                0, slider_y - 16 / plot_px, (t(lang, "▶ write"), [f["name"] for f in frames], play), ("❚❚", still)
            )
        ],
    )
    return frames, controls


def _is_count(values: Tensor) -> bool:
    """Whether a track takes values other than 0 and 1 (drawn lighter or darker by its value)."""
    t = to_numpy(values)
    return bool(((t != 0) & (t != 1)).any())


_BREAKS = re.compile(r"(; |；)")
"""Where words under a title may break: a semicolon, English or Chinese (the break drops it)."""


def _width(text: str) -> int:
    """Columns ``text`` takes: a wide character (Chinese, full-width punctuation) two, any other one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def subtitle_lines(words: str, limit: int = SUBTITLE_CHARS) -> list[str]:
    """``words`` broken at its ``"; "`` (or ``"；"``) into lines at most ``limit`` wide (a longer part stands alone).

    Width counts a wide character (Chinese) as two columns.
    """
    parts = _BREAKS.split(words)  # [part, separator, part, separator, ..., part]
    lines: list[str] = []
    for k in range(0, len(parts), 2):
        part, sep = parts[k], parts[k - 1] if k else ""
        if not part:
            continue
        if lines and _width(lines[-1]) + _width(sep) + _width(part) <= limit:
            lines[-1] += sep + part
        else:
            lines.append(part)
    return lines


def box_span(
    text: str,
    x: tuple[float, float],
    y: tuple[float, float],
    panels: int = 1,
    tracks: int = 0,
    wrap: int = WRAP,
    first_step: int = 0,
) -> tuple[int, int] | None:
    """The characters a box drawn on ``text_figure``'s view selects, as a span of steps ``(start, stop)``.

    As a text editor selects by dragging: from the first character at or right of the box's left edge on the
    first row it touches, to the last character at or left of its right edge on the last row (a character
    is at its column's centre). A box across one word on one row selects that word; a box too small to hold
    a character's centre selects the character under its middle. The panel is the one under the box's middle.

    Args:
        text: The text the figure shows.
        x: The box's left and right edges (columns, as the x axis reads).
        y: Its top and bottom edges (the y axis's units, as Plotly reports them).
        panels: How many panels the figure stacks.
        tracks: How many tracks it draws as bars under each row.
        wrap: Its characters per row.
        first_step: The step of the text's first character.

    Returns:
        The span, or None when the box misses the text.
    """
    if not text:
        return None
    cols, rows = layout_grid(text, wrap)
    n_rows = int(rows.max()) + 1
    pitch = ROW + tracks * BAR + GAP
    block = n_rows * pitch + PANEL_GAP_PX / ROW_PX  # a panel and the gap under it
    x0, x1 = sorted(float(v) for v in x)
    y0, y1 = sorted(float(v) for v in y)
    panel = min(max(int(((y0 + y1) / 2) // block), 0), panels - 1)
    top = panel * block
    r0, r1 = (int((v - top) // pitch) for v in (y0, y1))
    if r1 < 0 or r0 >= n_rows or x1 < -0.5 or x0 > max(int(cols.max()), 0) + 0.5:
        return None
    r0, r1 = max(r0, 0), min(r1, n_rows - 1)
    steps = np.arange(len(text))
    first = steps[((rows == r0) & (cols >= x0)) | (rows > r0)]
    last = steps[((rows == r1) & (cols <= x1)) | (rows < r1)]
    start, stop = (int(first[0]) if first.size else len(text)), (int(last[-1]) + 1 if last.size else 0)
    if start >= stop:
        # No character's centre inside: the one under the box's middle (the nearest on its row).
        row = min(max(int(((y0 + y1) / 2 - top) // pitch), 0), n_rows - 1)
        on_row = steps[rows == row]
        if not on_row.size:
            return None
        k = int(on_row[np.argmin(np.abs(cols[on_row] - (x0 + x1) / 2))])
        start, stop = k, k + 1
    return first_step + start, first_step + stop


def _first(customdata: Any) -> float:
    """A selected point's first customdata entry (its step): a list, or an index-keyed dict (a typed array's)."""
    return customdata["0"] if isinstance(customdata, dict) and "0" in customdata else customdata[0]


def selection_span(
    selection: Mapping[str, Any] | None, text: str, panels: int = 1, tracks: int = 0
) -> tuple[str, tuple[int, int] | None] | None:
    """The span a drag or click on ``text_figure``'s view selects, and the gesture's fingerprint.

    A box (or a lasso, by the box around it: Plotly also reports a box no wider than a line as a lasso's path)
    selects the characters it covers as an editor would (``box_span``); a box that holds one character
    selects the word it is in, as does a click on one character (where the drag mode lets one click); points
    from several characters select from the first to the last. Only the character markers carry customdata
    (the bars under the text do not); its first entry is the step.

    Args:
        selection: Streamlit's selection event (``{"box": [...], "lasso": [...], "points": [...]}``), or None.
        text: The text the figure shows (its first character at step 0).
        panels: How many panels the figure stacks.
        tracks: How many tracks it draws as bars under each row.

    Returns:
        None when the event selects nothing; else ``(fingerprint, span or None)``: the fingerprint tells the
        same gesture sent again from a new one (act on each once), the span is None when the box misses the text.
    """
    selection = selection or {}
    boxes = [
        {"x": [min(b["x"]), max(b["x"])], "y": [min(b["y"]), max(b["y"])]}
        for b in [*(selection.get("box") or []), *(selection.get("lasso") or [])]
        if len(b.get("x", [])) >= 2 and len(b.get("y", [])) >= 2
    ]
    steps = sorted(
        {int(_first(p["customdata"])) for p in selection.get("points") or [] if p.get("customdata") is not None}
    )
    if not boxes and not steps:
        return None
    made = repr(boxes[-1] if boxes else steps)
    got: tuple[int, int] | None
    if boxes:
        got = box_span(text, boxes[-1]["x"], boxes[-1]["y"], panels, tracks)
        if got is not None and got[1] - got[0] == 1:  # a short drag inside a word, as a click would
            got = word_span(text, got[0])
    elif len(steps) == 1 and steps[0] < len(text):  # a click, where the chart's drag mode lets one select
        got = word_span(text, steps[0])
    else:
        got = (steps[0], min(steps[-1] + 1, len(text)))
    return made, got


def _line_numbers(text: str, rows: np.ndarray, n_rows: int, first_line: int = 1) -> list[str]:
    """The source line number of each row ('' for a wrapped continuation), the first line numbered ``first_line``."""
    labels = [""] * n_rows
    line, last_row = first_line, -1
    for k, ch in enumerate(text):
        r = int(rows[k])
        if r != last_row and (k == 0 or text[k - 1] == "\n"):
            labels[r] = str(line)
        last_row = r
        if ch == "\n":
            line += 1
    return labels
