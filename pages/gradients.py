"""Gradient flow: the backward pass by hand, the LSTM's gradient raced against a plain RNN's, saturation, states."""

import streamlit as st

from lstm_viz import ui
from lstm_viz.figures import pca_trajectory_figure, unit_lines_figure
from lstm_viz.figures.gradients import gradient_heatmap_figure, reach_figure, saturation_figure
from lstm_viz.server.gradients import (
    Record,
    bias_siblings,
    flow_for,
    forget_bias_effect,
    gate_saturation,
    loss_unit,
    opponent_for,
    state_trajectories,
    task_races,
)
from lstm_viz.settings import task_preset
from lstm_viz.tasks.losses import TASK_LOSS
from lstm_viz.words import gradients as words

ui.require_app()
lang = ui.lang()
st.title(ui.tr("Gradient flow"))
INTRO = ui.tr(
    "A loss at the end of the sequence sends its gradient back through time. A plain tanh RNN multiplies it at "
    "every step by W_hhᵀ·diag(1 − h_t²), so **its ‖dL/dh_t‖ shrinks (or grows) geometrically**; the LSTM's cell "
    "state also carries ‖dL/dc_t‖ back along **a path that multiplies it only by the forget gates** (their product "
    "is drawn dashed), which lasts while f stays near 1. Which reaches further depends on the weights: the race "
    "below names its runners, and every number in it is measured on this page."
)
# On a projected slide the chart comes first and the words after it.
slide = ui.view_mode().slide
if not slide:
    st.markdown(INTRO)
r = ui.current_run()
with st.spinner(ui.tr("Training the plain RNN that races this LSTM (its H, seed and steps)…")):
    opp = opponent_for(r)
task = r.explanation.model.task if r.explanation is not None else None
who = words.runners(opp)
st.markdown(words.race(r, opp, lang))
# The verdict sits under the race it judges; it is measured after the controls below, so it is filled in later.
verdict_slot = st.container()

# The task's own loss needs a task's read-out and targets: offered only on a trained-task run.
losses = words.loss_choices(task is not None, lang)
if st.session_state.get("grad_loss") not in losses:
    st.session_state.pop("grad_loss", None)  # a choice the model on screen does not offer falls back to the first
unit_options = {"all": ui.tr("all"), **{j: str(j) for j in range(r.trace.output.shape[-1])}}
cols = st.columns([3, 2, 3])
kind = cols[0].selectbox(ui.tr("loss"), list(losses), format_func=losses.get, key="grad_loss")
unit_pick = cols[1].selectbox(
    ui.tr("output unit j"),
    list(unit_options),
    key="grad_unit",
    format_func=unit_options.get,
    disabled=kind == TASK_LOSS,
    help=ui.tr("The output feature the loss reads (the task's loss reads every feature through its read-out)."),
)
delta = cols[2].slider(
    ui.tr("forget-gate bias shift (added to b_if)"),
    -5.0,
    5.0,
    0.0,
    0.5,
    key="grad_forget_bias",
    disabled=not r.built.lstm.bias,
    help=ui.tr(
        "Applied to a copy of the weights; the hand-written pass and nn.LSTM both run the copy. The words under the "
        "controls say what the shift does to these weights, measured."
    ),
)
unit = loss_unit(kind, unit_pick)
# Computed once per run and view for every session (a class at this page shares one backward pass).
flow = flow_for(r, kind, unit, delta)
sel = ui.record_controls(r, "grad")
layer, reverse, b, units = sel.record.layer, sel.record.reverse, sel.batch_item, sel.units
at = Record(kind, unit, layer, reverse, b)
current = ui.current_settings()


def train_href(bias: str) -> str:
    """The link that trains this run's task here from initial forget bias ``bias``."""
    return ui.settings_href("gradients", {**current, "weights": "trained here", "init_forget": bias})


effect = forget_bias_effect(r, at, delta)
st.caption(words.bias_caption(effect, r, opp, train_href, lang))

reach = flow.reach(layer, reverse, b)
verdict = words.verdict(reach, who, lang)
with verdict_slot:
    ui.run_note(verdict.kind, verdict.text, icon=verdict.icon)

labels = r.labels(b)
lg = flow.grads.layer(layer, reverse)
ui.show_chart(
    reach_figure(
        reach, words.norms_title(who, layer, reverse, b, delta, lang), labels, mark_gap=verdict.gap, lang=lang
    ),
    key="grad_norms",
)
st.caption(words.loss_caption(flow, task, lang))

races = task_races()
if races:
    with st.expander(ui.tr("Every task's race, trained against trained"), expanded=task is None):
        st.markdown(words.race_table(races, lambda name: ui.settings_href("gradients", task_preset(name)), lang))
        st.caption(
            ui.tr(
                "Each task's shipped LSTM against its shipped plain tanh RNN, trained by scripts/make_task_weights.py "
                "with the same H, seed, batches, Adam steps and learning rate; metrics on the same fresh sequences. "
                "Gradients of the last step's summed output on the first of the task's default sequences (seed 0), "
                "as this page draws them with the task's default settings."
            )
        )

# One under another, each as wide as the norms above: the time axes line up, and every step has room.
detail = words.heat_detail(layer, reverse, b, delta, lang)
for key, which, grad in (
    ("grad_heat_LSTM cell state", "c", lg.dc),
    ("grad_heat_LSTM hidden state", "h", lg.dh),
    ("grad_heat_RNN hidden state", "rnn", flow.rnn.layer_dh(layer, reverse)),
):
    name, title = words.heat_title(which, who, lang)
    fig = gradient_heatmap_figure(grad[b], name, title, units, labels, height=240, detail=detail, lang=lang)
    ui.show_chart(fig, key=key)

if opp.live and effect is not None:
    st.subheader(ui.tr("The forget bias, set before training"))
    siblings = bias_siblings(r, at, words.OTHER_BIAS_VALUES)
    st.caption(words.siblings_caption(reach.far, lang))
    st.markdown(words.sibling_lines(siblings, task, lang))
    links = words.sibling_links(siblings, train_href, lang)
    if links:
        ui.link_row(links)

if slide:
    st.markdown(INTRO)

st.subheader(ui.tr("Gate saturation"))
st.caption(
    ui.tr(
        "One point per unit and gate: the fraction of steps it is shut (< 0.1, across) and open (> 0.9, up). "
        "A forget gate high up keeps its cell; random weights keep every gate near 0.5, in the corner at 0."
    )
)
ui.show_chart(
    saturation_figure(
        gate_saturation(flow, layer, reverse), words.saturation_title(layer, reverse, delta, lang), lang=lang
    ),
    key="saturation",
)

st.subheader(ui.tr("States as trajectories"))
states = {s: ui.tr("{state} (PCA)", state=s) for s in ("h", "c")}
state = st.radio(ui.tr("state"), list(states), horizontal=True, key="grad_state", format_func=states.get)
traj, inputs = state_trajectories(r, flow, layer, reverse, state)
ui.show_chart(
    pca_trajectory_figure(
        traj.coords, traj.explained, words.trajectory_title(state, layer, reverse, lang), inputs, lang=lang
    ),
    key="pca",
)
hidden = r.config.hidden_size
chosen = st.multiselect(
    ui.tr("units to plot"), list(range(hidden)), default=list(range(min(3, hidden))), key="grad_units"
)
ui.show_chart(
    unit_lines_figure(
        flow.trace.layer(layer, reverse), chosen, b, words.unit_lines_title(layer, reverse, b, lang), labels, lang=lang
    ),
    key="unit_lines",
)
