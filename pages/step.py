"""One step in numbers: every LSTM equation at a chosen step and unit, with its real values and shapes."""

import streamlit as st

from lstm_viz import i18n, ui
from lstm_viz.figures import STATE_ORDER, cell_diagram_figure, click_grid_figure
from lstm_viz.i18n import N_
from lstm_viz.losses import LOSSES
from lstm_viz.printed import step_tensors
from lstm_viz.server.gradients import step_backward
from lstm_viz.step_equations import backward_equations, forward_equations, projected_feature, projection_terms
from lstm_viz.tasks.losses import TASK_LOSS, TASK_LOSS_WORDS

ui.require_app()
# The two views of a step: its forward computation and the gradient flowing back through it. (A comment: Streamlit
# writes a bare string of a page on the page.)
VIEWS = {"forward": N_("forward"), "backward": N_("backward")}

st.title(ui.tr("One step in numbers"))
lang = ui.lang()
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
t = cols[0].number_input(ui.tr("time step t"), 0, steps - 1, step=1, key="step_t", on_change=_moved)
j = cols[1].number_input(ui.tr("unit j"), units[0], units[1] - 1, step=1, key="unit_j", on_change=_moved)
shown = cols[2].selectbox(ui.tr("heatmap to click"), STATE_ORDER[:6], key="click_of", format_func=lambda n: f"{n}")
ui.show_chart(
    click_grid_figure(rec, shown, b, units, (t, j), r.labels(b), lang=lang),
    key="click_grid",
    on_select=_on_click,
    selection_mode="points",
)

view = st.radio(
    ui.tr("view"),
    list(VIEWS),
    # Not bound to the link: its options may be said in the reader's language (fixed when drawn: Streamlit, and
    # AppTest, may format an option outside this run).
    format_func=lambda v: i18n.t(lang, VIEWS[v]),
    horizontal=True,
    key="step_view",
    help=ui.tr(
        "forward: how step t computes its gates and states; backward: how the gradient of a loss flows "
        "through the same step, every number from the hand-written backward pass."
    ),
)


def forward_view() -> None:
    """Every forward equation at step t and unit j, with its real values."""
    terms = rec.step_terms(t)
    x_shape = f"{rec.x.shape[-1]}"
    h_shape = f"{rec.h0.shape[-1]}"
    prev = rec.prev_index(t)
    prev_words = ui.tr("h_0 (the initial state)") if prev is None else ui.tr("h at step {prev}", prev=prev)
    if rec.reverse:
        head = ui.tr("Step t = {t}, unit j = {j}, reverse direction, layer {layer}", t=t, j=j, layer=rec.layer)
    else:
        head = ui.tr("Step t = {t}, unit j = {j}, forward direction, layer {layer}", t=t, j=j, layer=rec.layer)
    st.subheader(head)
    st.caption(
        ui.tr(
            "Shapes: each W_i* block is {hidden}×{x_shape} and x_t has {x_shape} features; each W_h* block is "
            "{hidden}×{h_shape} and h_(t-1) = {prev_words} has {h_shape}; each bias block has {hidden}. "
            "Unit j takes row j of each block: (1×{x_shape})·x_t + b and (1×{h_shape})·h_(t-1) + b, one number each.",
            hidden=hidden,
            x_shape=x_shape,
            h_shape=h_shape,
            prev_words=prev_words,
        )
    )
    for line in forward_equations(rec, b, t, j, lang=lang):
        st.latex(line)
    p = projected_feature(rec, j)
    if p is not None:
        # Computed before the sentence: Babel's extractor loses a message whose call has a bare ``t`` inside it.
        largest = projection_terms(rec, b, t, j)
        st.caption(
            ui.tr(
                "With proj_size = {proj}, h_t has {proj} features, so unit j = {j} shows projected feature {p}. "
                "Largest terms: {terms}",
                proj=rec.weights.weight_hr.shape[0],
                j=j,
                p=p,
                terms=largest,
            )
        )
    ui.show_chart(cell_diagram_figure(terms, rec, b, j, lang=lang), key="cell_diagram")
    with st.expander(ui.tr("Step t = {t}'s tensors as PyTorch prints them (every batch item, every unit)", t=t)):
        st.code("\n\n".join(step_tensors(rec, t)), language="python")


def backward_view() -> None:
    """Every backward equation at step t and unit j: dL/dh, dL/dc and each gate's pre-activation gradient."""
    cols = st.columns([3, 2])
    losses = dict(LOSSES)
    if r.explanation is not None:  # a trained task's own loss needs its read-out and targets
        losses[TASK_LOSS] = TASK_LOSS_WORDS
    if st.session_state.get("step_loss") not in losses:
        st.session_state.pop("step_loss", None)  # a choice this model does not offer falls back to the first
    kind = cols[0].selectbox(
        ui.tr("loss"), list(losses), format_func=lambda k: i18n.t(lang, losses[k]), key="step_loss"
    )
    # Computed once per run and loss for every session: the step and unit pickers only read other entries.
    loss, grads = step_backward(r, kind)
    if kind == TASK_LOSS:
        cols[1].caption(
            ui.tr(
                "{description}; L = {value:.4g}. dL/dy_t comes through the read-out's weights.",
                description=ui.say(loss.description),
                value=loss.value,
            )
        )
    else:
        cols[1].caption(
            ui.tr("dL/dy = 1 wherever the loss reads the output, over every output feature and batch item.")
        )
    g = grads.layer(rec.layer, rec.reverse)
    if rec.reverse:
        head = ui.tr("Backward through step t = {t}, unit j = {j}, reverse direction", t=t, j=j)
    else:
        head = ui.tr("Backward through step t = {t}, unit j = {j}, forward direction", t=t, j=j)
    st.subheader(head)
    st.caption(
        ui.tr(
            "The step that read this one's state is t+1 (t−1 in the reverse direction); it sends back dL/dh_t "
            "through W_hh and dL/dc_t through its forget gate. At the last step the loss alone sends them."
        )
    )
    for line in backward_equations(rec, g, b, t, j):
        st.latex(line)
    st.caption(
        ui.tr(
            "x̂ is a gate's pre-activation. The four gradients δ_t = [∂L/∂î, ∂L/∂f̂, ∂L/∂ĝ, ∂L/∂ô] flow on: "
            "W_hh^T δ_t to h_(t−1), W_ih^T δ_t to x_t, and δ_t into every weight's gradient."
        )
    )


if view == "backward":
    backward_view()
else:
    forward_view()
