"""Several of the app's figures as one: each keeps its traces, axes, colour bars and words, placed in a grid."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

import plotly.graph_objects as go

from lstm_viz.figures.gradients import title_pad
from lstm_viz.notebook.figure import NOTEBOOK_WIDTH

TITLE_PX = 48
"""Pixels above the grid for the composed figure's own title (one line; each more line adds ``LINE_PX``)."""
LINE_PX = 20
TITLE_FONT = 16
GAP_PX = 22
"""Pixels between rows of the grid."""
_AXIS = re.compile(r"^([xy])axis(\d*)$")
_COLOUR_AXIS = re.compile(r"^coloraxis(\d*)$")
# Plotly's defaults, where a figure leaves them out.
_MARGIN = dict(l=80, r=80, t=100, b=80)


class _Cell:
    """Where one figure's plot area lands in the composed figure, in its paper coordinates (0..1 each way)."""

    def __init__(self, left: float, right: float, top: float, bottom: float, width: float, height: float) -> None:
        self.left, self.right = left / width, right / width
        self.top, self.bottom = 1 - top / height, 1 - bottom / height

    def x(self, u: float) -> float:
        """A place across the figure's own plot area (0 left, 1 right) in composed paper units."""
        return self.left + u * (self.right - self.left)

    def y(self, v: float) -> float:
        """A place up the figure's own plot area (0 bottom, 1 top) in composed paper units."""
        return self.bottom + v * (self.top - self.bottom)

    @property
    def h(self) -> float:
        return self.top - self.bottom

    @property
    def w(self) -> float:
        return self.right - self.left


def compose(rows: list[list[go.Figure]], title: str, width: int = NOTEBOOK_WIDTH) -> go.Figure:
    """The figures of ``rows`` in one figure, a row under another, each row's figures side by side.

    Each keeps its own margins (laid out for ``width`` pixels across), so its tick labels, axis titles and colour
    bar sit where its builder put them; its title becomes an annotation over its cell. Only the first figure with
    a legend keeps it.

    Args:
        rows: Figures per row; a row's height is its tallest figure's.
        title: The composed figure's title (lines broken with ``<br>``).
        width: The pixels across the figures are laid out for.
    """
    top_px = TITLE_PX + LINE_PX * title.count("<br>")
    heights = [max(int(f.layout.height or 450) for f in row) for row in rows]
    total = top_px + sum(heights) + GAP_PX * (len(rows) - 1)
    data: list[dict] = []
    layout: dict = dict(shapes=[], annotations=[], images=[])
    counts = {"x": 0, "y": 0, "coloraxis": 0}
    legend_taken = False
    y_px = top_px
    first = rows[0][0].to_plotly_json()["layout"]
    for row, row_px in zip(rows, heights, strict=True):
        col_px = width / len(row)
        for k, fig in enumerate(row):
            own = fig.to_plotly_json()
            lay = own["layout"]
            m = {**_MARGIN, **(lay.get("margin") or {})}
            h = int(lay.get("height") or 450)
            x0 = k * col_px
            cell = _Cell(x0 + m["l"], x0 + col_px - m["r"], y_px + m["t"], y_px + h - m["b"], width, total)
            names = _rename_axes(lay, counts)
            for key, axis in _axes(lay, cell, names).items():
                layout[key] = axis
            shows_legend = lay.get("showlegend") is not False and not legend_taken and "legend" in lay
            for trace in own["data"]:
                data.append(_trace(trace, cell, names, keep_legend=shows_legend))
            if shows_legend:
                legend_taken = True
                layout["legend"] = _legend(lay["legend"], cell)
            layout["shapes"] += [_placed(s, cell, names, ("x0", "x1"), ("y0", "y1")) for s in lay.get("shapes", [])]
            layout["annotations"] += [_placed(a, cell, names, ("x",), ("y",)) for a in lay.get("annotations", [])]
            layout["images"] += [_image(i, cell, names) for i in lay.get("images", [])]
            heading = (lay.get("title") or {}).get("text")
            if heading:
                layout["annotations"].append(_heading(heading, (x0 + 10) / width, 1 - (y_px + 6) / total))
        y_px += row_px + GAP_PX
    layout.update(
        # Pinned to the top edge, its lines growing down into the room made for them.
        title=dict(
            text=title,
            x=0.01,
            xanchor="left",
            yref="container",
            y=1.0,
            yanchor="top",
            font=dict(size=TITLE_FONT),
            pad=dict(t=title_pad(title, TITLE_FONT)),
        ),
        height=total,
        margin=dict(l=0, r=0, t=0, b=0),
        showlegend=legend_taken,
        font=first.get("font"),
        paper_bgcolor="white",
        plot_bgcolor="white",
        hovermode=first.get("hovermode", "closest"),
        template="none",
    )
    return go.Figure(dict(data=data, layout=layout))


def _rename_axes(lay: dict, counts: dict[str, int]) -> dict[str, str]:
    """Each axis (``x``, ``y2``) and colour axis of one figure under the next free name of the composed figure."""
    names = {}
    for key in lay:
        match = _AXIS.match(key)
        if match:
            letter = match.group(1)
            counts[letter] += 1
            names[letter + match.group(2)] = letter + (str(counts[letter]) if counts[letter] > 1 else "")
        elif _COLOUR_AXIS.match(key):
            counts["coloraxis"] += 1
            names[key] = "coloraxis" + (str(counts["coloraxis"]) if counts["coloraxis"] > 1 else "")
    # A figure's traces may use an axis its layout leaves at Plotly's defaults.
    for letter in "xy":
        if letter not in names:
            counts[letter] += 1
            names[letter] = letter + (str(counts[letter]) if counts[letter] > 1 else "")
    return names


def _layout_key(ref: str) -> str:
    """``"x2"`` -> ``"xaxis2"``; ``"coloraxis2"`` stays."""
    return ref if ref.startswith("coloraxis") else f"{ref[0]}axis{ref[1:]}"


def _axes(lay: dict, cell: _Cell, names: dict[str, str]) -> dict[str, dict]:
    """The figure's axes and colour axes under their new names, their domains inside the figure's cell."""
    axes = {}
    for ref, new in names.items():
        axis = copy.deepcopy(lay.get(_layout_key(ref), {}))
        if new.startswith("coloraxis"):
            if "colorbar" in axis:
                axis["colorbar"] = _colour_bar(axis["colorbar"], cell)
        else:
            place = cell.x if ref[0] == "x" else cell.y
            lo, hi = axis.get("domain", [0.0, 1.0])
            axis["domain"] = [place(lo), place(hi)]
            # Its builder sized the figure's margins for its labels: the grid keeps them, nothing moves.
            axis["automargin"] = False
            for link in ("anchor", "overlaying", "matches", "scaleanchor"):
                if axis.get(link) in names:
                    axis[link] = names[axis[link]]
            if "anchor" not in axis:
                axis["anchor"] = names["y" if ref[0] == "x" else "x"]
        axes[_layout_key(new)] = axis
    return axes


def _colour_bar(bar: dict, cell: _Cell) -> dict:
    """A colour bar placed beside its plot area as before, its length a share of the plot's height as before."""
    bar = dict(bar)
    bar["x"] = cell.x(bar.get("x", 1.02))
    bar["y"] = cell.y(bar.get("y", 0.5))
    if bar.get("lenmode", "fraction") == "fraction":
        bar["len"] = bar.get("len", 1.0) * cell.h
    return bar


def _trace(trace: dict, cell: _Cell, names: dict[str, str], keep_legend: bool) -> dict:
    trace = dict(trace)
    trace["xaxis"] = names[trace.get("xaxis", "x")]
    trace["yaxis"] = names[trace.get("yaxis", "y")]
    if "colorbar" in trace:
        trace["colorbar"] = _colour_bar(trace["colorbar"], cell)
    marker = trace.get("marker")
    if isinstance(marker, dict):
        marker = dict(marker)
        if "colorbar" in marker:
            marker["colorbar"] = _colour_bar(marker["colorbar"], cell)
        if marker.get("coloraxis") in names:
            marker["coloraxis"] = names[marker["coloraxis"]]
        trace["marker"] = marker
    if trace.get("coloraxis") in names:
        trace["coloraxis"] = names[trace["coloraxis"]]
    if not keep_legend:
        trace["showlegend"] = False
    return trace


def _legend(legend: dict, cell: _Cell) -> dict:
    legend = dict(legend)
    legend["x"] = cell.x(legend.get("x", 1.02))
    legend["y"] = cell.y(legend.get("y", 1.0))
    return legend


def _ref(ref: str, names: dict[str, str]) -> str:
    """A shape's or annotation's reference under the new axis names (``"x2 domain"`` too); paper stays paper."""
    base, _, rest = ref.partition(" ")
    return f"{names.get(base, base)} {rest}".strip()


def _placed(item: dict, cell: _Cell, names: dict[str, str], xs: tuple[str, ...], ys: tuple[str, ...]) -> dict:
    """A shape or annotation of a figure, its paper coordinates moved into the cell, its axes renamed."""
    item = dict(item)
    for axis, keys, place in (("x", xs, cell.x), ("y", ys, cell.y)):
        ref = item.get(f"{axis}ref", axis)
        if ref == "paper":
            for key in keys:
                if item.get(key) is not None:
                    item[key] = place(item[key])
        else:
            item[f"{axis}ref"] = _ref(ref, names)
        arrow_ref = item.get(f"a{axis}ref")
        if arrow_ref not in (None, "pixel"):
            item[f"a{axis}ref"] = _ref(arrow_ref, names)
    return item


def _image(image: dict, cell: _Cell, names: dict[str, str]) -> dict:
    image = _placed(image, cell, names, ("x",), ("y",))
    scale: dict[str, Callable[[], float]] = {"x": lambda: cell.w, "y": lambda: cell.h}
    for axis in "xy":
        if image.get(f"{axis}ref", axis) == "paper" and image.get(f"size{axis}") is not None:
            image[f"size{axis}"] = image[f"size{axis}"] * scale[axis]()
    return image


def _heading(text: str, x: float, y: float) -> dict:
    """A figure's own title over its cell, left-aligned, as its builder wrote it (a second line in ``<sup>``)."""
    return dict(
        text=text,
        xref="paper",
        yref="paper",
        x=x,
        y=y,
        xanchor="left",
        yanchor="top",
        align="left",
        showarrow=False,
        font=dict(size=15),
    )
