"""Exports for slides and reuse: figure images, a page's ZIP, a GIF or MP4 of the gates, HTML, the run's data."""

from lstm_viz.export.animation import MAX_GIF_FRAMES, gate_frames, gates_gif, gates_mp4
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
    "gate_frames",
    "gates_gif",
    "gates_mp4",
    "rebuild_script",
    "renderer",
    "trace_arrays",
    "trace_csv_zip",
    "trace_npz",
]
