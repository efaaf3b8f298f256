"""Text written by a character model, one character at a time, with a seed and a temperature (bounded)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lstm_viz.i18n import msg

MAX_CHARS = 1500
"""The longest text generated in one go (it is traced and drawn after)."""
TEMPERATURES = (0.1, 2.0)
"""Allowed temperature range: near 0 always the likeliest character, 2 nearly uniform."""
MAX_PRIME = 200
"""Characters of the text to continue that the model reads first (a longer start is cut)."""


def check_generation(length: int, temperature: float) -> None:
    """Refuse a length or temperature outside the bounds, naming the limit.

    Raises:
        ValueError: for either.
    """
    if not 1 <= length <= MAX_CHARS:
        raise ValueError(msg("generate between 1 and {high} characters, not {length}", high=MAX_CHARS, length=length))
    low, high = TEMPERATURES
    if not low <= temperature <= high:
        raise ValueError(
            msg("the temperature must lie in {low}..{high}, not {value}", low=low, high=high, value=temperature)
        )


def generate(
    lstm: nn.LSTM, head: nn.Module, prime: Tensor, length: int, temperature: float, seed: int, vocab: int
) -> Tensor:
    """Sample ``length`` symbols after ``prime`` from the model, stepping ``nn.LSTM`` one character at a time.

    The same (model, prime, length, temperature, seed) gives the same symbols; torch's global RNG is untouched.

    Shapes: ``prime`` [P] symbol ids (P >= 1) -> [length] symbol ids.
    """
    check_generation(length, temperature)
    if prime.numel() == 0:
        raise ValueError(msg("generation needs at least one character to start from"))
    gen = torch.Generator().manual_seed(seed)
    dtype = lstm.weight_ih_l0.dtype
    out = torch.empty(length, dtype=torch.long)
    with torch.inference_mode():
        x = torch.nn.functional.one_hot(prime.long(), vocab).to(dtype).unsqueeze(0)  # [1, P, V]
        h, state = lstm(x)
        for k in range(length):
            logits = head(h[0, -1].to(head.weight.dtype)).double() / temperature  # [V]
            nxt = int(torch.multinomial(torch.softmax(logits, -1), 1, generator=gen))
            out[k] = nxt
            step = torch.nn.functional.one_hot(torch.tensor([[nxt]]), vocab).to(dtype)  # [1, 1, V]
            h, state = lstm(step, state)
    return out
