"""Gradient flow: the backward pass by hand, the LSTM's gradient raced against a plain RNN's, saturation, states."""

import streamlit as st

from lstm_viz import tasks, ui
from lstm_viz.analysis import forget_product, orders_apart, pca_2d, saturation, step_inputs, step_norms
from lstm_viz.figures import (
    direction_label,
    gradient_heatmap_figure,
    gradient_norms_figure,
    pca_trajectory_figure,
    saturation_figure,
    unit_lines_figure,
)
from lstm_viz.losses import LOSSES
from lstm_viz.server.gradients import (
    PREVIEW_SHIFT,
    Record,
    bias_effect,
    bias_siblings,
    far_step,
    flow_for,
    opponent_for,
    recipe_words,
    task_races,
)
from lstm_viz.settings import FORGET_CHOICES, task_preset
from lstm_viz.tasks.jobs import HIDDEN_CHOICES
from lstm_viz.tasks.losses import TASK_LOSS, TASK_LOSS_WORDS

# The LSTM's gradient visibly outlives the RNN's when it is this many powers of ten larger at the far step.
VISIBLE_ORDERS = 3
# A forget-bias shift that moves the far step's gradient by less than this many powers of ten leaves it as it was.
SAME_ORDERS = 0.5
OTHER_BIASES = tuple(c for c in FORGET_CHOICES if c != "task")

ui.require_app()
st.title("Gradient flow")
INTRO = (
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
cfg = r.config
features = r.trace.output.shape[-1]
with st.spinner("Training the plain RNN that races this LSTM (its H, seed and steps)…"):
    opp = opponent_for(r)
task = r.explanation.model.task if r.explanation is not None else None
live = opp.lstm_source == "trained here"


def metric_words(value: float) -> str:
    """A task metric in words: its name without the definition, and the value."""
    return f"{task.metric_name.partition(' (')[0]} {value:.3f}"


def costs_metric(before: float | None, after: float | None) -> bool:
    """Whether a task metric got worse by more than a rounding's worth (0.01)."""
    if before is None or after is None:
        return False
    return after < before - 0.01 if task.higher_is_better else after > before + 0.01


def bias_words(value: float) -> str:
    """An initial forget bias as the sidebar names it: 0, +1, -2."""
    return "0" if value == 0 else f"{value:+g}"


def trained_word(trained: bool | None) -> str:
    return {True: "trained", False: "untrained", None: "uploaded"}[trained]


lstm_word, rnn_word = trained_word(opp.lstm_trained), trained_word(opp.trained)
if task is not None:
    info = r.explanation.model.info
    seed, steps = int(info.get("seed", 0)), int(info.get("steps", 0))
    bias = float(info.get("forget_bias", task.forget_bias))
    better = "higher" if task.higher_is_better else "lower"
    scored = f"both on the same {task.eval_batch} fresh sequences ({better} is better)"
    if opp.trained:
        made = "shipped" if opp.lstm_source == "shipped" else "trained on this server"
        race = (
            f"**The race: trained against trained**, one recipe ({recipe_words(task, cfg.hidden_size, seed, steps)})."
            f" LSTM ({made}, initial forget bias {bias:+g}): {metric_words(r.explanation.metric)}. Plain tanh RNN "
            f"({opp.made}): {metric_words(opp.metric)}; {scored}."
        )
    else:
        what = "initial weights" if opp.lstm_source == "untrained" else "trained"
        race = (
            f"**The race: {lstm_word} against {rnn_word}.** LSTM ({what}: H {cfg.hidden_size}, seed {seed}, forget "
            f"bias {bias:+g}): {metric_words(r.explanation.metric)}. Plain tanh RNN ({opp.made}): "
            f"{metric_words(opp.metric)}; {scored}."
        )
        if opp.lstm_source == "untrained":
            race += " Neither has learned anything: this is what the two cells do to a gradient before training."
elif opp.lstm_source == "random":
    race = (
        f"**The race: untrained against untrained.** LSTM: random weights drawn from seed {cfg.seed}. Plain tanh "
        f"RNN: the same sizes (input {cfg.input_size}, H {cfg.hidden_size}, {cfg.num_layers} "
        f"layer{'s' if cfg.num_layers > 1 else ''}{', bidirectional' if cfg.bidirectional else ''}), {opp.made}. "
        "Neither has learned anything: this is what the two cells do to a gradient before training."
    )
else:
    race = (
        f"**Not a fair race.** LSTM: {r.source}, trained elsewhere (how, this page cannot know). Plain tanh RNN: "
        f"the same sizes, {opp.made}: no RNN trained like your LSTM exists here, so read the gap below as trained "
        "(or not) against untrained."
    )
st.markdown(race)
# The verdict sits under the race it judges; it is measured after the controls below, so it is filled in later.
verdict = st.container()

# The task's own loss needs a task's read-out and targets: offered only on a trained-task run.
losses = {k: v.split(":")[0] for k, v in LOSSES.items()}
if r.explanation is not None:
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
has_bias = r.built.lstm.bias
delta = cols[2].slider(
    "forget-gate bias shift (added to b_if)",
    -5.0,
    5.0,
    0.0,
    0.5,
    key="grad_forget_bias",
    disabled=not has_bias,
    help="Applied to a copy of the weights; the hand-written pass and nn.LSTM both run the copy. The words "
    "under the controls say what the shift does to these weights, measured.",
)
unit = None if unit_pick == "all" or kind == TASK_LOSS else int(unit_pick)
# Computed once per run and view for every session (a class at this page shares one backward pass).
flow = flow_for(r, kind, unit, delta)
sel = ui.record_controls(r, "grad")
layer, reverse, b, units = sel.record.layer, sel.record.reverse, sel.batch_item, sel.units
at = Record(kind, unit, layer, reverse, b)

if has_bias:
    effect = bias_effect(r, at, delta or PREVIEW_SHIFT)
    if abs(effect.orders) < SAME_ORDERS:
        way = f"{abs(effect.orders):.1f} orders of magnitude: about as far back"
    elif effect.orders > 0:
        way = f"{effect.orders:.1f} orders of magnitude larger: it reaches further back"
    else:
        way = f"{-effect.orders:.1f} orders of magnitude smaller: it reaches less far back"
    measured = (
        f"**Measured on these weights:** {'the' if delta else 'a'} forget-bias shift of {effect.shift:+g} "
        f"{'moves' if delta else 'would move'} the forget gates from {effect.forget_before:.2f} to "
        f"{effect.forget_after:.2f} on average and the LSTM's ‖dL/dc‖ at t = {effect.step} from "
        f"{effect.before:.2e} to {effect.after:.2e}, {way}"
    )
    if effect.metric_before is not None and f"{effect.metric_after:.3f}" == f"{effect.metric_before:.3f}":
        measured += f"; its {metric_words(effect.metric_before)} {'stays' if delta else 'would stay'} the same"
    elif effect.metric_before is not None:
        measured += f"; its {metric_words(effect.metric_before)} {'becomes' if delta else 'would become'} "
        measured += f"{effect.metric_after:.3f}"
    lesson = ""
    if effect.orders >= SAME_ORDERS and opp.lstm_trained is False:
        lesson = " The forget-bias lesson holds here: forget gates nearer 1 let the cell's gradient last longer."
    elif opp.lstm_trained and (effect.orders < SAME_ORDERS or costs_metric(effect.metric_before, effect.metric_after)):
        lesson = (
            " Trained weights are fitted to the bias they were trained with: shifting it afterwards changes what "
            "they compute, not only how far they remember. A forget bias belongs before training"
            + (": trainings from other initial biases are compared below." if live else ".")
        )
    if opp.lstm_trained and not live and task.hidden_size in HIDDEN_CHOICES:
        current = ui.current_settings()
        lesson += " Train it here from another initial forget bias (the same H, seed and steps) and compare: " + (
            " · ".join(
                f"[{c}]({ui.settings_href('gradients', {**current, 'weights': 'trained here', 'init_forget': c})})"
                for c in OTHER_BIASES
                if float(c) != bias
            )
        )
    st.caption(measured + "." + lesson)
else:
    st.caption("This LSTM has no biases (bias=False): there is no forget bias to shift.")

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
shift_words = f", forget bias {delta:+g}" if delta else ""
# The step farthest from a loss at the end: where the lesson shows, t = 0 (the last step in the reverse direction).
far = far_step(r, reverse)
apart = orders_apart(series["LSTM ‖dL/dc_t‖"], series["RNN ‖dL/dh_t‖"], far)
far_words = f"the first step (t = {far})" if not reverse else f"the step farthest from the loss (t = {far})"
lstm_dc, rnn_dh_far = float(series["LSTM ‖dL/dc_t‖"][far]), float(series["RNN ‖dL/dh_t‖"][far])
values = f"(‖dL/dc‖ {lstm_dc:.2e} against ‖dL/dh‖ {rnn_dh_far:.2e})"
with verdict:
    if apart >= VISIBLE_ORDERS:
        ui.run_note(
            "success",
            f"At {far_words} the {lstm_word} LSTM's ‖dL/dc_t‖ is **{apart:.0f} orders of magnitude** larger than "
            f"the {rnn_word} RNN's ‖dL/dh_t‖ {values}: the LSTM's gradient outlives the RNN's.",
            icon=":material/trending_flat:",
        )
    elif apart <= -VISIBLE_ORDERS:
        ui.run_note(
            "info",
            f"At {far_words} the {rnn_word} RNN's ‖dL/dh_t‖ is **{-apart:.0f} orders of magnitude** larger than "
            f"the {lstm_word} LSTM's ‖dL/dc_t‖ {values}: here the RNN's gradient reaches further back.",
            icon=":material/info:",
        )
    else:
        lstm_grad, rnn_grad = f"{lstm_word} LSTM's ‖dL/dc_t‖", f"{rnn_word} RNN's ‖dL/dh_t‖"
        larger, smaller = (lstm_grad, rnn_grad) if apart >= 0 else (rnn_grad, lstm_grad)
        why = (
            f" These random weights keep the forget gates near 0.5 (they average {float(rec.f[b].mean()):.2f} "
            "here), so the LSTM's cell gradient shrinks at every step too. Trained LSTMs race trained RNNs on the "
            "tasks in the table under the chart."
            if opp.lstm_trained is False and task is None
            else ""
        )
        ui.run_note(
            "info",
            f"At {far_words} the {larger} is only 10^{abs(apart):.1f} times the {smaller} {values}: less than "
            f"{VISIBLE_ORDERS} orders of magnitude apart, neither gradient outlives the other here.{why}",
            icon=":material/info:",
        )

ui.show_chart(
    gradient_norms_figure(
        series,
        f"How far back the gradient reaches: {lstm_word} LSTM vs {rnn_word} plain RNN, {where}{shift_words}",
        labels,
        gap=(far, "LSTM ‖dL/dc_t‖", "RNN ‖dL/dh_t‖") if apart >= VISIBLE_ORDERS else None,
    ),
    key="grad_norms",
)
if kind == TASK_LOSS:
    dz = "2 (prediction − target)" if task.regression else "(softmax − one-hot)"
    st.caption(
        f"Loss: {flow.loss.description}. L = {flow.loss.value:.4g} for the LSTM; the RNN's h through its own "
        f"read-out gives L = {flow.rnn_loss:.4g}. At a scored step, dL/dy_t = {dz} / N · W_head, 0 elsewhere. "
        "Every gradient here is computed by hand and proven equal to autograd."
    )
else:
    st.caption(f"Loss: {LOSSES[kind]}. Every gradient here is computed by hand and proven equal to autograd.")

races = task_races()
if races:
    with st.expander("Every task's race, trained against trained", expanded=task is None):
        rows = [
            "| task | metric | LSTM | plain RNN | LSTM ‖dL/dc_0‖ | RNN ‖dL/dh_0‖ | orders apart at t = 0 |",
            "|---|---|---|---|--:|--:|--:|",
        ]
        for row in races:
            t = tasks.get(row.task)
            name = t.metric_name.partition(" (")[0] + ("" if t.higher_is_better else " (lower is better)")
            title = f"[{t.title}]({ui.settings_href('gradients', task_preset(row.task))})"
            rows.append(
                f"| {title} | {name} | {row.lstm_metric:.3f} | {row.rnn_metric:.3f} | {row.lstm_far:.2e} | "
                f"{row.rnn_far:.2e} | {row.orders:+.1f} |"
            )
        st.markdown("\n".join(rows))
        st.caption(
            "Each task's shipped LSTM against its shipped plain tanh RNN, trained by scripts/make_task_weights.py "
            "with the same H, seed, batches, Adam steps and learning rate; metrics on the same fresh sequences. "
            "Gradients of the last step's summed output on the first of the task's default sequences (seed 0), "
            "as this page draws them with the task's default settings."
        )

# One under another, each as wide as the norms above: the time axes line up, and every step has room.
for name, grad, what in (
    ("dL/dc_t", lg.dc, "LSTM cell state"),
    ("dL/dh_t", lg.dh, "LSTM hidden state"),
    ("dL/dh_t", rnn_dh, f"RNN hidden state ({rnn_word})"),
):
    fig = gradient_heatmap_figure(
        grad[b], name, f"{what}: log10 |{name}|", units, labels, height=240, detail=where + shift_words
    )
    ui.show_chart(fig, key=f"grad_heat_{what.split(' (')[0]}")

if live and has_bias:
    st.subheader("The forget bias, set before training")
    siblings = bias_siblings(r, at, tuple(float(c) for c in OTHER_BIASES))
    st.caption(
        f"The same task, H and seed trained here from other initial forget biases, on the same sequences: "
        f"the LSTM's ‖dL/dc‖ at t = {far} and the task metric of each."
    )
    st.markdown(
        "\n".join(
            f"- initial forget bias {bias_words(s.forget_bias)}{' (this one)' if s.current else ''}: ‖dL/dc‖ "
            f"{s.reach:.2e}, {metric_words(s.metric)}"
            for s in siblings
        )
    )
    trained = {s.forget_bias for s in siblings}
    current = ui.current_settings()
    links = [
        (
            f"train from forget bias {choice}",
            ui.settings_href("gradients", {**current, "weights": "trained here", "init_forget": choice}),
            "A live training on this server, shared with everyone who asks for the same.",
            False,
        )
        for choice in OTHER_BIASES
        if float(choice) not in trained
    ]
    if links:
        ui.link_row(links)

if slide:
    st.markdown(INTRO)

st.subheader("Gate saturation")
st.caption(
    "One point per unit and gate: the fraction of steps it is shut (< 0.1, across) and open (> 0.9, up). "
    "A forget gate high up keeps its cell; random weights keep every gate near 0.5, in the corner at 0."
)
ui.show_chart(
    saturation_figure(saturation(rec), f"Saturated gates, {layer_words}{shift_words}"),
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
