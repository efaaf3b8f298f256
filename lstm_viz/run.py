"""One explorer run: a model source plus an input plus edits, traced by hand and compared with ``nn.LSTM``."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import torch

from lstm_viz import tasks
from lstm_viz.build import Built, build, text_symbols
from lstm_viz.config import LSTMConfig
from lstm_viz.edits import Edits, apply_edits
from lstm_viz.reference import Comparison, compare
from lstm_viz.tasks.base import Batch
from lstm_viz.tasks.jobs import TrainKey, trainer
from lstm_viz.tasks.model import TaskModel, init_model
from lstm_viz.tasks.units import GateFact, UnitScore, gate_facts, tracking_sentence, unit_scores
from lstm_viz.trace import LSTMTrace, trace

WEIGHT_SOURCES = ("shipped", "trained here", "untrained")
"""Where a task's weights come from: the file in the repo, a live training on this server, or the initial draw."""

FINDER_SEED = 20_000
"""Seed of the fresh sequences the unit finder measures on: never trained on, never the ones on screen."""
FINDER_BATCH = 64


@dataclass(frozen=True)
class TaskSource:
    """A built-in task's model as the source of a run.

    Attributes:
        task: The task's name (``lstm_viz.tasks.names()``).
        weights: One of ``WEIGHT_SOURCES``.
        hidden_size: H of a live or untrained model; 0 means the task's default (the shipped size).
        seed: Seed of a live training or of the untrained draw.
        forget_bias: Initial forget-gate bias of a live or untrained model; None means the task's.
    """

    task: str
    weights: str = "shipped"
    hidden_size: int = 0
    seed: int = 0
    forget_bias: float | None = None

    def __post_init__(self) -> None:
        tasks.get(self.task)
        if self.weights not in WEIGHT_SOURCES:
            raise ValueError(f"weights {self.weights!r} is not one of {', '.join(WEIGHT_SOURCES)}")
        if self.weights != "shipped":
            self.train_key()

    def train_key(self) -> TrainKey:
        """The training this source names (validated: sizes, seed and bias within their limits)."""
        task = tasks.get(self.task)
        bias = task.forget_bias if self.forget_bias is None else self.forget_bias
        return TrainKey(self.task, self.hidden_size or task.hidden_size, self.seed, float(bias))

    def describe(self) -> str:
        """Words for the source, e.g. 'bracket depth, shipped weights'."""
        title = tasks.get(self.task).title
        if self.weights == "shipped":
            return f"{title}, shipped weights"
        k = self.train_key()
        what = "trained on this server" if self.weights == "trained here" else "untrained (initial weights)"
        return f"{title}, {what}: H {k.hidden_size}, seed {k.seed}, initial forget bias {k.forget_bias:+g}"


def task_model(source: TaskSource) -> TaskModel:
    """The model a task source names, unedited.

    Raises:
        LookupError: for a live training that has not finished (submit it with ``trainer()`` first).
    """
    if source.weights == "shipped":
        return tasks.pretrained(source.task)
    key = source.train_key()
    if source.weights == "untrained":
        return init_model(tasks.get(key.task), key.hidden_size, key.seed, key.forget_bias)
    job = trainer().get(key)
    if job is None or job.model is None:
        raise LookupError(f"the training {key} has not finished")
    return job.model


@dataclass(frozen=True)
class RunSpec:
    """Everything that decides a run; hashable, so the server computes each one once for every session.

    Attributes:
        config: Sizes, input and dtype; for a task run, batch, seq_len, seed (of the sequences) and dtype
            are used and the sizes come from the task's model.
        task: The task whose model is shown, or None for random weights drawn from ``config.seed``.
        edits: Weight experiments applied to the model before both forwards.
    """

    config: LSTMConfig
    task: TaskSource | None = None
    edits: Edits = field(default_factory=Edits)

    def with_config(self, **changes: object) -> RunSpec:
        """The same model and edits with some ``LSTMConfig`` fields changed (e.g. ``dtype``)."""
        return RunSpec(self.config.replace(**changes), self.task, self.edits)


def check_spec(spec: RunSpec) -> None:
    """Refuse, before anything runs, what a spec's model and input cannot do.

    Raises:
        ValueError: a bias edit on an LSTM without biases, or sequences too short for the task.
    """
    spec.edits.check(bias=True if spec.task is not None else spec.config.bias)
    if spec.task is not None:
        task = tasks.get(spec.task.task)
        if spec.config.seq_len < task.min_steps:
            raise ValueError(f"{task.title} needs a sequence length of at least {task.min_steps}")


@dataclass(frozen=True)
class TaskView:
    """What a task run knows beyond the LSTM: its sequences, its metric and the units that carry its memory.

    Attributes:
        model: The task's model, unedited (its ``info`` says where it came from and what it reached).
        batch: The sequences on screen with their latent variable.
        metric: The task metric of the model as shown (edits applied), on fresh sequences.
        metric_unedited: The same for the unedited model.
        outside: Why the sequences on screen lie outside the trained range, or None.
        metric_here: The metric at the length on screen when outside the trained range.
        scores: Every unit's correlation with the latent on fresh sequences, best first (model as shown).
        untrained_scores: The same measure on the untrained model of the same size and seed.
        facts: What each gate of the best unit does in each phase of the task.
    """

    model: TaskModel
    batch: Batch
    metric: float
    metric_unedited: float
    outside: str | None
    metric_here: float | None
    scores: list[UnitScore]
    untrained_scores: list[UnitScore]
    facts: list[GateFact]

    @property
    def best(self) -> UnitScore:
        """The unit whose state follows the latent variable most closely."""
        return self.scores[0]

    @property
    def finding(self) -> str:
        """The best unit in words, beside the same measure on the untrained weights."""
        words = tracking_sentence(self.best, self.model.task.latent_name)
        return f"{words}; before training the best unit scored r = {self.untrained_best.r:+.2f}"

    @property
    def untrained_best(self) -> UnitScore:
        """The best unit of the untrained model: what training added is the difference."""
        return self.untrained_scores[0]


@dataclass(frozen=True)
class Run:
    """Everything a page shows for one spec; read-only, shared between sessions by the cache."""

    spec: RunSpec
    config: LSTMConfig
    built: Built
    trace: LSTMTrace
    comparison: Comparison
    trace_ms: float
    reference_ms: float
    source: str
    step_labels: tuple[tuple[str, ...], ...] | None = None
    task: TaskView | None = None

    @property
    def highlight(self) -> tuple[int, ...]:
        """Units worth outlining on every heatmap: the one that carries a task's memory, if any."""
        return () if self.task is None else (self.task.best.unit,)

    def labels(self, batch_item: int) -> list[str] | None:
        """The input symbol at every step of one sequence, for time axes; None where inputs are not symbols."""
        return None if self.step_labels is None else list(self.step_labels[batch_item])


def _explain(model: TaskModel, lstm: torch.nn.LSTM, shown: Batch, seq_len: int) -> TaskView:
    task = model.task
    fresh = model.batch(FINDER_BATCH, FINDER_SEED)
    x = fresh.x.to(lstm.weight_ih_l0.dtype)
    rec = trace(lstm, x).layer(0)
    scores = unit_scores(rec, fresh.latent)
    untrained = init_model(
        task, lstm.hidden_size, int(model.info.get("seed", 0)), float(model.info.get("forget_bias", 0.0))
    )
    untrained_scores = unit_scores(trace(untrained.lstm, fresh.x).layer(0), fresh.latent)
    outside = task.trained_range(shown)
    return TaskView(
        model=model,
        batch=shown,
        metric=model.evaluate(lstm),
        metric_unedited=model.evaluate(),
        outside=outside,
        metric_here=model.evaluate(lstm, seq_len=seq_len) if outside else None,
        scores=scores,
        untrained_scores=untrained_scores,
        facts=gate_facts(rec, scores[0].unit, task.phases(fresh)),
    )


def run(spec: RunSpec | LSTMConfig, model: TaskModel | None = None) -> Run:
    """Build, edit, trace and compare one spec, timing the hand-written and the official forward.

    Args:
        spec: The run; a bare ``LSTMConfig`` means random weights, no edits.
        model: The task model to use instead of looking it up (for a live training the caller holds).

    Raises:
        ValueError: when the spec cannot run (an edit the model does not allow, a sequence too short).
        LookupError: for a task source whose live training has not finished.
    """
    if isinstance(spec, LSTMConfig):
        spec = RunSpec(spec)
    config = spec.config
    dtype = getattr(torch, config.dtype)
    view_model: TaskModel | None = None
    labels = None
    if spec.task is None:
        built = build(config)
        if config.input_kind == "text":
            labels = tuple(tuple(row) for row in text_symbols(config))
        source = f"random weights (seed {config.seed})"
    else:
        view_model = model or task_model(spec.task)
        lstm = view_model.lstm
        config = config.replace(
            input_size=lstm.input_size,
            hidden_size=lstm.hidden_size,
            num_layers=1,
            bidirectional=False,
            proj_size=0,
            bias=True,
            batch_first=True,
            initial_state="zeros",
        )
        shown = view_model.batch(config.batch, config.seed, config.seq_len)
        if lstm.weight_ih_l0.dtype != dtype:
            lstm = copy.deepcopy(lstm).to(dtype)  # a copy: a live training's model is shared by every session
        built = Built(lstm=lstm, input=shown.x.to(dtype), hx=None)
        labels = tuple(tuple(row) for row in view_model.task.labels(shown.tokens))
        source = f"trained task: {spec.task.describe()}"
    lstm = apply_edits(built.lstm, spec.edits)
    built = Built(lstm=lstm, input=built.input, hx=built.hx)
    start = time.perf_counter()
    tr = trace(built.lstm, built.input, built.hx)
    mid = time.perf_counter()
    comparison = compare(built.lstm, built.input, built.hx, tr)
    end = time.perf_counter()
    view = None
    if view_model is not None:
        view = _explain(view_model, built.lstm, shown, config.seq_len)
    if spec.edits.active:
        source += f"; edited: {spec.edits.describe()}"
    return Run(spec, config, built, tr, comparison, (mid - start) * 1e3, (end - mid) * 1e3, source, labels, view)
