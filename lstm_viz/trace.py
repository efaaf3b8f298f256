"""The typed record of every gate and state the hand-written forward made, and ``trace()`` itself."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from lstm_viz.engine import GATES, CellClamp, DirectionRun, DirectionWeights, run_direction, step_preactivations
from lstm_viz.params import direction_weights


@dataclass(frozen=True)
class StepTerms:
    """Both terms of every gate's pre-activation at one step, and the states around it.

    Shapes: ``from_input`` and ``from_hidden`` [B, 4H] in (i, f, g, o) order; ``x_t`` [B, I_k];
    ``h_prev`` [B, H_out]; ``c_prev`` [B, H].
    """

    t: int
    x_t: Tensor
    h_prev: Tensor
    c_prev: Tensor
    from_input: Tensor
    from_hidden: Tensor

    def split(self, gate: str) -> tuple[Tensor, Tensor]:
        """``(W_i? x_t + b_i?, W_h? h_prev + b_h?)`` for one gate, each [B, H]."""
        k = GATES.index(gate)
        hidden = self.from_input.shape[-1] // 4
        cols = slice(k * hidden, (k + 1) * hidden)
        return self.from_input[:, cols], self.from_hidden[:, cols]


@dataclass(frozen=True)
class LayerTrace:
    """Everything one layer-direction computed, batch-major, in the input's time order.

    Shapes: ``i, f, g, o, c, m`` [B, T, H]; ``h`` [B, T, H_out] (``h`` is ``m`` without a projection);
    ``x`` [B, T, I_k] is the layer's input; ``h0`` [B, H_out], ``c0`` [B, H].
    """

    layer: int
    reverse: bool
    i: Tensor
    f: Tensor
    g: Tensor
    o: Tensor
    c: Tensor
    m: Tensor
    h: Tensor
    x: Tensor
    h0: Tensor
    c0: Tensor
    weights: DirectionWeights

    @property
    def steps(self) -> int:
        """T, the sequence length."""
        return self.c.shape[1]

    def prev_index(self, t: int) -> int | None:
        """The step whose state feeds step ``t``: t-1 forward, t+1 reverse, None at the start."""
        prev = t + 1 if self.reverse else t - 1
        return prev if 0 <= prev < self.steps else None

    def step_terms(self, t: int) -> StepTerms:
        """Recompute step ``t``'s gate pre-activations split into input and recurrent parts."""
        if not 0 <= t < self.steps:
            raise IndexError(f"step {t} is outside 0..{self.steps - 1}")
        prev = self.prev_index(t)
        h_prev = self.h0 if prev is None else self.h[:, prev]
        c_prev = self.c0 if prev is None else self.c[:, prev]
        x_t = self.x[:, t]
        with torch.no_grad():
            from_input, from_hidden = step_preactivations(x_t, h_prev, self.weights)
        return StepTerms(t, x_t, h_prev, c_prev, from_input, from_hidden)


@dataclass(frozen=True)
class LSTMTrace:
    """The outputs ``nn.LSTM`` returns plus every layer-direction's record.

    Shapes: as ``nn.LSTM``: ``output`` [T, B, D*H_out] ([B, T, D*H_out] with batch_first, [T, D*H_out]
    unbatched); ``h_n`` [D*L, B, H_out]; ``c_n`` [D*L, B, H] ([D*L, ...] without B when unbatched).
    """

    output: Tensor
    h_n: Tensor
    c_n: Tensor
    layers: tuple[LayerTrace, ...]
    num_layers: int
    bidirectional: bool
    batch_first: bool
    batched: bool

    def time_major(self, output: Tensor) -> Tensor:
        """An output laid out like ``self.output`` (e.g. ``nn.LSTM``'s), as [T, B, features] whatever the layout."""
        if not self.batched:
            output = output.unsqueeze(0 if self.batch_first else 1)
        return output.transpose(0, 1) if self.batch_first else output  # [T, B, features]

    def layer(self, k: int, reverse: bool = False) -> LayerTrace:
        """The record of layer ``k`` in the forward or (``reverse=True``) reverse direction."""
        if not 0 <= k < self.num_layers:
            raise IndexError(f"layer {k} is outside 0..{self.num_layers - 1}")
        if reverse and not self.bidirectional:
            raise IndexError("this LSTM is not bidirectional: there is no reverse direction")
        return self.layers[k * (2 if self.bidirectional else 1) + int(reverse)]

    @property
    def nbytes(self) -> int:
        """Bytes held by the recorded gates and states (views of one buffer counted once)."""
        seen: dict[int, int] = {}
        for rec in self.layers:
            for t in (rec.i, rec.c, rec.m, rec.h):
                storage = t.untyped_storage()
                seen[storage.data_ptr()] = storage.nbytes()
        return sum(seen.values())


def _check_args(lstm: nn.LSTM, input: Tensor, hx) -> None:
    if isinstance(input, PackedSequence):
        raise TypeError(
            "PackedSequence input is not supported: the explorer shows every step of every sequence, "
            "so pass a padded tensor instead"
        )
    if lstm.training and lstm.dropout > 0 and lstm.num_layers > 1:
        raise ValueError(
            f"dropout={lstm.dropout} in training mode makes the forward random, so it cannot be "
            "traced or compared: call lstm.eval() first"
        )
    if input.dim() not in (2, 3):
        raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
    weight = lstm.weight_ih_l0
    if input.dtype != weight.dtype:
        raise ValueError(f"input dtype ({input.dtype}) does not match weight dtype ({weight.dtype})")
    if input.device != weight.device:
        raise ValueError(f"input is on {input.device} but the LSTM is on {weight.device}")
    if input.shape[-1] != lstm.input_size:
        raise ValueError(
            f"input.size(-1) must be equal to input_size. Expected {lstm.input_size}, got {input.shape[-1]}"
        )
    if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
        raise ValueError("hx must be a tuple (h_0, c_0)")


def _check_clamp(lstm: nn.LSTM, clamp: CellClamp) -> None:
    if not 0 <= clamp.layer < lstm.num_layers:
        raise ValueError(f"clamp layer {clamp.layer} is outside 0..{lstm.num_layers - 1}")
    if clamp.reverse and not lstm.bidirectional:
        raise ValueError("clamp names the reverse direction, but this LSTM is not bidirectional")
    bad = [u for u in clamp.units if not 0 <= u < lstm.hidden_size]
    if bad:
        raise ValueError(f"clamp unit {bad[0]} is outside 0..{lstm.hidden_size - 1}")


def trace(
    lstm: nn.LSTM,
    input: Tensor,
    hx: tuple[Tensor, Tensor] | None = None,
    clamp: CellClamp | None = None,
) -> LSTMTrace:
    """Run the hand-written forward on ``lstm``'s parameters and record every gate and state.

    Called like ``lstm(input, hx)``; never calls ``nn.LSTM``'s own forward.

    Args:
        lstm: The module whose parameters (read by PyTorch's names) define the LSTM.
        input: [T, B, I] or, with ``batch_first``, [B, T, I]; unbatched [T, I].
        hx: Optional ``(h_0, c_0)``, [D*L, B, H_out] and [D*L, B, H] ([D*L, H_out], [D*L, H] unbatched).
        clamp: Cells held at fixed values after every step (``engine.CellClamp``); the recorded ``c`` shows
            the held values. None (the default) is the plain forward.

    Returns:
        An ``LSTMTrace`` whose ``output``, ``h_n``, ``c_n`` match ``lstm(input, hx)``.

    Raises:
        TypeError: for ``PackedSequence`` input.
        ValueError: for training-mode dropout, input/hx of the wrong shape, dtype or device, or a clamp naming
            a unit, layer or direction the LSTM does not have.
    """
    _check_args(lstm, input, hx)
    if clamp is not None:
        _check_clamp(lstm, clamp)
    batched = input.dim() == 3
    if not batched:
        input = input.unsqueeze(0 if lstm.batch_first else 1)
    x = input.transpose(0, 1) if lstm.batch_first else input  # [T, B, I]
    steps, batch, _ = x.shape
    dirs = 2 if lstm.bidirectional else 1
    out_size = lstm.proj_size or lstm.hidden_size
    n_states = lstm.num_layers * dirs
    if hx is None:
        h0 = x.new_zeros(n_states, batch, out_size)
        c0 = x.new_zeros(n_states, batch, lstm.hidden_size)
    else:
        h0, c0 = hx
        want_dim = 3 if batched else 2
        if h0.dim() != want_dim or c0.dim() != want_dim:
            raise ValueError(
                f"For {want_dim}-D input, hx and cx should also be {want_dim}-D "
                f"but got ({h0.dim()}-D, {c0.dim()}-D) tensors"
            )
        if not batched:
            h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
        for name, state, want in (
            ("hidden[0]", h0, (n_states, batch, out_size)),
            ("hidden[1]", c0, (n_states, batch, lstm.hidden_size)),
        ):
            if tuple(state.shape) != want:
                raise ValueError(f"Expected {name} size {want}, got {tuple(state.shape)}")
            if state.dtype != x.dtype:
                raise ValueError(f"hx dtype ({state.dtype}) does not match input dtype ({x.dtype})")
            if state.device != x.device:
                raise ValueError(f"hx is on {state.device} but the input is on {x.device}")

    records: list[LayerTrace] = []
    h_n, c_n = [], []
    layer_in = x
    # inference_mode rather than no_grad: no version counters or autograd bookkeeping on the thousands of
    # per-step views and in-place kernels, which makes the loop ~15% faster; the records it returns are
    # inference tensors, so they cannot be modified in place afterwards (they are a read-only record).
    with torch.inference_mode():
        for layer in range(lstm.num_layers):
            runs: list[DirectionRun] = []
            for d in range(dirs):
                w = direction_weights(lstm, layer, reverse=bool(d))
                k = layer * dirs + d
                here = clamp is not None and clamp.layer == layer and clamp.reverse == bool(d)
                run = run_direction(layer_in, h0[k], c0[k], w, reverse=bool(d), clamp=clamp if here else None)
                runs.append(run)
                last = 0 if d else steps - 1
                h_n.append(run.h[last])
                c_n.append(run.c[last])
                records.append(
                    LayerTrace(
                        layer=layer,
                        reverse=bool(d),
                        **{name: run.gate(name).transpose(0, 1) for name in ("i", "f", "g", "o")},
                        c=run.c.transpose(0, 1),
                        m=run.m.transpose(0, 1),
                        h=run.h.transpose(0, 1),
                        x=layer_in.transpose(0, 1),
                        h0=h0[k],
                        c0=c0[k],
                        weights=w,
                    )
                )
            # Bidirectional layers feed the next one forward and reverse outputs side by side.
            # Contiguous like ATen's stacked layer output, so the next layer's W_ih x rounds the same way.
            layer_in = torch.cat([r.h for r in runs], dim=-1) if dirs == 2 else runs[0].h.contiguous()
        output = layer_in  # [T, B, D*H_out]
        h_n_t = torch.stack(h_n)  # [D*L, B, H_out]
        c_n_t = torch.stack(c_n)  # [D*L, B, H]
    if lstm.batch_first:
        output = output.transpose(0, 1)
    if not batched:
        output = output.squeeze(0 if lstm.batch_first else 1)
        h_n_t, c_n_t = h_n_t.squeeze(1), c_n_t.squeeze(1)
    return LSTMTrace(
        output=output,
        h_n=h_n_t,
        c_n=c_n_t,
        layers=tuple(records),
        num_layers=lstm.num_layers,
        bidirectional=lstm.bidirectional,
        batch_first=lstm.batch_first,
        batched=batched,
    )
