"""Which units carry a task's memory: correlation of each unit's c and h with the latent, and what its gates do."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from lstm_viz.analysis import correlations
from lstm_viz.engine import GATES
from lstm_viz.i18n import N_, Message, msg
from lstm_viz.trace import LayerTrace

GATE_WORDS = {"i": N_("input gate"), "f": N_("forget gate"), "g": N_("cell candidate"), "o": N_("output gate")}
"""Each gate's name (a catalogue id: ``i18n.t(lang, GATE_WORDS[gate])`` says it in another language)."""
MEMORY_STATE = "c"
"""The state the finder names first and the proof figures draw: the cell state is the LSTM's memory."""


@dataclass(frozen=True)
class UnitScore:
    """How well one unit's state follows the latent variable.

    Attributes:
        unit: The unit's index.
        state: ``"c"`` or ``"h"``.
        r: Pearson correlation over every sequence and step, in -1..1.
        slope: Least-squares change of the state per unit of the latent (sign included).
    """

    unit: int
    state: str
    r: float
    slope: float


def unit_scores(rec: LayerTrace, latent: Tensor, states: tuple[str, ...] = ("c", "h")) -> list[UnitScore]:
    """Every unit's correlation with the latent: the memory state's (``MEMORY_STATE``) first, best |r| first in each.

    The first score is the finding, so the unit named is the unit whose cell state the proof figure draws; an
    h that scores higher stays in the list (and in the per-unit chart).

    Shapes: ``latent`` [B, T]; ``getattr(rec, state)`` [B, T, units].
    """
    y = latent.reshape(-1).double()  # [B * T]
    flat = {state: getattr(rec, state).reshape(-1, getattr(rec, state).shape[-1]) for state in states}  # [B * T, H]
    r = correlations(flat, {"latent": y})  # each [1, H]
    centred = y - y.mean()
    var = float(centred @ centred)
    scores = []
    for state, v in flat.items():
        v = v.double()
        slopes = (centred @ (v - v.mean(0))) / var if var > 0 else torch.zeros(v.shape[1], dtype=torch.float64)
        scores += [UnitScore(u, state, float(r[state][0, u]), float(slopes[u])) for u in range(v.shape[1])]
    return sorted(scores, key=lambda s: (s.state != MEMORY_STATE, -abs(s.r)))


@dataclass(frozen=True)
class GateFact:
    """What one gate of a unit does in each phase of the task, with a sentence for the page.

    Attributes:
        gate: ``i``, ``f``, ``g`` or ``o``.
        means: Mean activation in each named phase.
        lows: 5th percentile in each phase (how low it gets at the least).
        contrast: Largest minus smallest phase mean: how much the gate's behaviour depends on the phase.
        sentence: e.g. "forget gate of unit 3 stays above 0.93 (mean 0.995) while the bit is held" (a
            ``Message``: ``i18n.say(fact.sentence, lang)`` says it in another language).
    """

    gate: str
    means: dict[str, float]
    lows: dict[str, float]
    contrast: float
    sentence: str


def gate_facts(rec: LayerTrace, unit: int, phases: dict[str, Tensor]) -> list[GateFact]:
    """What each gate of ``unit`` does in each phase, the gates that change most with the phase first.

    Shapes: each phase mask [B, T] bool; gates [B, T, H].
    """
    facts = []
    present = {name: mask for name, mask in phases.items() if bool(mask.any())}
    for gate in GATES:
        values = getattr(rec, gate)[..., unit]  # [B, T]
        means = {name: float(values[mask].double().mean()) for name, mask in present.items()}
        lows = {name: float(torch.quantile(values[mask].double(), 0.05)) for name, mask in present.items()}
        if not means:
            continue
        hi = max(means, key=means.get)
        lo = min(means, key=means.get)
        # The phases' names are catalogue ids (marked where the task defines them): said again in any language.
        gate_name, high, low = Message(GATE_WORDS[gate]), Message(hi), Message(lo)
        if gate == "f" and lows[hi] > 0.5:
            sentence = msg(
                "forget gate of unit {unit} stays above {low:.2f} (mean {mean:.3f}) {phase}",
                unit=unit,
                low=lows[hi],
                mean=means[hi],
                phase=high,
            )
        elif hi != lo:
            sentence = msg(
                "{gate} of unit {unit} is {high:.2f} {phase_high} vs {low:.2f} {phase_low}",
                gate=gate_name,
                unit=unit,
                high=means[hi],
                phase_high=high,
                low=means[lo],
                phase_low=low,
            )
        else:
            sentence = msg(
                "{gate} of unit {unit} averages {mean:.2f} {phase}",
                gate=gate_name,
                unit=unit,
                mean=means[hi],
                phase=high,
            )
        facts.append(GateFact(gate, means, lows, means[hi] - means[lo], sentence))
    return sorted(facts, key=lambda f: -f.contrast)


def tracking_sentence(score: UnitScore, latent_name: str) -> Message:
    """'unit 3's cell state c tracks the nesting depth, r = +0.99 (+0.420 per 1 of the nesting depth)'.

    A ``Message`` (``i18n.say(sentence, lang)`` says it in another language); ``latent_name`` is a catalogue id
    (a task's ``latent_name``), said in the same language.
    """
    latent = Message(latent_name)
    if score.state == "c":
        return msg(
            "unit {unit}'s cell state c tracks the {latent}, r = {r:+.2f} ({slope:+.3f} per 1 of the {latent})",
            unit=score.unit,
            latent=latent,
            r=score.r,
            slope=score.slope,
        )
    return msg(
        "unit {unit}'s hidden state h tracks the {latent}, r = {r:+.2f} ({slope:+.3f} per 1 of the {latent})",
        unit=score.unit,
        latent=latent,
        r=score.r,
        slope=score.slope,
    )
