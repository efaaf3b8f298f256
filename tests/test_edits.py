"""Weight experiments: each preset does what it says, to every layer and direction, and both forwards see it."""

from __future__ import annotations

import pytest
import torch

from lstm_viz import compare, tasks, trace
from lstm_viz.build import build
from lstm_viz.config import LSTMConfig
from lstm_viz.edits import PRESETS, Edits, apply_edits

CONFIG = LSTMConfig(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, seq_len=12, batch=3, seed=4)


def _rows(gate: str, hidden: int) -> slice:
    k = "ifgo".index(gate)
    return slice(k * hidden, (k + 1) * hidden)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_reaches_both_forwards_and_the_verdict_stays(preset):
    built = build(CONFIG)
    lstm = apply_edits(built.lstm, Edits(preset))
    tr = trace(lstm, built.input, built.hx)
    result = compare(lstm, built.input, built.hx, tr)
    assert result.allclose and result.max_diff == 0.0
    if preset != "none":
        assert not torch.equal(tr.output, trace(built.lstm, built.input, built.hx).output), "the edit changes h"
        assert lstm is not built.lstm, "the original weights are never touched"


def test_presets_pin_the_gates_they_name_in_every_layer_and_direction():
    built = build(CONFIG)
    shut = trace(apply_edits(built.lstm, Edits("input gate shut")), built.input, built.hx)
    saturated = trace(apply_edits(built.lstm, Edits("output gate saturated")), built.input, built.hx)
    for rec in shut.layers:
        assert float(rec.i.max()) < 1e-12
    for rec in saturated.layers:
        assert float(rec.o.min()) > 1 - 1e-12
        torch.testing.assert_close(rec.m, torch.tanh(rec.c), rtol=0, atol=1e-6)


def test_forget_bias_presets_shift_only_b_if_by_their_amount():
    lstm = build(CONFIG).lstm
    for preset, delta in (("forget bias +1", 1.0), ("forget bias -3", -3.0)):
        edited = apply_edits(lstm, Edits(preset))
        for name, p in lstm.named_parameters():
            q = getattr(edited, name)
            if name.startswith("bias_ih"):
                f = _rows("f", 5)
                torch.testing.assert_close(q[f] - p[f], torch.full((5,), delta))
                keep = torch.ones(20, dtype=torch.bool)
                keep[f] = False
                assert torch.equal(q[keep], p[keep])
            else:
                assert torch.equal(q, p), name


def test_recurrent_zeroed_makes_each_step_independent_of_the_previous_h():
    built = build(CONFIG.replace(num_layers=1, bidirectional=False))
    rec = trace(apply_edits(built.lstm, Edits("recurrent weights zeroed")), built.input).layer(0)
    for t in range(1, rec.steps):
        _, h_part = rec.step_terms(t).split("i")
        torch.testing.assert_close(h_part, built.lstm.bias_hh_l0.detach()[:5].expand(3, 5))


def test_scale_multiplies_the_gates_pre_activation():
    built = build(CONFIG.replace(num_layers=1, bidirectional=False, dtype="float64"))
    plain = trace(built.lstm, built.input).layer(0)
    scaled = trace(apply_edits(built.lstm, Edits(scale=(1.0, 0.5, 1.0, 1.0))), built.input).layer(0)
    # Step 0 starts from the same zero state, so f's pre-activation is exactly halved there.
    logit = torch.logit(plain.f[:, 0])
    torch.testing.assert_close(torch.logit(scaled.f[:, 0]), 0.5 * logit, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(scaled.i[:, 0], plain.i[:, 0], rtol=0, atol=0)


def test_edits_validate_their_values_and_bias_free_lstms_refuse_bias_presets():
    with pytest.raises(ValueError, match="preset 'melt' is not one of"):
        Edits("melt")
    with pytest.raises(ValueError, match="scale of gate f = 9.0 is outside -5.0..5.0"):
        Edits(scale=(1.0, 9.0, 1.0, 1.0))
    lstm = build(CONFIG.replace(bias=False)).lstm
    with pytest.raises(ValueError, match="has none"):
        apply_edits(lstm, Edits("forget bias -3"))
    assert apply_edits(lstm, Edits("recurrent weights zeroed")).weight_hh_l0.abs().sum() == 0
    assert Edits("input gate shut", (1.0, 2.0, 1.0, 1.0)).describe() == "input gate shut; f pre-activation × 2"


def test_forget_bias_minus_three_breaks_the_bit_memory():
    model = tasks.pretrained("remember_bit")
    broken = apply_edits(model.lstm, Edits("forget bias -3"))
    assert model.evaluate() > 0.98
    assert model.evaluate(broken) < 0.75, "a forgetful cell cannot hold the bit to the query"
