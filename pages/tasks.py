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
lang = ui.lang()
st.title(ui.tr("Trained tasks: where the memory lives"))
r = ui.current_run()


if r.explanation is None:
    ui.run_note(
        "info",
        ui.tr(
            "The pages show random weights now: every gate hovers around 0.5 and the heatmaps show noise. These "
            "LSTMs were trained on small problems whose solution needs a memory a person can name: one click shows "
            "a trained model, the unit that carries its memory, and what its gates do."
        ),
        icon=":material/school:",
    )
    ui.task_links(ui.tr("Show: "))
    for name in tasks.names():
        task = tasks.get(name)
        st.markdown(ui.tr("**{title}** — {story}", title=task.title_in(lang), story=task.story_in(lang)))
    st.stop()

v = r.explanation
task, info = v.model.task, v.model.info
# On a projected slide the proof comes first: the story and the verdict follow it.
slide = ui.view_mode().slide
ui.task_links(ui.tr("Show: "), task.name)
if not slide:
    st.markdown(task.story_in(lang))
    st.caption(ui.tr("Model: {source}.", source=r.source_words(lang)))
    ui.verdict_banner(r)

st.subheader(ui.tr("The unit that carries the memory"))
ui.run_note("success", ui.tr("**{finding}**.", finding=v.finding), icon=":material/lightbulb:")
best = v.best  # the finding's unit and state: the chart below draws the same
if task.name == "remember_bit":
    mem = memory_trace(r.built.lstm, v.model, best.unit, best.state, r.config.seq_len)
    proof = memory_split_figure(mem.values, mem.latent, mem.labels, best, best.state, lang=lang)
elif task.regression:  # a counter: its state against the count
    mem = memory_trace(r.built.lstm, v.model, best.unit, best.state, r.config.seq_len)
    proof = memory_against_figure(mem.values, mem.latent, mem.labels, best, task.latent_name, best.state, lang=lang)
else:  # a character model: the best unit over a few passages of text
    mem = memory_trace(r.built.lstm, v.model, best.unit, best.state, min(r.config.seq_len, 96), n=4)
    proof = memory_text_figure(mem.values, mem.labels, best, task.latent_name, best.state, lang=lang)
ui.show_chart(proof, key="memory_proof")
if slide:
    st.markdown(task.story_in(lang))
    ui.verdict_banner(r)

metric_label, metric_words = task.metric_parts_in(lang)
if task.higher_is_better:
    measured = ui.tr(
        "On {sequences} fresh sequences of {steps} steps that training never saw (higher is better).",
        sequences=task.eval_batch,
        steps=task.seq_len,
    )
else:
    measured = ui.tr(
        "On {sequences} fresh sequences of {steps} steps that training never saw (lower is better).",
        sequences=task.eval_batch,
        steps=task.seq_len,
    )
# The definition's sentence ends with a space in English only: Chinese sentences follow each other without one.
defined = ui.tr("{name}: {definition}. ", name=metric_label, definition=metric_words) if metric_words else ""
cols = st.columns(3)
cols[0].metric(
    metric_label,
    f"{v.metric:.3f}",
    delta=None
    if not r.spec.edits.active
    else ui.tr("{change:+.3f} from the edits", change=v.metric - v.metric_unedited),
    delta_color="normal" if task.higher_is_better else "inverse",
    help=defined + measured,
)
cols[1].metric(
    ui.tr("stated target"),
    f"{'≥' if task.higher_is_better else '≤'} {task.target_metric:g}",
    help=ui.tr("What the shipped weights must reach; the tests check it."),
)
reached = task.reached(v.metric_unedited)
cols[2].metric(
    ui.tr("unedited model"),
    f"{v.metric_unedited:.3f}",
    delta=ui.tr("reaches the target") if reached else ui.tr("below the target"),
    delta_color="normal" if reached else "inverse",
    help=ui.tr(
        "Trained for {steps} Adam steps from seed {seed}.", steps=info.get("steps", 0), seed=info.get("seed", 0)
    ),
)
if metric_words:
    st.caption(ui.tr("{name}: {definition}.", name=metric_label, definition=metric_words))
st.markdown("\n".join(f"- {sentence}" for sentence in v.facts_in(lang)))
phase_list = ui.tr(", ").join(task.phase_in(phase, lang) for phase in task.phases(v.batch))
st.caption(
    ui.tr(
        "Measured on {sequences} fresh sequences (not the ones on screen, never trained on), with the edits "
        "applied; the best unit's index and sign change with the training seed, so they are found, not "
        "hard-coded. The finder names the unit whose cell state c follows the latent best (c is the memory; h "
        "scores are in the chart below). Phases: {phases}.",
        sequences=FINDER_BATCH,
        phases=phase_list,
    )
)

st.subheader(ui.tr("One sequence, step by step"))
rec = r.trace.layer(0)
cols = st.columns([1, 1, 2])
b = cols[0].selectbox(ui.tr("batch item"), range(r.config.batch), key="task_batch", disabled=r.config.batch == 1)
# Not bound to the URL: their options may be said in the reader's language.
states = {"c": ui.tr("cell state c"), "h": ui.tr("hidden state h")}
state = cols[1].selectbox(ui.tr("state"), list(states), format_func=states.get, key="task_state")
units = [s for s in v.scores if s.state == state]
score = cols[2].selectbox(
    ui.tr("unit"),
    units,
    format_func=lambda s: ui.tr("unit {unit} (r = {r:+.2f})", unit=s.unit, r=s.r),
    key=f"task_unit_{state}_{r.config.hidden_size}",
)
labels = r.labels(b)
where = ui.tr("batch item {b}", b=b)
ui.show_chart(
    unit_latent_figure(
        getattr(rec, state)[b, :, score.unit],
        v.batch.latent[b],
        score,
        task.latent_name,
        labels,
        where,
        state,
        lang=lang,
    ),
    key="unit_latent",
)
grid = st.columns(2)
for col, name in zip(grid, ("c", "f"), strict=True):
    with col:
        fig = state_heatmap_figure(
            rec, name, b, step_labels=labels, highlight=(score.unit,), height=280, narrow=True, lang=lang
        )
        ui.show_chart(fig, key=f"task_heat_{name}", half=True)
grid = st.columns(2)
with grid[0]:
    ui.show_chart(
        unit_scores_figure(v.scores, v.untrained_scores, task.latent_name, lang=lang), key="unit_scores", half=True
    )
with grid[1]:
    losses = info.get("losses") or []
    if losses:
        title = two_line_title(
            ui.tr("Training loss per Adam step"), ui.tr("how {task} was learned", task=task.title_in(lang))
        )
        ui.show_chart(loss_curve_figure(losses, title, lang=lang), key="train_loss", half=True)
    else:
        ui.run_note("info", ui.tr("Untrained weights: no training curve."), icon=":material/info:")

st.subheader(ui.tr("Break it: weight experiments"))
st.markdown(
    ui.tr(
        "Each preset edits a copy of the weights; the hand-written forward and `nn.LSTM` both run the edited copy "
        "(the verdict above stays green), and the metric shows what the edit breaks. More in the sidebar."
    )
)
current = ui.current_settings()
# A preset's name is its URL value (kept in the link) and, said in the reader's language, the link's label.
ui.link_row(
    [
        (
            ui.tr(name),
            ui.settings_href("tasks", {**current, "edit_preset": name}),
            ui.tr(words),
            r.spec.edits.preset == name,
        )
        for name, words in EDIT_PRESETS.items()
    ]
)
