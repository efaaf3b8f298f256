"""One explorer run: a model source plus input settings plus edits, traced by hand and compared with ``nn.LSTM``."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

from lstm_viz.build import Built
from lstm_viz.config import LSTMConfig
from lstm_viz.edits import Edits, apply_edits
from lstm_viz.i18n import DEFAULT, Message, msg, say
from lstm_viz.reference import Comparison, compare
from lstm_viz.server import uploads
from lstm_viz.sources import Drawn, Labels, ModelSource, RandomSource
from lstm_viz.tasks.explain import TaskView
from lstm_viz.trace import LSTMTrace, trace


@dataclass(frozen=True)
class RunSpec:
    """Everything that decides a run; hashable, so the server computes each one once for every session.

    Attributes:
        config: Sizes, input and dtype; the settings the source fixes (a task's or a file's sizes) are its own.
        source: Where the model comes from (``lstm_viz.sources``); random weights from ``config.seed`` by default.
        edits: Weight experiments applied to the model before both forwards.
        data: Digest of the user's own input sequences (``lstm_viz.server.uploads``), or None for the source's own.
    """

    config: LSTMConfig
    source: ModelSource = field(default_factory=RandomSource)
    edits: Edits = field(default_factory=Edits)
    data: str | None = None

    def with_config(self, **changes: object) -> RunSpec:
        """The same model, input and edits with some ``LSTMConfig`` fields changed (e.g. ``dtype``)."""
        return dataclasses.replace(self, config=self.config.replace(**changes))

    def describe(self, config: LSTMConfig | None = None, lang: str = DEFAULT) -> str:
        """The run in words, for slide and export titles: its source, batch, steps, dtype, seed and edits.

        Args:
            config: The config as run, when it differs from the spec's (the user's input decides the shape).
            lang: The language of the words; in English a ``Message`` (``say`` gives it in another language).
        """
        c = config or self.config
        values = dict(source=self.source.describe(), batch=c.batch, steps=c.seq_len, dtype=c.dtype, seed=c.seed)
        # One whole sentence per combination: Chinese joins the parts with its own punctuation.
        if self.data is not None and self.edits.active:
            words = msg(
                "{source}; batch {batch}, {steps} steps, {dtype}, seed {seed}; your own input; edited: {edits}",
                edits=self.edits.describe(),
                **values,
            )
        elif self.data is not None:
            words = msg("{source}; batch {batch}, {steps} steps, {dtype}, seed {seed}; your own input", **values)
        elif self.edits.active:
            words = msg(
                "{source}; batch {batch}, {steps} steps, {dtype}, seed {seed}; edited: {edits}",
                edits=self.edits.describe(),
                **values,
            )
        else:
            words = msg("{source}; batch {batch}, {steps} steps, {dtype}, seed {seed}", **values)
        return words if lang == DEFAULT else say(words, lang)


def check_spec(spec: RunSpec) -> None:
    """Refuse, before anything runs, what a spec's model and input cannot do.

    Raises:
        ValueError: a bias edit on an LSTM without biases, sequences too short for the task, or the user's own
            input of the wrong width or beyond the hosting limits.
        LookupError: when the user's input or the uploaded model is no longer on the server.
    """
    config = spec.config.replace(**spec.source.fixed())
    spec.edits.check(bias=config.bias)
    spec.source.check(config)
    if spec.data is not None:
        _own_input(spec.data, config)


def own_input_width(width: int, input_size: int) -> Message:
    """The refusal of the user's own input of ``width`` values per step for an LSTM that takes ``input_size``."""
    return msg("your input has {width} values per step, and this LSTM takes {size}", width=width, size=input_size)


def _source_words(spec: RunSpec) -> Message:
    """A spec's source in words, and its edits when it has any (``Run.source``)."""
    if spec.edits.active:
        return msg("{source}; edited: {edits}", source=spec.source.describe(), edits=spec.edits.describe())
    return spec.source.describe()


def _own_input(digest: str, config: LSTMConfig) -> uploads.UploadedInput:
    """The user's own input, checked against the LSTM's input size and the hosting limits.

    Raises:
        ValueError: for an input of the wrong width or beyond the hosting limits.
        LookupError: when the server no longer holds it.
    """
    data = uploads.store().get(digest)
    if not isinstance(data, uploads.UploadedInput):
        raise LookupError(msg("the uploaded input is no longer on the server: upload it again"))
    batch, steps, width = data.x.shape
    if width != config.input_size:
        raise ValueError(own_input_width(width, config.input_size))
    config.replace(batch=batch, seq_len=steps)  # validates against the hosting limits
    return data


@dataclass(frozen=True)
class Run:
    """Everything a page shows for one spec; read-only, shared between sessions by the cache.

    Attributes:
        spec: What was asked for.
        config: The config as run (the source's fixed settings and the user's input's shape in place).
        built: The model as run (edits applied), its input and hx.
        trace: The hand-written forward's record.
        comparison: ``nn.LSTM`` on the same weights, and the measured differences.
        trace_ms: Milliseconds of the hand-written forward.
        reference_ms: Milliseconds of ``nn.LSTM`` and the comparison.
        source: The run's source in words (``spec.source.describe()``, and its edits), a ``Message``.
        step_labels: Each step's input symbol ``[B][T]``, or None.
        explanation: What the source explains beyond the LSTM (a task's memory unit), or None.
    """

    spec: RunSpec
    config: LSTMConfig
    built: Built
    trace: LSTMTrace
    comparison: Comparison
    trace_ms: float
    reference_ms: float
    source: str
    step_labels: Labels = None
    explanation: TaskView | None = None

    @property
    def highlight(self) -> tuple[int, ...]:
        """Units worth outlining on every heatmap: the one that carries a task's memory, if any."""
        return () if self.explanation is None else self.explanation.highlight

    def describe(self, lang: str = DEFAULT) -> str:
        """The run in words (``RunSpec.describe``) as it ran, in ``lang``: the user's own input's shape in place."""
        return self.spec.describe(self.config, lang)

    def source_words(self, lang: str = DEFAULT) -> str:
        """The run's source (and its edits) in ``lang``, for notes and captions (``source`` in English)."""
        return say(self.source, lang)

    def labels(self, batch_item: int) -> list[str] | None:
        """The input symbol at every step of one sequence, for time axes; None where inputs are not symbols."""
        return None if self.step_labels is None else list(self.step_labels[batch_item])


def run(spec: RunSpec | LSTMConfig) -> Run:
    """Draw the spec's model and inputs, edit, trace and compare, timing the hand-written and the official forward.

    Args:
        spec: The run; a bare ``LSTMConfig`` means random weights, no edits.

    Raises:
        ValueError: when the spec cannot run (an edit the model does not allow, a sequence too short, an
            input of the wrong width).
        LookupError: for a source whose model is not available (an unfinished training, a dropped upload).
    """
    if isinstance(spec, LSTMConfig):
        spec = RunSpec(spec)
    check_spec(spec)
    source = spec.source
    drawn = source.draw(spec.config)
    if spec.data is not None:
        drawn = _with_own_input(drawn, _own_input(spec.data, drawn.config))
    lstm = apply_edits(drawn.built.lstm, spec.edits)
    built = Built(lstm=lstm, input=drawn.built.input, hx=drawn.built.hx)
    start = time.perf_counter()
    tr = trace(built.lstm, built.input, built.hx)
    mid = time.perf_counter()
    comparison = compare(built.lstm, built.input, built.hx, tr)
    end = time.perf_counter()
    explanation = source.explain(built.lstm, drawn)
    words = _source_words(spec)
    return Run(
        spec,
        drawn.config,
        built,
        tr,
        comparison,
        (mid - start) * 1e3,
        (end - mid) * 1e3,
        words,
        drawn.labels,
        explanation,
    )


def _with_own_input(drawn: Drawn, data: uploads.UploadedInput) -> Drawn:
    """The drawn model fed the user's own sequences instead (their shape decides the batch and the length)."""
    batch, steps, _ = data.x.shape
    config = drawn.config.replace(batch=batch, seq_len=steps)
    dtype = drawn.built.input.dtype
    x = data.x if config.batch_first else data.x.transpose(0, 1).contiguous()  # [B, T, I] or [T, B, I]
    hx = drawn.built.hx
    if hx is not None and hx[0].shape[1] != batch:
        hx = None  # drawn for another batch: the user's sequences start from zeros
    return Drawn(config, Built(lstm=drawn.built.lstm, input=x.to(dtype), hx=hx), data.labels, drawn.model)
