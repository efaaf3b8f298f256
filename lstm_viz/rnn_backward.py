"""A plain tanh RNN beside the LSTM: one of the LSTM's sizes, and its backward pass through time by hand."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lstm_viz.params import param_name


def rnn_like(lstm: nn.LSTM, seed: int) -> nn.RNN:
    """A tanh ``nn.RNN`` with the LSTM's sizes, layout and dtype, initialised like ``build`` does from ``seed``.

    Every parameter is drawn from U(-1/sqrt(H), 1/sqrt(H)) (PyTorch's default) from a private generator, so
    the same seed gives the same RNN in any process. An RNN has no projection: its h has H features.
    """
    rnn = nn.RNN(
        lstm.input_size,
        lstm.hidden_size,
        num_layers=lstm.num_layers,
        nonlinearity="tanh",
        bias=lstm.bias,
        batch_first=lstm.batch_first,
        bidirectional=lstm.bidirectional,
        device="meta",
    ).to_empty(device="cpu")
    gen = torch.Generator().manual_seed(seed)
    bound = 1.0 / math.sqrt(lstm.hidden_size)
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 * bound - bound)
    return rnn.to(lstm.weight_ih_l0.dtype).eval()


@dataclass(frozen=True)
class RNNGradients:
    """A plain RNN's forward and the gradients of one loss, by hand.

    Shapes: ``output`` like ``nn.RNN``'s; ``h`` and ``dh`` tuples of [B, T, H] per layer-direction, in
    ``nn.RNN``'s order (layer, then direction), input time order; ``input`` and ``h0`` like what was given
    (``h0`` [D*L, B, H], always given); ``params`` by ``named_parameters()`` names.
    """

    output: Tensor
    h: tuple[Tensor, ...]
    dh: tuple[Tensor, ...]
    input: Tensor
    h0: Tensor
    params: dict[str, Tensor]
    bidirectional: bool

    def layer_dh(self, k: int, reverse: bool = False) -> Tensor:
        """dL/dh_t of layer ``k`` in one direction, [B, T, H]."""
        return self.dh[k * (2 if self.bidirectional else 1) + int(reverse)]


def rnn_backward(
    rnn: nn.RNN, input: Tensor, grad_output: Tensor | Callable[[Tensor], Tensor], h0: Tensor | None = None
) -> RNNGradients:
    """Run a tanh ``nn.RNN`` forward by hand and backpropagate ``grad_output`` through time.

    ``h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)``, so ``dL/da_t = dL/dh_t * (1 - h_t²)`` and
    ``dL/dh_(t-1) = W_hh^T dL/da_t``: each step multiplies the gradient by the recurrent Jacobian, whose
    repeated product is what vanishes.

    Args:
        rnn: The module (``nonlinearity="tanh"``) whose parameters define the RNN.
        input: As ``rnn`` takes it (time-major, batch_first or unbatched).
        grad_output: dL/d(output), laid out like ``rnn(input)[0]``; or a function of that output returning it,
            for a loss that depends on the output (the task's loss through its read-out).
        h0: The initial hidden state as ``rnn`` takes it, or None for zeros.

    Shapes:
        input [T, B, I] (or [B, T, I], [T, I]); grad_output like the output [T, B, D*H]; h0 [D*L, B, H].
    """
    if rnn.nonlinearity != "tanh":
        raise ValueError("only the tanh RNN is written by hand here")
    batched = input.dim() == 3
    x = input if batched else input.unsqueeze(0 if rnn.batch_first else 1)
    if rnn.batch_first:
        x = x.transpose(0, 1)  # [T, B, I]
    steps, batch, _ = x.shape
    dirs = 2 if rnn.bidirectional else 1
    hidden = rnn.hidden_size
    n = rnn.num_layers * dirs
    if h0 is None:
        h0 = x.new_zeros(n, batch, hidden)
    elif not batched:
        h0 = h0.unsqueeze(1)

    def w(kind: str, layer: int, reverse: bool) -> Tensor | None:
        p = getattr(rnn, param_name(kind, layer, reverse), None)
        return None if p is None else p.detach()

    with torch.no_grad():
        inputs, hs = [], []
        layer_in = x
        for layer in range(rnn.num_layers):
            outs = []
            for d in range(dirs):
                rev = bool(d)
                pre = layer_in @ w("weight_ih", layer, rev).t()  # [T, B, H]
                if rnn.bias:
                    pre = pre + w("bias_ih", layer, rev) + w("bias_hh", layer, rev)
                h = torch.empty(steps, batch, hidden, dtype=x.dtype)
                h_prev = h0[layer * dirs + d]
                w_hh_t = w("weight_hh", layer, rev).t()
                for t in range(steps - 1, -1, -1) if rev else range(steps):
                    h[t] = torch.tanh(pre[t] + h_prev @ w_hh_t)
                    h_prev = h[t]
                outs.append(h)
                hs.append(h)
            inputs.append(layer_in)
            layer_in = torch.cat(outs, dim=-1) if dirs == 2 else outs[0]  # [T, B, D*H]
        output = layer_in

        def layout(t: Tensor) -> Tensor:
            t = t.transpose(0, 1) if rnn.batch_first else t
            return t if batched else t.squeeze(0 if rnn.batch_first else 1)

        if callable(grad_output):
            grad_output = grad_output(layout(output))
        gout = grad_output if batched else grad_output.unsqueeze(0 if rnn.batch_first else 1)
        gout = gout.transpose(0, 1) if rnn.batch_first else gout  # [T, B, D*H]

        params: dict[str, Tensor] = {}
        dhs: list[Tensor] = [None] * n  # type: ignore[list-item]
        dh0 = torch.empty_like(h0)
        d_above = gout
        for layer in reversed(range(rnn.num_layers)):
            d_in = None
            for d in range(dirs):
                rev, k = bool(d), layer * dirs + d
                h = hs[k]
                w_hh = w("weight_hh", layer, rev)
                dout = d_above[..., d * hidden : (d + 1) * hidden]  # [T, B, H]
                dh = torch.empty_like(h)
                da = torch.empty_like(h)  # dL/d(pre-activation)
                carry = torch.zeros(batch, hidden, dtype=x.dtype)
                for t in range(steps) if rev else range(steps - 1, -1, -1):
                    dh[t] = dout[t] + carry
                    da[t] = dh[t] * (1 - h[t] * h[t])
                    carry = da[t] @ w_hh
                dh0[k] = carry
                dhs[k] = dh
                prev = torch.cat([h[1:], h0[k].unsqueeze(0)]) if rev else torch.cat([h0[k].unsqueeze(0), h[:-1]])
                da_flat = da.reshape(steps * batch, hidden)  # [T*B, H]
                grads = {
                    "weight_ih": da_flat.t() @ inputs[layer].reshape(steps * batch, -1),
                    "weight_hh": da_flat.t() @ prev.reshape(steps * batch, hidden),
                }
                if rnn.bias:
                    grads["bias_ih"] = da_flat.sum(0)
                    grads["bias_hh"] = grads["bias_ih"].clone()
                for kind, g in grads.items():
                    params[param_name(kind, layer, rev)] = g
                dx = da @ w("weight_ih", layer, rev)  # [T, B, I_k]
                d_in = dx if d_in is None else d_in + dx
            d_above = d_in
        params = {name: params[name] for name, _ in rnn.named_parameters()}

    return RNNGradients(
        output=layout(output),
        h=tuple(h.transpose(0, 1) for h in hs),
        dh=tuple(dh.transpose(0, 1) for dh in dhs),
        input=layout(d_above),
        h0=dh0 if batched else dh0.squeeze(1),
        params=params,
        bidirectional=rnn.bidirectional,
    )
