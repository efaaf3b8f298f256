"""Gradient flow and the one-step backward of a run, computed once per run spec and arguments for every session."""

from __future__ import annotations

import copy
import dataclasses
import functools
from dataclasses import dataclass

import torch

from lstm_viz import tasks
from lstm_viz.analysis import Saturation, Trajectories, orders_apart, pca_2d, saturation, step_inputs, step_norms
from lstm_viz.backward import Gradients, backward
from lstm_viz.edits import Edits, apply_edits
from lstm_viz.gradient_flow import GradientFlow, gradient_flow
from lstm_viz.i18n import msg
from lstm_viz.losses import Loss, loss_grad
from lstm_viz.run import Run
from lstm_viz.server.cache import ByteLRU, object_bytes
from lstm_viz.tasks.jobs import TrainKey, trainer
from lstm_viz.tasks.losses import TASK_LOSS, task_loss_grad
from lstm_viz.tasks.rnn import RNNTaskModel, has_shipped_rnn, init_rnn, pretrained_rnn, train_rnn
from lstm_viz.tasks.shared import default_cache

GRADIENT_CACHE_BYTES = 512 * 2**20
"""Memory the server gives cached gradients (a flow at the hosting limits is measured in benchmarks/bench_memory)."""


@functools.cache
def gradient_cache() -> ByteLRU:
    """The server's one cache of gradient flows and step backwards, bounded by the bytes of their tensors."""
    return ByteLRU(GRADIENT_CACHE_BYTES, object_bytes)


@dataclass(frozen=True)
class Opponent:
    """The plain tanh RNN that a run's LSTM races on the Gradient flow page, and how each of the two was made.

    Attributes:
        model: The task's RNN (trained like the task's LSTM, or its untrained draw), or None for an untrained
            ``rnn_like`` of the LSTM's sizes (random weights, an uploaded LSTM).
        trained: Whether the RNN was trained.
        lstm_trained: Whether the LSTM was trained (None: an uploaded LSTM, whose training the page cannot know).
        rnn_source: Where the RNN comes from: ``"same seed"`` (untrained, drawn from the random LSTM's seed),
            ``"run seed"`` (untrained, beside an uploaded LSTM), ``"initial"`` (the task's RNN's untrained draw),
            ``"shipped"``, ``"not shipped"`` (untrained: the task ships no RNN) or ``"trained here"``
            (``lstm_viz.words.gradients.RNN_MADE`` says each in words).
        lstm_source: Where the LSTM comes from: ``"random"``, ``"file"``, or a task's weights (``"shipped"``,
            ``"trained here"``, ``"untrained"``).
        metric: The RNN's task metric on the sequences the task's LSTM is scored on (None without a task).
    """

    model: RNNTaskModel | None
    trained: bool
    lstm_trained: bool | None
    rnn_source: str
    lstm_source: str
    metric: float | None = None

    @property
    def fair(self) -> bool:
        """Both trained by one recipe, or both untrained: a race whose outcome says something of the two cells."""
        return self.lstm_trained is not None and self.trained == self.lstm_trained

    @property
    def live(self) -> bool:
        """The LSTM was trained on this server (a live training): trainings from other biases sit beside it."""
        return self.lstm_source == "trained here"


def opponent_for(run: Run) -> Opponent:
    """The RNN the run's LSTM races, made once per run spec for every session (a live one trained on demand).

    A shipped task model races the task's shipped RNN (``scripts/make_task_weights.py`` trains both by one
    recipe); a task model trained on this server races an RNN trained here with its H, seed and steps (seconds:
    the live sizes are small; on one thread, after any training this process runs); untrained task weights race
    the RNN's untrained draw from the same seed; random weights and uploaded LSTMs race an untrained
    ``rnn_like`` of their sizes, drawn from the run's seed.
    """
    return gradient_cache().get_or_make(("opponent", run.spec), lambda: _opponent(run))


def _opponent(run: Run) -> Opponent:
    recipe = run.spec.source.recipe()
    if recipe.task is None:
        if recipe.how == "unknown":
            return Opponent(None, False, None, "run seed", "file")
        return Opponent(None, False, False, "same seed", "random")
    task = tasks.get(recipe.task)
    info = run.explanation.model.info if run.explanation is not None else {}
    hidden, seed = int(info.get("hidden_size", task.hidden_size)), int(info.get("seed", 0))
    steps = int(info.get("steps", task.full_steps))
    if recipe.how == "untrained":
        model = init_rnn(task, hidden, seed)
        metric = _metric(("rnn-metric", task.name, hidden, seed), model)
        return Opponent(model, False, False, "initial", "untrained", metric)
    if recipe.how == "shipped" and has_shipped_rnn(task.name):
        model = pretrained_rnn(task.name)
        return Opponent(model, True, True, "shipped", "shipped", float(model.info["metric"]))
    if recipe.how == "shipped":
        model = init_rnn(task, hidden, seed)
        metric = _metric(("rnn-metric", task.name, hidden, seed), model)
        return Opponent(model, False, True, "not shipped", "shipped", metric)
    model = gradient_cache().get_or_make(
        ("rnn", task.name, hidden, seed, steps), lambda: train_rnn(task, hidden, seed, steps)
    )
    return Opponent(model, True, True, "trained here", "trained here", float(model.info["metric"]))


def _metric(key: tuple, model: RNNTaskModel) -> float:
    """An untrained RNN's task metric, measured once per process."""
    return float(gradient_cache().get_or_make(key, lambda: _Boxed(model.evaluate())).value)


@dataclass(frozen=True)
class _Boxed:
    """A plain value in the byte-bounded cache (which counts tensors; a float weighs nothing)."""

    value: object


def flow_for(run: Run, kind: str, unit: int | None, forget_bias: float = 0.0) -> GradientFlow:
    """The Gradient flow page's computation for one run: ``gradient_flow`` with the page's arguments, cached.

    The same numbers as calling ``gradient_flow`` directly on the run's LSTM (with ``forget_bias`` added to
    b_if by ``apply_edits`` when it is not 0), its input and initial state, against the RNN ``opponent_for``
    gives; the run's task model and sequences feed ``TASK_LOSS``. Keyed by ``run.spec`` and the arguments, so
    every session showing the same run and loss shares one result. The result is shared: read it, do not
    write to it.

    Raises:
        ValueError: as ``gradient_flow`` does (e.g. ``TASK_LOSS`` on a run without a task).
    """
    key = ("flow", run.spec, kind, unit, float(forget_bias))

    def make() -> GradientFlow:
        lstm = apply_edits(run.built.lstm, Edits(forget_bias=forget_bias)) if forget_bias else run.built.lstm
        task, batch = (run.explanation.model, run.explanation.batch) if run.explanation is not None else (None, None)
        rnn = opponent_for(run).model
        return gradient_flow(lstm, run.built.input, run.built.hx, kind, unit, run.config.seed, task, batch, rnn)

    return gradient_cache().get_or_make(key, make)


def shifted_metric(run: Run, forget_bias: float) -> float | None:
    """The task metric of the run's LSTM with ``forget_bias`` added to b_if (None without a task), cached."""
    if run.explanation is None:
        return None
    if not forget_bias:
        return run.explanation.metric

    def make() -> _Boxed:
        lstm = apply_edits(run.built.lstm, Edits(forget_bias=forget_bias))
        return _Boxed(run.explanation.model.evaluate(lstm))

    return gradient_cache().get_or_make(("shifted-metric", run.spec, float(forget_bias)), make).value


PREVIEW_SHIFT = 2.0
"""The forget-bias shift whose effect the page measures and states while its control sits at 0."""


@dataclass(frozen=True)
class Record:
    """Which gradient the page reads: the loss, its output unit, the layer and direction, and the batch item."""

    kind: str
    unit: int | None
    layer: int = 0
    reverse: bool = False
    batch_item: int = 0


@dataclass(frozen=True)
class BiasEffect:
    """What adding ``shift`` to b_if does to the run's LSTM, measured.

    ``before`` and ``after`` are the LSTM's ‖dL/dc‖ at the step farthest from the loss (t = 0 forward, the
    last step in reverse) without and with the shift; ``orders`` is log10(after / before), positive where the
    gradient reaches further back; ``forget_*`` the mean forget gate of the record's batch item (every unit and
    step); the metrics are the task's (None without a task). ``preview`` marks the effect of ``PREVIEW_SHIFT``
    measured while the page's own shift is 0 (what a shift would do).
    """

    shift: float
    step: int
    before: float
    after: float
    orders: float
    forget_before: float
    forget_after: float
    metric_before: float | None
    metric_after: float | None
    preview: bool = False


def far_step(run: Run, reverse: bool) -> int:
    """The step farthest from a loss at the end of the sequence: t = 0, or the last step in reverse."""
    return run.config.seq_len - 1 if reverse else 0


def cell_reach(flow: GradientFlow, run: Run, at: Record) -> float:
    """The LSTM's ‖dL/dc‖ at the far step of the record ``at`` reads."""
    dc = flow.grads.layer(at.layer, at.reverse).dc
    return float(step_norms(dc, at.batch_item)[far_step(run, at.reverse)])


def bias_effect(run: Run, at: Record, shift: float) -> BiasEffect:
    """The measured effect of a forget-bias shift on how far back the LSTM's cell gradient reaches, and its metric.

    Raises:
        ValueError: for an LSTM without biases, or as ``flow_for`` does.
    """
    if not run.built.lstm.bias:
        raise ValueError(msg("this LSTM has no biases (bias=False): there is no forget bias to shift"))
    flows = flow_for(run, at.kind, at.unit), flow_for(run, at.kind, at.unit, shift)
    before, after = (cell_reach(f, run, at) for f in flows)
    forget = [float(f.trace.layer(at.layer, at.reverse).f[at.batch_item].mean()) for f in flows]
    return BiasEffect(
        shift,
        far_step(run, at.reverse),
        before,
        after,
        orders_apart(torch.tensor([after]), torch.tensor([before]), 0),
        *forget,
        shifted_metric(run, 0.0),
        shifted_metric(run, shift),
    )


def forget_bias_effect(run: Run, at: Record, shift: float) -> BiasEffect | None:
    """The effect the page states: of its shift, or (while its shift is 0) of ``PREVIEW_SHIFT``; None without biases.

    Raises:
        ValueError: as ``flow_for`` does.
    """
    if not run.built.lstm.bias:
        return None
    if shift:
        return bias_effect(run, at, shift)
    return dataclasses.replace(bias_effect(run, at, PREVIEW_SHIFT), preview=True)


def loss_unit(kind: str, pick: int | str) -> int | None:
    """The output unit a loss reads, from the page's unit picker: None for ``"all"`` and for the task's loss."""
    return None if pick == "all" or kind == TASK_LOSS else int(pick)


def gate_saturation(flow: GradientFlow, layer: int, reverse: bool) -> dict[str, Saturation]:
    """How often each gate of each unit is shut or open in the flow's forward (its forget-bias shift applied)."""
    return saturation(flow.trace.layer(layer, reverse))


def state_trajectories(
    run: Run, flow: GradientFlow, layer: int, reverse: bool, state: str
) -> tuple[Trajectories, list[list[str]]]:
    """Every batch item's ``state`` (``"h"`` or ``"c"``) through its first two principal components, and its inputs.

    Each step's input is in words for the hover: its symbol where the run's inputs have them, else its values.

    Shapes:
        the trajectories' coords [B, T, 2]; the inputs ``[B][T]``.
    """
    labels = None if run.step_labels is None else [run.labels(k) for k in range(run.config.batch)]
    return pca_2d(getattr(flow.trace.layer(layer, reverse), state)), step_inputs(run.trace.layer(0).x, labels)


@dataclass(frozen=True)
class BiasSibling:
    """A model trained here like the run's, from another initial forget bias: how far its cell gradient reaches.

    ``reach`` is its ‖dL/dc‖ at the far step on the run's sequences (the run's edits applied, same loss), and
    ``metric`` its task metric; ``current`` marks the run's own model.
    """

    forget_bias: float
    current: bool
    reach: float
    metric: float


def bias_siblings(run: Run, at: Record, biases: tuple[float, ...]) -> list[BiasSibling]:
    """The run's live-trained model beside finished live trainings from the other initial forget biases in ``biases``.

    Each has the run's task, H and seed and is measured on the run's sequences; ordered by bias. Only trainings
    already finished on this server are read (this worker's or the server's shared cache): nothing is trained.
    Empty for a run that is not a live training.
    """
    recipe = run.spec.source.recipe()
    if recipe.how != "trained here" or recipe.key is None or run.explanation is None:
        return []
    key = recipe.key
    reach = cell_reach(flow_for(run, at.kind, at.unit), run, at)
    out = [BiasSibling(key.forget_bias, True, reach, run.explanation.metric)]
    for bias in sorted(set(biases) - {key.forget_bias}):
        other = TrainKey(key.task, key.hidden_size, key.seed, float(bias))
        job = trainer().get(other)
        model = job.model if job is not None and job.model is not None else default_cache().load(other)
        if model is None:
            continue

        def make(model: tasks.TaskModel = model, bias: float = bias) -> _Boxed:
            # A copy: a finished training's model is shared by every session of this worker.
            lstm = apply_edits(copy.deepcopy(model.lstm), run.spec.edits).to(run.built.input.dtype)
            flow = gradient_flow(lstm, run.built.input, run.built.hx, at.kind, at.unit, 0, model, run.explanation.batch)
            return _Boxed((cell_reach(flow, run, at), float(model.info["metric"])))

        reach, metric = gradient_cache().get_or_make(("sibling", run.spec, at, float(bias)), make).value
        out.append(BiasSibling(float(bias), False, reach, metric))
    return sorted(out, key=lambda s: s.forget_bias)


@dataclass(frozen=True)
class TaskRace:
    """One task's shipped LSTM against its shipped RNN: both metrics and how far back each gradient reaches.

    ``lstm_far`` is the LSTM's ‖dL/dc_0‖ and ``rnn_far`` the RNN's ‖dL/dh_0‖ for the last step's summed output
    (``"last"``) on the first of the task's default sequences; ``orders`` is log10 of their ratio.
    """

    task: str
    lstm_metric: float
    rnn_metric: float
    lstm_far: float
    rnn_far: float
    orders: float


RACE_BATCH = 4
"""Sequences of a task's default view (``lstm_viz.settings.TASK_BATCH``): the race table reads their first."""


@functools.cache
def task_races() -> tuple[TaskRace, ...]:
    """Every task with a shipped RNN, raced on its default view (seed 0, its own length), once per process."""
    rows = []
    for name in tasks.names():
        if not has_shipped_rnn(name):
            continue
        lstm_model, rnn_model = tasks.pretrained(name), pretrained_rnn(name)
        # The first sequence alone: each sequence's gradients depend on it alone (the loss sums over the batch).
        x = lstm_model.batch(RACE_BATCH, 0).x[:1].to(lstm_model.dtype)
        flow = gradient_flow(lstm_model.lstm, x, None, "last", None, 0, rnn_model=rnn_model)
        dc, dh = step_norms(flow.grads.layer(0).dc, 0), step_norms(flow.rnn.layer_dh(0), 0)
        rows.append(
            TaskRace(
                name,
                float(lstm_model.info["metric"]),
                float(rnn_model.info["metric"]),
                float(dc[0]),
                float(dh[0]),
                orders_apart(dc, dh, 0),
            )
        )
    return tuple(rows)


def step_backward(run: Run, kind: str) -> tuple[Loss, Gradients]:
    """The Step page's backward for one run: the loss (``loss_grad`` or the task's) and ``backward``, cached.

    The same numbers as ``backward(run.trace, loss.grad_output)``; keyed by ``run.spec`` and ``kind`` so the
    step and unit pickers, which only read different entries, never recompute it. Shared: read, do not write.

    Raises:
        ValueError: as ``loss_grad`` / ``task_loss_grad`` do.
    """

    def make() -> tuple[Loss, Gradients]:
        if kind == TASK_LOSS:
            if run.explanation is None:
                raise ValueError(msg("the task's loss needs a trained task's run"))
            loss = task_loss_grad(run.trace, run.explanation.model, run.explanation.batch)
        else:
            loss = loss_grad(run.trace, kind)
        return loss, backward(run.trace, loss.grad_output)

    return gradient_cache().get_or_make(("step", run.spec, kind), make)
