"""LSTMConfig: defaults, derived sizes, and a message for every rule it enforces."""

from __future__ import annotations

import dataclasses
import re

import pytest

from lstm_viz import LSTMConfig
from lstm_viz.config import FIELD_NAMES, MAX_RECORDED_VALUES

INT_LIMITS = {
    "input_size": (1, 512),
    "hidden_size": (1, 512),
    "num_layers": (1, 4),
    "batch": (1, 32),
    "seq_len": (1, 512),
    "seed": (0, 2**31 - 1),
}


def raises_naming(*parts, **changes):
    """Build a config with ``changes`` and check the ValueError mentions every one of ``parts``."""
    with pytest.raises(ValueError) as err:
        LSTMConfig(**changes)
    message = str(err.value)
    for part in parts:
        assert str(part) in message, (part, message)
    return message


def test_defaults_are_the_tutorials_lstm():
    cfg = LSTMConfig()
    assert (cfg.input_size, cfg.hidden_size, cfg.num_layers, cfg.batch, cfg.seq_len) == (4, 5, 1, 2, 3)
    assert (cfg.bias, cfg.batch_first, cfg.bidirectional, cfg.proj_size, cfg.dropout) == (True, False, False, 0, 0.0)
    assert cfg.directions == 1 and cfg.out_size == 5
    assert cfg.recorded_values == 1 * 1 * 3 * 2 * (6 * 5 + 0)


def test_derived_sizes_follow_bidirectional_and_projection():
    cfg = LSTMConfig(hidden_size=8, proj_size=3, bidirectional=True, num_layers=2, seq_len=10, batch=4)
    assert cfg.directions == 2 and cfg.out_size == 3
    assert cfg.recorded_values == 2 * 2 * 10 * 4 * (6 * 8 + 3)


@pytest.mark.parametrize("name", list(INT_LIMITS))
@pytest.mark.parametrize("side", ["below", "above"])
def test_integer_field_out_of_range_names_field_value_and_limits(name, side):
    low, high = INT_LIMITS[name]
    value = low - 1 if side == "below" else high + 1
    raises_naming(f"{name} = {value}", "out of range", f"between {low} and {high}", **{name: value})


@pytest.mark.parametrize("name", list(INT_LIMITS))
def test_integer_field_limits_are_inclusive(name):
    low, high = INT_LIMITS[name]
    assert getattr(LSTMConfig(**{name: low}), name) == low
    assert getattr(LSTMConfig(**{name: high}), name) == high


@pytest.mark.parametrize("name", list(INT_LIMITS) + ["proj_size"])
@pytest.mark.parametrize("value", [2.5, "3", True, None], ids=["float", "str", "bool", "none"])
def test_non_integer_sizes_are_rejected(name, value):
    raises_naming(name, "whole number", repr(value), **{name: value})


@pytest.mark.parametrize("name", ["bias", "batch_first", "bidirectional"])
@pytest.mark.parametrize("value", [1, "yes", None])
def test_flags_must_be_booleans(name, value):
    raises_naming(name, "True or False", repr(value), **{name: value})


@pytest.mark.parametrize(("proj", "hidden"), [(5, 5), (6, 5), (1, 1)])
def test_proj_size_must_be_smaller_than_hidden_size(proj, hidden):
    message = raises_naming(
        f"proj_size = {proj}", f"hidden_size = {hidden}", "smaller", proj_size=proj, hidden_size=hidden
    )
    assert "0 turns it off" in message


def test_negative_proj_size_is_rejected():
    raises_naming("proj_size = -1", "0 (no projection) or a positive number", proj_size=-1)


def test_largest_projection_is_accepted():
    assert LSTMConfig(hidden_size=5, proj_size=4).out_size == 4


@pytest.mark.parametrize(
    ("name", "value", "choices"),
    [
        ("input_kind", "noise", "sine, random, step, text"),
        ("dtype", "float16", "float32, float64"),
        ("initial_state", "ones", "zeros, random"),
        ("dtype", None, "float32, float64"),
    ],
)
def test_choice_fields_name_the_allowed_values(name, value, choices):
    raises_naming(f"{name} = {value!r}", f"is not one of {choices}", **{name: value})


@pytest.mark.parametrize("dropout", [-0.1, 1.0, 1.5, float("nan"), "0.5", None])
def test_dropout_outside_zero_to_one_is_rejected(dropout):
    raises_naming(f"dropout = {dropout!r}", "at least 0 and below 1", dropout=dropout)


@pytest.mark.parametrize("dropout", [0, 0.0, 0.5, 0.999])
def test_dropout_in_range_is_accepted(dropout):
    assert LSTMConfig(dropout=dropout, num_layers=2).dropout == dropout


def test_recorded_values_cap_is_inclusive():
    # 1 layer x 1 direction x 500 steps x 8 batch x (6 x 160 + 40) = 4,000,000 exactly.
    at_cap = LSTMConfig(seq_len=500, batch=8, hidden_size=160, proj_size=40)
    assert at_cap.recorded_values == MAX_RECORDED_VALUES
    message = raises_naming("4,004,000", "4,000,000", "record", seq_len=500, batch=8, hidden_size=160, proj_size=41)
    assert re.search(r"batch, sequence, hidden size or layers smaller", message)


def test_cap_counts_layers_and_directions():
    cfg = LSTMConfig(seq_len=500, batch=8, hidden_size=80, proj_size=40)  # 2,080,000 values
    assert cfg.recorded_values < MAX_RECORDED_VALUES
    raises_naming("8,320,000", "4,000,000", **{**cfg.to_dict(), "num_layers": 2, "bidirectional": True})


def test_config_is_frozen_and_replace_validates():
    cfg = LSTMConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.hidden_size = 7
    assert cfg.replace(hidden_size=7).hidden_size == 7
    assert cfg.hidden_size == 5
    with pytest.raises(ValueError, match="proj_size = 5 must be smaller than hidden_size = 5"):
        cfg.replace(proj_size=5)


def test_to_dict_round_trips_every_field():
    cfg = LSTMConfig(hidden_size=9, proj_size=2, bidirectional=True, input_kind="text", seed=42, dtype="float64")
    d = cfg.to_dict()
    assert tuple(d) == FIELD_NAMES
    assert LSTMConfig(**d) == cfg
    assert hash(LSTMConfig(**d)) == hash(cfg)
