"""The hand-written LSTM forward: one layer-direction loop over time, recording every gate and state."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

GATES = ("i", "f", "g", "o")
"""Gate names in ``torch.chunk(4)`` order, as PyTorch lays out the rows of ``weight_ih``."""


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

    Shapes: ``gates`` [T, B, 4H] activated, columns in PyTorch's (i, f, g, o) order; ``c`` and ``m`` [T, B, H];
    ``h`` [T, B, H_out] (the same tensor as ``m`` without a projection).
    """

    gates: Tensor
    c: Tensor
    m: Tensor
    h: Tensor

    def gate(self, name: str) -> Tensor:
        """One gate's activations, [T, B, H], as a view into ``gates``."""
        hidden = self.c.shape[-1]
        k = GATES.index(name)
        return self.gates[..., k * hidden : (k + 1) * hidden]


@dataclass(frozen=True)
class CellClamp:
    """Cells whose memory is held at fixed values during a forward: a causal test of what a cell carries.

    After every step, once that step's ``m`` and ``h`` are computed, ``c`` of each listed unit is set to its
    value, so the next step starts from it: the cell keeps nothing from one step to the next beyond what that
    step writes (clamped to 0, ``c_t = i_t g_t``). Stepping ``nn.LSTM`` one step at a time and setting its
    ``c_n`` the same way gives the same numbers.

    Attributes:
        units: The clamped units.
        values: The value of each unit's ``c``.
        layer: The layer of the units.
        reverse: The direction (bidirectional LSTMs).
    """

    units: tuple[int, ...]
    values: tuple[float, ...]
    layer: int = 0
    reverse: bool = False

    def __post_init__(self) -> None:
        if len(self.units) != len(self.values):
            raise ValueError(f"a clamp needs one value per unit: {len(self.units)} units, {len(self.values)} values")


_ALIGN_BYTES = 64


def _step_aligned(steps: int, batch: int, width: int, like: Tensor) -> Tensor:
    """An empty [T, B, width] buffer whose every step starts on a 64-byte boundary.

    The BLAS behind ``mm`` may round differently for differently aligned operands; ATen's loop feeds it
    freshly allocated (aligned) states, so ours must be aligned too to stay bit-identical.
    """
    align = _ALIGN_BYTES // like.element_size()
    stride = -(-batch * width // align) * align  # elements per step, rounded up to the alignment
    storage = torch.empty(steps * stride + align, dtype=like.dtype, device=like.device)
    offset = (-storage.data_ptr() // like.element_size()) % align
    return storage.as_strided((steps, batch, width), (stride, width, 1), offset)


def run_direction(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    w: DirectionWeights,
    reverse: bool = False,
    clamp: CellClamp | None = None,
) -> DirectionRun:
    """Run one LSTM layer in one direction over a whole sequence.

    The input-to-hidden products of all steps are one matmul; each step then adds its recurrent
    product in place into a preallocated buffer, so the loop allocates nothing. Every per-step view
    is made before the loop by ``unbind`` (one call per buffer), so a step is its kernels and no indexing.

    The arithmetic follows ATen's generic CPU loop kernel for kernel, on tensors of the same shapes:
    ``W_ih x + b_ih`` for all steps, then per step ``(W_hh h + b_hh) + that``, one activation per gate
    chunk, and ``f * c`` and ``i * g`` rounded separately before their sum. So the result is bit-identical
    to ``nn.LSTM`` wherever PyTorch runs that loop (float64, ``proj_size > 0``, or oneDNN disabled), in
    float32 too. Fusing gates into one sigmoid, or reordering their rows, changes the last bit.

    Args:
        x: The layer's input, time-major.
        h0: Initial hidden state.
        c0: Initial cell state.
        w: This layer-direction's parameters.
        reverse: Walk time backwards (the ``_reverse`` direction); results stay in input order.
        clamp: Cells of this layer-direction held at fixed values after every step (``CellClamp``); None runs
            the plain forward, unchanged.

    Shapes:
        x [T, B, I_k], h0 [B, H_out], c0 [B, H] -> DirectionRun (see its docstring).
    """
    steps, batch, feats = x.shape
    hidden = w.hidden_size
    w_hh_t = w.weight_hh.t()  # [H_out, 4H]
    gates = torch.empty(steps, batch, 4 * hidden, dtype=x.dtype, device=x.device)
    flat = gates.view(steps * batch, 4 * hidden)  # [T*B, 4H]
    x_flat = x.reshape(steps * batch, feats)  # [T*B, I_k]
    if w.bias_ih is not None and x.is_contiguous():
        torch.addmm(w.bias_ih, x_flat, w.weight_ih.t(), out=flat)
    else:
        torch.mm(x_flat, w.weight_ih.t(), out=flat)
        if w.bias_ih is not None:
            # ATen's linear adds the bias after the product for strided (batch_first) input.
            flat.add_(w.bias_ih)
    recurrent = torch.empty(batch, 4 * hidden, dtype=x.dtype, device=x.device)  # W_hh h + b_hh, reused
    c = torch.empty(steps, batch, hidden, dtype=x.dtype, device=x.device)
    m = _step_aligned(steps, batch, hidden, x)
    i_times_g = torch.empty(batch, hidden, dtype=x.dtype, device=x.device)  # reused
    projected = w.weight_hr is not None
    h = _step_aligned(steps, batch, w.out_size, x) if projected else m
    i_all, f_all, g_all, o_all = gates.view(steps, batch, 4, hidden).unbind(2)  # [T, B, H] each
    m_steps = m.unbind(0)
    per_step = zip(
        gates.unbind(0),
        i_all.unbind(0),
        f_all.unbind(0),
        g_all.unbind(0),
        o_all.unbind(0),
        c.unbind(0),
        m_steps,
        h.unbind(0) if projected else m_steps,
        strict=True,
    )
    if reverse:
        per_step = reversed(list(per_step))

    h_prev, c_prev = h0, c0
    w_hr_t = w.weight_hr.t() if projected else None  # [H, P]
    if clamp is not None:
        units = torch.tensor(clamp.units, dtype=torch.long, device=x.device)
        held = torch.tensor(clamp.values, dtype=x.dtype, device=x.device).expand(batch, len(clamp.units))
    for pre, i_t, f_t, g_t, o_t, c_t, m_t, h_t in per_step:
        if w.bias_hh is not None:
            torch.addmm(w.bias_hh, h_prev, w_hh_t, out=recurrent)  # W_hh h_(t-1) + b_hh
        else:
            torch.mm(h_prev, w_hh_t, out=recurrent)
        pre.add_(recurrent)  # + W_ih x_t + b_ih, already there
        i_t.sigmoid_()
        f_t.sigmoid_()
        g_t.tanh_()
        o_t.sigmoid_()
        torch.mul(f_t, c_prev, out=c_t)
        torch.mul(i_t, g_t, out=i_times_g)
        c_t.add_(i_times_g)  # c_t = f * c_(t-1) + i * g
        torch.tanh(c_t, out=m_t)
        m_t.mul_(o_t)  # m_t = o * tanh(c_t)
        if projected:
            torch.mm(m_t, w_hr_t, out=h_t)  # h_t = W_hr m_t
        if clamp is not None:
            c_t.index_copy_(1, units, held)  # after m_t: the clamp acts on what the next step remembers
        h_prev, c_prev = h_t, c_t
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
