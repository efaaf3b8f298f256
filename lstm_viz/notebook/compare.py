"""The Compare view: nn.LSTM's output beside the hand-written one, their difference and the verdict, as one figure."""

from __future__ import annotations

import plotly.graph_objects as go
import torch

from lstm_viz.figures import ERROR_SCALE, SIGNED_SCALE, output_heatmap_figure, step_error_figure, symmetric_limit
from lstm_viz.notebook.compose import compose
from lstm_viz.notebook.language import say
from lstm_viz.notebook.picks import Pick, units_window
from lstm_viz.reference import Comparison
from lstm_viz.trace import LSTMTrace

KERNELS = {"generic": "generic loop", "default": "default kernel"}
"""What the hand-written forward is compared with: ``nn.LSTM``'s generic CPU loop (exact), or the kernel PyTorch
picks when called plainly (oneDNN in float32 without a projection, which adds in another order)."""


def compare_view(
    tr: LSTMTrace, cmp: Comparison, p: Pick, labels: list[str] | None, against: str, units: object, lang: str
) -> go.Figure:
    """The Compare page's four charts in its two columns, composed into one figure under the verdict.

    nn.LSTM's output and the hand-written one (one colour range), their |difference|, and the largest difference
    per step against ``allclose``'s tolerance.

    ``units`` windows the output features (``D * H_out`` of them), as the page's picker does. The page's
    final-state charts (h_n, c_n) and its dtype table are left out.

    Raises:
        ValueError: for an ``against`` that is not one of ``KERNELS``, or a window outside the output's features.
    """
    if against not in KERNELS:
        raise ValueError(f"against={against!r} is not one of {', '.join(map(repr, KERNELS))}")
    kernel = KERNELS[against]
    b = p.batch_item
    mine = tr.time_major(tr.output)[:, b]  # [T, features]
    official = tr.time_major(cmp.default_output if against == "default" else cmp.output)[:, b]
    window = units_window(units, mine.shape[-1], what="output feature")
    limit = max(symmetric_limit(official), symmetric_limit(mine))
    diff = (mine - official).abs()
    zmax = float(diff.max())
    detail = f"vs nn.LSTM {kernel}, batch item {b}"
    if zmax == 0.0:
        detail += ": all exactly 0"
        zmax = 1e-7
    steps = cmp.default_step_max_diff if against == "default" else cmp.step_max_diff
    charts = [
        [
            output_heatmap_figure(
                official, "nn.LSTM output", window, (-limit, limit), SIGNED_SCALE, labels, f"{kernel}, batch item {b}"
            ),
            output_heatmap_figure(
                mine, "Hand-written output", window, (-limit, limit), SIGNED_SCALE, labels, f"batch item {b}"
            ),
        ],
        [
            output_heatmap_figure(diff, "|hand-written − nn.LSTM|", window, (0.0, zmax), ERROR_SCALE, labels, detail),
            step_error_figure(steps, cmp.atol, f"nn.LSTM {kernel}"),
        ],
    ]
    if against == "generic":
        ok, headline = cmp.allclose, cmp.headline
    else:
        ok, headline = _default_verdict(tr, cmp)
    verdict, _, measured = headline.partition(": ")
    colour = "#1a7f37" if ok else "#cf222e"
    tolerance = f"allclose: rtol {cmp.rtol:.0e}, atol {cmp.atol:.0e}"
    title = (
        f"<b style='color:{colour}'>{say('Compare with nn.LSTM', lang)}: {verdict}</b>"
        f"<br><sup>{measured}; {tolerance}</sup>"
    )
    return compose(charts, title)


def _default_verdict(tr: LSTMTrace, cmp: Comparison) -> tuple[bool, str]:
    """Whether the trace is ``allclose`` to nn.LSTM as called by default, and the verdict's words for it."""
    ok = all(
        torch.allclose(mine, theirs, rtol=cmp.rtol, atol=cmp.atol)
        for mine, theirs in ((tr.output, cmp.default_output), (tr.h_n, cmp.default_h_n), (tr.c_n, cmp.default_c_n))
    )
    dtype = str(cmp.dtype).removeprefix("torch.")
    head = "matches nn.LSTM as called by default" if ok else "DOES NOT match nn.LSTM as called by default"
    return ok, f"{head}: the largest difference from its output is {cmp.default_kernel_max_diff:.1e} ({dtype})"
