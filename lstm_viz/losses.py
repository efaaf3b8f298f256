"""Losses on an LSTM's output, their values and their gradients dL/d(output), ready for the backward pass."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from lstm_viz.i18n import N_, Message, msg
from lstm_viz.trace import LSTMTrace

LOSSES: dict[str, str] = {
    "last": N_("the last step's output: L = Σ_b y_T[b, j] (one unit j) or Σ_b Σ_j y_T[b, j] (all units)"),
    "every": N_("every step's output: L = Σ_t Σ_b y_t[b, j] (one unit j) or Σ_t Σ_b Σ_j y_t[b, j] (all units)"),
}
"""The losses a page can pick, in English words (``i18n.t(lang, LOSSES[kind])`` says them in another language).
Both are sums, so dL/dy is 1 where the loss reads the output and 0 elsewhere: every gradient pattern on screen is
then the network's own, not the loss's."""


def output_loss_grad(output: Tensor, kind: str, unit: int | None, batch_first: bool, batched: bool) -> Tensor:
    """dL/d(output) of one of ``LOSSES`` for any recurrent module's output (an LSTM's or a plain RNN's).

    1 where the loss reads the output (the last step or every step; one unit, clipped to the output's features,
    or all of them), 0 elsewhere.

    Shapes:
        output [T, B, F] ([B, T, F] batch_first, [T, F] unbatched) -> the same.
    """
    grad = torch.zeros_like(output)
    tm = grad if batched else grad.unsqueeze(0 if batch_first else 1)
    tm = tm.transpose(0, 1) if batch_first else tm  # [T, B, F], a view of grad
    unit = None if unit is None else min(unit, output.shape[-1] - 1)
    picked = tm[-1:] if kind == "last" else tm
    if unit is None:
        picked.fill_(1.0)
    else:
        picked[..., unit].fill_(1.0)
    return grad


@dataclass(frozen=True)
class Loss:
    """A loss on the output, its value and its gradient, ready for ``backward``.

    Shapes: ``grad_output`` like the trace's output.
    """

    kind: str
    unit: int | None
    value: float
    grad_output: Tensor
    description: Message


def loss_grad(trace: LSTMTrace, kind: str, unit: int | None = None) -> Loss:
    """The value and dL/d(output) of one of ``LOSSES`` on a trace's output.

    Args:
        trace: The forward record.
        kind: ``"last"`` (the last step's output) or ``"every"`` (every step's output).
        unit: The output feature the loss reads (0..D*H_out-1), or None for all of them.

    Returns:
        The loss: its value, ``grad_output`` (1 where the loss reads the output, 0 elsewhere) and its words
        (a ``Message``: English as a ``str``, said in another language with ``i18n.say``).

    Raises:
        ValueError: for an unknown kind or a unit outside the output's features.

    Shapes:
        ``trace.output`` [T, B, F] (any layout) -> ``grad_output`` the same.
    """
    if kind not in LOSSES:
        raise ValueError(msg("loss {kind!r} is not one of: {kinds}", kind=kind, kinds=", ".join(LOSSES)))
    features = trace.output.shape[-1]
    if unit is not None and not 0 <= unit < features:
        raise ValueError(msg("unit {unit} is outside the output's features 0..{last}", unit=unit, last=features - 1))
    grad = output_loss_grad(trace.output, kind, unit, trace.batch_first, trace.batched)
    value = float((trace.output * grad).sum())
    return Loss(kind, unit, value, grad, loss_words(kind, unit))


def loss_words(kind: str, unit: int | None) -> Message:
    """What one of ``LOSSES`` sums, in a sentence: which output features, at which steps."""
    if kind == "last" and unit is None:
        return msg("L = sum of all output features at the last step, over the batch")
    if kind == "last":
        return msg("L = sum of output feature {unit} at the last step, over the batch", unit=unit)
    if unit is None:
        return msg("L = sum of all output features summed over every step, over the batch")
    return msg("L = sum of output feature {unit} summed over every step, over the batch", unit=unit)
