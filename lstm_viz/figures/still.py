"""Still images of figures: an animated figure as it stands at one step, without its play buttons or slider."""

from __future__ import annotations

import copy

import plotly.graph_objects as go

from lstm_viz.figures.base import merge_frame
from lstm_viz.figures.gates_over_time import HERO_HEIGHT


def opening_step(fig: go.Figure) -> int | None:
    """The step an animated figure opens at (its slider's), or None for a figure that does not animate."""
    sliders = fig.layout.sliders
    if not sliders:
        return None
    return int(sliders[0].active or 0)


def still_figure(fig: go.Figure, step: int | None = None) -> go.Figure:
    """The figure as a still image shows it: at ``step`` (default: the step it opens at), without its controls.

    Exports of PNG, SVG and a page's ZIP go through here, in the app and in a notebook, so a slide never holds a
    play button or a slider. A painted figure (its frames kept as plain dicts, ``raw_frames``: the Gates figure)
    is drawn by ``stills`` (no hover points, the slider's room trimmed); another figure with Plotly frames gets
    frame ``step``'s traces written into a copy. A figure that does not animate is returned as it is.

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


def still_at(fig: go.Figure, t: int) -> go.Figure:
    """The figure as it stands at step ``t``, without frames, slider, buttons or hover points: one still image.

    Kaleido renders a figure's data, not its frames: frame ``t``'s moving traces are written into a copy.
    """
    return go.Figure(stills(fig, [t])[0])


def stills(fig: go.Figure, steps: list[int]) -> list[dict]:
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
