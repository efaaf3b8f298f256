"""``show`` and ``show_text``: one call per view, returning the figure the app draws for it."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from torch import Tensor, nn

from lstm_viz.figures import PALETTES, recolour
from lstm_viz.i18n import msg, t
from lstm_viz.notebook.compare import KERNELS, compare_view
from lstm_viz.notebook.figure import as_view
from lstm_viz.notebook.gates import gates_view
from lstm_viz.notebook.gradients import gradients_view
from lstm_viz.notebook.language import check_language, speaking
from lstm_viz.notebook.parameters import parameters_view
from lstm_viz.notebook.picks import DIRECTIONS, pick
from lstm_viz.notebook.step import step_view
from lstm_viz.notebook.subject import subject
from lstm_viz.notebook.text import text_model, text_view
from lstm_viz.reference import compare
from lstm_viz.tasks import TaskModel
from lstm_viz.trace import trace

VIEWS = ("gates", "compare", "step", "parameters", "gradients")
"""The views ``show`` draws, named after the app's pages."""


def _palette(colours: str) -> Any:
    if colours not in PALETTES:
        raise ValueError(msg("colours={colours!r} is not one of {choices}", colours=colours, choices=_listed(PALETTES)))
    return PALETTES[colours]


def show(
    lstm: nn.LSTM | TaskModel,
    x: Tensor | None = None,
    hx: tuple[Tensor, Tensor] | None = None,
    view: str = "gates",
    *,
    layer: int = 0,
    direction: str = "forward",
    batch_item: int = 0,
    t: int | None = None,
    units: tuple[int, int] | range | None = None,
    unit: int | None = None,
    loss: str = "last",
    weight: str = "ih",
    against: str = "generic",
    colours: str = "viridis",
    lang: str = "en",
) -> go.Figure:
    """Draw one view of ``lstm(x, hx)`` as the app draws it: a Plotly figure that shows itself in Jupyter.

    The numbers come from the explorer's hand-written forward (``lstm_viz.trace``), proven equal to ``nn.LSTM``.
    The figure is the app's own, with ``still(step)``, ``write_image(path, step=...)`` (the app's PNG at 3x or
    SVG, through the ``export`` extra's kaleido) and ``write_html(path)`` (the app's offline, interactive HTML).

    Views:
        - ``"gates"``: every gate and state over time (rows x, i, f, g, o, c, m, h), the values at a time cursor
          beside them; the slider and play button move the cursor in the browser. ``t`` is the step it opens at,
          ``unit`` a unit framed on every row; a task's memory unit is outlined.
        - ``"compare"``: nn.LSTM's output beside the hand-written one, their difference and the per-step error
          against ``allclose``'s tolerance, under the verdict (the Compare page's four charts, composed).
          ``against="default"`` compares with the kernel nn.LSTM picks when called plainly (oneDNN for float32
          without a projection) instead of its exact generic loop; ``units`` windows the output features.
        - ``"step"``: the cell at step ``t`` (default the middle step) and ``unit``, every value on its box, under
          the input gate's heatmap with that step and unit marked (the One step page's charts, composed).
        - ``"parameters"``: one weight matrix split into its gate blocks i, f, g, o (the Parameters page's chart);
          ``weight`` is ``"ih"``, ``"hh"``, ``"hr"`` (of ``layer`` and ``direction``) or a full name.
        - ``"gradients"``: how far back a loss's gradient reaches, the LSTM's against a plain tanh RNN's, and the
          gradients per unit and step (the Gradient flow page's race and heatmaps, composed). ``loss`` is
          ``"last"`` (the last step's output), ``"every"`` (every step's) or ``"task"`` (a task model's own loss,
          on its own sequences); ``unit`` is then the output feature the loss reads (None: all).

    Args:
        lstm: An ``nn.LSTM`` (in eval mode if it has dropout), or a trained task's model
            (``lstm_viz.tasks.pretrained(name)``), whose steps are labelled with the task's symbols.
        x: The input, as ``nn.LSTM`` takes it; a task's model without ``x`` reads one of its own sequences.
        hx: ``(h_0, c_0)`` as ``nn.LSTM`` takes it, or None for zeros.
        view: One of ``VIEWS``.
        layer: Which layer.
        direction: ``"forward"`` or ``"reverse"`` (a bidirectional LSTM's).
        batch_item: Which sequence of the batch.
        t: A step (negative counts from the end).
        units: ``(start, stop)`` of the units drawn, at most 64; default the first 64 (the page holding ``unit``).
        unit: A unit (the gradients view: an output feature).
        loss: The gradients view's loss.
        weight: The parameters view's matrix.
        against: The compare view's ``nn.LSTM`` kernel: ``"generic"`` or ``"default"``.
        colours: The app's palette: ``"viridis"`` (default), ``"cividis"``, ``"magma"`` or ``"grey"``.
        lang: The language of the view's words, its export's caption and its errors: ``"en"`` (English) or
            ``"zh-CN"`` (Simplified Chinese; ``"zh"`` and ``"zh_CN"`` name it too). The numbers are the same.

    Returns:
        The view's Plotly figure (sized for a notebook's ~900 px; it stretches to the output's width).

    Raises:
        TypeError: for a module that is not an ``nn.LSTM`` (a GRU, an RNN, a model holding an LSTM), or an input
            that is not a tensor.
        ValueError: for an input or state the LSTM does not take (its width, rank, dtype, a batch-first mismatch),
            or a view, layer, step or unit the run does not have; each message says what was passed and what
            was expected.

    Shapes:
        ``x`` [T, B, I], [B, T, I] with ``batch_first``, or [T, I] unbatched; ``hx`` ([L*D, B, H_out],
        [L*D, B, H]) ([L*D, H_out], [L*D, H] unbatched).
    """
    lang = check_language(lang)
    with speaking(lang):
        palette = _palette(colours)
        if view not in VIEWS:
            raise ValueError(msg("view={view!r} is not one of {choices}", view=view, choices=_listed(VIEWS)))
        if against not in KERNELS:
            raise ValueError(
                msg("against={against!r} is not one of {choices}", against=against, choices=_listed(KERNELS))
            )
        s = subject(lstm, x, hx)
        if view == "parameters":
            # No forward needed: the matrix is the module's own.
            p_layer = pick_layer(s.lstm, layer, direction)
            fig = parameters_view(s.lstm, weight, p_layer, direction == "reverse", lang)
            return _finish(fig, view, s.describe(lang), palette, lang)
        tr = trace(s.lstm, s.x, s.hx)
        p = pick(
            tr,
            layer,
            direction,
            batch_item,
            t,
            None if view == "compare" else units,
            None if view == "gradients" else unit,
            default_t=tr.layer(0).steps // 2 if view == "step" else 0,
        )
        labels = s.labels[p.batch_item] if s.labels is not None else None
        if view == "gates":
            fig = gates_view(s, p, lang)
        elif view == "compare":
            fig = compare_view(tr, compare(s.lstm, s.x, s.hx, tr), p, labels, against, units, lang)
        elif view == "step":
            fig = step_view(p, labels, lang)
        else:
            fig = gradients_view(s, p, loss, unit, lang)
        return _finish(fig, view, s.describe(lang), palette, lang)


def pick_layer(lstm: nn.LSTM, layer: int, direction: str) -> int:
    """``layer`` checked against the module (the parameters view draws without a forward).

    Raises:
        ValueError: for a layer or direction the LSTM does not have.
    """
    if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < lstm.num_layers:
        raise ValueError(
            msg(
                "layer={layer!r}: this LSTM has num_layers={n}, 0..{last}",
                layer=layer,
                n=lstm.num_layers,
                last=lstm.num_layers - 1,
            )
        )
    if direction not in DIRECTIONS:
        raise ValueError(
            msg("direction={direction!r} is not one of {choices}", direction=direction, choices=_listed(DIRECTIONS))
        )
    if direction == "reverse" and not lstm.bidirectional:
        raise ValueError(msg("direction='reverse': this LSTM is not bidirectional, it has only the forward direction"))
    return layer


def show_text(
    model: TaskModel | str,
    text: str,
    cell: int | str | None = None,
    *,
    state: str | None = None,
    tracks: list[str] | tuple[str, ...] | None = None,
    colours: str = "viridis",
    lang: str = "en",
) -> go.Figure:
    """Draw ``text`` as a character model reads it, each character on the colour of one cell (the code page's view).

    Args:
        model: ``lstm_viz.tasks.pretrained("code")`` (trained on Python) or ``"chars"``, or a name of the code
            page's models (``"code"``, ``"code_untrained"``, ``"chars"``).
        text: At most 2,000 characters (every gate of every character is recorded).
        cell: A unit number, or the track whose found cell to show (``"string"``, ``"comment"``, ``"brackets"``,
            ``"indentation"``, ...); default the clearest cell found for the model.
        state: ``"tanh_c"`` (the cell, tanh(c)) or ``"h"``; default the found cell's.
        tracks: Tracks of the text drawn as bars under each row (``lstm_viz.reading.tracking.TRACKS``); default
            the cell's.
        colours: The app's palette (see ``show``).
        lang: The language of the view's words, its export's caption and its errors: ``"en"`` or ``"zh-CN"``.

    Returns:
        The Plotly figure, with ``still``, ``write_image`` and ``write_html`` as ``show``'s.

    Raises:
        TypeError: for something that is not a character model.
        ValueError: for an empty or too long text, a cell or track the model does not have.
    """
    lang = check_language(lang)
    with speaking(lang):
        palette = _palette(colours)
        m = text_model(model)
        fig, r = text_view(m, text, cell, state, tracks, lang)
        caption = t(
            lang,
            "the {task} task's model reading {n:,} characters; {headline}",
            task=m.task.name,
            n=r.steps,
            headline=r.comparison.headline,
        )
        return _finish(fig, "text", caption, palette, lang)


def _listed(choices: object) -> str:
    """``'a', 'b', 'c'``: the values an argument takes, as Python writes them."""
    return ", ".join(map(repr, choices))  # type: ignore[call-overload]


def _finish(fig: go.Figure, key: str, caption: str, palette: Any, lang: str) -> go.Figure:
    """The builder's figure in the chosen palette, with the notebook's still and exports (in ``lang``)."""
    recolour(fig, palette)
    return as_view(fig, key, caption, lang)
