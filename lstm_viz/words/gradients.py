"""The Gradient flow view in words: the race and its runners, the verdict, the forget-bias effect, the race table."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lstm_viz import tasks
from lstm_viz.i18n import N_, t, tn
from lstm_viz.losses import LOSSES
from lstm_viz.settings import FORGET_CHOICES
from lstm_viz.tasks import code_train
from lstm_viz.tasks.jobs import HIDDEN_CHOICES
from lstm_viz.tasks.losses import TASK_LOSS

if TYPE_CHECKING:
    from lstm_viz.gradient_flow import GradientFlow, Reach
    from lstm_viz.losses import Loss
    from lstm_viz.run import Run
    from lstm_viz.server.gradients import BiasEffect, BiasSibling, Opponent, TaskRace

VISIBLE_ORDERS = 3
"""The LSTM's gradient visibly outlives the RNN's when it is this many powers of ten larger at the far step."""
SAME_ORDERS = 0.5
"""A forget-bias shift that moves the far step's gradient by less than this many powers of ten leaves it as it was."""
METRIC_NOISE = 0.01
"""A task metric that moves by less than this (a rounding's worth) has not got worse."""
OTHER_BIASES = tuple(c for c in FORGET_CHOICES if c != "task")
"""The initial forget biases a task can be trained from here, as the sidebar names them."""
OTHER_BIAS_VALUES = tuple(float(c) for c in OTHER_BIASES)

LSTM_NAMES = {
    "trained": N_("trained LSTM"),
    "untrained": N_("untrained LSTM"),
    "uploaded": N_("uploaded LSTM"),
    "your": N_("your LSTM"),
}
RNN_NAMES = {"trained": N_("trained RNN"), "untrained": N_("untrained RNN")}
PLAIN_RNN_NAMES = {"trained": N_("trained plain RNN"), "untrained": N_("untrained plain RNN")}
RNN_MADE = {
    "same seed": N_("untrained, drawn from the same seed"),
    "run seed": N_("untrained, drawn from seed {seed}"),
    "initial": N_("its initial weights, drawn from the same seed"),
    "shipped": N_("shipped beside the LSTM, trained by scripts/make_task_weights.py"),
    "not shipped": N_("untrained: no trained RNN is shipped for this task"),
    "trained here": N_("trained on this server for this race"),
}
"""Where the plain RNN comes from (``Opponent.rnn_source``), in words; ``{seed}`` is the run's seed."""
LOSS_NAMES = {
    "last": N_("the last step's output"),
    "every": N_("every step's output"),
    TASK_LOSS: N_("the task's own loss"),
}
"""A loss picker's short names: ``LOSSES`` (and ``TASK_LOSS_WORDS``) up to the colon."""
HEATMAPS = {
    "c": ("dL/dc_t", N_("LSTM cell state: log10 |dL/dc_t|")),
    "h": ("dL/dh_t", N_("LSTM hidden state: log10 |dL/dh_t|")),
}
RNN_HEATMAPS = {
    "trained": N_("RNN hidden state (trained): log10 |dL/dh_t|"),
    "untrained": N_("RNN hidden state (untrained): log10 |dL/dh_t|"),
}
NEITHER_LEARNED = N_("Neither has learned anything: this is what the two cells do to a gradient before training.")


def sentences(lang: str, *parts: str) -> str:
    """Sentences one after another (empty ones left out): a space between them, none in Chinese."""
    return ("" if lang.startswith("zh") else " ").join(p for p in parts if p)


@dataclass(frozen=True)
class Runners:
    """The race's two runners, by how each was made.

    Attributes:
        lstm: ``"trained"``, ``"untrained"``, ``"uploaded"`` (trained elsewhere, how unknown) or ``"your"``
            (a notebook's own LSTM).
        rnn: ``"trained"`` or ``"untrained"``.
        random: The LSTM is a random draw, not a task's: its verdict says why its gap is small.
    """

    lstm: str
    rnn: str
    random: bool = False


def runner(trained: bool | None) -> str:
    """A runner by its training: trained, untrained, or uploaded (None: trained elsewhere, how is unknown)."""
    return {True: "trained", False: "untrained", None: "uploaded"}[trained]


def runners(opp: Opponent) -> Runners:
    """The runners of a page's race, from its opponent (which says how both were made)."""
    return Runners(runner(opp.lstm_trained), runner(opp.trained), opp.lstm_source == "random")


def metric_name(task: tasks.Task, lang: str = "en") -> str:
    """A task's metric by its name alone, without the definition in brackets: "per-step accuracy"."""
    return re.split(r" \(|（", t(lang, task.metric_name), maxsplit=1)[0]


def metric_words(task: tasks.Task, value: float, lang: str = "en") -> str:
    """A task metric in words: its name without the definition, and the value."""
    return f"{metric_name(task, lang)} {value:.3f}"


def costs_metric(task: tasks.Task, before: float | None, after: float | None) -> bool:
    """Whether a task metric got worse by more than a rounding's worth (``METRIC_NOISE``)."""
    if before is None or after is None:
        return False
    return after < before - METRIC_NOISE if task.higher_is_better else after > before + METRIC_NOISE


def same_metric(before: float, after: float) -> bool:
    """Whether two metrics read the same as the page writes them (3 decimals)."""
    return f"{after:.3f}" == f"{before:.3f}"


def bias_words(value: float) -> str:
    """An initial forget bias as the sidebar names it: 0, +1, -2."""
    return "0" if value == 0 else f"{value:+g}"


def other_biases(bias: float) -> list[str]:
    """The initial forget biases a task could be trained from here other than ``bias``, as the sidebar names them."""
    return [c for c in OTHER_BIASES if float(c) != bias]


@dataclass(frozen=True)
class Recipe:
    """How a run's task model was trained, read from its info (the task's defaults where it says nothing)."""

    task: tasks.Task
    seed: int
    steps: int
    forget_bias: float


def recipe_of(run: Run) -> Recipe | None:
    """The run's task model's recipe, or None for a run without a task."""
    if run.explanation is None:
        return None
    model = run.explanation.model
    info = model.info
    return Recipe(
        model.task,
        int(info.get("seed", 0)),
        int(info.get("steps", 0)),
        float(info.get("forget_bias", model.task.forget_bias)),
    )


def recipe_words(task: tasks.Task, hidden_size: int, seed: int, steps: int, lang: str = "en") -> str:
    """The training budget shared by a task's LSTM and its RNN, in words."""
    if task.fit is None:
        return t(
            lang,
            "H {hidden}, seed {seed}, {steps:,} Adam steps on batches of {batch} sequences of {length} steps, "
            "learning rate {lr:g}",
            hidden=hidden_size,
            seed=seed,
            steps=steps,
            batch=task.batch_size,
            length=task.seq_len,
            lr=task.lr,
        )
    return t(
        lang,
        "H {hidden}, seed {seed}, {steps:,} Adam steps on {streams} streams of {chunk} characters, learning rate "
        "{lr:g} with warm-up {warmup}, halved every {every} steps from {start}",
        hidden=hidden_size,
        seed=seed,
        steps=steps,
        streams=code_train.STREAMS,
        chunk=code_train.CHUNK,
        lr=code_train.LR,
        warmup=code_train.WARMUP,
        every=code_train.DECAY_EVERY,
        start=code_train.DECAY_FROM,
    )


def scored_words(task: tasks.Task, lang: str = "en") -> str:
    """Where both runners' metrics were measured, and which way is better."""
    if task.higher_is_better:
        return t(lang, "both on the same {n} fresh sequences (higher is better)", n=task.eval_batch)
    return t(lang, "both on the same {n} fresh sequences (lower is better)", n=task.eval_batch)


def sizes_words(run: Run, lang: str = "en") -> str:
    """The sizes an untrained RNN shares with a random LSTM: input, H, layers, direction."""
    cfg = run.config
    if cfg.bidirectional:
        return tn(
            lang,
            "input {input}, H {hidden}, {n} layer, bidirectional",
            "input {input}, H {hidden}, {n} layers, bidirectional",
            cfg.num_layers,
            input=cfg.input_size,
            hidden=cfg.hidden_size,
        )
    return tn(
        lang,
        "input {input}, H {hidden}, {n} layer",
        "input {input}, H {hidden}, {n} layers",
        cfg.num_layers,
        input=cfg.input_size,
        hidden=cfg.hidden_size,
    )


def race(run: Run, opp: Opponent, lang: str = "en") -> str:
    """The race in Markdown: who races whom, how each was made, and (with a task) both metrics.

    Args:
        run: The run whose LSTM races.
        opp: The RNN it races (``server.gradients.opponent_for``).
        lang: The reader's language.
    """
    cfg = run.config
    made = t(lang, RNN_MADE[opp.rnn_source], seed=cfg.seed)
    recipe = recipe_of(run)
    if recipe is None and opp.lstm_source == "random":
        return sentences(
            lang,
            t(
                lang,
                "**The race: untrained against untrained.** LSTM: random weights drawn from seed {seed}. Plain tanh "
                "RNN: the same sizes ({sizes}), {made}.",
                seed=cfg.seed,
                sizes=sizes_words(run, lang),
                made=made,
            ),
            t(lang, NEITHER_LEARNED),
        )
    if recipe is None:
        return t(
            lang,
            "**Not a fair race.** LSTM: {source}, trained elsewhere (how, this page cannot know). Plain tanh RNN: the "
            "same sizes, {made}: no RNN trained like your LSTM exists here, so read the gap below as trained (or not) "
            "against untrained.",
            source=run.source,
            made=made,
        )
    task = recipe.task
    values = dict(
        made=made,
        bias=recipe.forget_bias,
        lstm_metric=metric_words(task, run.explanation.metric, lang),
        rnn_metric=metric_words(task, opp.metric, lang),
        scored=scored_words(task, lang),
        hidden=cfg.hidden_size,
        seed=recipe.seed,
    )
    if opp.trained:
        values["recipe"] = recipe_words(task, cfg.hidden_size, recipe.seed, recipe.steps, lang)
        if opp.lstm_source == "shipped":
            return t(
                lang,
                "**The race: trained against trained**, one recipe ({recipe}). LSTM (shipped, initial forget bias "
                "{bias:+g}): {lstm_metric}. Plain tanh RNN ({made}): {rnn_metric}; {scored}.",
                **values,
            )
        return t(
            lang,
            "**The race: trained against trained**, one recipe ({recipe}). LSTM (trained on this server, initial "
            "forget bias {bias:+g}): {lstm_metric}. Plain tanh RNN ({made}): {rnn_metric}; {scored}.",
            **values,
        )
    if opp.lstm_source == "untrained":
        return sentences(
            lang,
            t(
                lang,
                "**The race: untrained against untrained.** LSTM (initial weights: H {hidden}, seed {seed}, forget "
                "bias {bias:+g}): {lstm_metric}. Plain tanh RNN ({made}): {rnn_metric}; {scored}.",
                **values,
            ),
            t(lang, NEITHER_LEARNED),
        )
    return t(
        lang,
        "**The race: trained against untrained.** LSTM (trained: H {hidden}, seed {seed}, forget bias {bias:+g}): "
        "{lstm_metric}. Plain tanh RNN ({made}): {rnn_metric}; {scored}.",
        **values,
    )


@dataclass(frozen=True)
class Verdict:
    """Which runner's gradient outlives the other's at the far step, as a note.

    Attributes:
        kind: ``"success"`` (the LSTM's outlives the RNN's) or ``"info"``.
        text: The note, Markdown.
        icon: A ``:material/...:`` icon.
        gap: Whether the chart marks the gap (the LSTM's cell gradient ``VISIBLE_ORDERS`` or more above).
    """

    kind: str
    text: str
    icon: str
    gap: bool


def far_words(reach: Reach, lang: str = "en") -> str:
    """The step farthest from the loss, named: the first step, or (in reverse) the step farthest from the loss."""
    if reach.reverse:
        return t(lang, "the step farthest from the loss (t = {far})", far=reach.far)
    return t(lang, "the first step (t = {far})", far=reach.far)


def verdict(reach: Reach, who: Runners, lang: str = "en") -> Verdict:
    """The race's outcome at the far step: which gradient outlives the other, by how many powers of ten.

    ``VISIBLE_ORDERS`` or more powers of ten either way outlives; less, neither does (and a random LSTM's note
    says why: its forget gates average about 0.5).
    """
    names = dict(
        far=far_words(reach, lang),
        lstm=t(lang, LSTM_NAMES[who.lstm]),
        rnn=t(lang, RNN_NAMES[who.rnn]),
        values=t(lang, "(‖dL/dc‖ {lstm:.2e} against ‖dL/dh‖ {rnn:.2e})", lstm=reach.lstm_far, rnn=reach.rnn_far),
        visible=VISIBLE_ORDERS,
    )
    apart = reach.apart
    if apart >= VISIBLE_ORDERS:
        text = t(
            lang,
            "At {far} the {lstm}'s ‖dL/dc_t‖ is **{orders:.0f} orders of magnitude** larger than the {rnn}'s ‖dL/dh_t‖ "
            "{values}: the LSTM's gradient outlives the RNN's.",
            orders=apart,
            **names,
        )
        return Verdict("success", text, ":material/trending_flat:", True)
    if apart <= -VISIBLE_ORDERS:
        text = t(
            lang,
            "At {far} the {rnn}'s ‖dL/dh_t‖ is **{orders:.0f} orders of magnitude** larger than the {lstm}'s ‖dL/dc_t‖ "
            "{values}: here the RNN's gradient reaches further back.",
            orders=-apart,
            **names,
        )
        return Verdict("info", text, ":material/info:", False)
    if apart >= 0:
        text = t(
            lang,
            "At {far} the {lstm}'s ‖dL/dc_t‖ is only {times:.3g} times the {rnn}'s ‖dL/dh_t‖ {values}: less than "
            "{visible} orders of magnitude apart, neither gradient outlives the other here.",
            times=10.0**apart,
            **names,
        )
    else:
        text = t(
            lang,
            "At {far} the {rnn}'s ‖dL/dh_t‖ is only {times:.3g} times the {lstm}'s ‖dL/dc_t‖ {values}: less than "
            "{visible} orders of magnitude apart, neither gradient outlives the other here.",
            times=10.0**-apart,
            **names,
        )
    if who.random:
        why = t(
            lang,
            "These random weights keep the forget gates near 0.5 (they average {forget:.2f} here), so the LSTM's "
            "cell gradient shrinks at every step too. Trained LSTMs race trained RNNs on the tasks in the table under "
            "the chart.",
            forget=reach.forget_mean,
        )
        text = sentences(lang, text, why)
    return Verdict("info", text, ":material/info:", False)


def bias_caption(
    effect: BiasEffect | None, run: Run, opp: Opponent, href: Callable[[str], str], lang: str = "en"
) -> str:
    """What a forget-bias shift does to the run's LSTM, measured, and the lesson that follows, in Markdown.

    Args:
        effect: The measured effect (``server.gradients.forget_bias_effect``), or None for an LSTM without biases.
        run: The run shown.
        opp: The RNN it races (which says how the LSTM was made).
        href: The link that trains the run's task here from initial forget bias ``c`` (as the sidebar names it).
        lang: The reader's language.
    """
    if effect is None:
        return t(lang, "This LSTM has no biases (bias=False): there is no forget bias to shift.")
    recipe = recipe_of(run)
    if abs(effect.orders) < SAME_ORDERS:
        way = t(lang, "{orders:.1f} orders of magnitude: about as far back", orders=abs(effect.orders))
    elif effect.orders > 0:
        way = t(lang, "{orders:.1f} orders of magnitude larger: it reaches further back", orders=effect.orders)
    else:
        way = t(lang, "{orders:.1f} orders of magnitude smaller: it reaches less far back", orders=-effect.orders)
    metric = ""
    if recipe is not None and effect.metric_before is not None and effect.metric_after is not None:
        before = metric_words(recipe.task, effect.metric_before, lang)
        if same_metric(effect.metric_before, effect.metric_after) and effect.preview:
            metric = t(lang, "; its {metric} would stay the same", metric=before)
        elif same_metric(effect.metric_before, effect.metric_after):
            metric = t(lang, "; its {metric} stays the same", metric=before)
        elif effect.preview:
            metric = t(lang, "; its {metric} would become {after:.3f}", metric=before, after=effect.metric_after)
        else:
            metric = t(lang, "; its {metric} becomes {after:.3f}", metric=before, after=effect.metric_after)
    values = dict(
        shift=effect.shift,
        forget_before=effect.forget_before,
        forget_after=effect.forget_after,
        step=effect.step,
        before=effect.before,
        after=effect.after,
        way=way,
        metric=metric,
    )
    if effect.preview:
        measured = t(
            lang,
            "**Measured on these weights:** a forget-bias shift of {shift:+g} would move the forget gates from "
            "{forget_before:.2f} to {forget_after:.2f} on average and the LSTM's ‖dL/dc‖ at t = {step} from "
            "{before:.2e} to {after:.2e}, {way}{metric}.",
            **values,
        )
    else:
        measured = t(
            lang,
            "**Measured on these weights:** the forget-bias shift of {shift:+g} moves the forget gates from "
            "{forget_before:.2f} to {forget_after:.2f} on average and the LSTM's ‖dL/dc‖ at t = {step} from "
            "{before:.2e} to {after:.2e}, {way}{metric}.",
            **values,
        )
    return sentences(lang, measured, *bias_lesson(effect, recipe, opp, href, lang))


def bias_lesson(
    effect: BiasEffect, recipe: Recipe | None, opp: Opponent, href: Callable[[str], str], lang: str = "en"
) -> list[str]:
    """What the measured effect teaches, sentence by sentence (none when it teaches nothing).

    On untrained weights a shift that lengthens the reach shows the forget-bias lesson; on trained weights a
    shift that does not, or that costs the task's metric, shows that a forget bias belongs before training, with
    links to train from other initial biases where the run is not already a live training.
    """
    live = opp.lstm_source == "trained here"
    said = []
    if effect.orders >= SAME_ORDERS and opp.lstm_trained is False:
        said.append(
            t(lang, "The forget-bias lesson holds here: forget gates nearer 1 let the cell's gradient last longer.")
        )
    elif opp.lstm_trained and (
        effect.orders < SAME_ORDERS
        or (recipe is not None and costs_metric(recipe.task, effect.metric_before, effect.metric_after))
    ):
        if live:
            said.append(
                t(
                    lang,
                    "Trained weights are fitted to the bias they were trained with: shifting it afterwards changes "
                    "what they compute, not only how far they remember. A forget bias belongs before training: "
                    "trainings from other initial biases are compared below.",
                )
            )
        else:
            said.append(
                t(
                    lang,
                    "Trained weights are fitted to the bias they were trained with: shifting it afterwards changes "
                    "what they compute, not only how far they remember. A forget bias belongs before training.",
                )
            )
    if opp.lstm_trained and not live and recipe is not None and recipe.task.hidden_size in HIDDEN_CHOICES:
        links = " · ".join(f"[{c}]({href(c)})" for c in other_biases(recipe.forget_bias))
        said.append(
            t(
                lang,
                "Train it here from another initial forget bias (the same H, seed and steps) and compare: {links}",
                links=links,
            )
        )
    return said


def layer_words(layer: int, reverse: bool, lang: str = "en") -> str:
    """'layer 0 forward', for figure titles."""
    if reverse:
        return t(lang, "layer {layer} reverse", layer=layer)
    return t(lang, "layer {layer} forward", layer=layer)


def where_words(layer: int, reverse: bool, batch_item: int, lang: str = "en") -> str:
    """'layer 0 forward, batch item 1', for figure titles (as ``figures.base.record_label`` says it)."""
    if reverse:
        return t(lang, "layer {layer} reverse, batch item {batch_item}", layer=layer, batch_item=batch_item)
    return t(lang, "layer {layer} forward, batch item {batch_item}", layer=layer, batch_item=batch_item)


def shift_words(shift: float, lang: str = "en") -> str:
    """', forget bias +3' after a figure's title when the forget bias is shifted; nothing when it is not."""
    return t(lang, ", forget bias {shift:+g}", shift=shift) if shift else ""


def norms_title(who: Runners, layer: int, reverse: bool, batch_item: int, shift: float = 0.0, lang: str = "en") -> str:
    """The norms chart's title: the race's runners, where it is read, and the forget-bias shift."""
    return t(
        lang,
        "How far back the gradient reaches: {lstm} vs {rnn}, {where}{shift}",
        lstm=t(lang, LSTM_NAMES[who.lstm]),
        rnn=t(lang, PLAIN_RNN_NAMES[who.rnn]),
        where=where_words(layer, reverse, batch_item, lang),
        shift=shift_words(shift, lang),
    )


def heat_title(which: str, who: Runners, lang: str = "en") -> tuple[str, str]:
    """A gradient heatmap's quantity and title: ``which`` is ``"c"`` or ``"h"`` (the LSTM's) or ``"rnn"``."""
    if which == "rnn":
        return "dL/dh_t", t(lang, RNN_HEATMAPS[who.rnn])
    name, title = HEATMAPS[which]
    return name, t(lang, title)


def heat_detail(layer: int, reverse: bool, batch_item: int, shift: float = 0.0, lang: str = "en") -> str:
    """A heatmap's second title line: where it is read, and the forget-bias shift."""
    return where_words(layer, reverse, batch_item, lang) + shift_words(shift, lang)


def saturation_title(layer: int, reverse: bool, shift: float = 0.0, lang: str = "en") -> str:
    """The saturation chart's title."""
    return t(
        lang,
        "Saturated gates, {layer}{shift}",
        layer=layer_words(layer, reverse, lang),
        shift=shift_words(shift, lang),
    )


def trajectory_title(state: str, layer: int, reverse: bool, lang: str = "en") -> str:
    """The PCA trajectories' title; ``state`` is ``"h"`` or ``"c"``."""
    return t(
        lang,
        "{state} over time, first two principal components, {layer}, every batch item",
        state=state,
        layer=layer_words(layer, reverse, lang),
    )


def unit_lines_title(layer: int, reverse: bool, batch_item: int, lang: str = "en") -> str:
    """The chosen units' lines' title."""
    return t(lang, "c and h of chosen units, {where}", where=where_words(layer, reverse, batch_item, lang))


def loss_choices(task_run: bool, lang: str = "en") -> dict[str, str]:
    """The losses a picker offers, kind -> short name: the task's own only on a trained task's run."""
    kinds = [*LOSSES, TASK_LOSS] if task_run else list(LOSSES)
    return {k: t(lang, LOSS_NAMES[k]) for k in kinds}


def loss_caption(flow: GradientFlow, task: tasks.Task | None, lang: str = "en") -> str:
    """The loss the chart backpropagates, its values for both runners, and how its gradient enters."""
    if flow.loss.kind != TASK_LOSS or task is None:
        return t(
            lang,
            "Loss: {loss}. Every gradient here is computed by hand and proven equal to autograd.",
            loss=t(lang, LOSSES[flow.loss.kind]),
        )
    values = dict(loss=flow.loss.description, value=flow.loss.value, rnn=flow.rnn_loss)
    if task.regression:
        return t(
            lang,
            "Loss: {loss}. L = {value:.4g} for the LSTM; the RNN's h through its own read-out gives L = {rnn:.4g}. At "
            "a scored step, dL/dy_t = 2 (prediction − target) / N · W_head, 0 elsewhere. Every gradient here is "
            "computed by hand and proven equal to autograd.",
            **values,
        )
    return t(
        lang,
        "Loss: {loss}. L = {value:.4g} for the LSTM; the RNN's h through its own read-out gives L = {rnn:.4g}. At a "
        "scored step, dL/dy_t = (softmax − one-hot) / N · W_head, 0 elsewhere. Every gradient here is computed by "
        "hand and proven equal to autograd.",
        **values,
    )


def view_title(loss: Loss, lang: str = "en") -> str:
    """A composed Gradient flow figure's title (a notebook's): the loss and its value, HTML."""
    return t(lang, "<b>Gradient flow</b>: {loss}; L = {value:.4g}", loss=loss.description, value=loss.value)


def race_table(races: Iterable[TaskRace], href: Callable[[str], str], lang: str = "en") -> str:
    """Every task's shipped race as a Markdown table; each task's title links to ``href(name)``."""
    rows = [
        t(lang, "| task | metric | LSTM | plain RNN | LSTM ‖dL/dc_0‖ | RNN ‖dL/dh_0‖ | orders apart at t = 0 |"),
        "|---|---|---|---|--:|--:|--:|",
    ]
    for row in races:
        task = tasks.get(row.task)
        name = metric_name(task, lang)
        if not task.higher_is_better:
            name = t(lang, "{metric} (lower is better)", metric=name)
        title = f"[{t(lang, task.title)}]({href(row.task)})"
        rows.append(
            f"| {title} | {name} | {row.lstm_metric:.3f} | {row.rnn_metric:.3f} | {row.lstm_far:.2e} | "
            f"{row.rnn_far:.2e} | {row.orders:+.1f} |"
        )
    return "\n".join(rows)


def siblings_caption(far: int, lang: str = "en") -> str:
    """What the list of trainings from other initial forget biases shows."""
    return t(
        lang,
        "The same task, H and seed trained here from other initial forget biases, on the same sequences: the LSTM's "
        "‖dL/dc‖ at t = {far} and the task metric of each.",
        far=far,
    )


def sibling_lines(siblings: Iterable[BiasSibling], task: tasks.Task, lang: str = "en") -> str:
    """Each training from another initial forget bias as a Markdown list item: its reach and its metric."""
    lines = []
    for s in siblings:
        values = dict(bias=bias_words(s.forget_bias), reach=s.reach, metric=metric_words(task, s.metric, lang))
        if s.current:
            lines.append(t(lang, "- initial forget bias {bias} (this one): ‖dL/dc‖ {reach:.2e}, {metric}", **values))
        else:
            lines.append(t(lang, "- initial forget bias {bias}: ‖dL/dc‖ {reach:.2e}, {metric}", **values))
    return "\n".join(lines)


def sibling_links(
    siblings: Iterable[BiasSibling], href: Callable[[str], str], lang: str = "en"
) -> list[tuple[str, str, str, bool]]:
    """A link (label, href, help, primary) that trains from each initial forget bias not trained yet."""
    trained = {s.forget_bias for s in siblings}
    help_words = t(lang, "A live training on this server, shared with everyone who asks for the same.")
    return [
        (t(lang, "train from forget bias {bias}", bias=c), href(c), help_words, False)
        for c in OTHER_BIASES
        if float(c) not in trained
    ]
