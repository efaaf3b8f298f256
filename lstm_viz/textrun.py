"""A character model run on one text: the hand-written forward's record, its verdict against nn.LSTM, the tracks."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from lstm_viz import cells
from lstm_viz.engine import CellClamp
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
        raise ValueError("the text is empty: type or paste some Python, or pick a held-out file")
    if len(text) > MAX_TEXT:
        raise ValueError(
            f"the text has {len(text):,} characters; the text view runs at most {MAX_TEXT:,} "
            "(every gate of every character is recorded): pick a shorter part"
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
    """

    text: str
    ids: Tensor
    x: Tensor
    trace: LSTMTrace
    comparison: Comparison
    tracks: cells.Tracks

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


def run_text(
    model: TaskModel, text: str, clamp: CellClamp | None = None, tracks: cells.Tracks | None = None
) -> TextRun:
    """Run ``text`` through ``model`` with the hand-written forward, check it against ``nn.LSTM``, and annotate it.

    ``tracks`` may come from a longer text the window was cut from (so a window cut inside a string or a
    bracket still knows it); by default they are computed on ``text`` alone.

    Raises:
        ValueError: for an empty or too long text, or a model that does not read characters.
    """
    check_text(text)
    x = model.encode(text)  # [1, T, I]
    ids = model.task.encode(text).long()
    shown = model.decode(ids)
    tr = trace(model.lstm, x, clamp=clamp)
    comparison = compare(model.lstm, x, None, tr) if clamp is None else None
    return TextRun(shown, ids, x, tr, comparison, tracks if tracks is not None else cells.tracks(shown))
