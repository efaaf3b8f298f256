"""One step in numbers: every LSTM equation at a chosen step and unit, with its real values and shapes."""

import streamlit as st

from lstm_viz import ui
from lstm_viz.figures import STATE_ORDER, cell_diagram_figure, click_grid_figure
from lstm_viz.losses import LOSSES
from lstm_viz.printed import step_tensors
from lstm_viz.server.gradients import step_backward
from lstm_viz.step_equations import backward_equations, forward_equations, projected_feature, projection_terms
from lstm_viz.tasks.losses import TASK_LOSS, TASK_LOSS_WORDS

ui.require_app()
st.title("One step in numbers")
r = ui.current_run()
cfg = r.config
sel = ui.record_controls(r, "step")
rec, b, units = sel.record, sel.batch_item, sel.units
steps, hidden = rec.steps, cfg.hidden_size

# The step and unit of the link, or the cell picked on another page (Gates); mid-sequence when none, where
# c_(t-1) and h_(t-1) already carry something. The pickers below move the link with them.
t_link, unit_link = ui.link_cursor(steps, units, default_t=steps // 2)
st.session_state["step_t"] = t_link
if unit_link is not None:
    st.session_state["unit_j"] = unit_link
st.session_state["unit_j"] = min(max(st.session_state.get("unit_j", units[0]), units[0]), units[1] - 1)


def _moved() -> None:
    ui.set_cursor(int(st.session_state["step_t"]), int(st.session_state["unit_j"]))


def _on_click() -> None:
    points = st.session_state["click_grid"]["selection"]["points"]
    if points:
        ui.set_cursor(int(round(points[0]["x"])), int(round(points[0]["y"])))


cols = st.columns([2, 2, 3])
t = cols[0].number_input("time step t", 0, steps - 1, step=1, key="step_t", on_change=_moved)
j = cols[1].number_input("unit j", units[0], units[1] - 1, step=1, key="unit_j", on_change=_moved)
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
    for line in forward_equations(rec, b, t, j):
        st.latex(line)
    p = projected_feature(rec, j)
    if p is not None:
        st.caption(
            f"With proj_size = {rec.weights.weight_hr.shape[0]}, h_t has {rec.weights.weight_hr.shape[0]} features, "
            f"so unit j = {j} shows projected feature {p}. Largest terms: {projection_terms(rec, b, t, j)}"
        )
    ui.show_chart(cell_diagram_figure(terms, rec, b, j), key="cell_diagram")
    with st.expander(f"Step t = {t}'s tensors as PyTorch prints them (every batch item, every unit)"):
        st.code("\n\n".join(step_tensors(rec, t)), language="python")


def backward_view() -> None:
    """Every backward equation at step t and unit j: dL/dh, dL/dc and each gate's pre-activation gradient."""
    cols = st.columns([3, 2])
    losses = dict(LOSSES)
    if r.explanation is not None:  # a trained task's own loss needs its read-out and targets
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
    st.subheader(f"Backward through step t = {t}, unit j = {j}, {'reverse' if rec.reverse else 'forward'} direction")
    st.caption(
        "The step that read this one's state is t+1 (t−1 in the reverse direction); it sends back dL/dh_t "
        "through W_hh and dL/dc_t through its forget gate. At the last step the loss alone sends them."
    )
    for line in backward_equations(rec, g, b, t, j):
        st.latex(line)
    st.caption(
        "x̂ is a gate's pre-activation. The four gradients δ_t = [∂L/∂î, ∂L/∂f̂, ∂L/∂ĝ, ∂L/∂ô] flow on: "
        "W_hh^T δ_t to h_(t−1), W_ih^T δ_t to x_t, and δ_t into every weight's gradient."
    )


if view == "backward":
    backward_view()
else:
    forward_view()
