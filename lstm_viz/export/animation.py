"""Animations of the gates over time (GIF, MP4): the Gates figure at each step, its cursor moving."""

from __future__ import annotations

import html
import io
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

from PIL import Image

from lstm_viz.export.images import DEFAULT_WIDTH, FigureRenderer, Progress, renderer
from lstm_viz.figures.gates_over_time import gates_over_time_figure
from lstm_viz.figures.still import stills
from lstm_viz.i18n import msg
from lstm_viz.trace import LayerTrace

MAX_GIF_FRAMES = 128
"""One frame per step costs a render (~0.3 s): longer sequences are animated a window of steps at a time."""


def gate_frames(
    rec: LayerTrace,
    batch_item: int = 0,
    units: tuple[int, int] | None = None,
    steps: range | None = None,
    step_labels: list[str] | None = None,
    highlight: tuple[int, ...] = (),
    scale: float = 1,
    progress: Progress | None = None,
    renderer_: FigureRenderer | None = None,
    caption: str = "",
    lang: str = "en",
) -> list[Image.Image]:
    """One RGB frame per step: the Gates page's figure (every gate and state, the values at the cursor) at step t.

    The frames are the page's own figure (``gates_over_time_figure``), each step's state as Plotly's frame for
    that step leaves it, without the slider and buttons, rendered by the server's kaleido at ``DEFAULT_WIDTH``;
    all of them are one export job (one server slot).

    Args:
        rec: The layer-direction record.
        batch_item: Which sequence of the batch.
        units: ``[start, stop)`` window of units, as on the page; default the first page of units.
        steps: The steps to animate (default all); at most ``MAX_GIF_FRAMES``.
        step_labels: The input symbol of each step (the input strip), or None.
        highlight: Units outlined on every row.
        scale: Pixels per layout pixel.
        progress: Called with ``(done, total, "step t")`` before each frame.
        renderer_: The renderer to use; the server's one by default.
        caption: The run in words (``Run.describe()``), a smaller line under the title of every frame.
        lang: The language of the figure's words (titles, labels, legends), as on the page.

    Raises:
        ValueError: for more than ``MAX_GIF_FRAMES`` steps or steps outside the sequence.
        ExportUnavailable: no Chromium here.
        ExportBusy: the server's export slots stayed taken.

    Shapes:
        frame t shows every quantity's ``[batch_item]`` ([T, units]) as its row and ``[batch_item, t]``
        ([units]) as the bars beside it.
    """
    steps = steps if steps is not None else range(rec.steps)
    images = gate_stills(rec, batch_item, units, steps, step_labels, highlight, caption, lang)
    r = renderer_ or renderer()
    frames: list[Image.Image] = []
    total = len(steps)
    with r.job():
        for done, (t, still) in enumerate(zip(steps, images, strict=True)):
            if progress is not None:
                progress(done, total, msg("step {t}", t=t))
            png = r.render(still, "png", DEFAULT_WIDTH, still["layout"]["height"], scale)
            frames.append(Image.open(io.BytesIO(png)).convert("RGB"))
    return frames


def gate_stills(
    rec: LayerTrace,
    batch_item: int = 0,
    units: tuple[int, int] | None = None,
    steps: range | None = None,
    step_labels: list[str] | None = None,
    highlight: tuple[int, ...] = (),
    caption: str = "",
    lang: str = "en",
) -> list[dict]:
    """The figure dicts ``gate_frames`` renders: the Gates figure as it stands at each step, without its controls.

    Its arguments are ``gate_frames``'s: ``caption`` a smaller line under the title, ``lang`` the figure's language.

    Raises:
        ValueError: for more than ``MAX_GIF_FRAMES`` steps or steps outside the sequence.
    """
    steps = steps if steps is not None else range(rec.steps)
    if len(steps) == 0 or steps[0] < 0 or steps[-1] >= rec.steps:
        raise ValueError(msg("steps {steps} must lie inside 0..{last}", steps=str(steps), last=rec.steps - 1))
    if len(steps) > MAX_GIF_FRAMES:
        raise ValueError(
            msg(
                "{n} steps is more than the {most} frames one animation may hold: export a window of steps",
                n=len(steps),
                most=MAX_GIF_FRAMES,
            )
        )
    fig = gates_over_time_figure(
        rec, batch_item, units, cursor=steps[0], step_labels=step_labels, highlight=highlight, lang=lang
    )
    if caption:
        # A slide's animation says which model it shows (a shipped task, random weights, an uploaded file).
        fig.layout.title.text += f"<br><sup>{html.escape(caption)}</sup>"
    return stills(fig, list(steps))


def gates_gif(
    rec: LayerTrace, frame_ms: int = 400, scale: float = 1, progress: Progress | None = None, **frame_args: Any
) -> bytes:
    """An animated GIF of ``gate_frames``, looping, ``frame_ms`` per step.

    All frames share the first frame's palette so colours do not flicker. ``scale`` 1 keeps a 40-step GIF
    around a few MB. ``progress`` is also called once at the end, while the GIF is assembled;
    ``frame_args`` are ``gate_frames``'s other keyword arguments (batch item, units, steps, ...).
    """
    frames = gate_frames(rec, scale=scale, progress=progress, **frame_args)
    if progress is not None:
        progress(len(frames), len(frames), msg("assembling the GIF"))
    palette = frames[0].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    quantized = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    buffer = io.BytesIO()
    quantized[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=quantized[1:],
        duration=frame_ms,
        loop=0,
        # Pillow merges a frame identical to the one before; the moving cursor makes every step's frame differ.
        optimize=False,
        disposal=1,
    )
    return buffer.getvalue()


def gates_mp4(
    rec: LayerTrace, frame_ms: int = 400, scale: float = 2, progress: Progress | None = None, **frame_args: Any
) -> bytes:
    """An H.264 MP4 of ``gate_frames``, one frame per step shown ``frame_ms`` each.

    Encoded with PyAV's bundled libx264 as yuv420p with the index at the front (``+faststart``), which
    PowerPoint, Keynote, Google Slides and browsers play. Sharper than the GIF (``scale`` 2, full colour) and
    smaller. ``progress`` is also called once at the end, while the video is encoded; ``frame_args`` are
    ``gate_frames``'s other keyword arguments.
    """
    frames = gate_frames(rec, scale=scale, progress=progress, **frame_args)
    if progress is not None:
        progress(len(frames), len(frames), msg("encoding the MP4"))
    # yuv420p halves the chroma resolution: both sides must be even.
    width, height = frames[0].width // 2 * 2, frames[0].height // 2 * 2
    # +faststart moves the index to the front in a second pass over a real file (a BytesIO cannot be reopened).
    with tempfile.TemporaryDirectory(prefix="lstm_mp4_") as tmp:
        path = Path(tmp) / "gates.mp4"
        _encode(frames, path, width, height, Fraction(1000, frame_ms))
        return path.read_bytes()


def _encode(frames: list[Image.Image], path: Path, width: int, height: int, rate: Fraction) -> None:
    import av  # only an MP4 export needs the codec libraries

    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        # Text and thin lines on flat colour: a low CRF keeps labels crisp; stillimage tunes for slides.
        stream.options = {"crf": "18", "tune": "stillimage"}
        for n, frame in enumerate(frames):
            video = av.VideoFrame.from_image(frame.crop((0, 0, width, height)))
            video.pts = n
            video.time_base = 1 / rate
            for packet in stream.encode(video):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
