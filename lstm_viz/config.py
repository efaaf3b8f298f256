"""The explorer's run settings: ``nn.LSTM``'s arguments and the input a run feeds it, validated, and one facade."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, fields

from lstm_viz.i18n import N_, msg

INPUT_KINDS = ("sine", "random", "step", "text")
"""Synthetic inputs: sine waves, normal noise, step/impulse patterns, one-hot characters of a text."""

DTYPES = ("float32", "float64")
INITIAL_STATES = ("zeros", "random")

# Hosting limits: one class's worth of students must be able to share a small server.
MAX_BATCH = 32
MAX_SEQ_LEN = 512
MAX_SIZE = 512
MAX_LAYERS = 4
MAX_SEED = 2**31 - 1
MAX_RECORDED_VALUES = 4_000_000
"""Cap on layers * directions * T * B * (6H + P), the numbers one trace records (16 MB in float32)."""

LIMITS: dict[str, tuple[int, int]] = {
    "input_size": (1, MAX_SIZE),
    "hidden_size": (1, MAX_SIZE),
    "proj_size": (0, MAX_SIZE - 1),
    "num_layers": (1, MAX_LAYERS),
    "batch": (1, MAX_BATCH),
    "seq_len": (1, MAX_SEQ_LEN),
    "seed": (0, MAX_SEED),
}
"""Every whole-number setting's allowed range, written once: validation, links and help texts all read it."""
CHOICES: dict[str, tuple[str, ...]] = {"input_kind": INPUT_KINDS, "dtype": DTYPES, "initial_state": INITIAL_STATES}
"""Every choice setting's options."""
_WORDS = {
    "input_size": N_("input size (features per step)"),
    "hidden_size": N_("hidden size (cell units)"),
    "num_layers": N_("number of layers"),
    "batch": N_("batch size"),
    "seq_len": N_("sequence length"),
    "seed": N_("seed"),
}
"""Each whole-number setting in words, for its range's refusal (said in the reader's language)."""


@dataclass(frozen=True)
class LSTMArgs:
    """``nn.LSTM``'s constructor arguments: the model, apart from what a run feeds it (nanoGPT's model config).

    Attributes mirror ``nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
    proj_size)``.
    """

    input_size: int = 4  # features per step, I
    hidden_size: int = 5  # cell units, H
    num_layers: int = 1  # stacked layers, L
    bias: bool = True  # b_ih and b_hh present
    batch_first: bool = False  # input laid out [B, T, I] instead of [T, B, I]
    dropout: float = 0.0  # between layers in training mode only; the explorer runs in eval mode
    bidirectional: bool = False  # adds the _reverse direction, D = 2
    proj_size: int = 0  # P: 0 = no projection, else h_t = W_hr m_t has P features

    def __post_init__(self) -> None:
        _check_ints(self, ("input_size", "hidden_size", "num_layers"))
        for name in ("bias", "batch_first", "bidirectional"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(
                    msg("{name} must be True or False, got {value!r}", name=name, value=getattr(self, name))
                )
        proj = self.proj_size
        if isinstance(proj, bool) or not isinstance(proj, int):
            raise ValueError(msg("proj_size must be a whole number, got {value!r}", value=proj))
        if proj < 0:
            raise ValueError(msg("proj_size = {proj} must be 0 (no projection) or a positive number", proj=proj))
        if proj >= self.hidden_size:
            raise ValueError(
                msg(
                    "proj_size = {proj} must be smaller than hidden_size = {hidden}: the projection maps the hidden "
                    "units down to fewer features (0 turns it off)",
                    proj=proj,
                    hidden=self.hidden_size,
                )
            )
        if not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise ValueError(msg("dropout = {value!r} must be at least 0 and below 1", value=self.dropout))

    @property
    def directions(self) -> int:
        """D: 2 when bidirectional, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def out_size(self) -> int:
        """H_out, the size of h_t: proj_size with a projection, else hidden_size."""
        return self.proj_size or self.hidden_size


@dataclass(frozen=True)
class InputSettings:
    """What a run feeds the model: how many sequences, how long, which input and initial state, dtype, seed."""

    batch: int = 2  # sequences per run, B
    seq_len: int = 3  # steps, T
    input_kind: str = "sine"  # one of INPUT_KINDS
    initial_state: str = "zeros"  # "zeros" (hx omitted) or "random" (hx given)
    dtype: str = "float32"  # "float32" or "float64"
    seed: int = 0  # seeds weights, input and initial state

    def __post_init__(self) -> None:
        _check_ints(self, ("batch", "seq_len", "seed"))
        for name, choices in CHOICES.items():
            if getattr(self, name) not in choices:
                raise ValueError(
                    msg(
                        "{name} = {value!r} is not one of {options}",
                        name=name,
                        value=getattr(self, name),
                        options=", ".join(choices),
                    )
                )


ARG_NAMES = tuple(f.name for f in fields(LSTMArgs))
INPUT_NAMES = tuple(f.name for f in fields(InputSettings))


@dataclass(frozen=True)
class LSTMConfig:
    """One explorer run: ``nn.LSTM``'s arguments plus the data it is fed.

    A facade over the two records, ``lstm_args`` (an ``LSTMArgs``) and ``inputs`` (an ``InputSettings``). Attributes
    mirror ``nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first, dropout,
    bidirectional, proj_size)``; ``batch``, ``seq_len``, ``input_kind``, ``initial_state``, ``dtype``
    and ``seed`` say what input and initial state are built and how.
    """

    input_size: int = 4  # features per step, I
    hidden_size: int = 5  # cell units, H
    num_layers: int = 1  # stacked layers, L
    bias: bool = True  # b_ih and b_hh present
    batch_first: bool = False  # input laid out [B, T, I] instead of [T, B, I]
    dropout: float = 0.0  # between layers in training mode only; the explorer runs in eval mode
    bidirectional: bool = False  # adds the _reverse direction, D = 2
    proj_size: int = 0  # P: 0 = no projection, else h_t = W_hr m_t has P features
    batch: int = 2  # sequences per run, B
    seq_len: int = 3  # steps, T
    input_kind: str = "sine"  # one of INPUT_KINDS
    initial_state: str = "zeros"  # "zeros" (hx omitted) or "random" (hx given)
    dtype: str = "float32"  # "float32" or "float64"
    seed: int = 0  # seeds weights, input and initial state

    def __post_init__(self) -> None:
        validate(self)

    @classmethod
    def from_parts(cls, args: LSTMArgs, inputs: InputSettings) -> LSTMConfig:
        """The config of ``args`` run on ``inputs``."""
        return cls(**asdict(args), **asdict(inputs))

    @property
    def lstm_args(self) -> LSTMArgs:
        """The model's part: ``nn.LSTM``'s constructor arguments."""
        return LSTMArgs(**{name: getattr(self, name) for name in ARG_NAMES})

    @property
    def inputs(self) -> InputSettings:
        """The run's part: batch, length, input kind, initial state, dtype and seed."""
        return InputSettings(**{name: getattr(self, name) for name in INPUT_NAMES})

    @property
    def directions(self) -> int:
        """D: 2 when bidirectional, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def out_size(self) -> int:
        """H_out, the size of h_t: proj_size with a projection, else hidden_size."""
        return self.proj_size or self.hidden_size

    @property
    def recorded_values(self) -> int:
        """How many numbers a trace of this run records: L * D * T * B * (6H + P)."""
        per_step = 6 * self.hidden_size + self.proj_size
        return self.num_layers * self.directions * self.seq_len * self.batch * per_step

    def to_dict(self) -> dict:
        """The settings as a plain dict, field by field."""
        return asdict(self)

    def replace(self, **changes) -> LSTMConfig:
        """A copy with some fields changed (validated like any other)."""
        return dataclasses.replace(self, **changes)


FIELD_NAMES = tuple(f.name for f in fields(LSTMConfig))


def _check_ints(record: object, names: tuple[str, ...]) -> None:
    """Refuse a whole-number field of ``record`` that is not one or lies outside ``LIMITS``, by name and limit."""
    for name in names:
        value = getattr(record, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(msg("{name} must be a whole number, got {value!r}", name=name, value=value))
        low, high = LIMITS[name]
        if not low <= value <= high:
            raise ValueError(
                msg(
                    "{name} = {value} is out of range: the {what} must be between {low} and {high}",
                    name=name,
                    value=value,
                    what=msg(_WORDS[name]),
                    low=low,
                    high=high,
                )
            )


def validate(config: LSTMConfig) -> None:
    """Check a config against torch's rules and the explorer's hosting limits: each part, then the whole run.

    Raises:
        ValueError: naming the field, the value and the limit, e.g.
            "proj_size = 5 must be smaller than hidden_size = 5 ...".
    """
    # The same order of checks as before the split: sizes first, then the input's, then the projection.
    _check_ints(config, ("input_size", "hidden_size", "num_layers", "batch", "seq_len", "seed"))
    config.lstm_args  # noqa: B018 - validates nn.LSTM's arguments
    config.inputs  # noqa: B018 - validates the input settings
    if config.recorded_values > MAX_RECORDED_VALUES:
        raise ValueError(
            msg(
                "this run would record {values:,} values (layers x directions x steps x batch x (6 x hidden + "
                "projection)), above the limit of {limit:,}: make the batch, sequence, hidden size or layers smaller",
                values=config.recorded_values,
                limit=MAX_RECORDED_VALUES,
            )
        )
