"""One explorer run: a model source plus an input plus edits, traced by hand and compared with ``nn.LSTM``."""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass, field

import torch

from lstm_viz import tasks, uploads
from lstm_viz.build import DRAWS, Built, build, text_symbols
from lstm_viz.config import LSTMConfig
from lstm_viz.edits import Edits, apply_edits
from lstm_viz.reference import Comparison, compare
from lstm_viz.tasks.base import Batch
from lstm_viz.tasks.jobs import TrainKey, trainer
from lstm_viz.tasks.model import TaskModel, init_model
from lstm_viz.tasks.units import GateFact, UnitScore, gate_facts, tracking_sentence, unit_scores
from lstm_viz.trace import LSTMTrace, trace
from lstm_viz.weights import FoundLSTM

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
class FileSource:
    """One LSTM of an uploaded file, named by the file's digest and the LSTM's prefix inside it."""

    digest: str
    prefix: str
    filename: str

    def found(self) -> FoundLSTM:
        """The LSTM as read from the file.

        Raises:
            LookupError: when the server no longer holds the upload.
        """
        item = uploads.store().get(self.digest)
        if not isinstance(item, uploads.UploadedModel):
            raise LookupError("the uploaded model is no longer on the server: upload it again")
        return item.lstm(self.prefix)

    def describe(self) -> str:
        """Words for the source, e.g. 'tagger.pt, the LSTM at encoder.rnn'."""
        return f"{self.filename}, the LSTM at {self.prefix or 'the top level'}"


@dataclass(frozen=True)
class RunSpec:
    """Everything that decides a run; hashable, so the server computes each one once for every session.

    Attributes:
        config: Sizes, input and dtype; for a task run, batch, seq_len, seed (of the sequences) and dtype
            are used and the sizes come from the task's model.
        task: The task whose model is shown, or None for random weights drawn from ``config.seed``.
        edits: Weight experiments applied to the model before both forwards.
        file: An uploaded file's LSTM shown instead of random weights (sizes from the file), or None.
        data: Digest of the user's own input sequences (``lstm_viz.uploads``), or None for generated ones.
        draw: How random weights, input and hx are drawn from the seed (``lstm_viz.build.DRAWS``):
            ``"tutorial"`` draws exactly as the tutorial's code does after ``torch.manual_seed(seed)``.
    """

    config: LSTMConfig
    task: TaskSource | None = None
    edits: Edits = field(default_factory=Edits)
    file: FileSource | None = None
    data: str | None = None
    draw: str = "explorer"

    def __post_init__(self) -> None:
        if self.draw not in DRAWS:
            raise ValueError(f"draw = {self.draw!r} is not one of {', '.join(DRAWS)}")

    def with_config(self, **changes: object) -> RunSpec:
        """The same model, input and edits with some ``LSTMConfig`` fields changed (e.g. ``dtype``)."""
        return dataclasses.replace(self, config=self.config.replace(**changes))


def check_spec(spec: RunSpec) -> None:
    """Refuse, before anything runs, what a spec's model and input cannot do.

    Raises:
        ValueError: a bias edit on an LSTM without biases, sequences too short for the task, or the user's own
            input of the wrong width or beyond the hosting limits.
        LookupError: when the user's input is no longer on the server.
    """
    spec.edits.check(bias=True if spec.task is not None else spec.config.bias)
    if spec.data is not None:
        item = uploads.store().get(spec.data)
        batch, steps, width = item.x.shape
        if width != spec.config.input_size:
            raise ValueError(f"your input has {width} values per step, and this LSTM takes {spec.config.input_size}")
        spec.config.replace(batch=batch, seq_len=steps)  # validates against the hosting limits
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
    metric = model.evaluate(lstm)
    return TaskView(
        model=model,
        batch=shown,
        metric=metric,
        # Unedited and in its own dtype, the model shown is the model itself: no second evaluation.
        metric_unedited=metric if lstm is model.lstm else model.evaluate(),
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
        ValueError: when the spec cannot run (an edit the model does not allow, a sequence too short, an
            input of the wrong width).
        LookupError: for a task source whose live training has not finished, or an upload the server dropped.
    """
    if isinstance(spec, LSTMConfig):
        spec = RunSpec(spec)
    view_model: TaskModel | None = None
    shown: Batch | None = None
    if spec.task is not None:
        view_model = model or task_model(spec.task)
        config, built, labels, shown = _task_inputs(spec.config, view_model)
        source = f"trained task: {spec.task.describe()}"
    else:
        config, built, labels = _own_inputs(spec)
        if spec.file is not None:
            source = f"uploaded: {spec.file.describe()}"
        elif spec.draw == "tutorial":
            source = f"random weights drawn as the tutorial does after torch.manual_seed({config.seed})"
        else:
            source = f"random weights (seed {config.seed})"
    lstm = apply_edits(built.lstm, spec.edits)
    built = Built(lstm=lstm, input=built.input, hx=built.hx)
    start = time.perf_counter()
    tr = trace(built.lstm, built.input, built.hx)
    mid = time.perf_counter()
    comparison = compare(built.lstm, built.input, built.hx, tr)
    end = time.perf_counter()
    view = None
    if view_model is not None and shown is not None:
        view = _explain(view_model, built.lstm, shown, config.seq_len)
    if spec.edits.active:
        source += f"; edited: {spec.edits.describe()}"
    return Run(spec, config, built, tr, comparison, (mid - start) * 1e3, (end - mid) * 1e3, source, labels, view)


Labels = tuple[tuple[str, ...], ...] | None


def _task_inputs(config: LSTMConfig, model: TaskModel) -> tuple[LSTMConfig, Built, Labels, Batch]:
    """A task model on its own sequences: the sizes are the model's, the sequences the task's."""
    lstm = model.lstm
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
    dtype = getattr(torch, config.dtype)
    shown = model.batch(config.batch, config.seed, config.seq_len)
    if lstm.weight_ih_l0.dtype != dtype:
        lstm = copy.deepcopy(lstm).to(dtype)  # a copy: a live training's model is shared by every session
    labels = tuple(tuple(row) for row in model.task.labels(shown.tokens))
    return config, Built(lstm=lstm, input=shown.x.to(dtype), hx=None), labels, shown


def _own_inputs(spec: RunSpec) -> tuple[LSTMConfig, Built, Labels]:
    """Random weights or an uploaded LSTM, on generated sequences or the user's own."""
    config = spec.config
    found = None
    if spec.file is not None:
        found = spec.file.found()
        config = config.replace(
            input_size=found.input_size,
            hidden_size=found.hidden_size,
            num_layers=found.num_layers,
            bidirectional=found.bidirectional,
            proj_size=found.proj_size,
            bias=found.bias,
        )
    data = None
    if spec.data is not None:
        data = uploads.store().get(spec.data)
        if not isinstance(data, uploads.UploadedInput):
            raise LookupError("the uploaded input is no longer on the server: upload it again")
        batch, steps, width = data.x.shape
        if width != config.input_size:
            raise ValueError(
                f"your input has {width} values per step but this LSTM's input_size is {config.input_size}"
            )
        config = config.replace(batch=batch, seq_len=steps)
    built = build(config, spec.draw if found is None else "explorer")
    lstm, x = built.lstm, built.input
    if found is not None:
        # A copy: the uploaded module is shared by every session, and batch_first is the viewer's choice.
        lstm = copy.deepcopy(found.lstm).to(getattr(torch, config.dtype))
        lstm.batch_first = config.batch_first
    labels: Labels = None
    if data is not None:
        x = data.x if config.batch_first else data.x.transpose(0, 1).contiguous()  # [B, T, I] or [T, B, I]
        x = x.to(getattr(torch, config.dtype))
        labels = data.labels
    elif config.input_kind == "text":
        labels = tuple(tuple(row) for row in text_symbols(config))
    return config, Built(lstm=lstm, input=x, hx=built.hx), labels
