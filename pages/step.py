"""One step in numbers: every LSTM equation at a chosen step and unit, with its real values and shapes."""

import math

import streamlit as st

from lstm_viz import ui
from lstm_viz.backward import LOSSES, TASK_LOSS, TASK_LOSS_WORDS
from lstm_viz.figures import STATE_ORDER, cell_diagram_figure, click_grid_figure
from lstm_viz.gradient_cache import step_backward

ui.require_app()
st.title("One step in numbers")
r = ui.current_run()
cfg = r.config
sel = ui.record_controls(r, "step")
rec, b, units = sel.record, sel.batch_item, sel.units
steps, hidden = rec.steps, cfg.hidden_size

# Start mid-sequence, where c_(t-1) and h_(t-1) already carry something.
st.session_state.setdefault("step_t", steps // 2)
for key, top in (("step_t", steps - 1), ("unit_j", units[1] - 1)):
    current = st.session_state.get(key, 0)
    st.session_state[key] = min(max(current, 0 if key == "step_t" else units[0]), top)


def _on_click() -> None:
    points = st.session_state["click_grid"]["selection"]["points"]
    if points:
        st.session_state["step_t"] = int(round(points[0]["x"]))
        st.session_state["unit_j"] = int(round(points[0]["y"]))


cols = st.columns([2, 2, 3])
t = cols[0].number_input("time step t", 0, steps - 1, step=1, key="step_t")
j = cols[1].number_input("unit j", units[0], units[1] - 1, step=1, key="unit_j")
shown = cols[2].selectbox("heatmap to click", STATE_ORDER[:6], key="click_of", format_func=lambda n: f"{n}")
ui.show_chart(
    click_grid_figure(rec, shown, b, units, (t, j), r.labels(b)),
    key="click_grid",
    on_select=_on_click,
    selection_mode="points",
)

view = st.radio(
    "view",
    ["forward", "backward"],
    horizontal=True,
    key="step_view",
    help="forward: how step t computes its gates and states; backward: how the gradient of a loss flows "
    "through the same step, every number from the hand-written backward pass.",
)


def _n(v: float) -> str:
    """A value for an equation: negative operands in parentheses."""
    return f"({v:.4f})" if v < 0 else f"{v:.4f}"


def _g(v: float) -> str:
    """A gradient for an equation: four significant digits (gradients span decades), negatives in parentheses."""
    return f"({v:.4g})" if v < 0 else f"{v:.4g}"


def forward_view() -> None:
    """Every forward equation at step t and unit j, with its real values."""
    terms = rec.step_terms(t)
    x_shape = f"{rec.x.shape[-1]}"
    h_shape = f"{rec.h0.shape[-1]}"
    prev = rec.prev_index(t)
    prev_words = "h_0 (the initial state)" if prev is None else f"h at step {prev}"
    st.subheader(f"Step t = {t}, unit j = {j}, {'reverse' if rec.reverse else 'forward'} direction, layer {rec.layer}")
    st.caption(
        f"Shapes: each W_i* block is {hidden}×{x_shape} and x_t has {x_shape} features; each W_h* block is "
        f"{hidden}×{h_shape} and h_(t-1) = {prev_words} has {h_shape}; each bias block has {hidden}. "
        f"Unit j takes row j of each block: (1×{x_shape})·x_t + b and (1×{h_shape})·h_(t-1) + b, one number each."
    )
    bias_words = "" if cfg.bias else r" \;(\text{bias}=\text{False})"
    names = {"i": "input gate", "f": "forget gate", "g": "cell candidate", "o": "output gate"}
    for gate in ("i", "f", "g", "o"):
        a, h = terms.split(gate)
        av, hv = float(a[b, j]), float(h[b, j])
        act = r"\tanh" if gate == "g" else r"\sigma"
        value = float(getattr(rec, gate)[b, t, j])
        b_i = f" + b_{{i{gate}}}" if cfg.bias else ""
        b_h = f" + b_{{h{gate}}}" if cfg.bias else ""
        st.latex(
            rf"{gate}_t[{j}] = {act}\big(\underbrace{{W_{{i{gate}}} x_t{b_i}}}_{{{av:.4f}}} + "
            rf"\underbrace{{W_{{h{gate}}} h_{{t-1}}{b_h}}}_{{{hv:.4f}}}\big) = {act}({av + hv:.4f}) = {value:.4f}"
            rf"\quad\text{{({names[gate]})}}{bias_words}"
        )

    i, f, g, o, c, m = (float(getattr(rec, n)[b, t, j]) for n in ("i", "f", "g", "o", "c", "m"))
    c_prev = float(terms.c_prev[b, j])
    st.latex(
        rf"c_t[{j}] = f_t \odot c_{{t-1}} + i_t \odot g_t = {_n(f)} \times {_n(c_prev)} + {_n(i)} \times {_n(g)}"
        rf" = {c:.4f}"
    )
    st.latex(rf"m_t[{j}] = o_t \odot \tanh(c_t) = {_n(o)} \times \tanh({c:.4f}) = {m:.4f}")
    if rec.weights.weight_hr is not None:
        proj = rec.weights.weight_hr.shape[0]
        p = min(j, proj - 1)
        row = rec.weights.weight_hr[p]
        h_p = float(rec.h[b, t, p])
        st.latex(
            rf"h_t[{p}] = (W_{{hr}} m_t)[{p}] = \sum_{{k=0}}^{{{hidden - 1}}} W_{{hr}}[{p},k]\, m_t[k] = {h_p:.4f}"
            rf"\qquad W_{{hr}}: {proj}\times{hidden},\; m_t: {hidden},\; h_t: {proj}"
        )
        st.caption(
            f"With proj_size = {proj}, h_t has {proj} features, so unit j = {j} shows projected feature {p}. "
            f"Largest terms: "
            + ", ".join(
                f"{float(row[k]):+.3f}×{float(rec.m[b, t, k]):+.3f} (k={k})"
                for k in row.mul(rec.m[b, t]).abs().argsort(descending=True)[:4].tolist()
            )
        )
    else:
        st.latex(rf"h_t[{j}] = m_t[{j}] = {float(rec.h[b, t, j]):.4f}\qquad(\text{{proj\_size}} = 0)")
    ui.show_chart(cell_diagram_figure(terms, rec, b, j), key="cell_diagram")


def backward_view() -> None:
    """Every backward equation at step t and unit j: dL/dh, dL/dc and each gate's pre-activation gradient."""
    cols = st.columns([3, 2])
    losses = dict(LOSSES)
    if r.task is not None:  # a trained task's own loss needs its read-out and targets
        losses[TASK_LOSS] = TASK_LOSS_WORDS
    if st.session_state.get("step_loss") not in losses:
        st.session_state.pop("step_loss", None)  # a choice this model does not offer falls back to the first
    kind = cols[0].selectbox("loss", list(losses), format_func=losses.get, key="step_loss")
    # Computed once per run and loss for every session: the step and unit pickers only read other entries.
    loss, grads = step_backward(r, kind)
    if kind == TASK_LOSS:
        cols[1].caption(f"{loss.description}; L = {loss.value:.4g}. dL/dy_t comes through the read-out's weights.")
    else:
        cols[1].caption("dL/dy = 1 wherever the loss reads the output, over every output feature and batch item.")
    g = grads.layer(rec.layer, rec.reverse)
    terms = rec.step_terms(t)
    v = {n: float(getattr(rec, n)[b, t, j]) for n in ("i", "f", "g", "o", "c")}
    d = {n: float(getattr(g, n)[b, t, j]) for n in ("dc", "dm", "di", "df", "dg", "do")}
    tanh_c = math.tanh(v["c"])
    c_prev = float(terms.c_prev[b, j])
    nxt = {"forward": t + 1, "reverse": t - 1}["reverse" if rec.reverse else "forward"]
    has_next = 0 <= nxt < steps
    st.subheader(f"Backward through step t = {t}, unit j = {j}, {'reverse' if rec.reverse else 'forward'} direction")
    st.caption(
        "The step that read this one's state is t+1 (t−1 in the reverse direction); it sends back dL/dh_t "
        "through W_hh and dL/dc_t through its forget gate. At the last step the loss alone sends them."
    )
    if rec.weights.weight_hr is not None:
        st.latex(
            rf"\frac{{\partial L}}{{\partial m_t}}[{j}] = (W_{{hr}}^\top \tfrac{{\partial L}}{{\partial h_t}})[{j}]"
            rf" = {d['dm']:.4g}"
        )
    else:
        st.latex(
            rf"\frac{{\partial L}}{{\partial h_t}}[{j}] = \frac{{\partial L}}{{\partial y_t}}[{j}] + "
            rf"(W_{{hh}}^\top \delta_{{t+1}})[{j}] = {d['dm']:.4g}"
        )
    carry = ""
    if has_next:
        dc_next, f_next = float(g.dc[b, nxt, j]), float(rec.f[b, nxt, j])
        carry = rf" + {_g(dc_next)} \times {_n(f_next)}"
        carry_words = r" + \frac{\partial L}{\partial c_{t+1}} f_{t+1}"
    else:
        carry_words = ""
    st.latex(
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
        st.latex(
            rf"\frac{{\partial L}}{{\partial \hat{{{gate}}}_t}}[{j}] = {formula} = {_g(a)} \times {_n(p)} "
            rf"\times {_n(q)} = {d['d' + gate]:.4g}"
        )
    st.caption(
        "x̂ is a gate's pre-activation. The four gradients δ_t = [∂L/∂î, ∂L/∂f̂, ∂L/∂ĝ, ∂L/∂ô] flow on: "
        "W_hh^T δ_t to h_(t−1), W_ih^T δ_t to x_t, and δ_t into every weight's gradient."
    )


if view == "backward":
    backward_view()
else:
    forward_view()
