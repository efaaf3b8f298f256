"""``nn.LSTM`` run on the same weights as the trace, and the measured comparison between them."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lstm_viz.i18n import Message, msg
from lstm_viz.trace import LSTMTrace

RTOL = 1e-5
ATOL = 1e-8
"""``torch.allclose`` defaults: the tolerance the verdict states, in float32 and float64 alike."""


@dataclass(frozen=True)
class Comparison:
    """The official ``nn.LSTM`` result beside the trace's, and their measured differences.

    The verdict compares against ``nn.LSTM``'s generic CPU loop (oneDNN off), which the engine mirrors
    operation for operation. ``default_kernel_max_diff`` is the difference to ``nn.LSTM`` as called by
    default: on CPU in float32 without a projection PyTorch uses a oneDNN kernel that sums in another
    order, so it differs by float32 rounding (~1e-7); elsewhere it is the same loop.

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
    default_output: Tensor
    default_h_n: Tensor
    default_c_n: Tensor
    default_step_max_diff: Tensor
    default_kernel_max_diff: float

    @property
    def max_diff(self) -> float:
        """The largest |difference| anywhere in output, h_n or c_n."""
        return max(self.output_max_diff, self.h_n_max_diff, self.c_n_max_diff)

    @property
    def headline(self) -> Message:
        """The verdict in a newcomer's words: matches or not, and the largest difference measured.

        A ``Message``: English as a ``str``; ``i18n.say(headline, lang)`` says it in the reader's language.
        """
        dtype = str(self.dtype).removeprefix("torch.")
        if self.allclose:
            return msg(
                "matches nn.LSTM: the largest difference from PyTorch's own output is {diff:.1e} ({dtype})",
                diff=self.max_diff,
                dtype=dtype,
            )
        return msg(
            "DOES NOT match nn.LSTM: the outputs differ by up to {diff:.1e} ({dtype})", diff=self.max_diff, dtype=dtype
        )

    @property
    def verdict(self) -> Message:
        """One line a student reads: matches or not, the measured error and the tolerance (a ``Message``)."""
        values = dict(diff=self.max_diff, rtol=self.rtol, atol=self.atol, dtype=str(self.dtype).removeprefix("torch."))
        if self.allclose:
            return msg(
                "matches nn.LSTM: max |diff| {diff:.1e} (allclose, rtol {rtol:.0e}, atol {atol:.0e}, {dtype})", **values
            )
        return msg(
            "DOES NOT match nn.LSTM: max |diff| {diff:.1e} (allclose, rtol {rtol:.0e}, atol {atol:.0e}, {dtype})",
            **values,
        )


def max_abs_diff(a: Tensor, b: Tensor) -> float:
    """Max |a - b|, computed in float64 so tensors of different dtypes compare exactly; 0 when empty."""
    return (a.double() - b.double()).abs().max().item() if a.numel() else 0.0


# The oneDNN switch is process-wide: one lock keeps concurrent sessions from flipping it under each other.
_ONEDNN_LOCK = threading.Lock()


def _run_official(lstm: nn.LSTM, input: Tensor, hx, generic: bool) -> tuple[Tensor, Tensor, Tensor]:
    """``lstm(input, hx)``, on PyTorch's generic loop (``generic=True``) or its default kernel choice."""
    with _ONEDNN_LOCK, torch.inference_mode():
        before = torch._C._get_mkldnn_enabled()
        torch.backends.mkldnn.set_flags(_enabled=before and not generic, _fp32_precision=None)
        try:
            output, (h_n, c_n) = lstm(input, hx)
        finally:
            torch.backends.mkldnn.set_flags(_enabled=before, _fp32_precision=None)
    return output, h_n, c_n


def uses_onednn(lstm: nn.LSTM, input: Tensor) -> bool:
    """Whether ``nn.LSTM`` called plainly takes its oneDNN kernel: float32 on CPU without a projection."""
    return (
        torch.backends.mkldnn.is_available()
        and torch.backends.mkldnn.enabled
        and input.device.type == "cpu"
        and input.dtype == torch.float32
        and lstm.proj_size == 0
    )


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
    output, h_n, c_n = _run_official(lstm, input, hx, generic=True)
    if uses_onednn(lstm, input):
        default_output, default_h_n, default_c_n = _run_official(lstm, input, hx, generic=False)
    else:
        default_output, default_h_n, default_c_n = output, h_n, c_n
    time_dim = 1 if (lstm.batch_first and tr.batched) else 0

    def step_max(official: Tensor) -> Tensor:  # [T]
        diff = (official - tr.output).abs()
        other = [d for d in range(diff.dim()) if d != time_dim]
        return diff.amax(dim=other) if other else diff

    ok = all(
        torch.allclose(mine, theirs, rtol=rtol, atol=atol)
        for mine, theirs in ((tr.output, output), (tr.h_n, h_n), (tr.c_n, c_n))
    )
    return Comparison(
        output=output,
        h_n=h_n,
        c_n=c_n,
        output_max_diff=max_abs_diff(output, tr.output),
        h_n_max_diff=max_abs_diff(h_n, tr.h_n),
        c_n_max_diff=max_abs_diff(c_n, tr.c_n),
        step_max_diff=step_max(output),
        allclose=ok,
        rtol=rtol,
        atol=atol,
        dtype=output.dtype,
        default_output=default_output,
        default_h_n=default_h_n,
        default_c_n=default_c_n,
        default_step_max_diff=step_max(default_output),
        default_kernel_max_diff=max(
            max_abs_diff(default_output, tr.output),
            max_abs_diff(default_h_n, tr.h_n),
            max_abs_diff(default_c_n, tr.c_n),
        ),
    )
