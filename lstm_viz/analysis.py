"""What a trace and its gradients mean in numbers: gate saturation, state trajectories, forget products, norms."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from lstm_viz.trace import LayerTrace

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


def correlations(states: dict[str, Tensor], values: dict[str, Tensor], chunk: int = 8192) -> dict[str, Tensor]:
    """Pearson's r of every unit of every state with every track, in float64, in chunks of characters.

    A constant unit or track gets r = 0.

    Shapes: each state [N, H]; each track [N] -> each result [tracks, H] (tracks in ``values`` order).
    """
    names = list(values)
    y = torch.stack([values[k].double() for k in names], 1)  # [N, K]
    y = y - y.mean(0)
    y_norm = y.norm(dim=0)  # [K]
    out = {}
    for state, v in states.items():
        mean = v.double().mean(0)  # [H]
        cross = torch.zeros(len(names), v.shape[1], dtype=torch.float64)
        sq = torch.zeros(v.shape[1], dtype=torch.float64)
        for s in range(0, v.shape[0], chunk):
            block = v[s : s + chunk].double() - mean  # [n, H]
            cross += y[s : s + chunk].t() @ block
            sq += (block**2).sum(0)
        denom = y_norm.view(-1, 1) * sq.sqrt().view(1, -1)  # [K, H]
        out[state] = torch.where(denom > 0, cross / denom.clamp_min(1e-300), torch.zeros_like(cross))
    return out
