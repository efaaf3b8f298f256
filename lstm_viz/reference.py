"""``nn.LSTM`` run on the same weights as the trace, and the measured comparison between them."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lstm_viz.trace import LSTMTrace

RTOL = 1e-5
ATOL = 1e-8
"""``torch.allclose`` defaults: the tolerance the verdict states."""


@dataclass(frozen=True)
class Comparison:
    """The official ``nn.LSTM`` result beside the trace's, and their measured differences.

    Shapes: ``output``/``h_n``/``c_n`` as ``nn.LSTM`` returns them; ``step_max_diff`` [T], the max
    |difference| of the output over batch and features at each step.
    """

    output: Tensor
    h_n: Tensor
    c_n: Tensor
    output_max_diff: float
    h_n_max_diff: float
    c_n_max_diff: float
    step_max_diff: Tensor
    allclose: bool
    rtol: float
    atol: float
    dtype: torch.dtype

    @property
    def max_diff(self) -> float:
        """The largest |difference| anywhere in output, h_n or c_n."""
        return max(self.output_max_diff, self.h_n_max_diff, self.c_n_max_diff)

    @property
    def verdict(self) -> str:
        """One line a student reads: matches or not, the measured error and the tolerance."""
        head = "matches nn.LSTM" if self.allclose else "DOES NOT match nn.LSTM"
        return (
            f"{head}: max |diff| {self.max_diff:.1e} "
            f"(allclose, rtol {self.rtol:.0e}, atol {self.atol:.0e}, "
            f"{str(self.dtype).removeprefix('torch.')})"
        )


def _max_abs(a: Tensor, b: Tensor) -> float:
    return (a - b).abs().max().item() if a.numel() else 0.0


def compare(
    lstm: nn.LSTM,
    input: Tensor,
    hx: tuple[Tensor, Tensor] | None,
    tr: LSTMTrace,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> Comparison:
    """Run ``lstm(input, hx)`` and measure how far the trace's outputs are from it.

    Args:
        lstm: The module the trace was made from.
        input: The same input the trace was given.
        hx: The same initial state (or None).
        tr: The trace to check.
        rtol: Relative tolerance of the verdict.
        atol: Absolute tolerance of the verdict.
    """
    with torch.no_grad():
        output, (h_n, c_n) = lstm(input, hx)
    diff = (output - tr.output).abs()
    time_dim = 1 if (lstm.batch_first and tr.batched) else 0
    other = [d for d in range(diff.dim()) if d != time_dim]
    step_max = diff.amax(dim=other) if other else diff
    ok = all(
        torch.allclose(mine, theirs, rtol=rtol, atol=atol)
        for mine, theirs in ((tr.output, output), (tr.h_n, h_n), (tr.c_n, c_n))
    )
    return Comparison(
        output=output,
        h_n=h_n,
        c_n=c_n,
        output_max_diff=_max_abs(output, tr.output),
        h_n_max_diff=_max_abs(h_n, tr.h_n),
        c_n_max_diff=_max_abs(c_n, tr.c_n),
        step_max_diff=step_max,
        allclose=ok,
        rtol=rtol,
        atol=atol,
        dtype=output.dtype,
    )
