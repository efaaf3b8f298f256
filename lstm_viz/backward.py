"""Backpropagation through time by hand: every gradient of an ``nn.LSTM`` from its trace, without autograd."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from lstm_viz.engine import DirectionWeights
from lstm_viz.params import param_name
from lstm_viz.trace import LayerTrace, LSTMTrace


@dataclass(frozen=True)
class LayerGradients:
    """Every gradient one layer-direction's backward pass made, batch-major, in the input's time order.

    ``dh`` and ``dc`` are total derivatives: what reaches h_t from the output (or the next layer) plus what
    flows back from the step that read it. ``di, df, dg, do`` are the gradients of each gate's
    pre-activation (before σ or tanh), so ``[di | df | dg | do]`` is dL/d(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh).

    Shapes: ``dh`` [B, T, H_out]; ``dc``, ``dm``, ``di``, ``df``, ``dg``, ``do`` [B, T, H] (``dm`` is ``dh``
    without a projection); ``dx`` [B, T, I_k], this direction's share of the layer input's gradient;
    ``dh0`` [B, H_out], ``dc0`` [B, H].
    """

    layer: int
    reverse: bool
    dh: Tensor
    dc: Tensor
    dm: Tensor
    di: Tensor
    df: Tensor
    dg: Tensor
    do: Tensor
    dx: Tensor
    dh0: Tensor
    dc0: Tensor

    def gate(self, name: str) -> Tensor:
        """The pre-activation gradient of gate ``name`` (one of ``i, f, g, o``), [B, T, H]."""
        return getattr(self, "d" + name)


@dataclass(frozen=True)
class Gradients:
    """The gradients ``backward`` computed, laid out like autograd's through ``nn.LSTM``.

    ``h0`` and ``c0`` are always given, shaped like ``hx`` would be: a trace does not record whether its
    zeros came from ``hx=None`` or were passed in, and dL/dh_0 is meaningful either way (how the loss
    would move if the initial state did). Autograd returns the same numbers for a ``hx`` that requires grad.

    Shapes: ``input`` like the traced input ([T, B, I], [B, T, I] with batch_first, [T, I] unbatched);
    ``h0`` [D*L, B, H_out] and ``c0`` [D*L, B, H] ([D*L, H_out], [D*L, H] unbatched); ``params`` each like
    its parameter.
    """

    input: Tensor
    h0: Tensor
    c0: Tensor
    params: dict[str, Tensor]
    layers: tuple[LayerGradients, ...]
    num_layers: int
    bidirectional: bool

    def layer(self, k: int, reverse: bool = False) -> LayerGradients:
        """The gradients of layer ``k`` in the forward or (``reverse=True``) reverse direction."""
        if not 0 <= k < self.num_layers:
            raise IndexError(f"layer {k} is outside 0..{self.num_layers - 1}")
        if reverse and not self.bidirectional:
            raise IndexError("this LSTM is not bidirectional: there is no reverse direction")
        return self.layers[k * (2 if self.bidirectional else 1) + int(reverse)]


@dataclass(frozen=True)
class _DirectionGrads:
    """One layer-direction's backward, time-major. Shapes: ``dgates`` [T, B, 4H]; others as LayerGradients."""

    dgates: Tensor
    dc: Tensor
    dm: Tensor
    dh: Tensor
    dh0: Tensor
    dc0: Tensor


def _shifted(states: Tensor, first: Tensor, reverse: bool) -> Tensor:
    """The state each step started from: ``first`` then ``states`` shifted by one against the walk.

    Shapes: states [T, B, n], first [B, n] -> [T, B, n].
    """
    if reverse:
        return torch.cat([states[1:], first.unsqueeze(0)])
    return torch.cat([first.unsqueeze(0), states[:-1]])


_sigmoid_backward = torch.ops.aten.sigmoid_backward.grad_input  # grad * (1 - y) * y, into ``grad_input``
_tanh_backward = torch.ops.aten.tanh_backward.grad_input  # grad * (1 - y²), into ``grad_input``


def backward_direction(
    rec: LayerTrace, dout: Tensor, grad_h_last: Tensor | None = None, grad_c_last: Tensor | None = None
) -> tuple[_DirectionGrads, dict[str, Tensor]]:
    """Walk one layer-direction backwards through time, from its recorded gates and states.

    The chain rule at each step, applied in the order autograd applies it to ``nn.LSTM``'s CPU loop so that
    float32 rounds alike (float32 sums that nearly cancel would otherwise differ by more than ``allclose``
    allows)::

        dh_t = dout_t + W_hh^T dgates_(t+1)               what the output (or next layer) and the next step read
        dm_t = W_hr^T dh_t                                dm_t = dh_t without a projection
        dc_t = tanh'(dm_t * o_t) + dc_(t+1) * f_(t+1)     tanh' at tanh c_t
        do = σ'(dm_t * tanh c_t), di = σ'(dc_t * g_t), df = σ'(dc_t * c_(t-1)), dg = tanh'(dc_t * i_t)

    with σ'(a) = a (1 - σ) σ and tanh'(a) = a (1 - tanh²) computed by ATen's ``sigmoid_backward`` and
    ``tanh_backward`` kernels (plain elementwise formulas, no autograd), whose rounding a hand-written
    ``a * (1 - y * y)`` does not always reproduce. ``W_hh``, ``b_hh`` and ``W_hr`` are read once per step, so
    their gradients are summed step by step, in the same order; ``W_ih`` and ``b_ih`` act on all steps in one
    matmul, so theirs is one matmul too.

    Args:
        rec: The layer-direction's forward record.
        dout: dL/dh_t arriving from outside this direction (the output, or the next layer's input gradient).
        grad_h_last: dL/dh_n, the final hidden state's gradient, or None.
        grad_c_last: dL/dc_n, the final cell state's gradient, or None.

    Returns:
        The time-major gradients, and the parameter gradients under their short names (``weight_hh``, ...).

    Shapes:
        dout [T, B, H_out], grad_h_last [B, H_out], grad_c_last [B, H] -> _DirectionGrads (time-major).
    """
    w: DirectionWeights = rec.weights
    i, f, g, o, c = (t.transpose(0, 1) for t in (rec.i, rec.f, rec.g, rec.o, rec.c))  # [T, B, H] each
    steps, batch, hidden = c.shape
    projected = w.weight_hr is not None
    new = dict(dtype=c.dtype, device=c.device)

    # What does not depend on the recurrence, for all steps at once.
    gates = torch.stack([i, f, g, o], dim=2)  # [T, B, 4, H], activated
    tanh_c = torch.tanh(c)  # [T, B, H]: the kernel (and bits) the forward used on its way to m
    c_prev = _shifted(c, rec.c0, rec.reverse)  # [T, B, H]
    partner = torch.stack([g, c_prev, i], dim=2)  # [T, B, 3, H]: what dc_t multiplies for i, f, g
    h_prev = _shifted(rec.h.transpose(0, 1), rec.h0, rec.reverse)  # [T, B, H_out]

    dgates = torch.empty(steps, batch, 4 * hidden, **new)
    dgates4 = dgates.view(steps, batch, 4, hidden)  # [T, B, 4, H]
    dc = torch.empty(steps, batch, hidden, **new)
    dh = torch.empty(steps, batch, w.out_size, **new)
    dm = torch.empty(steps, batch, hidden, **new) if projected else dh
    d_act = torch.empty(batch, 4, hidden, **new)  # dL/d(activated gates) of one step, reused
    from_next = torch.empty(batch, w.out_size, **new)  # W_hh^T dgates_(t+1), reused
    dc_from_m = torch.empty(batch, hidden, **new)  # reused
    carry = torch.empty(batch, hidden, **new)  # dc_(t+1) * f_(t+1), reused
    d_weight_hh = torch.zeros(4 * hidden, w.weight_hh.shape[1], **new)
    d_bias_hh = torch.zeros(4 * hidden, **new) if w.bias_hh is not None else None
    d_weight_hr = torch.zeros(w.weight_hr.shape, **new) if projected else None

    per_step = list(
        zip(
            dout.unbind(0),
            dh.unbind(0),
            dm.unbind(0),
            dc.unbind(0),
            o.unbind(0),
            tanh_c.unbind(0),
            gates.unbind(0),
            g.unbind(0),
            partner.unbind(0),
            dgates.unbind(0),
            dgates4.unbind(0),
            f.unbind(0),
            h_prev.unbind(0),
            rec.m.transpose(0, 1).unbind(0),
            strict=True,
        )
    )
    if not rec.reverse:
        per_step.reverse()  # the backward walk runs against the forward one

    w_hh, w_hr = w.weight_hh, w.weight_hr
    dgates_next: Tensor | None = None  # dL/d(pre-activations) of the step that read this one's state
    dc_next: Tensor | None = None
    f_next: Tensor | None = None
    for dout_t, dh_t, dm_t, dc_t, o_t, tanh_c_t, gates_t, g_t, partner_t, dg_t, dg4_t, f_t, h_prev_t, m_t in per_step:
        if dgates_next is not None:
            torch.mm(dgates_next, w_hh, out=from_next)  # the next step read h_t through W_hh
            torch.add(dout_t, from_next, out=dh_t)
        elif grad_h_last is not None:
            torch.add(dout_t, grad_h_last, out=dh_t)
        else:
            dh_t.copy_(dout_t)
        if projected:
            torch.mm(dh_t, w_hr, out=dm_t)  # h_t = W_hr m_t
            d_weight_hr.add_(dh_t.t().mm(m_t))  # [P, H]
        torch.mul(dm_t, tanh_c_t, out=d_act[:, 3])  # m_t = o_t * tanh(c_t)
        torch.mul(dm_t, o_t, out=dc_from_m)
        _tanh_backward(dc_from_m, tanh_c_t, grad_input=dc_t)
        if dc_next is not None:
            torch.mul(dc_next, f_next, out=carry)  # c_(t+1) = f_(t+1) * c_t + ...
            dc_t.add_(carry)
        elif grad_c_last is not None:
            dc_t.add_(grad_c_last)
        torch.mul(dc_t.unsqueeze(1), partner_t, out=d_act[:, :3])  # c_t = f * c_(t-1) + i * g
        _sigmoid_backward(d_act, gates_t, grad_input=dg4_t)  # right for i, f, o; g is redone below
        _tanh_backward(d_act[:, 2], g_t, grad_input=dg4_t[:, 2])
        d_weight_hh.add_(dg_t.t().mm(h_prev_t))  # [4H, H_out]
        if d_bias_hh is not None:
            d_bias_hh.add_(dg_t.sum(0))
        dgates_next, dc_next, f_next = dg_t, dc_t, f_t
    dh0 = dgates_next @ w_hh  # [B, H_out]
    dc0 = dc_next * f_next  # [B, H]

    flat = dgates.view(steps * batch, 4 * hidden)  # [T*B, 4H]
    x = rec.x.transpose(0, 1).reshape(steps * batch, -1)  # [T*B, I_k]
    params = {"weight_ih": flat.t().mm(x), "weight_hh": d_weight_hh}
    if d_bias_hh is not None:
        params["bias_ih"] = flat.sum(0)  # [4H]
        params["bias_hh"] = d_bias_hh
    if projected:
        params["weight_hr"] = d_weight_hr
    return _DirectionGrads(dgates=dgates, dc=dc, dm=dm, dh=dh, dh0=dh0, dc0=dc0), params


def backward(
    trace: LSTMTrace,
    grad_output: Tensor | None,
    grad_h_n: Tensor | None = None,
    grad_c_n: Tensor | None = None,
) -> Gradients:
    """Backpropagate through time by hand: every gradient autograd would give through ``nn.LSTM``, and more.

    Called like ``torch.autograd.backward((output, h_n, c_n), (grad_output, grad_h_n, grad_c_n))`` on the
    module the trace was taken from; reads only the trace's record, never autograd. Beyond autograd's
    ``.grad`` fields it returns dL/dh_t, dL/dc_t and each gate's pre-activation gradient at every step.

    Args:
        trace: The forward record (``lstm_viz.trace``).
        grad_output: dL/d(output), laid out like ``trace.output``; None for zeros.
        grad_h_n: dL/dh_n like ``trace.h_n``, or None.
        grad_c_n: dL/dc_n like ``trace.c_n``, or None.

    Returns:
        The gradients (see ``Gradients``; ``h0``/``c0`` are given even when the trace ran from zeros).

    Raises:
        ValueError: for a gradient whose shape does not match what it is the gradient of.

    Shapes:
        grad_output like ``trace.output``; grad_h_n [D*L, B, H_out]; grad_c_n [D*L, B, H] (no B unbatched).
    """
    for name, grad, like in (("grad_output", grad_output, trace.output), ("grad_h_n", grad_h_n, trace.h_n)):
        if grad is not None and grad.shape != like.shape:
            raise ValueError(f"{name} has shape {tuple(grad.shape)}, expected {tuple(like.shape)}")
    if grad_c_n is not None and grad_c_n.shape != trace.c_n.shape:
        raise ValueError(f"grad_c_n has shape {tuple(grad_c_n.shape)}, expected {tuple(trace.c_n.shape)}")
    dirs = 2 if trace.bidirectional else 1
    if grad_output is None:
        grad_output = torch.zeros_like(trace.output)
    if not trace.batched:
        grad_h_n = None if grad_h_n is None else grad_h_n.unsqueeze(1)
        grad_c_n = None if grad_c_n is None else grad_c_n.unsqueeze(1)
    d_above = trace.time_major(grad_output)  # [T, B, D*H_out]: the gradient reaching the top layer's output

    runs: dict[int, _DirectionGrads] = {}
    grads_of: dict[int, dict[str, Tensor]] = {}
    dx_of: dict[int, Tensor] = {}
    # inference_mode like the forward: a read-only record, and no autograd bookkeeping on the per-step views.
    with torch.inference_mode():
        for layer in reversed(range(trace.num_layers)):
            d_layer_in = None
            for d in range(dirs):
                k = layer * dirs + d
                rec = trace.layers[k]
                out_size = rec.h.shape[-1]
                dout = d_above[..., d * out_size : (d + 1) * out_size]  # [T, B, H_out]
                run, grads_of[k] = backward_direction(
                    rec,
                    dout,
                    None if grad_h_n is None else grad_h_n[k],
                    None if grad_c_n is None else grad_c_n[k],
                )
                runs[k] = run
                steps, batch, four_h = run.dgates.shape
                dx = (run.dgates.view(steps * batch, four_h) @ rec.weights.weight_ih).view(steps, batch, -1)
                dx_of[k] = dx  # [T, B, I_k]
                d_layer_in = dx if d_layer_in is None else d_layer_in + dx
            d_above = d_layer_in

        params: dict[str, Tensor] = {}
        for k, rec in enumerate(trace.layers):  # named_parameters() order: layer, then direction
            for kind, grad in grads_of[k].items():
                params[param_name(kind, rec.layer, rec.reverse)] = grad
        layers = tuple(
            LayerGradients(
                layer=rec.layer,
                reverse=rec.reverse,
                dh=runs[k].dh.transpose(0, 1),
                dc=runs[k].dc.transpose(0, 1),
                dm=runs[k].dm.transpose(0, 1),
                **{
                    "d" + name: runs[k].dgates.view(*runs[k].dc.shape[:2], 4, -1)[:, :, n].transpose(0, 1)
                    for n, name in enumerate("ifgo")
                },
                dx=dx_of[k].transpose(0, 1),
                dh0=runs[k].dh0,
                dc0=runs[k].dc0,
            )
            for k, rec in enumerate(trace.layers)
        )
        grad_input = d_above  # [T, B, I]
        if trace.batch_first:
            grad_input = grad_input.transpose(0, 1).contiguous()  # [B, T, I]
        if not trace.batched:
            grad_input = grad_input.squeeze(0 if trace.batch_first else 1)
        h0 = torch.stack([run.dh0 for run in (runs[k] for k in range(len(trace.layers)))])  # [D*L, B, H_out]
        c0 = torch.stack([run.dc0 for run in (runs[k] for k in range(len(trace.layers)))])  # [D*L, B, H]
        if not trace.batched:
            h0, c0 = h0.squeeze(1), c0.squeeze(1)
    return Gradients(
        input=grad_input,
        h0=h0,
        c0=c0,
        params=params,
        layers=layers,
        num_layers=trace.num_layers,
        bidirectional=trace.bidirectional,
    )
