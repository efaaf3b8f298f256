"""Break a cell on purpose: hold its memory at a value in both forwards and measure what it costs where it matters."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lstm_viz import reference
from lstm_viz.engine import CellClamp
from lstm_viz.i18n import Message, msg
from lstm_viz.reference import RTOL, max_abs_diff
from lstm_viz.trace import LSTMTrace, trace


def official_clamped(
    lstm: nn.LSTM, x: Tensor, clamp: CellClamp, hx: tuple[Tensor, Tensor] | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """``nn.LSTM`` itself, stepped one step at a time, its ``c_n`` set to the clamp's values after every step.

    The same rule as the hand-written forward's ``CellClamp``: the step's ``h`` is what ``nn.LSTM`` returned,
    the next step starts from the held ``c``. Runs PyTorch's generic CPU loop (oneDNN off), as ``compare`` does.
    ``hx`` is the state the first step starts from (as ``nn.LSTM`` takes it; default zeros).

    Shapes: ``x`` [B, T, I] (batch_first) or [T, B, I] -> ``(output, h_n, c_n)`` as ``nn.LSTM`` returns them.

    Raises:
        ValueError: for a bidirectional LSTM (its reverse direction cannot be stepped forward in time).
    """
    if lstm.bidirectional:
        raise ValueError(msg("clamping steps nn.LSTM forward in time; a bidirectional LSTM cannot be stepped"))
    time_dim = 1 if lstm.batch_first else 0
    units = torch.tensor(clamp.units, dtype=torch.long)
    held = torch.tensor(clamp.values, dtype=x.dtype)
    state, outs = hx, []
    # PyTorch's generic CPU loop, as the verdict of every run compares against (``reference.compare``): the
    # oneDNN kernel it picks by default for float32 rounds each step differently, and over a thousand clamped
    # steps of a trained model that rounding grows past float32's allclose.
    with reference._ONEDNN_LOCK, torch.inference_mode():  # the lock compare() holds for the same switch
        before = torch._C._get_mkldnn_enabled()
        torch.backends.mkldnn.set_flags(_enabled=False, _fp32_precision=None)
        try:
            for x_t in x.split(1, dim=time_dim):
                out, (h_n, c_n) = lstm(x_t, state)
                c_n = c_n.clone()
                c_n[clamp.layer][:, units] = held
                state = (h_n, c_n)
                outs.append(out)
        finally:
            torch.backends.mkldnn.set_flags(_enabled=before, _fp32_precision=None)
    return torch.cat(outs, time_dim), state[0], state[1]


@dataclass(frozen=True)
class ClampCheck:
    """The clamped hand-written forward beside the clamped ``nn.LSTM``.

    Attributes:
        trace: The hand-written forward's record, the clamp applied.
        max_diff: Largest |difference| of output, h_n and c_n to ``official_clamped``.
        allclose: Whether they agree within ``torch.allclose``'s defaults.
    """

    trace: LSTMTrace
    max_diff: float
    allclose: bool

    @property
    def verdict(self) -> Message:
        """'clamped forward matches clamped nn.LSTM: max |diff| 1.2e-07 (allclose, float32)' (``i18n.say`` it)."""
        dtype = str(self.trace.output.dtype).removeprefix("torch.")
        if self.allclose:
            return msg(
                "clamped forward matches clamped nn.LSTM: max |diff| {diff:.1e} (allclose, {dtype})",
                diff=self.max_diff,
                dtype=dtype,
            )
        return msg(
            "clamped forward DOES NOT match clamped nn.LSTM: max |diff| {diff:.1e} (allclose, {dtype})",
            diff=self.max_diff,
            dtype=dtype,
        )


def check_clamped(lstm: nn.LSTM, x: Tensor, clamp: CellClamp, hx: tuple[Tensor, Tensor] | None = None) -> ClampCheck:
    """Run the clamp in the hand-written forward and in ``nn.LSTM`` (from ``hx``), and measure how far apart."""
    tr = trace(lstm, x, hx, clamp=clamp)
    output, h_n, c_n = official_clamped(lstm, x, clamp, hx)
    pairs = ((tr.output, output), (tr.h_n, h_n), (tr.c_n, c_n))
    ok = all(torch.allclose(a, b, rtol=RTOL) for a, b in pairs)
    return ClampCheck(tr, max(max_abs_diff(a, b) for a, b in pairs), ok)


@dataclass(frozen=True)
class ClampEffect:
    """What holding a cell costs, character by character.

    Shapes: every tensor [T - 1], one per predicted character (the next character of steps 0..T-2).

    Attributes:
        loss: Next-character loss (nats) of the intact model.
        clamped_loss: The same with the cell held.
        dp: Change in the probability of the true next character (clamped minus intact).
        inside: Steps where the track is on (binary: 1; count: above 0).
        check: The verdict of the clamped hand-written forward against the clamped ``nn.LSTM``.
    """

    loss: Tensor
    clamped_loss: Tensor
    dp: Tensor
    inside: Tensor
    check: ClampCheck

    def mean_rise(self, where: Tensor) -> float:
        """Mean loss increase (nats per character) over the steps in ``where``; 0 when there are none."""
        if not bool(where.any()):
            return 0.0
        return float((self.clamped_loss - self.loss)[where].double().mean())

    @property
    def dp_by_step(self) -> Tensor:
        """``dp`` at every character of the text, float32: the last one predicts nothing (0). Shapes: [T]."""
        return torch.cat([self.dp.float(), torch.zeros(1)])

    @property
    def rise_inside(self) -> float:
        """Mean loss increase inside the track."""
        return self.mean_rise(self.inside)

    @property
    def rise_outside(self) -> float:
        """Mean loss increase outside the track."""
        return self.mean_rise(~self.inside)


def clamp_effect(
    lstm: nn.LSTM,
    head: nn.Module,
    x: Tensor,
    ids: Tensor,
    track: Tensor,
    clamp: CellClamp,
    hx: tuple[Tensor, Tensor] | None = None,
) -> ClampEffect:
    """The loss per character with and without the clamp, and the change in the true next character's probability.

    Both runs start from ``hx`` (the state after the text before a window; default zeros).

    Shapes: ``x`` [1, T, I] (batch_first); ``ids`` [T] symbol ids of the text; ``track`` [T]; ``hx`` each
    [1, 1, H].
    """
    with torch.inference_mode():
        intact = trace(lstm, x, hx).output[0]  # [T, H]
        check = check_clamped(lstm, x, clamp, hx)
        held = check.trace.output[0]
        target = ids[1:].long()
        logp = torch.log_softmax(head(intact[:-1]).double(), -1).gather(1, target.view(-1, 1))[:, 0]
        logq = torch.log_softmax(head(held[:-1]).double(), -1).gather(1, target.view(-1, 1))[:, 0]
    inside = track[:-1] > 0
    return ClampEffect(-logp, -logq, logq.exp() - logp.exp(), inside, check)
