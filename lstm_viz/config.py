"""The explorer's run settings: a frozen dataclass mirroring ``nn.LSTM``'s constructor, with validation."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, fields

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


@dataclass(frozen=True)
class LSTMConfig:
    """One explorer run: ``nn.LSTM``'s arguments plus the data it is fed.

    Attributes mirror ``nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first, dropout,
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

_INT_LIMITS = {
    "input_size": (1, MAX_SIZE, "input size (features per step)"),
    "hidden_size": (1, MAX_SIZE, "hidden size (cell units)"),
    "num_layers": (1, MAX_LAYERS, "number of layers"),
    "batch": (1, MAX_BATCH, "batch size"),
    "seq_len": (1, MAX_SEQ_LEN, "sequence length"),
    "seed": (0, MAX_SEED, "seed"),
}
_CHOICES = {"input_kind": INPUT_KINDS, "dtype": DTYPES, "initial_state": INITIAL_STATES}


def validate(config: LSTMConfig) -> None:
    """Check a config against torch's rules and the explorer's hosting limits.

    Raises:
        ValueError: naming the field, the value and the limit, e.g.
            "proj_size = 5 must be smaller than hidden_size = 5 ...".
    """
    for name, (low, high, words) in _INT_LIMITS.items():
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        if not low <= value <= high:
            raise ValueError(f"{name} = {value} is out of range: the {words} must be between {low} and {high}")
    for name in ("bias", "batch_first", "bidirectional"):
        if not isinstance(getattr(config, name), bool):
            raise ValueError(f"{name} must be True or False, got {getattr(config, name)!r}")
    for name, choices in _CHOICES.items():
        if getattr(config, name) not in choices:
            raise ValueError(f"{name} = {getattr(config, name)!r} is not one of {', '.join(choices)}")
    proj = config.proj_size
    if isinstance(proj, bool) or not isinstance(proj, int):
        raise ValueError(f"proj_size must be a whole number, got {proj!r}")
    if proj < 0:
        raise ValueError(f"proj_size = {proj} must be 0 (no projection) or a positive number")
    if proj >= config.hidden_size:
        raise ValueError(
            f"proj_size = {proj} must be smaller than hidden_size = {config.hidden_size}: the "
            "projection maps the hidden units down to fewer features (0 turns it off)"
        )
    if not isinstance(config.dropout, (int, float)) or not 0 <= config.dropout < 1:
        raise ValueError(f"dropout = {config.dropout!r} must be at least 0 and below 1")
    if config.recorded_values > MAX_RECORDED_VALUES:
        raise ValueError(
            f"this run would record {config.recorded_values:,} values "
            f"(layers x directions x steps x batch x (6 x hidden + projection)), above the limit of "
            f"{MAX_RECORDED_VALUES:,}: make the batch, sequence, hidden size or layers smaller"
        )
