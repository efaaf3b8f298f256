"""The hand-written LSTM forward: one layer-direction loop over time, recording every gate and state."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

GATES = ("i", "f", "g", "o")
"""Gate names in ``torch.chunk(4)`` order, as PyTorch lays out the rows of ``weight_ih``."""

# The engine works on rows reordered to (i, f, o, g) so one sigmoid covers the three sigmoid gates.
_SIGMOID_FIRST = (0, 1, 3, 2)


@dataclass(frozen=True)
class DirectionWeights:
    """The parameters of one layer and one direction, under PyTorch's names.

    Shapes: ``weight_ih`` [4H, I_k], ``weight_hh`` [4H, H_out], ``bias_ih``/``bias_hh`` [4H] or None,
    ``weight_hr`` [P, H] or None, with H = hidden_size, P = proj_size, H_out = P if P > 0 else H.
    """

    weight_ih: Tensor
    weight_hh: Tensor
    bias_ih: Tensor | None
    bias_hh: Tensor | None
    weight_hr: Tensor | None

    @property
    def hidden_size(self) -> int:
        """H, the number of cell units."""
        return self.weight_ih.shape[0] // 4

    @property
    def out_size(self) -> int:
        """H_out: proj_size with a projection, else hidden_size."""
        return self.weight_hr.shape[0] if self.weight_hr is not None else self.hidden_size


@dataclass(frozen=True)
class DirectionRun:
    """What one layer-direction pass recorded, time-major, in the input's time order.

    Shapes: ``gates`` [T, B, 4H] activated, columns in (i, f, o, g) order; ``c`` and ``m`` [T, B, H];
    ``h`` [T, B, H_out] (the same tensor as ``m`` without a projection).
    """

    gates: Tensor
    c: Tensor
    m: Tensor
    h: Tensor

    def gate(self, name: str) -> Tensor:
        """One gate's activations, [T, B, H], as a view into ``gates``."""
        hidden = self.c.shape[-1]
        k = _SIGMOID_FIRST.index(GATES.index(name))
        return self.gates[..., k * hidden : (k + 1) * hidden]


def _reorder_gate_rows(t: Tensor) -> Tensor:
    """Reorder the 4H leading rows of a weight or bias from (i, f, g, o) to (i, f, o, g)."""
    # [4H, ...] -> [4, H, ...] -> pick in (i, f, o, g) order -> [4H, ...]
    blocks = t.reshape(4, t.shape[0] // 4, *t.shape[1:])
    return blocks[list(_SIGMOID_FIRST)].reshape(t.shape)


def run_direction(
    x: Tensor, h0: Tensor, c0: Tensor, w: DirectionWeights, reverse: bool = False
) -> DirectionRun:
    """Run one LSTM layer in one direction over a whole sequence.

    The input-to-hidden products of all steps are one matmul; each step then adds its recurrent
    product in place into a preallocated buffer, so the loop allocates nothing.

    Args:
        x: The layer's input, time-major.
        h0: Initial hidden state.
        c0: Initial cell state.
        w: This layer-direction's parameters.
        reverse: Walk time backwards (the ``_reverse`` direction); results stay in input order.

    Shapes:
        x [T, B, I_k], h0 [B, H_out], c0 [B, H] -> DirectionRun (see its docstring).
    """
    steps, batch, _ = x.shape
    hidden = w.hidden_size
    w_ih = _reorder_gate_rows(w.weight_ih)
    w_hh_t = _reorder_gate_rows(w.weight_hh).t()  # [H_out, 4H]
    gates = torch.empty(steps, batch, 4 * hidden, dtype=x.dtype, device=x.device)
    flat = gates.view(steps * batch, 4 * hidden)  # [T*B, 4H]
    x_flat = x.reshape(steps * batch, x.shape[-1])  # [T*B, I_k]
    if w.bias_ih is not None:
        bias = _reorder_gate_rows(w.bias_ih + w.bias_hh)
        torch.addmm(bias, x_flat, w_ih.t(), out=flat)
    else:
        torch.mm(x_flat, w_ih.t(), out=flat)

    c = torch.empty(steps, batch, hidden, dtype=x.dtype, device=x.device)
    m = torch.empty_like(c)
    if w.weight_hr is not None:
        h = torch.empty(steps, batch, w.out_size, dtype=x.dtype, device=x.device)
        w_hr_t = w.weight_hr.t()  # [H, P]
    else:
        h = m
    # Views made once, outside the loop: slicing inside it costs more than the step's arithmetic.
    sig = [gates[t, :, : 3 * hidden] for t in range(steps)]
    i_g = [gates[t, :, :hidden] for t in range(steps)]
    f_g = [gates[t, :, hidden : 2 * hidden] for t in range(steps)]
    o_g = [gates[t, :, 2 * hidden : 3 * hidden] for t in range(steps)]
    g_g = [gates[t, :, 3 * hidden :] for t in range(steps)]

    h_prev, c_prev = h0, c0
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for t in order:
        pre = gates[t]
        pre.addmm_(h_prev, w_hh_t)
        sig[t].sigmoid_()
        g_g[t].tanh_()
        c_t = c[t]
        torch.mul(f_g[t], c_prev, out=c_t)
        c_t.addcmul_(i_g[t], g_g[t])
        m_t = m[t]
        torch.tanh(c_t, out=m_t)
        m_t.mul_(o_g[t])
        if w.weight_hr is not None:
            torch.mm(m_t, w_hr_t, out=h[t])
        h_prev, c_prev = h[t], c_t
    return DirectionRun(gates=gates, c=c, m=m, h=h)


def step_preactivations(x_t: Tensor, h_prev: Tensor, w: DirectionWeights) -> tuple[Tensor, Tensor]:
    """Split one step's gate pre-activations into their input and recurrent parts.

    Args:
        x_t: The layer's input at step t.
        h_prev: The hidden state the step started from (h_{t-1}, or h0).
        w: This layer-direction's parameters.

    Returns:
        ``(W_ih x_t + b_ih, W_hh h_prev + b_hh)``, columns in PyTorch's (i, f, g, o) order.

    Shapes:
        x_t [B, I_k], h_prev [B, H_out] -> ([B, 4H], [B, 4H]).
    """
    from_input = x_t @ w.weight_ih.t()
    from_hidden = h_prev @ w.weight_hh.t()
    if w.bias_ih is not None:
        from_input = from_input + w.bias_ih
        from_hidden = from_hidden + w.bias_hh
    return from_input, from_hidden
