"""The One step page's equations: every number they end in is the trace's (forward) or the backward pass's."""

from __future__ import annotations

import re

import pytest

from lstm_viz import LSTMConfig
from lstm_viz.backward import backward
from lstm_viz.losses import loss_grad
from lstm_viz.run import run
from lstm_viz.step_equations import backward_equations, forward_equations, projected_feature, projection_terms


def _result(line: str) -> float:
    """The number after the last '=' that is not followed by a formula (the equation's value)."""
    return float(re.findall(r"= (\(?-?[0-9.e+-]+\)?)", line)[-1].strip("()"))


@pytest.mark.parametrize("proj, bias", [(0, True), (3, True), (0, False)])
def test_forward_equations_end_in_the_trace_values(proj, bias):
    cfg = LSTMConfig(input_size=3, hidden_size=5, proj_size=proj, bias=bias, batch=2, seq_len=6, bidirectional=True)
    rec = run(cfg).trace.layer(0, reverse=True)
    b, t, j = 1, 4, 4
    lines = forward_equations(rec, b, t, j)
    assert len(lines) == 7
    for line, name in zip(lines, ("i", "f", "g", "o", "c", "m"), strict=False):
        assert line.startswith(f"{name}_t[{j}]")
        value = re.findall(r"= (-?[0-9.]+)(?:\\quad|$)", line)[-1]
        assert float(value) == pytest.approx(float(getattr(rec, name)[b, t, j]), abs=1e-4)
    p = projected_feature(rec, j)
    if proj:
        assert p == proj - 1 and lines[-1].startswith(f"h_t[{p}]") and "W_{hr}" in lines[-1]
        assert projection_terms(rec, b, t, j).count("(k=") == min(4, cfg.hidden_size)
    else:
        assert p is None and lines[-1].startswith(f"h_t[{j}] = m_t[{j}]")
    assert ("bias}=\\text{False}" in lines[0]) is (not bias)


def test_backward_equations_end_in_the_hand_written_gradients():
    r = run(LSTMConfig(input_size=3, hidden_size=4, batch=2, seq_len=5))
    grads = backward(r.trace, loss_grad(r.trace, "last").grad_output).layer(0)
    rec = r.trace.layer(0)
    b, t, j = 0, 2, 3
    lines = backward_equations(rec, grads, b, t, j)
    expected = [grads.dm, grads.dc, grads.di, grads.df, grads.dg, grads.do]
    assert len(lines) == len(expected)
    for line, grad in zip(lines, expected, strict=True):
        assert _result(line) == pytest.approx(float(grad[b, t, j]), rel=1e-3, abs=1e-12)
    assert "c_{t+1}" in lines[1], "a step with a next step carries its dL/dc through f_(t+1)"
    last = backward_equations(rec, grads, b, rec.steps - 1, j)
    assert "c_{t+1}" not in last[1], "the last step has no next step to carry from"
