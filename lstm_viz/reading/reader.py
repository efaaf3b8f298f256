"""A character model run on one text: the hand-written forward's record, its verdict against nn.LSTM, the tracks."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from lstm_viz.engine import CellClamp
from lstm_viz.i18n import msg
from lstm_viz.reading import tracking
from lstm_viz.reference import Comparison, compare
from lstm_viz.tasks import TaskModel
from lstm_viz.trace import LSTMTrace, trace

MAX_TEXT = 2000
"""Characters one text view runs and draws (every gate of every step is recorded: 2,000 x 6 x 256 values)."""


def check_text(text: str) -> None:
    """Refuse an empty text or one longer than ``MAX_TEXT``, saying so.

    Raises:
        ValueError: naming the length and the limit.
    """
    if not text:
        raise ValueError(msg("the text is empty: type or paste some Python, or pick a held-out file"))
    if len(text) > MAX_TEXT:
        raise ValueError(
            msg(
                "the text has {n:,} characters; the text view runs at most {high:,} (every gate of every character "
                "is recorded): pick a shorter part",
                n=len(text),
                high=MAX_TEXT,
            )
        )


@dataclass(frozen=True)
class TextRun:
    """One text through a character model.

    Attributes:
        text: The text as the model read it (characters outside its vocabulary replaced by its fallback).
        ids: Symbol ids. Shapes: [T].
        x: The one-hot input. Shapes: [1, T, I].
        trace: The hand-written forward's record (batch_first, batch 1).
        comparison: Its comparison with ``nn.LSTM`` on the same weights.
        tracks: Every annotation track of the text.
        hx: The state it started from: ``nn.LSTM``'s ``(h_n, c_n)`` after the text before it, or None (zeros).
            Shapes: each [1, 1, H].
    """

    text: str
    ids: Tensor
    x: Tensor
    trace: LSTMTrace
    comparison: Comparison
    tracks: tracking.Tracks
    hx: tuple[Tensor, Tensor] | None = None

    def state(self, name: str) -> Tensor:
        """``"c"``, ``"tanh_c"`` or ``"h"`` of every step and unit. Shapes: [T, H]."""
        rec = self.trace.layer(0)
        if name == "tanh_c":
            return torch.tanh(rec.c[0])
        return getattr(rec, name)[0]

    @property
    def steps(self) -> int:
        """T, the number of characters."""
        return len(self.text)


def prefix_state(model: TaskModel, before: str) -> tuple[Tensor, Tensor] | None:
    """``nn.LSTM``'s state ``(h_n, c_n)`` after reading ``before`` from a zero state; None for an empty text.

    So a window of a file is read as the model reads it inside the whole file, not as a file's start.

    Shapes: -> each [1, 1, H] (one layer, batch 1).
    """
    if not before:
        return None
    with torch.inference_mode():
        _, (h_n, c_n) = model.lstm(model.encode(before))  # x [1, T, I]
    return h_n.clone(), c_n.clone()


def run_text(
    model: TaskModel,
    text: str,
    clamp: CellClamp | None = None,
    tracks: tracking.Tracks | None = None,
    hx: tuple[Tensor, Tensor] | None = None,
) -> TextRun:
    """Run ``text`` through ``model`` with the hand-written forward, check it against ``nn.LSTM``, and annotate it.

    ``tracks`` may come from a longer text the window was cut from (so a window cut inside a string or a
    bracket still knows it); by default they are computed on ``text`` alone. ``hx`` is the state to start
    from (``prefix_state`` of the text before the window); by default zeros, as at a file's start.

    Shapes: ``hx`` each [1, 1, H].

    Raises:
        ValueError: for an empty or too long text, or a model that does not read characters.
    """
    check_text(text)
    x = model.encode(text)  # [1, T, I]
    ids = model.task.encode(text).long()
    shown = model.decode(ids)
    tr = trace(model.lstm, x, hx, clamp=clamp)
    comparison = compare(model.lstm, x, hx, tr) if clamp is None else None
    return TextRun(shown, ids, x, tr, comparison, tracks if tracks is not None else tracking.tracks(shown), hx)
