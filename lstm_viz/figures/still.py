"""Still images of figures: an animated figure as it stands at one step, without its play buttons or slider."""

from __future__ import annotations

import copy

import plotly.graph_objects as go

from lstm_viz.figures.base import merge_frame
from lstm_viz.figures.hero import stills


def opening_step(fig: go.Figure) -> int | None:
    """The step an animated figure opens at (its slider's), or None for a figure that does not animate."""
    sliders = fig.layout.sliders
    if not sliders:
        return None
    return int(sliders[0].active or 0)


def still_figure(fig: go.Figure, step: int | None = None) -> go.Figure:
    """The figure as a still image shows it: at ``step`` (default: the step it opens at), without its controls.

    Exports of PNG, SVG and a page's ZIP go through here, in the app and in a notebook, so a slide never holds a
    play button or a slider. The Gates figure (its frames kept as plain dicts, ``raw_frames``) is drawn by its
    own stills (no hover points, the slider's room trimmed); another figure with Plotly frames gets frame
    ``step``'s traces written into a copy. A figure that does not animate is returned as it is.

    Args:
        fig: A finished figure (coloured, slide-styled), shared or not: it is never changed.
        step: The step to show; clamped into the figure's steps.
    """
    steps = len(fig.layout.sliders[0].steps) if fig.layout.sliders else 0
    if steps == 0 and not fig.layout.updatemenus:
        return fig
    t = min(max(opening_step(fig) if step is None else int(step), 0), max(steps - 1, 0))
    if getattr(fig, "raw_frames", None):
        return go.Figure(stills(fig, [t])[0])
    figure = copy.deepcopy(fig.to_dict())
    frames = figure.pop("frames", [])
    frame = next((f for f in frames if f.get("name") == str(t)), frames[t] if t < len(frames) else None)
    if frame is not None:
        indices = frame.get("traces") or range(len(frame.get("data", [])))
        for index, update in zip(indices, frame.get("data", []), strict=False):
            merge_frame(figure["data"][index], update)
    figure["layout"].pop("sliders", None)
    figure["layout"].pop("updatemenus", None)
    return go.Figure(figure)
