"""What a trace and its gradients mean: gate saturation, state trajectories, forget products, a plain RNN beside."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from lstm_viz.backward import TASK_LOSS, Gradients, Loss, backward, loss_grad, task_loss_grad
from lstm_viz.params import param_name
from lstm_viz.trace import LayerTrace, LSTMTrace, trace

if TYPE_CHECKING:  # type names only: the tasks package imports the engine
    from lstm_viz.tasks.base import Batch
    from lstm_viz.tasks.model import TaskModel
    from lstm_viz.tasks.rnn import RNNTaskModel

SATURATING_GATES = ("i", "f", "o")
"""The sigmoid gates, whose saturation (near 0 or 1) means shut or open; g is a value, not a gate."""
LOW, HIGH = 0.1, 0.9
"""A gate is left-saturated below ``LOW`` and right-saturated above ``HIGH`` (Karpathy, Johnson, Fei-Fei 2015)."""


@dataclass(frozen=True)
class Saturation:
    """How often each unit of one gate sits near 0 or 1, over every batch item and step.

    Shapes: ``left`` and ``right`` [H], fractions in 0..1.
    """

    gate: str
    left: Tensor
    right: Tensor


def saturation(rec: LayerTrace, low: float = LOW, high: float = HIGH) -> dict[str, Saturation]:
    """Per unit of each sigmoid gate, the fraction of (batch item, step) values below ``low`` and above ``high``.

    Shapes:
        ``rec.i, rec.f, rec.o`` [B, T, H] -> each ``Saturation``'s ``left``/``right`` [H], float64.
    """
    out = {}
    for name in SATURATING_GATES:
        gate = getattr(rec, name)  # [B, T, H]
        left = (gate < low).to(torch.float64).mean(dim=(0, 1))
        right = (gate > high).to(torch.float64).mean(dim=(0, 1))
        out[name] = Saturation(name, left, right)
    return out


@dataclass(frozen=True)
class Trajectories:
    """States projected on their first two principal components.

    Shapes: ``coords`` [B, T, 2]; ``components`` [2, n] (rows: unit vectors in state space); ``mean`` [n];
    ``explained`` [2], the fraction of the variance each component carries.
    """

    coords: Tensor
    components: Tensor
    mean: Tensor
    explained: Tensor


def pca_2d(states: Tensor) -> Trajectories:
    """A 2-D PCA, by SVD of the centred states, over every batch item and step together.

    With one state dimension the second component is zero, so every trajectory is a line on the first axis.

    Shapes:
        states [B, T, n] -> Trajectories (float64).
    """
    batch, steps, n = states.shape
    flat = states.reshape(batch * steps, n).to(torch.float64)  # [B*T, n]
    mean = flat.mean(0)
    centred = flat - mean
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)  # vh [min(B*T, n), n]
    components = torch.zeros(2, n, dtype=torch.float64)
    k = min(2, vh.shape[0])
    components[:k] = vh[:k]
    var = s * s
    explained = torch.zeros(2, dtype=torch.float64)
    total = float(var.sum())
    if total > 0:
        explained[:k] = var[:k] / total
    coords = (centred @ components.t()).view(batch, steps, 2)  # [B, T, 2]
    return Trajectories(coords, components, mean, explained)


def forget_product(rec: LayerTrace) -> Tensor:
    """How much of c_t reaches the last step along the cell path alone: the product of the later forget gates.

    ``P_t = f_(t+1) * f_(t+2) * ... * f_last`` in the direction's own time (for the reverse direction, the
    steps before t), 1 at the last step. It is ∂c_last/∂c_t through the cell state only, the path the
    LSTM's gradient travels without passing through a squashing nonlinearity.

    Shapes:
        ``rec.f`` [B, T, H] -> [B, T, H], in the input's time order.
    """
    f = rec.f.to(torch.float64)  # [B, T, H]
    walk = f if rec.reverse else f.flip(1)  # the direction's time runs backwards from its last step
    later = torch.cat([torch.ones_like(walk[:, :1]), walk[:, :-1]], dim=1)  # f of the step after, 1 at the end
    product = torch.cumprod(later, dim=1)
    return product if rec.reverse else product.flip(1)


def step_norms(grad: Tensor, batch_item: int | None = None) -> Tensor:
    """The Euclidean norm of a per-step gradient over its units (and batch items, when ``batch_item`` is None).

    Shapes:
        grad [B, T, n] -> [T], float64.
    """
    g = grad.to(torch.float64)
    g = g[batch_item : batch_item + 1] if batch_item is not None else g  # [b, T, n]
    return g.transpose(0, 1).reshape(g.shape[1], -1).norm(dim=1)


# --- a plain tanh RNN beside the LSTM ----------------------------------------------------------------------


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


def output_loss_grad(output: Tensor, kind: str, unit: int | None, batch_first: bool, batched: bool) -> Tensor:
    """dL/d(output) of one of ``lstm_viz.backward.LOSSES`` for any recurrent module's output (the RNN's here).

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


# --- one call for the gradient-flow page -------------------------------------------------------------------


@dataclass(frozen=True)
class GradientFlow:
    """One loss backpropagated through the LSTM by hand and through a plain tanh RNN beside it.

    ``rnn_loss`` is the RNN's value of the task's loss (``TASK_LOSS`` only).
    """

    trace: LSTMTrace
    grads: Gradients
    loss: Loss
    rnn: RNNGradients
    rnn_loss: float | None = None


def gradient_flow(
    lstm: nn.LSTM,
    input: Tensor,
    hx: tuple[Tensor, Tensor] | None,
    kind: str,
    unit: int | None,
    seed: int,
    task: TaskModel | None = None,
    batch: Batch | None = None,
    rnn_model: RNNTaskModel | None = None,
) -> GradientFlow:
    """Trace ``lstm``, backpropagate one loss by hand, and do the same for a plain tanh RNN.

    The RNN is ``rnn_model.rnn`` when given (a task's RNN, trained like its LSTM or untrained), else
    ``rnn_like(lstm, seed)``, untrained. It reads the same input (cast to the input's dtype) and starts from the
    LSTM's h0 when it has one of its width (no projection), else from zeros. For one of ``LOSSES`` its loss
    reads the same steps and output unit (clipped to its features). For ``TASK_LOSS`` (``task`` and ``batch``
    given) the LSTM's h goes through ``task``'s read-out and the RNN's through ``rnn_model``'s own (or, without
    one, through ``task``'s: it fits, the RNN has the LSTM's H and no projection), each into the task's loss on
    ``batch``; ``rnn_loss`` is then the RNN's loss value.

    Raises:
        ValueError: for ``TASK_LOSS`` without a task model and its batch, or an output the head cannot read.

    Shapes:
        input and hx as ``lstm`` takes them; ``batch`` the sequences of ``input`` ([B, T] targets and mask).
    """
    tr = trace(lstm, input, hx)
    if rnn_model is None:
        rnn = rnn_like(lstm, seed)
    else:
        rnn = rnn_model.rnn if rnn_model.dtype == input.dtype else copy.deepcopy(rnn_model.rnn).to(input.dtype)
    h0 = hx[0] if hx is not None and not lstm.proj_size else None
    if kind == TASK_LOSS:
        if task is None or batch is None:
            raise ValueError("the task's loss needs the task model and the batch on screen")
        loss = task_loss_grad(tr, task, batch)
        reader = rnn_model if rnn_model is not None else task
        rnn_losses: list[float] = []

        def rnn_grad(out: Tensor) -> Tensor:
            tm = out if lstm.batch_first else out.transpose(0, 1)  # [B, T, H], as the task's head reads it
            rnn_task = task_loss_grad(tm, reader, batch)
            rnn_losses.append(rnn_task.value)
            return rnn_task.grad_output if lstm.batch_first else rnn_task.grad_output.transpose(0, 1)

        rnn_grads = rnn_backward(rnn, input, rnn_grad, h0)
        return GradientFlow(tr, backward(tr, loss.grad_output), loss, rnn_grads, rnn_losses[0])
    loss = loss_grad(tr, kind, unit)
    grads = backward(tr, loss.grad_output)
    dirs = 2 if lstm.bidirectional else 1
    rnn_out = input.new_zeros(*input.shape[:-1], dirs * lstm.hidden_size)  # the RNN's output, by shape
    rnn_grad_output = output_loss_grad(rnn_out, kind, unit, lstm.batch_first, input.dim() == 3)
    return GradientFlow(tr, grads, loss, rnn_backward(rnn, input, rnn_grad_output, h0))


def step_inputs(x: Tensor, labels: list[list[str]] | None = None, shown: int = 3) -> list[list[str]]:
    """The input at each step in words, for hovers: its symbol where the input has them, else its first values.

    Shapes:
        x [B, T, I] -> ``[B][T]`` strings.
    """
    if labels is not None:
        return labels
    more = ", …" if x.shape[-1] > shown else ""
    return [
        ["[" + ", ".join(f"{v:+.2f}" for v in step[:shown]) + more + "]" for step in item]
        for item in x[..., :shown].tolist()
    ]


def orders_apart(survivor: Tensor, vanished: Tensor, step: int, floor: float = 1e-30) -> float:
    """How many powers of ten ``survivor`` exceeds ``vanished`` by at ``step``: log10 of their ratio.

    Both are drawn at ``floor`` when smaller (an exact zero has vanished completely, not infinitely).

    Shapes:
        survivor [T]; vanished [T] -> a float (positive where the survivor is larger).
    """
    a = max(float(survivor[step]), floor)
    b = max(float(vanished[step]), floor)
    return math.log10(a / b)


# --- several fresh sequences of a task, for its proof figure -----------------------------------------------

PROOF_SEQUENCES = 16
"""Sequences a task's proof figure draws: enough to see the pattern, few enough to tell lines apart."""
PROOF_SEED = 30_000
"""Their seed: fresh sequences, neither trained on nor the finder's, the same on every page run."""


@dataclass(frozen=True)
class MemoryTrace:
    """One unit's state on several fresh sequences of a task, with the task's latent and input symbols.

    Shapes: ``values`` and ``latent`` [N, T]; ``labels`` ``[N][T]`` strings.
    """

    unit: int
    state: str
    values: Tensor
    latent: Tensor
    labels: list[list[str]]


def memory_trace(
    lstm: nn.LSTM,
    model: TaskModel,
    unit: int,
    state: str = "c",
    seq_len: int | None = None,
    n: int = PROOF_SEQUENCES,
    seed: int = PROOF_SEED,
) -> MemoryTrace:
    """Trace ``lstm`` (the task model's LSTM as shown, edits applied) on ``n`` fresh sequences of its task.

    Shapes:
        the task's x [N, T, I] -> ``MemoryTrace`` values and latent [N, T].
    """
    b = model.batch(n, seed, seq_len)
    rec = trace(lstm, b.x.to(lstm.weight_ih_l0.dtype)).layer(0)
    return MemoryTrace(unit, state, getattr(rec, state)[..., unit], b.latent, model.task.labels(b.tokens))
