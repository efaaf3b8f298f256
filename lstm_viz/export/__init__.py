"""Exports for slides and for reuse: figure images, a page's ZIP, a GIF of the gates, HTML, and the run's data."""

from lstm_viz.export.animation import MAX_GIF_FRAMES, gates_gif
from lstm_viz.export.data import rebuild_script, trace_arrays, trace_csv_zip, trace_npz
from lstm_viz.export.html import figures_html
from lstm_viz.export.images import (
    PNG_SCALE,
    ExportBusy,
    ExportUnavailable,
    FigureRenderer,
    figure_png,
    figure_svg,
    figures_zip,
    find_chromium,
    renderer,
)
from lstm_viz.export.names import config_summary, figure_filename

__all__ = [
    "MAX_GIF_FRAMES",
    "PNG_SCALE",
    "ExportBusy",
    "ExportUnavailable",
    "FigureRenderer",
    "config_summary",
    "figure_filename",
    "figure_png",
    "figure_svg",
    "figures_html",
    "figures_zip",
    "find_chromium",
    "gates_gif",
    "rebuild_script",
    "renderer",
    "trace_arrays",
    "trace_csv_zip",
    "trace_npz",
]
