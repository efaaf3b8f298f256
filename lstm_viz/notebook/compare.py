"""The Compare view: nn.LSTM's output beside the hand-written one, their difference and the verdict, as one figure."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import torch

from lstm_viz.figures import ERROR_SCALE, SIGNED_SCALE, output_heatmap_figure, step_error_figure, symmetric_limit
from lstm_viz.i18n import N_, Message, msg, say, t
from lstm_viz.notebook.compose import compose
from lstm_viz.notebook.picks import Pick, units_window
from lstm_viz.reference import Comparison
from lstm_viz.trace import LSTMTrace

KERNELS = {"generic": N_("generic loop"), "default": N_("default kernel")}
"""What the hand-written forward is compared with: ``nn.LSTM``'s generic CPU loop (exact), or the kernel PyTorch
picks when called plainly (oneDNN in float32 without a projection, which adds in another order). Said with
``t(lang, ...)``, as the Compare page says them."""
_VERDICT_END = re.compile(r": |：")
"""Where a headline's verdict ends and its measurement starts, in either language."""


def compare_view(
    tr: LSTMTrace, cmp: Comparison, p: Pick, labels: list[str] | None, against: str, units: object, lang: str
) -> go.Figure:
    """The Compare page's four charts in its two columns, composed into one figure under the verdict.

    nn.LSTM's output and the hand-written one (one colour range), their |difference|, and the largest difference
    per step against ``allclose``'s tolerance. Every word is in ``lang``, the charts' titles the page's own.

    ``units`` windows the output features (``D * H_out`` of them), as the page's picker does. The page's
    final-state charts (h_n, c_n) and its dtype table are left out.

    Raises:
        ValueError: for an ``against`` that is not one of ``KERNELS``, or a window outside the output's features.
    """
    if against not in KERNELS:
        raise ValueError(
            msg("against={against!r} is not one of {choices}", against=against, choices=", ".join(map(repr, KERNELS)))
        )
    kernel = t(lang, KERNELS[against])
    b = p.batch_item
    mine = tr.time_major(tr.output)[:, b]  # [T, features]
    official = tr.time_major(cmp.default_output if against == "default" else cmp.output)[:, b]
    window = units_window(units, mine.shape[-1], what="output feature")
    limit = max(symmetric_limit(official), symmetric_limit(mine))
    diff = (mine - official).abs()
    zmax = float(diff.max())
    if zmax == 0.0:
        detail = t(lang, "vs nn.LSTM {kernel}, batch item {b}: all exactly 0", kernel=kernel, b=b)
        zmax = 1e-7
    else:
        detail = t(lang, "vs nn.LSTM {kernel}, batch item {b}", kernel=kernel, b=b)
    steps = cmp.default_step_max_diff if against == "default" else cmp.step_max_diff
    signed = dict(zrange=(-limit, limit), scale=SIGNED_SCALE, step_labels=labels, lang=lang)
    charts = [
        [
            output_heatmap_figure(
                official,
                t(lang, "nn.LSTM output"),
                window,
                detail=t(lang, "{kernel}, batch item {b}", kernel=kernel, b=b),
                **signed,
            ),
            output_heatmap_figure(
                mine,
                t(lang, "Hand-written output"),
                window,
                detail=t(lang, "batch item {batch_item}", batch_item=b),
                **signed,
            ),
        ],
        [
            output_heatmap_figure(
                diff, t(lang, "|hand-written − nn.LSTM|"), window, (0.0, zmax), ERROR_SCALE, labels, detail, lang=lang
            ),
            step_error_figure(steps, cmp.atol, t(lang, "nn.LSTM {kernel}", kernel=kernel), lang=lang),
        ],
    ]
    if against == "generic":
        ok, headline = cmp.allclose, cmp.headline
    else:
        ok, headline = _default_verdict(tr, cmp)
    verdict, measured = split_headline(say(headline, lang))
    colour = "#1a7f37" if ok else "#cf222e"
    tolerance = t(lang, "allclose: rtol {rtol:.0e}, atol {atol:.0e}", rtol=cmp.rtol, atol=cmp.atol)
    heading = t(lang, "Compare with nn.LSTM: {verdict}", verdict=verdict)
    under = t(lang, "{measured}; {tolerance}", measured=measured, tolerance=tolerance)
    return compose(charts, f"<b style='color:{colour}'>{heading}</b><br><sup>{under}</sup>")


def split_headline(headline: str) -> tuple[str, str]:
    """A verdict's headline (``"matches nn.LSTM: the largest difference ..."``) as its verdict and its measurement.

    Both languages write the verdict first and the measurement after a colon (``": "``, Chinese ``"："``).
    """
    parts = _VERDICT_END.split(headline, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (headline, "")


def _default_verdict(tr: LSTMTrace, cmp: Comparison) -> tuple[bool, Message]:
    """Whether the trace is ``allclose`` to nn.LSTM as called by default, and the verdict's words for it."""
    ok = all(
        torch.allclose(mine, theirs, rtol=cmp.rtol, atol=cmp.atol)
        for mine, theirs in ((tr.output, cmp.default_output), (tr.h_n, cmp.default_h_n), (tr.c_n, cmp.default_c_n))
    )
    values = dict(diff=cmp.default_kernel_max_diff, dtype=str(cmp.dtype).removeprefix("torch."))
    if ok:
        return ok, msg(
            "matches nn.LSTM as called by default: the largest difference from its output is {diff:.1e} ({dtype})",
            **values,
        )
    return ok, msg(
        "DOES NOT match nn.LSTM as called by default: the largest difference from its output is {diff:.1e} ({dtype})",
        **values,
    )
