"""What a task run knows beyond the LSTM: its sequences, its metric and the unit that carries its memory."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lstm_viz.i18n import Message, msg, say
from lstm_viz.tasks.base import Batch
from lstm_viz.tasks.model import TaskModel, init_model
from lstm_viz.tasks.units import GateFact, UnitScore, gate_facts, tracking_sentence, unit_scores
from lstm_viz.trace import trace

FINDER_SEED = 20_000
"""Seed of the fresh sequences the unit finder measures on: never trained on, never the ones on screen."""
FINDER_BATCH = 64


@dataclass(frozen=True)
class TaskView:
    """A task run's explanation: its sequences, its metric and the units that carry its memory.

    Attributes:
        model: The task's model, unedited (its ``info`` says where it came from and what it reached).
        batch: The sequences on screen with their latent variable.
        metric: The task metric of the model as shown (edits applied), on fresh sequences.
        metric_unedited: The same for the unedited model.
        outside: Why the sequences on screen lie outside the trained range (a ``Message``), or None.
        metric_here: The metric at the length on screen when outside the trained range.
        scores: Every unit's correlation with the latent on fresh sequences, best first (model as shown).
        untrained_scores: The same measure on the untrained model of the same size and seed.
        facts: What each gate of the best unit does in each phase of the task (each ``sentence`` a ``Message``).
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
    def highlight(self) -> tuple[int, ...]:
        """The units every heatmap outlines: the one that carries the memory."""
        return (self.best.unit,)

    @property
    def finding(self) -> Message:
        """The best unit in words, beside the same measure on the untrained weights.

        English as a ``str``; ``finding_in(lang)`` (or ``i18n.say(view.finding, lang)``) says it in another language.
        """
        return msg(
            "{tracking}; before training the best unit scored r = {untrained:+.2f}",
            tracking=tracking_sentence(self.best, self.model.task.latent_name),
            untrained=self.untrained_best.r,
        )

    def finding_in(self, lang: str) -> str:
        """``finding`` in ``lang``: "unit 1's cell state c tracks the nesting depth, r = -1.00 (…)" in English."""
        return say(self.finding, lang)

    def facts_in(self, lang: str) -> list[str]:
        """Each gate fact's sentence in ``lang``, in the order of ``facts``."""
        return [say(fact.sentence, lang) for fact in self.facts]

    def outside_in(self, lang: str) -> str | None:
        """Why the sequences on screen lie outside the trained range, in ``lang``; None inside it."""
        return None if self.outside is None else say(self.outside, lang)

    @property
    def untrained_best(self) -> UnitScore:
        """The best unit of the untrained model: what training added is the difference."""
        return self.untrained_scores[0]


def explain(model: TaskModel, lstm: torch.nn.LSTM, shown: Batch, seq_len: int) -> TaskView:
    """The task view of ``lstm`` (``model``'s LSTM, maybe edited) shown on ``shown``.

    The units are ranked on fresh sequences (``FINDER_SEED``), beside the untrained model of the same size and seed.
    """
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


PROOF_SEQUENCES = 16
"""Sequences a task's proof figure draws: enough to see the pattern, few enough to tell lines apart."""
PROOF_SEED = 30_000
"""Their seed: fresh sequences, neither trained on nor the finder's, the same on every page run."""


@dataclass(frozen=True)
class MemoryTrace:
    """One unit's state on several fresh sequences of a task, with the task's latent and input symbols.

    Shapes: ``values`` and ``latent`` [N, T]; ``labels`` ``[N][T]`` strings.
    """

    unit: int
    state: str
    values: Tensor
    latent: Tensor
    labels: list[list[str]]


def memory_trace(
    lstm: nn.LSTM,
    model: TaskModel,
    unit: int,
    state: str = "c",
    seq_len: int | None = None,
    n: int = PROOF_SEQUENCES,
    seed: int = PROOF_SEED,
) -> MemoryTrace:
    """Trace ``lstm`` (the task model's LSTM as shown, edits applied) on ``n`` fresh sequences of its task.

    Shapes:
        the task's x [N, T, I] -> ``MemoryTrace`` values and latent [N, T].
    """
    b = model.batch(n, seed, seq_len)
    rec = trace(lstm, b.x.to(lstm.weight_ih_l0.dtype)).layer(0)
    return MemoryTrace(unit, state, getattr(rec, state)[..., unit], b.latent, model.task.labels(b.tokens))
