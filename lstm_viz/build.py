"""Build the ``nn.LSTM``, its input and initial state from a config, bit-identically for the same config."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lstm_viz.config import LSTMConfig
from lstm_viz.i18n import msg

TEXT = "the quick brown fox jumps over the lazy dog. long short-term memory remembers. "
"""The text whose characters the ``text`` input kind one-hot encodes, cycled to the sequence length."""
ALPHABET = sorted(set(TEXT))


@dataclass(frozen=True)
class Built:
    """What a config builds: the module (eval mode), its input and ``hx`` (None when omitted).

    Shapes: ``input`` [T, B, I] or [B, T, I] with batch_first; ``hx`` ([D*L, B, H_out], [D*L, B, H]).
    """

    lstm: nn.LSTM
    input: Tensor
    hx: tuple[Tensor, Tensor] | None


def make_input(config: LSTMConfig, generator: torch.Generator) -> Tensor:
    """The input sequence of ``config.input_kind``, batch-major.

    Shapes: -> [B, T, I], float64.
    """
    batch, steps, feats = config.batch, config.seq_len, config.input_size
    t = torch.arange(steps, dtype=torch.float64).view(1, steps, 1)  # [1, T, 1]
    f = torch.arange(feats, dtype=torch.float64).view(1, 1, feats)  # [1, 1, I]
    if config.input_kind == "random":
        return torch.randn(batch, steps, feats, generator=generator, dtype=torch.float64)
    if config.input_kind == "sine":
        # Periods spread geometrically from 4 to 64 steps so each feature has its own frequency.
        period = 4.0 * 16.0 ** (f / max(feats - 1, 1))
        phase = 2 * math.pi * torch.rand(batch, 1, 1, generator=generator, dtype=torch.float64)
        return torch.sin(2 * math.pi * t / period + phase)
    if config.input_kind == "step":
        # Even features step from 0 to 1, odd features fire a single impulse, at onsets spread over time.
        # Onsets fall in the first 70% of the sequence and shifts add at most 20%, so every feature fires.
        onset = (0.1 + (f * 0.37) % 0.6) * steps
        shift = torch.randint(0, max(steps // 5, 1), (batch, 1, 1), generator=generator)
        start = (onset + shift).floor()
        step = (t >= start).to(torch.float64)
        impulse = (t == start).to(torch.float64)
        return torch.where(f % 2 == 0, step, impulse)
    codes = torch.tensor([ALPHABET.index(ch) for ch in TEXT])
    idx = codes[_text_positions(batch, steps)] % feats  # [B, T]
    return nn.functional.one_hot(idx, feats).to(torch.float64)


def _text_positions(batch: int, steps: int) -> torch.Tensor:
    """Where in ``TEXT`` each step of the ``text`` input reads. Shapes: -> [B, T]."""
    offsets = torch.arange(batch).view(batch, 1) * 7  # each batch item starts elsewhere in the text
    return (offsets + torch.arange(steps).view(1, steps)) % len(TEXT)


def text_symbols(config: LSTMConfig) -> list[list[str]]:
    """The character behind every step of the ``text`` input, ``[B][T]`` (space and line break made visible)."""
    shown = {" ": "␣", "\n": "↵"}
    return [
        [shown.get(TEXT[k], TEXT[k]) for k in row] for row in _text_positions(config.batch, config.seq_len).tolist()
    ]


DRAWS = ("explorer", "tutorial")
"""How random weights, input and hx are drawn from the seed: the explorer's own draw (``input_kind`` and
``initial_state`` apply), or exactly as the tutorial's code does after ``torch.manual_seed(seed)``."""


def build(config: LSTMConfig, draw: str = "explorer") -> Built:
    """The ``nn.LSTM`` with PyTorch's default initialisation drawn under ``config.seed``, its input and hx.

    ``draw="tutorial"`` draws as ``tutorial_build`` does instead.

    A private generator (not the global RNG) makes the result bit-identical for the same config even
    when many sessions build at once; the module is made on the meta device first so that its own
    default initialisation does not draw from (and advance) torch's global RNG either.
    """
    if draw == "tutorial":
        return tutorial_build(config)
    if draw != "explorer":
        raise ValueError(msg("draw = {value!r} is not one of {options}", value=draw, options=", ".join(DRAWS)))
    dtype = getattr(torch, config.dtype)
    gen = torch.Generator().manual_seed(config.seed)
    lstm = meta_lstm(config, dtype=torch.float64).to_empty(device="cpu")
    # nn.LSTM.reset_parameters: every parameter ~ U(-1/sqrt(H), 1/sqrt(H)).
    bound = 1.0 / math.sqrt(config.hidden_size)
    with torch.no_grad():
        for p in lstm.parameters():
            p.copy_(torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 * bound - bound)
    lstm = lstm.to(dtype).eval()
    x, hx = _inputs(config, gen)
    return Built(lstm=lstm, input=x, hx=hx)


def _inputs(config: LSTMConfig, gen: torch.Generator) -> tuple[Tensor, tuple[Tensor, Tensor] | None]:
    """The input of ``config.input_kind`` in the config's layout and dtype, and hx when it is ``random``.

    Shapes: input [T, B, I] or, with ``batch_first``, [B, T, I]; hx ([D*L, B, H_out], [D*L, B, H]) or None.
    """
    dtype = getattr(torch, config.dtype)
    x = make_input(config, gen)  # [B, T, I]
    if not config.batch_first:
        x = x.transpose(0, 1).contiguous()  # [T, B, I]
    hx = None
    if config.initial_state == "random":
        n = config.num_layers * config.directions
        h0 = torch.randn(n, config.batch, config.out_size, generator=gen, dtype=torch.float64)
        c0 = torch.randn(n, config.batch, config.hidden_size, generator=gen, dtype=torch.float64)
        hx = (h0.to(dtype), c0.to(dtype))
    return x.to(dtype), hx


def generated_inputs(config: LSTMConfig) -> tuple[Tensor, tuple[Tensor, Tensor] | None]:
    """The input and hx ``config`` generates for a model that is not drawn from the seed (an uploaded one).

    Drawn from ``config.seed`` as ``build`` draws them, without drawing weights first.

    Shapes: as ``build``'s ``input`` and ``hx``.
    """
    return _inputs(config, torch.Generator().manual_seed(config.seed))


def tutorial_build(config: LSTMConfig) -> Built:
    """The tensors the tutorial's code makes after ``torch.manual_seed(config.seed)``, bit for bit.

    The tutorial runs ``inp = torch.randn(B, T, I)``, ``c0 = torch.randn(B, H)``, ``h0 = torch.randn(B, H or P)``
    and then ``nn.LSTM(I, H, batch_first=True[, proj_size=P])``, whose ``reset_parameters`` draws every parameter
    from U(-1/sqrt(H), 1/sqrt(H)) in ``parameters()`` order. The same draws are made here, in the same order and in
    float32, from a private generator seeded with ``config.seed`` (the global RNG is never touched, so sessions
    drawing at once stay bit-identical); a float64 run widens those float32 numbers. With several layers or
    directions, ``h0`` and ``c0`` are drawn for all of them at once (``[L*D, B, *]``, the same numbers as the
    tutorial's ``[B, *]`` for one). ``input_kind`` and ``initial_state`` do not apply: hx is always given.

    Shapes: ``input`` [B, T, I] (``batch_first``) or [T, B, I]; ``hx`` ([L*D, B, H_out], [L*D, B, H]).
    """
    dtype = getattr(torch, config.dtype)
    gen = torch.Generator().manual_seed(config.seed)
    n = config.num_layers * config.directions
    x = torch.randn(config.batch, config.seq_len, config.input_size, generator=gen)  # [B, T, I]
    c0 = torch.randn(n, config.batch, config.hidden_size, generator=gen)  # [L*D, B, H]
    h0 = torch.randn(n, config.batch, config.out_size, generator=gen)  # [L*D, B, H_out]
    lstm = meta_lstm(config).to_empty(device="cpu")
    bound = 1.0 / math.sqrt(config.hidden_size)
    with torch.no_grad():
        for p in lstm.parameters():
            p.uniform_(-bound, bound, generator=gen)
    if not config.batch_first:
        x = x.transpose(0, 1).contiguous()  # [T, B, I]
    return Built(lstm=lstm.to(dtype).eval(), input=x.to(dtype), hx=(h0.to(dtype), c0.to(dtype)))


def meta_lstm(config: LSTMConfig, dtype: torch.dtype = torch.float32) -> nn.LSTM:
    """An ``nn.LSTM`` with ``config``'s arguments on the meta device: names and shapes, no memory, no RNG."""
    return nn.LSTM(
        config.input_size,
        config.hidden_size,
        num_layers=config.num_layers,
        bias=config.bias,
        batch_first=config.batch_first,
        dropout=config.dropout,
        bidirectional=config.bidirectional,
        proj_size=config.proj_size,
        dtype=dtype,
        device="meta",
    )
