"""Trained tasks: the unit that carries the task's memory, what its gates do, and what breaks it."""

import streamlit as st

from lstm_viz import tasks, ui
from lstm_viz.edits import PRESETS as EDIT_PRESETS
from lstm_viz.figures import (
    loss_curve_figure,
    memory_against_figure,
    memory_split_figure,
    memory_text_figure,
    state_heatmap_figure,
    unit_latent_figure,
    unit_scores_figure,
)
from lstm_viz.figures.base import two_line_title
from lstm_viz.tasks.explain import FINDER_BATCH, memory_trace

ui.require_app()
st.title("Trained tasks: where the memory lives")
r = ui.current_run()


if r.explanation is None:
    ui.run_note(
        "info",
        "The pages show random weights now: every gate hovers around 0.5 and the heatmaps show noise. These LSTMs "
        "were trained on small problems whose solution needs a memory a person can name: one click shows a "
        "trained model, the unit that carries its memory, and what its gates do.",
        icon=":material/school:",
    )
    ui.task_links("Show: ")
    for name in tasks.names():
        task = tasks.get(name)
        st.markdown(f"**{task.title}** — {task.story}")
    st.stop()

v = r.explanation
task, info = v.model.task, v.model.info
# On a projected slide the proof comes first: the story and the verdict follow it.
slide = ui.view_mode().slide
ui.task_links("Show: ", task.name)
if not slide:
    st.markdown(task.story)
    st.caption(f"Model: {r.source}.")
    ui.verdict_banner(r)

st.subheader("The unit that carries the memory")
ui.run_note("success", f"**{v.finding}**.", icon=":material/lightbulb:")
best = v.best  # the finding's unit and state: the chart below draws the same
if task.name == "remember_bit":
    mem = memory_trace(r.built.lstm, v.model, best.unit, best.state, r.config.seq_len)
    proof = memory_split_figure(mem.values, mem.latent, mem.labels, best, best.state)
elif task.regression:  # a counter: its state against the count
    mem = memory_trace(r.built.lstm, v.model, best.unit, best.state, r.config.seq_len)
    proof = memory_against_figure(mem.values, mem.latent, mem.labels, best, task.latent_name, best.state)
else:  # a character model: the best unit over a few passages of text
    mem = memory_trace(r.built.lstm, v.model, best.unit, best.state, min(r.config.seq_len, 96), n=4)
    proof = memory_text_figure(mem.values, mem.labels, best, task.latent_name, best.state)
ui.show_chart(proof, key="memory_proof")
if slide:
    st.markdown(task.story)
    ui.verdict_banner(r)

better = "higher" if task.higher_is_better else "lower"
metric_label, _, metric_words = task.metric_name.partition(" (")
metric_words = metric_words.removesuffix(")")
cols = st.columns(3)
cols[0].metric(
    metric_label,
    f"{v.metric:.3f}",
    delta=None if not r.spec.edits.active else f"{v.metric - v.metric_unedited:+.3f} from the edits",
    delta_color="normal" if task.higher_is_better else "inverse",
    help=(f"{metric_label}: {metric_words}. " if metric_words else "")
    + f"On {task.eval_batch} fresh sequences of {task.seq_len} steps that training never saw ({better} is better).",
)
cols[1].metric(
    "stated target",
    f"{'≥' if task.higher_is_better else '≤'} {task.target_metric:g}",
    help="What the shipped weights must reach; the tests check it.",
)
reached = task.reached(v.metric_unedited)
cols[2].metric(
    "unedited model",
    f"{v.metric_unedited:.3f}",
    delta="reaches the target" if reached else "below the target",
    delta_color="normal" if reached else "inverse",
    help=f"Trained for {info.get('steps', 0)} Adam steps from seed {info.get('seed', 0)}.",
)
if metric_words:
    st.caption(f"{metric_label}: {metric_words}.")
st.markdown("\n".join(f"- {fact.sentence}" for fact in v.facts))
st.caption(
    f"Measured on {FINDER_BATCH} fresh sequences (not the ones on screen, never trained on), with "
    "the edits applied; the best unit's index and sign change with the training seed, so they are found, not "
    "hard-coded. The finder names the unit whose cell state c follows the latent best (c is the memory; h "
    "scores are in the chart below). Phases: " + ", ".join(task.phases(v.batch)) + "."
)

st.subheader("One sequence, step by step")
rec = r.trace.layer(0)
cols = st.columns([1, 1, 2])
b = cols[0].selectbox("batch item", range(r.config.batch), key="task_batch", disabled=r.config.batch == 1)
states = {"c": "cell state c", "h": "hidden state h"}
state = cols[1].selectbox("state", list(states), format_func=states.get, key="task_state")
units = [s for s in v.scores if s.state == state]
score = cols[2].selectbox(
    "unit",
    units,
    format_func=lambda s: f"unit {s.unit} (r = {s.r:+.2f})",
    key=f"task_unit_{state}_{r.config.hidden_size}",
)
labels = r.labels(b)
where = f"batch item {b}"
ui.show_chart(
    unit_latent_figure(
        getattr(rec, state)[b, :, score.unit], v.batch.latent[b], score, task.latent_name, labels, where, state
    ),
    key="unit_latent",
)
grid = st.columns(2)
for col, name in zip(grid, ("c", "f"), strict=True):
    with col:
        fig = state_heatmap_figure(rec, name, b, step_labels=labels, highlight=(score.unit,), height=280, narrow=True)
        ui.show_chart(fig, key=f"task_heat_{name}", half=True)
grid = st.columns(2)
with grid[0]:
    ui.show_chart(unit_scores_figure(v.scores, v.untrained_scores, task.latent_name), key="unit_scores", half=True)
with grid[1]:
    losses = info.get("losses") or []
    if losses:
        title = two_line_title("Training loss per Adam step", f"how {task.title} was learned")
        ui.show_chart(loss_curve_figure(losses, title), key="train_loss", half=True)
    else:
        ui.run_note("info", "Untrained weights: no training curve.", icon=":material/info:")

st.subheader("Break it: weight experiments")
st.markdown(
    "Each preset edits a copy of the weights; the hand-written forward and `nn.LSTM` both run the edited copy "
    "(the verdict above stays green), and the metric shows what the edit breaks. More in the sidebar."
)
current = ui.current_settings()
ui.link_row(
    [
        (name, ui.settings_href("tasks", {**current, "edit_preset": name}), words, r.spec.edits.preset == name)
        for name, words in EDIT_PRESETS.items()
    ]
)
