"""parameter_table and direction_weights: PyTorch's names, shapes and order, described in words."""

from __future__ import annotations

import pytest
from torch import nn

from lstm_viz import parameter_table
from lstm_viz.params import direction_weights, param_name

CONFIGS = [
    {"input_size": 4, "hidden_size": 5},
    {"input_size": 4, "hidden_size": 5, "proj_size": 3},
    {"input_size": 4, "hidden_size": 5, "bias": False},
    {"input_size": 3, "hidden_size": 6, "num_layers": 3, "bidirectional": True},
    {"input_size": 3, "hidden_size": 6, "num_layers": 2, "bidirectional": True, "proj_size": 2},
    {"input_size": 7, "hidden_size": 4, "num_layers": 2, "bias": False, "proj_size": 1},
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_parameter_table_equals_named_parameters_in_order(kwargs):
    lstm = nn.LSTM(**kwargs)
    table = parameter_table(lstm)
    assert [(r.name, r.shape) for r in table] == [(n, tuple(p.shape)) for n, p in lstm.named_parameters()]
    assert sum(r.numel for r in table) == sum(p.numel() for p in lstm.parameters())
    assert all(r.description.endswith(".") and len(r.description) > 30 for r in table)


def test_parameter_table_of_the_tutorials_projected_lstm():
    table = parameter_table(nn.LSTM(4, 5, batch_first=True, proj_size=3))
    assert [(r.name, r.shape) for r in table] == [
        ("weight_ih_l0", (20, 4)),
        ("weight_hh_l0", (20, 3)),
        ("bias_ih_l0", (20,)),
        ("bias_hh_l0", (20,)),
        ("weight_hr_l0", (3, 5)),
    ]
    rows = {r.name: r for r in table}
    assert rows["weight_ih_l0"].numel == 80
    for name in ("weight_ih_l0", "weight_hh_l0"):
        text = rows[name].description
        for words in (
            "rows 0-4",
            "input gate i",
            "5-9 the forget gate f",
            "10-14 the cell candidate g",
            "15-19 the output gate o",
        ):
            assert words in text, (name, words)
    assert "proj_size=3" in rows["weight_hh_l0"].description
    assert "projected 3-vector" in rows["weight_hh_l0"].description
    assert "4 columns, one per input feature" in rows["weight_ih_l0"].description
    assert "5-unit m_t" in rows["weight_hr_l0"].description and "3-unit h_t" in rows["weight_hr_l0"].description
    assert "i, f, g, o blocks of 5" in rows["bias_ih_l0"].description
    assert "b_i* + b_h*" in rows["bias_hh_l0"].description


def test_parameter_table_describes_directions_and_layer_inputs():
    rows = {r.name: r.description for r in parameter_table(nn.LSTM(3, 6, num_layers=2, bidirectional=True))}
    assert "layer 1, reverse direction" in rows["weight_ih_l1_reverse"]
    assert "layer 0, forward direction" in rows["weight_hh_l0"]
    assert "12 columns: layer 0's output, forward and reverse concatenated (2 x 6)" in rows["weight_ih_l1"]
    assert "6 columns, one per hidden unit" in rows["weight_hh_l1"]
    assert not any("proj" in d for d in rows.values())


def test_parameter_table_names_the_projected_width_of_deeper_layer_inputs():
    rows = {
        r.name: r.description for r in parameter_table(nn.LSTM(3, 6, num_layers=2, bidirectional=True, proj_size=2))
    }
    assert "4 columns: layer 0's output, forward and reverse concatenated (2 x 2)" in rows["weight_ih_l1"]


@pytest.mark.parametrize(
    ("kind", "layer", "reverse", "name"),
    [
        ("weight_ih", 0, False, "weight_ih_l0"),
        ("weight_hh", 1, True, "weight_hh_l1_reverse"),
        ("weight_hr", 2, False, "weight_hr_l2"),
    ],
)
def test_param_name_is_pytorchs(kind, layer, reverse, name):
    assert param_name(kind, layer, reverse) == name
    assert name in dict(nn.LSTM(2, 3, num_layers=3, bidirectional=True, proj_size=1).named_parameters())


@pytest.mark.parametrize("reverse", [False, True])
def test_direction_weights_are_the_modules_own_tensors(reverse):
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
    w = direction_weights(lstm, 1, reverse)
    sfx = "_l1" + ("_reverse" if reverse else "")
    for field in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"):
        got, param = getattr(w, field), getattr(lstm, field + sfx)
        assert got.data_ptr() == param.data_ptr() and got.shape == param.shape, field
        assert not got.requires_grad


def test_direction_weights_leave_absent_parameters_none():
    w = direction_weights(nn.LSTM(3, 5, bias=False), 0)
    assert w.bias_ih is None and w.bias_hh is None and w.weight_hr is None
    assert w.hidden_size == 5 and w.out_size == 5
