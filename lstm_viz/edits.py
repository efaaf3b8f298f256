"""Weight experiments: presets and per-gate scales that edit a copy of any ``nn.LSTM``, for both forwards."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from lstm_viz.engine import GATES
from lstm_viz.i18n import N_, Message, msg
from lstm_viz.params import param_name

SHUT = 30.0
"""A pre-activation this large pins a sigmoid at 0 or 1 to within 1e-13: σ(−30) = 9.4e-14."""

PRESETS: dict[str, str] = {
    "none": N_("the model as it is"),
    N_("forget bias +1"): N_("add +1 to the forget gate's bias b_if: the cell keeps more of c_(t-1)"),
    N_("forget bias -3"): N_("add −3 to the forget gate's bias b_if: the cell forgets within a few steps"),
    N_("input gate shut"): N_("i = σ(−30) ≈ 0 at every step: nothing new enters the cell"),
    N_("output gate saturated"): N_("o = σ(+30) ≈ 1 at every step: h = tanh(c) shows the whole cell"),
    N_("recurrent weights zeroed"): N_("W_hh = 0: the gates see only x_t, never h_(t-1)"),
}
"""Each preset and what it does, in words a slide can use (both marked: ``i18n.t(lang, ...)`` says them).

The names are the ``edit_preset`` setting's values in links (identifiers, never translated there); a title or
caption that names the edit says the name in the reader's language."""

NEEDS_BIAS = ("forget bias +1", "forget bias -3", "input gate shut", "output gate saturated")
MIN_SCALE, MAX_SCALE = -5.0, 5.0


@dataclass(frozen=True)
class Edits:
    """What to change in an LSTM's weights before both forwards run it.

    Attributes:
        preset: One of ``PRESETS``.
        scale: Multipliers of each gate's pre-activation, in ``i, f, g, o`` order: the gate's rows of
            ``weight_ih``, ``weight_hh``, ``bias_ih`` and ``bias_hh`` are multiplied by it.
        forget_bias: Added to ``b_if`` (after the preset), the gradient-flow experiment's control.
    """

    preset: str = "none"
    scale: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    forget_bias: float = 0.0

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(
                msg("preset {value!r} is not one of: {options}", value=self.preset, options=", ".join(PRESETS))
            )
        if len(self.scale) != 4:
            raise ValueError(msg("scale needs one number per gate (i, f, g, o), got {n}", n=len(self.scale)))
        for gate, s in zip(GATES, self.scale, strict=True):
            if not MIN_SCALE <= s <= MAX_SCALE:
                raise ValueError(
                    msg(
                        "scale of gate {gate} = {scale} is outside {low}..{high}",
                        gate=gate,
                        scale=s,
                        low=MIN_SCALE,
                        high=MAX_SCALE,
                    )
                )
        if not -10.0 <= self.forget_bias <= 10.0:
            raise ValueError(msg("forget bias shift {shift} is outside -10..10", shift=self.forget_bias))

    @property
    def active(self) -> bool:
        """Whether these edits change anything."""
        return self.preset != "none" or self.scale != (1.0, 1.0, 1.0, 1.0) or self.forget_bias != 0.0

    def check(self, bias: bool) -> None:
        """Refuse edits that change a bias when the LSTM has none.

        Raises:
            ValueError: naming the edit and that ``bias`` is off.
        """
        if not bias and self.preset in NEEDS_BIAS:
            raise ValueError(
                msg(
                    "the weight preset “{preset}” changes a bias, and this LSTM has none (bias=False)",
                    preset=msg(self.preset),
                )
            )
        if not bias and self.forget_bias:
            raise ValueError(msg("the forget-bias shift changes a bias, and this LSTM has none (bias=False)"))

    def describe(self) -> Message:
        """The edits in words, e.g. ``"forget bias -3; f pre-activation x 0.5"`` (``i18n.say`` it in a language).

        Each edit is its own phrase; they are listed one after another (``"{first}; {rest}"``).
        """
        parts: list[str] = [] if self.preset == "none" else [msg(self.preset)]
        parts += [
            msg("{gate} pre-activation × {scale:g}", gate=g, scale=s)
            for g, s in zip(GATES, self.scale, strict=True)
            if s != 1.0
        ]
        if self.forget_bias:
            parts.append(f"b_if {self.forget_bias:+g}")  # a symbol and a number: the same in every language
        if not parts:
            return msg("none")
        words = parts[-1]
        for part in reversed(parts[:-1]):
            words = msg("{first}; {rest}", first=part, rest=words)
        return words


def apply_edits(lstm: nn.LSTM, edits: Edits) -> nn.LSTM:
    """A copy of ``lstm`` with ``edits`` applied to every layer and direction (``lstm`` itself if none).

    Raises:
        ValueError: when a preset needs biases and the LSTM has none (``bias=False``).
    """
    if not edits.active:
        return lstm
    edits.check(lstm.bias)
    out = copy.deepcopy(lstm)
    hidden = lstm.hidden_size

    def rows(gate: str) -> slice:
        k = GATES.index(gate)
        return slice(k * hidden, (k + 1) * hidden)

    with torch.no_grad():
        for layer in range(lstm.num_layers):
            for reverse in (False, True)[: 2 if lstm.bidirectional else 1]:

                def p(kind: str, layer: int = layer, reverse: bool = reverse) -> torch.Tensor:
                    return getattr(out, param_name(kind, layer, reverse))

                if edits.preset == "forget bias +1":
                    p("bias_ih")[rows("f")] += 1.0
                elif edits.preset == "forget bias -3":
                    p("bias_ih")[rows("f")] -= 3.0
                elif edits.preset in ("input gate shut", "output gate saturated"):
                    gate, value = ("i", -SHUT) if edits.preset == "input gate shut" else ("o", SHUT)
                    p("weight_ih")[rows(gate)] = 0.0
                    p("weight_hh")[rows(gate)] = 0.0
                    p("bias_ih")[rows(gate)] = value
                    p("bias_hh")[rows(gate)] = 0.0
                elif edits.preset == "recurrent weights zeroed":
                    p("weight_hh").zero_()
                for gate, s in zip(GATES, edits.scale, strict=True):
                    if s != 1.0:
                        kinds = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if lstm.bias else ())
                        for kind in kinds:
                            p(kind)[rows(gate)] *= s
                if edits.forget_bias:
                    p("bias_ih")[rows("f")] += edits.forget_bias
    return out
