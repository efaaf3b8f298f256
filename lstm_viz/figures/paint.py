"""Heatmaps painted as images, figures that repaint them in a palette's scales, and figure dicts ready for JSON."""

from __future__ import annotations

import base64
import functools
import io

import numpy as np
import plotly.colors
import plotly.graph_objects as go
from PIL import Image

Scale = tuple[tuple[float, str], ...]
"""A colour scale as ``(position, colour)`` pairs, hashable."""

CELL_PX = (720, 160)
"""A heatmap image is at least about this wide and tall in pixels (whole cells each): crisp when the browser scales."""


@functools.lru_cache(maxsize=32)
def _lut(scale: Scale) -> np.ndarray:
    """256 RGB colours along a colour scale. Shapes: [256, 3] uint8."""
    colours = plotly.colors.sample_colorscale([list(p) for p in scale], np.linspace(0, 1, 256).tolist())
    return np.array([plotly.colors.unlabel_rgb(c) for c in colours], dtype=np.uint8)


@functools.lru_cache(maxsize=32)
def _hex_lut(scale: Scale) -> np.ndarray:
    """``_lut`` as '#rrggbb' strings. Shapes: [256]."""
    return np.array([f"#{r:02x}{g:02x}{b:02x}" for r, g, b in _lut(scale)])


def _index(z: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Each value's place on a 256-colour scale over ``[lo, hi]``."""
    return np.rint(np.clip((z - lo) / max(hi - lo, 1e-12), 0, 1) * 255).astype(np.uint8)


def heat_colours(z: np.ndarray, scale: Scale, lo: float, hi: float) -> np.ndarray:
    """Each value's colour on ``scale`` over ``[lo, hi]`` as a '#rrggbb' string. Shapes: like ``z``."""
    return _hex_lut(scale)[_index(z, lo, hi)]


def heat_png(z: np.ndarray, scale: Scale, lo: float, hi: float) -> str:
    """A heatmap as a PNG data URL: each value coloured on ``scale`` over ``[lo, hi]``, each cell a block of pixels.

    Shapes:
        ``z`` [rows, columns] -> an image of rows x columns blocks, row 0 at the top.
    """
    rows, cols = z.shape
    rgb = _lut(scale)[_index(z, lo, hi)]  # [rows, cols, 3]
    ky, kx = max(1, -(-CELL_PX[1] // max(rows, 1))), max(1, -(-CELL_PX[0] // max(cols, 1)))
    big = np.repeat(np.repeat(rgb, ky, axis=0), kx, axis=1)  # [rows * ky, cols * kx, 3]
    return _png_url(Image.fromarray(big, "RGB"))


def heat_rgba_png(z: np.ndarray, scale: Scale, lo: float, hi: float, row_px: list[int], col_px: int) -> str:
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
    return _png_url(Image.fromarray(big, "RGBA"))


def _png_url(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def axis_scale(fig: go.Figure, axis: str) -> tuple[Scale, float, float]:
    """A colour axis's scale and range as the figure holds them now (after ``recolour``)."""
    ca = fig.layout[axis]
    return tuple(tuple(p) for p in ca.colorscale), ca.cmin, ca.cmax


def json_ready(node: object) -> object:
    """A figure dict whose every array orjson writes as it is, as Plotly's own ``to_dict`` would send it.

    Numeric arrays become Plotly's typed-array dicts (base64, what ``to_dict`` makes of them); text and object
    arrays become lists. ``plotly.io.to_json`` (what ``st.plotly_chart`` calls) first hands the dict to orjson;
    one array orjson cannot write makes it walk every list of the figure in Python instead, several milliseconds
    of each page run for each student, and Plotly's own conversion inspects every list it meets (ten times
    slower on a figure's frames).
    """
    if isinstance(node, np.ndarray):
        if node.dtype.kind in "biuf":
            data = np.ascontiguousarray(node)
            return {"dtype": data.dtype.str.lstrip("<|"), "bdata": base64.b64encode(data.tobytes()).decode("ascii")}
        return node.tolist()
    if isinstance(node, dict):
        return {k: json_ready(v) for k, v in node.items()}
    if isinstance(node, list) and any(isinstance(v, (dict, list, np.ndarray)) for v in node):
        return [json_ready(v) for v in node]
    return node


class PaintedFigure(go.Figure):
    """A figure with parts painted from its colour axes (heatmap images, bar fills), repainted by ``recolour``.

    Subclasses say what to paint in ``paint``; ``recolour`` calls it after swapping the scales, whatever the
    subclass. Its frames, when it has any, stay plain dicts (``raw_frames``): graph-object frames cost more to
    build and copy than the rest of the figure. Read-only once made, like ``SharedFigure``.
    """

    def __init__(self, figure: dict, raw_frames: list[dict] | None = None) -> None:
        """A figure from a ``data``/``layout`` dict and its frames as plain dicts (or none)."""
        super().__init__(figure)
        self._raw_frames = raw_frames or []
        self._encoded: list[dict] | None = None

    @property
    def raw_frames(self) -> list[dict]:
        """One dict per frame: ``name``, ``traces`` (the moving traces' indices) and their ``data``."""
        return self._raw_frames

    def paint(self) -> None:
        """(Re)paint every painted part in its colour axis's current scale and range; subclasses say what."""
        self._encoded = None

    def to_dict(self) -> dict:
        """The figure's dict with its frames, their arrays encoded as Plotly's own ``to_dict`` does."""
        result = super().to_dict()
        if self._raw_frames:
            if self._encoded is None:
                self._encoded = [json_ready(frame) for frame in self._raw_frames]
            result["frames"] = list(self._encoded)
        return result
