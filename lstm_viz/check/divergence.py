"""Where a learner's forward parts from nn.LSTM: the first step and units, and nn.LSTM's own values there."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch import Tensor

from lstm_viz.check.cases import CaseData, CaseSpec, case_data
from lstm_viz.check.compare import CaseResult
from lstm_viz.i18n import DEFAULT
from lstm_viz.step_equations import forward_equations
from lstm_viz.trace import trace

STATE_NAMES = ("i", "f", "g", "o", "c", "m", "h")


@dataclass(frozen=True)
class Divergence:
    """The first place a case's tensors part from nn.LSTM's, and what nn.LSTM computes there.

    Attributes:
        spec: The case (the first that returned numbers that differ).
        step: The first step whose output parts, or None when only h_n or c_n do (or the output could not be
            compared).
        batch_item: The batch item of the first parting value.
        unit: Its output feature (a hidden unit without a projection; ``j < P`` with one).
        units: Every output feature that parts at ``step`` (over the batch).
        h_units: The features of h_n that part; ``c_units`` likewise for c_n.
        heat: |yours - nn.LSTM| of the output, the largest over the batch, [T, H_out] (None when the shapes
            differ); ``excess`` is the same over its allowance (> 1 parts).
        h_diff: |yours - nn.LSTM| of h_n, [B, H_out]; ``c_diff`` of c_n, [B, H] (None when the shapes differ).
        yours: The learner's output at (batch_item, step, unit); ``theirs`` nn.LSTM's.
        shown_step: The step the equations are written for (``step``, or the last step).
        equations: nn.LSTM's equations at (batch_item, shown_step, unit), with their values (LaTeX, in English;
            ``equations_in(lang)`` says them in another language).
        values: nn.LSTM's i, f, g, o, c, m and h of that unit at that step.
    """

    spec: CaseSpec
    step: int | None
    batch_item: int
    unit: int
    units: tuple[int, ...]
    h_units: tuple[int, ...]
    c_units: tuple[int, ...]
    heat: Tensor | None
    excess: Tensor | None
    h_diff: Tensor | None
    c_diff: Tensor | None
    yours: float | None
    theirs: float | None
    shown_step: int
    equations: tuple[str, ...]
    values: dict[str, float]

    def equations_in(self, lang: str = DEFAULT) -> tuple[str, ...]:
        """``equations`` with their words (the gates' names) in ``lang``."""
        if lang == DEFAULT:
            return self.equations
        return _equations(self.spec, self.batch_item, self.shown_step, self.unit, lang)

    def link(self) -> tuple[dict[str, object], dict[str, str]]:
        """The settings and flags that open One step on this case, at this step and unit."""
        return self.spec.link_values(), {"t": str(self.shown_step), "unit": str(self.unit)}


@functools.lru_cache(maxsize=64)
def _equations(spec: CaseSpec, b: int, t: int, j: int, lang: str) -> tuple[str, ...]:
    """nn.LSTM's equations of a case at one step and unit in ``lang`` (the case's trace is tiny: traced again)."""
    data = case_data(spec)
    return tuple(forward_equations(trace(data.lstm, data.inputs["inp"], data.hx).layer(0), b, t, j, lang=lang))


def _parting(excess: Tensor | None) -> Tensor | None:
    return None if excess is None else excess > 1


def find(result: CaseResult, data: CaseData) -> Divergence | None:
    """The first divergence of one case that returned numbers, or None when nothing could be compared.

    Shapes: ``data`` as ``cases.CaseData``; the comparison's ``diff`` tensors as the reference's.
    """
    out, h, c = (result.tensor(n) for n in ("output", "h_n", "c_n"))
    out_bad = _parting(out.excess if out else None)
    h_bad = _parting(h.excess if h else None)
    c_bad = _parting(c.excess if c else None)
    if out_bad is None and h_bad is None and c_bad is None:
        return None
    step = batch_item = unit = None
    units: tuple[int, ...] = ()
    if out_bad is not None and out_bad.any():
        per_step = out_bad.any(dim=2).any(dim=0)  # [T]
        step = int(per_step.nonzero()[0])
        at = out_bad[:, step]  # [B, F]
        batch_item = int(at.any(dim=1).nonzero()[0])
        unit = int(at[batch_item].nonzero()[0])
        units = tuple(int(u) for u in at.any(dim=0).nonzero().flatten())
    h_units = tuple(int(u) for u in h_bad.any(dim=0).nonzero().flatten()) if h_bad is not None else ()
    c_units = tuple(int(u) for u in c_bad.any(dim=0).nonzero().flatten()) if c_bad is not None else ()
    spec = data.spec
    if step is None:
        # Only the final states part (or the output could not be compared): show the last step.
        bad = h_bad if h_bad is not None and h_bad.any() else c_bad
        if bad is None or not bad.any():
            bad = torch.ones(spec.batch, 1, dtype=torch.bool)
        first = bad.nonzero()[0]
        batch_item, unit = int(first[0]), min(int(first[1]), spec.out_size - 1)
    shown_step = spec.seq_len - 1 if step is None else step
    rec = trace(data.lstm, data.inputs["inp"], data.hx).layer(0)
    equations = tuple(forward_equations(rec, batch_item, shown_step, unit))
    values = {n: float(getattr(rec, n)[batch_item, shown_step, unit]) for n in STATE_NAMES}
    yours = theirs = None
    if step is not None and result.returned is not None and result.returned.output is not None:
        yours = float(result.returned.output[batch_item, step, unit])
        theirs = float(data.output[batch_item, step, unit])
    heat = out.diff.amax(dim=0) if out is not None and out.diff is not None and out.diff.numel() else None
    excess = out.excess.amax(dim=0) if out is not None and out.excess is not None and out.excess.numel() else None
    return Divergence(
        spec,
        step,
        batch_item,
        unit,
        units,
        h_units,
        c_units,
        heat,
        excess,
        h.diff if h is not None else None,
        c.diff if c is not None else None,
        yours,
        theirs,
        shown_step,
        equations,
        values,
    )


def first_divergence(results: list[CaseResult], data: dict[str, CaseData]) -> Divergence | None:
    """The divergence of the first case (in running order) that returned numbers differing from nn.LSTM's."""
    for r in results:
        if r.status == "differs" and r.returned is not None:
            found = find(r, data[r.spec.name])
            if found is not None:
                return found
    return None
