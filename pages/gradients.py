"""Gradient flow: the backward pass by hand, the LSTM's gradient beside a plain RNN's, saturation, trajectories."""

import streamlit as st

from lstm_viz import ui
from lstm_viz.analysis import (
    forget_product,
    orders_apart,
    pca_2d,
    saturation,
    step_inputs,
    step_norms,
)
from lstm_viz.backward import LOSSES, TASK_LOSS, TASK_LOSS_WORDS
from lstm_viz.figures import (
    direction_label,
    gradient_heatmap_figure,
    gradient_norms_figure,
    pca_trajectory_figure,
    saturation_figure,
    unit_lines_figure,
)
from lstm_viz.gradient_cache import flow_for

# The LSTM's gradient visibly outlives the RNN's when it is this many powers of ten larger at the far step.
VISIBLE_ORDERS = 3

ui.require_app()
st.title("Gradient flow")
INTRO = (
    "A loss at the end of the sequence sends its gradient back through time: in a plain RNN every step "
    "multiplies it by the recurrent Jacobian, so **‖dL/dh_t‖ of the RNN shrinks by orders of magnitude** "
    "within a few steps. The LSTM's cell state carries it back multiplied only by the forget gates, so "
    "**‖dL/dc_t‖ follows the forget-gate product** and survives as long as f stays near 1: raise the "
    "forget-gate bias below and watch it last longer."
)
# On a projected slide the chart comes first and the words after it.
slide = ui.view_mode().slide
if not slide:
    st.markdown(INTRO)
r = ui.current_run()
cfg = r.config
features = r.trace.output.shape[-1]
# The task's own loss needs a task's read-out and targets: offered only on a trained-task run.
losses = {k: v.split(":")[0] for k, v in LOSSES.items()}
if r.task is not None:
    losses[TASK_LOSS] = TASK_LOSS_WORDS.split(":")[0]
if st.session_state.get("grad_loss") not in losses:
    st.session_state.pop("grad_loss", None)  # a choice the model on screen does not offer falls back to the first
cols = st.columns([3, 2, 3])
kind = cols[0].selectbox("loss", list(losses), format_func=losses.get, key="grad_loss")
unit_pick = cols[1].selectbox(
    "output unit j",
    ["all", *range(features)],
    key="grad_unit",
    disabled=kind == TASK_LOSS,
    help="The output feature the loss reads (the task's loss reads every feature through its read-out).",
)
delta = cols[2].slider(
    "forget-gate bias shift (added to b_if)",
    -5.0,
    5.0,
    0.0,
    0.5,
    key="grad_forget_bias",
    disabled=not r.built.lstm.bias,
    help="Applied to a copy of the weights; the hand-written pass and nn.LSTM both run the copy.",
)
unit = None if unit_pick == "all" or kind == TASK_LOSS else int(unit_pick)
task, batch = (r.task.model, r.task.batch) if r.task is not None else (None, None)
# Computed once per run and view for every session (a class at this page shares one backward pass).
flow = flow_for(r, kind, unit, delta)
if kind == TASK_LOSS:
    dz = "2 (prediction − target)" if task.task.regression else "(softmax − one-hot)"
    st.caption(
        f"Loss: {flow.loss.description}. L = {flow.loss.value:.4g} for the LSTM; the plain RNN's h through the "
        f"same read-out gives L = {flow.rnn_loss:.4g}. At a scored step, dL/dy_t = {dz} / N · W_head, "
        "0 elsewhere. Every gradient here is computed by hand and proven equal to autograd."
    )
else:
    st.caption(f"Loss: {LOSSES[kind]}. Every gradient here is computed by hand and proven equal to autograd.")

sel = ui.record_controls(r, "grad")
layer, reverse, b, units = sel.record.layer, sel.record.reverse, sel.batch_item, sel.units
rec, lg = flow.trace.layer(layer, reverse), flow.grads.layer(layer, reverse)
rnn_dh = flow.rnn.layer_dh(layer, reverse)
labels = r.labels(b)
layer_words = f"layer {layer} {direction_label(reverse)}"
where = f"{layer_words}, batch item {b}"
product = forget_product(rec)[b].mean(dim=1)  # [T]
series = {
    "LSTM ‖dL/dc_t‖": step_norms(lg.dc, b),
    "LSTM ‖dL/dh_t‖": step_norms(lg.dh, b),
    "RNN ‖dL/dh_t‖": step_norms(rnn_dh, b),
    "forget product f_(t+1)···f_T (mean over units)": product,
}
shift = f", forget bias {delta:+g}" if delta else ""
# The step farthest from a loss at the end: where the lesson shows, t = 0 (the last step in the reverse direction).
far = rec.steps - 1 if reverse else 0
apart = orders_apart(series["LSTM ‖dL/dc_t‖"], series["RNN ‖dL/dh_t‖"], far)
far_words = f"the first step (t = {far})" if not reverse else f"the step farthest from the loss (t = {far})"
if apart >= VISIBLE_ORDERS:
    ui.run_note(
        "success",
        f"At {far_words} the LSTM's ‖dL/dc_t‖ is **{apart:.0f} orders of magnitude** larger than the plain RNN's "
        f"‖dL/dh_t‖ (10^{apart:.1f} times): the LSTM's gradient outlives the RNN's.",
        icon=":material/trending_flat:",
    )
else:
    ui.run_note(
        "info",
        f"At {far_words} the LSTM's ‖dL/dc_t‖ is 10^{apart:.1f} times the plain RNN's ‖dL/dh_t‖, "
        f"{abs(apart):.1f} orders of magnitude, too few to tell the two apart: "
        + (
            "random weights keep every forget gate near 0.5, so the LSTM's gradient halves at each step too. "
            "A trained LSTM keeps its forget gates near 1: open one below, or raise the forget-gate bias."
            if r.task is None
            else "raise the forget-gate bias to keep the forget gates nearer 1."
        ),
        icon=":material/info:",
    )
    if r.task is None:
        ui.task_links("", None, page_path="gradients")
ui.show_chart(
    gradient_norms_figure(
        series,
        f"How far back the gradient reaches: LSTM vs plain RNN, {where}{shift}",
        labels,
        gap=(far, "LSTM ‖dL/dc_t‖", "RNN ‖dL/dh_t‖") if apart >= VISIBLE_ORDERS else None,
    ),
    key="grad_norms",
)
# One under another, each as wide as the norms above: the time axes line up, and every step has room.
for name, grad, what in (
    ("dL/dc_t", lg.dc, "LSTM cell state"),
    ("dL/dh_t", lg.dh, "LSTM hidden state"),
    ("dL/dh_t", rnn_dh, "RNN"),
):
    fig = gradient_heatmap_figure(
        grad[b], name, f"{what}: log10 |{name}|", units, labels, height=240, detail=where + shift
    )
    ui.show_chart(fig, key=f"grad_heat_{what}")

if slide:
    st.markdown(INTRO)

st.subheader("Gate saturation")
st.caption(
    "One point per unit and gate: the fraction of steps it is shut (< 0.1, across) and open (> 0.9, up). "
    "A forget gate high up keeps its cell; random weights keep every gate near 0.5, in the corner at 0."
)
ui.show_chart(
    saturation_figure(saturation(rec), f"Saturated gates, {layer_words}{shift}"),
    key="saturation",
)

st.subheader("States as trajectories")
state = st.radio("state", ["h", "c"], horizontal=True, key="grad_state", format_func=lambda s: f"{s} (PCA)")
traj = pca_2d(getattr(rec, state))
inputs = step_inputs(r.trace.layer(0).x, [r.labels(k) for k in range(cfg.batch)] if labels else None)
pca_title = f"{state} over time, first two principal components, {layer_words}, every batch item"
ui.show_chart(pca_trajectory_figure(traj.coords, traj.explained, pca_title, inputs), key="pca")
chosen = st.multiselect(
    "units to plot", list(range(cfg.hidden_size)), default=list(range(min(3, cfg.hidden_size))), key="grad_units"
)
ui.show_chart(unit_lines_figure(rec, chosen, b, f"c and h of chosen units, {where}", labels), key="unit_lines")
