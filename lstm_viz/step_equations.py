"""The One step page's equations as LaTeX, every value from the trace and the backward pass (pure)."""

from __future__ import annotations

import math

from lstm_viz import i18n
from lstm_viz.backward import LayerGradients
from lstm_viz.i18n import N_
from lstm_viz.trace import LayerTrace

GATE_NAMES = {"i": N_("input gate"), "f": N_("forget gate"), "g": N_("cell candidate"), "o": N_("output gate")}
"""Each gate's name beside its equation (said with ``i18n.t(lang, ...)``)."""


def _n(v: float) -> str:
    """A value for an equation: negative operands in parentheses."""
    return f"({v:.4f})" if v < 0 else f"{v:.4f}"


def _g(v: float) -> str:
    """A gradient for an equation: four significant digits (gradients span decades), negatives in parentheses."""
    return f"({v:.4g})" if v < 0 else f"{v:.4g}"


def projected_feature(rec: LayerTrace, j: int) -> int | None:
    """The feature of a projected ``h_t`` shown for unit ``j`` (the last one past P), or None without projection."""
    if rec.weights.weight_hr is None:
        return None
    return min(j, rec.weights.weight_hr.shape[0] - 1)


def forward_equations(rec: LayerTrace, b: int, t: int, j: int, *, lang: str = "en") -> list[str]:
    """Every forward equation of unit ``j`` at step ``t`` of batch item ``b``, with its real values.

    The four gates (each pre-activation split into its input and recurrent parts), ``c_t``, ``m_t`` and
    ``h_t`` (the projected feature ``projected_feature(rec, j)`` with a projection), in that order. The gates'
    names are in ``lang``; the rest is mathematics.
    """
    terms = rec.step_terms(t)
    bias = rec.weights.bias_ih is not None
    bias_words = "" if bias else r" \;(\text{bias}=\text{False})"
    lines = []
    for gate in ("i", "f", "g", "o"):
        a, h = terms.split(gate)
        av, hv = float(a[b, j]), float(h[b, j])
        act = r"\tanh" if gate == "g" else r"\sigma"
        value = float(getattr(rec, gate)[b, t, j])
        b_i = f" + b_{{i{gate}}}" if bias else ""
        b_h = f" + b_{{h{gate}}}" if bias else ""
        lines.append(
            rf"{gate}_t[{j}] = {act}\big(\underbrace{{W_{{i{gate}}} x_t{b_i}}}_{{{av:.4f}}} + "
            rf"\underbrace{{W_{{h{gate}}} h_{{t-1}}{b_h}}}_{{{hv:.4f}}}\big) = {act}({av + hv:.4f}) = {value:.4f}"
            rf"\quad\text{{({i18n.t(lang, GATE_NAMES[gate])})}}{bias_words}"
        )
    i, f, g, o, c, m = (float(getattr(rec, n)[b, t, j]) for n in ("i", "f", "g", "o", "c", "m"))
    c_prev = float(terms.c_prev[b, j])
    lines.append(
        rf"c_t[{j}] = f_t \odot c_{{t-1}} + i_t \odot g_t = {_n(f)} \times {_n(c_prev)} + {_n(i)} \times {_n(g)}"
        rf" = {c:.4f}"
    )
    lines.append(rf"m_t[{j}] = o_t \odot \tanh(c_t) = {_n(o)} \times \tanh({c:.4f}) = {m:.4f}")
    p = projected_feature(rec, j)
    if p is None:
        lines.append(rf"h_t[{j}] = m_t[{j}] = {float(rec.h[b, t, j]):.4f}\qquad(\text{{proj\_size}} = 0)")
    else:
        proj, hidden = rec.weights.weight_hr.shape
        lines.append(
            rf"h_t[{p}] = (W_{{hr}} m_t)[{p}] = \sum_{{k=0}}^{{{hidden - 1}}} W_{{hr}}[{p},k]\, m_t[k] = "
            rf"{float(rec.h[b, t, p]):.4f}\qquad W_{{hr}}: {proj}\times{hidden},\; m_t: {hidden},\; h_t: {proj}"
        )
    return lines


def projection_terms(rec: LayerTrace, b: int, t: int, j: int, count: int = 4) -> str:
    """The largest terms ``W_hr[p, k] m_t[k]`` of the projected feature shown for unit ``j``, in words."""
    p = projected_feature(rec, j)
    if p is None:
        return ""
    row = rec.weights.weight_hr[p]
    top = row.mul(rec.m[b, t]).abs().argsort(descending=True)[:count].tolist()
    return ", ".join(f"{float(row[k]):+.3f}×{float(rec.m[b, t, k]):+.3f} (k={k})" for k in top)


def backward_equations(rec: LayerTrace, grads: LayerGradients, b: int, t: int, j: int) -> list[str]:
    """Every backward equation of unit ``j`` at step ``t``: dL/dh (or dL/dm), dL/dc, each gate's pre-activation.

    Args:
        rec: The layer-direction's forward record.
        grads: Its gradients from the hand-written backward pass (``backward(...).layer(...)``).
        b: Batch item.
        t: Step.
        j: Unit.
    """
    terms = rec.step_terms(t)
    v = {n: float(getattr(rec, n)[b, t, j]) for n in ("i", "f", "g", "o", "c")}
    d = {n: float(getattr(grads, n)[b, t, j]) for n in ("dc", "dm", "di", "df", "dg", "do")}
    tanh_c = math.tanh(v["c"])
    c_prev = float(terms.c_prev[b, j])
    # The step that read this one's state: t+1, or t-1 in the reverse direction.
    nxt = t - 1 if rec.reverse else t + 1
    lines = []
    if rec.weights.weight_hr is not None:
        lines.append(
            rf"\frac{{\partial L}}{{\partial m_t}}[{j}] = (W_{{hr}}^\top \tfrac{{\partial L}}{{\partial h_t}})[{j}]"
            rf" = {d['dm']:.4g}"
        )
    else:
        lines.append(
            rf"\frac{{\partial L}}{{\partial h_t}}[{j}] = \frac{{\partial L}}{{\partial y_t}}[{j}] + "
            rf"(W_{{hh}}^\top \delta_{{t+1}})[{j}] = {d['dm']:.4g}"
        )
    carry, carry_words = "", ""
    if 0 <= nxt < rec.steps:
        dc_next, f_next = float(grads.dc[b, nxt, j]), float(rec.f[b, nxt, j])
        carry = rf" + {_g(dc_next)} \times {_n(f_next)}"
        carry_words = r" + \frac{\partial L}{\partial c_{t+1}} f_{t+1}"
    lines.append(
        rf"\frac{{\partial L}}{{\partial c_t}}[{j}] = \frac{{\partial L}}{{\partial m_t}}\, o_t\,(1-\tanh^2 c_t)"
        rf"{carry_words} = {_g(d['dm'])} \times {_n(v['o'])} \times (1-{_n(tanh_c)}^2){carry} = {d['dc']:.4g}"
    )
    gates = (
        ("i", r"\frac{\partial L}{\partial c_t}\, g_t\, i_t(1-i_t)", (d["dc"], v["g"], v["i"] * (1 - v["i"]))),
        ("f", r"\frac{\partial L}{\partial c_t}\, c_{t-1}\, f_t(1-f_t)", (d["dc"], c_prev, v["f"] * (1 - v["f"]))),
        ("g", r"\frac{\partial L}{\partial c_t}\, i_t\,(1-g_t^2)", (d["dc"], v["i"], 1 - v["g"] ** 2)),
        ("o", r"\frac{\partial L}{\partial m_t}\, \tanh c_t\, o_t(1-o_t)", (d["dm"], tanh_c, v["o"] * (1 - v["o"]))),
    )
    for gate, formula, (a, p, q) in gates:
        lines.append(
            rf"\frac{{\partial L}}{{\partial \hat{{{gate}}}_t}}[{j}] = {formula} = {_g(a)} \times {_n(p)} "
            rf"\times {_n(q)} = {d['d' + gate]:.4g}"
        )
    return lines
