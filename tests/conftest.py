"""Shared test helpers: a seeded nn.LSTM case maker and an independent nn.LSTMCell reference.

The reference deliberately uses nothing from ``lstm_viz``: it steps ``nn.LSTMCell`` over time and
recomputes the gates from PyTorch's own ``chunk(4)`` layout, so it can catch a wrong engine.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from hypothesis import settings
from torch import Tensor, nn

# The same examples on every run, here and in CI: a float32 comparison at allclose's defaults can miss by a
# rounding step on a rare random draw, and a red CI must mean a real difference, reproducible from its output.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.load_profile("deterministic")


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots():
    """Screenshots of this run only: the folder is emptied once, before the first test of the session."""
    shots = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
    if shots.exists():
        shutil.rmtree(shots)


def pytest_configure(config):
    # nn.LSTM with proj_size > 0 falls back from oneDNN to its generic loop and says so on every call.
    config.addinivalue_line("filterwarnings", "ignore:LSTM with projections is not supported with oneDNN:UserWarning")


@dataclass
class Case:
    """An nn.LSTM (eval mode) with an input and an optional hx, as ``lstm(input, hx)`` takes them."""

    lstm: nn.LSTM
    input: Tensor
    hx: tuple[Tensor, Tensor] | None
    steps: int
    batch: int


def _make_case(
    input_size: int = 4,
    hidden_size: int = 5,
    num_layers: int = 1,
    bias: bool = True,
    batch_first: bool = False,
    dropout: float = 0.0,
    bidirectional: bool = False,
    proj_size: int = 0,
    batch: int = 2,
    steps: int = 3,
    batched: bool = True,
    with_hx: bool = False,
    dtype: torch.dtype = torch.float64,
    seed: int = 0,
) -> Case:
    gen = torch.Generator().manual_seed(seed)
    lstm = nn.LSTM(
        input_size,
        hidden_size,
        num_layers=num_layers,
        bias=bias,
        batch_first=batch_first,
        dropout=dropout,
        bidirectional=bidirectional,
        proj_size=proj_size,
        dtype=dtype,
    ).eval()
    # Weights wider than PyTorch's default U(-1/sqrt(H), 1/sqrt(H)) so gates leave their linear range.
    with torch.no_grad():
        for p in lstm.parameters():
            p.copy_((torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1).to(dtype))
    shape = (batch, steps, input_size) if batch_first else (steps, batch, input_size)
    x = torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)
    dirs = 2 if bidirectional else 1
    hx = None
    if with_hx:
        out = proj_size or hidden_size
        h0 = torch.randn(num_layers * dirs, batch, out, generator=gen, dtype=torch.float64).to(dtype)
        c0 = torch.randn(num_layers * dirs, batch, hidden_size, generator=gen, dtype=torch.float64).to(dtype)
        hx = (h0, c0)
    if not batched:
        x = x[0] if batch_first else x[:, 0]
        if hx is not None:
            hx = (hx[0][:, 0], hx[1][:, 0])
        batch = 1
    return Case(lstm=lstm, input=x, hx=hx, steps=steps, batch=batch)


@pytest.fixture(scope="session")
def make_case():
    """Factory: ``make_case(**nn_lstm_kwargs, batch=, steps=, batched=, with_hx=, dtype=, seed=)``."""
    return _make_case


@dataclass
class CellRecord:
    """One layer-direction computed step by step with nn.LSTMCell, batch-major [B, T, *]."""

    i: Tensor
    f: Tensor
    g: Tensor
    o: Tensor
    c: Tensor
    m: Tensor
    h: Tensor


def _cell_reference(lstm: nn.LSTM, layer: int, reverse: bool, x: Tensor, h0: Tensor, c0: Tensor) -> CellRecord:
    """Step nn.LSTMCell over ``x`` [B, T, I_k] with layer ``layer``'s weights in one direction.

    With a projection, the recurrent state h is P-dimensional, which nn.LSTMCell cannot take as its
    hidden state; the cell is then fed ``[x_t, h_prev]`` as its input with ``[W_ih | W_hh]`` as its
    input weights and a zero recurrent weight, which is the same sum. ``h = m @ W_hr^T`` is applied here.
    """
    sfx = f"_l{layer}" + ("_reverse" if reverse else "")
    w_ih = getattr(lstm, "weight_ih" + sfx).detach()
    w_hh = getattr(lstm, "weight_hh" + sfx).detach()
    b_ih = getattr(lstm, "bias_ih" + sfx).detach() if lstm.bias else None
    b_hh = getattr(lstm, "bias_hh" + sfx).detach() if lstm.bias else None
    w_hr = getattr(lstm, "weight_hr" + sfx).detach() if lstm.proj_size else None
    hidden = lstm.hidden_size
    batch, steps, feats = x.shape
    dtype = x.dtype
    if w_hr is None:
        cell = nn.LSTMCell(feats, hidden, bias=lstm.bias, dtype=dtype)
        weights = {"weight_ih": w_ih, "weight_hh": w_hh}
    else:
        cell = nn.LSTMCell(feats + w_hh.shape[1], hidden, bias=lstm.bias, dtype=dtype)
        weights = {"weight_ih": torch.cat([w_ih, w_hh], dim=1), "weight_hh": torch.zeros(4 * hidden, hidden)}
    if lstm.bias:
        weights |= {"bias_ih": b_ih, "bias_hh": b_hh}
    with torch.no_grad():
        for name, value in weights.items():
            getattr(cell, name).copy_(value)

    recs: dict[str, list[Tensor | None]] = {k: [None] * steps for k in "ifgocmh"}
    h_prev, c_prev = h0, c0
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    with torch.no_grad():
        for t in order:
            x_t = x[:, t]
            pre = x_t @ w_ih.t() + h_prev @ w_hh.t()
            if b_ih is not None:
                pre = pre + b_ih + b_hh
            i, f, g, o = pre.chunk(4, dim=1)
            if w_hr is None:
                m, c = cell(x_t, (h_prev, c_prev))
                h = m
            else:
                zeros = torch.zeros(batch, hidden, dtype=dtype)
                m, c = cell(torch.cat([x_t, h_prev], dim=1), (zeros, c_prev))
                h = m @ w_hr.t()
            for k, v in zip("ifgocmh", (i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid(), c, m, h), strict=True):
                recs[k][t] = v
            h_prev, c_prev = h, c
    return CellRecord(**{k: torch.stack(v, dim=1) for k, v in recs.items()})


@pytest.fixture(scope="session")
def cell_reference():
    """``cell_reference(lstm, layer, reverse, x [B,T,I_k], h0 [B,H_out], c0 [B,H]) -> CellRecord``."""
    return _cell_reference


def max_diff(a: Tensor, b: Tensor) -> float:
    """The largest |a - b| (0 for empty tensors), after checking the shapes agree."""
    assert a.shape == b.shape, (a.shape, b.shape)
    return (a - b).abs().max().item() if a.numel() else 0.0


@pytest.fixture(scope="session")
def maxdiff():
    """``maxdiff(a, b)``: shape-checked max |a - b|."""
    return max_diff
