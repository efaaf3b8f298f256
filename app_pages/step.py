"""One step in numbers: every LSTM equation at a chosen step and unit, with its real values and shapes."""

import streamlit as st

from lstm_viz import ui
from lstm_viz.figures import STATE_ORDER, cell_diagram_figure, click_grid_figure

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
    click_grid_figure(rec, shown, b, units, (t, j)),
    key="click_grid",
    on_select=_on_click,
    selection_mode="points",
)

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


def _n(v: float) -> str:
    """A value for an equation: negative operands in parentheses."""
    return f"({v:.4f})" if v < 0 else f"{v:.4f}"


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
