"""The unit finder: right where the answer is known, and on the shipped models what the tasks promise."""

from __future__ import annotations

import pytest
import torch

from lstm_viz import tasks, trace
from lstm_viz.engine import DirectionWeights
from lstm_viz.tasks.units import gate_facts, tracking_sentence, unit_scores
from lstm_viz.trace import LayerTrace


def _record(c: torch.Tensor, f: torch.Tensor | None = None) -> LayerTrace:
    """A layer record whose c (and forget gate) the test chooses; the rest is noise."""
    gen = torch.Generator().manual_seed(0)
    b, t, h = c.shape
    noise = lambda: torch.rand(b, t, h, generator=gen, dtype=torch.float64)  # noqa: E731
    w = DirectionWeights(torch.zeros(4 * h, 1), torch.zeros(4 * h, h), None, None, None)
    m = noise()
    return LayerTrace(
        layer=0,
        reverse=False,
        i=noise(),
        f=noise() if f is None else f,
        g=noise(),
        o=noise(),
        c=c,
        m=m,
        h=m,
        x=torch.zeros(b, t, 1),
        h0=torch.zeros(b, h),
        c0=torch.zeros(b, h),
        weights=w,
    )


def test_finder_names_the_unit_built_to_track_the_latent_with_its_slope():
    gen = torch.Generator().manual_seed(1)
    latent = torch.randint(0, 5, (8, 30), generator=gen).double().cumsum(1)
    c = torch.randn(8, 30, 5, generator=gen, dtype=torch.float64)
    c[..., 3] = -0.25 * latent + 0.01 * torch.randn(8, 30, generator=gen, dtype=torch.float64)
    best = unit_scores(_record(c), latent)[0]
    assert (best.unit, best.state) == (3, "c")
    assert best.r < -0.999
    assert best.slope == pytest.approx(-0.25, abs=1e-3)
    assert "unit 3's cell state c tracks the depth, r = -1.00" in tracking_sentence(best, "depth")


def test_unit_scores_are_pearsons_r_and_the_least_squares_slope_of_each_unit():
    import numpy as np

    from lstm_viz.trace import trace

    gen = torch.Generator().manual_seed(2)
    lstm = torch.nn.LSTM(3, 4, batch_first=True).double()
    x = torch.randn(2, 25, 3, generator=gen, dtype=torch.float64)
    latent = torch.randn(2, 25, generator=gen, dtype=torch.float64)
    rec = trace(lstm, x).layer(0)
    for score in unit_scores(rec, latent):
        v = getattr(rec, score.state)[..., score.unit].reshape(-1).numpy()
        y = latent.reshape(-1).numpy()
        assert score.r == pytest.approx(float(np.corrcoef(v, y)[0, 1]), abs=1e-12)
        assert score.slope == pytest.approx(float(np.polyfit(y, v, 1)[0]), abs=1e-10)


def test_gate_facts_report_each_phase_and_the_gate_that_changes_most():
    c = torch.zeros(2, 10, 3, dtype=torch.float64)
    f = torch.full((2, 10, 3), 0.5, dtype=torch.float64)
    holding = torch.zeros(2, 10, dtype=torch.bool)
    holding[:, 4:] = True
    f[..., 1][holding] = 0.99
    f[..., 1][~holding] = 0.10
    rec = _record(c, f)
    facts = gate_facts(rec, 1, {"while held": holding, "before": ~holding})
    forget = next(x for x in facts if x.gate == "f")
    assert forget.means == pytest.approx({"while held": 0.99, "before": 0.10})
    assert forget.contrast == pytest.approx(0.89)
    assert facts[0].gate == "f", "the gate whose behaviour depends most on the phase comes first"
    assert forget.sentence == "forget gate of unit 1 stays above 0.99 (mean 0.990) while held"


# remember_bit's cell state drifts while it holds the bit (a ramp away from 0), so the bit explains less of c's
# variance than of the squashed h: its c scores lower, and the finder names c.
@pytest.mark.parametrize("name, at_least", [("brackets", 0.95), ("remember_bit", 0.8), ("counting", 0.95)])
def test_shipped_models_have_a_unit_that_tracks_the_latent_better_than_untrained(name, at_least):
    model = tasks.pretrained(name)
    b = model.batch(64, seed=20_000)
    best = unit_scores(trace(model.lstm, b.x).layer(0), b.latent)[0]
    untrained = tasks.init_model(model.task, model.lstm.hidden_size, 0)
    before = unit_scores(trace(untrained.lstm, b.x).layer(0), b.latent)[0]
    assert abs(best.r) >= at_least
    assert abs(best.r) > abs(before.r), "training added something the untrained weights did not have"


def test_shipped_bit_model_holds_the_bit_with_an_open_forget_gate_and_a_marker_input_gate():
    model = tasks.pretrained("remember_bit")
    b = model.batch(64, seed=20_000)
    rec = trace(model.lstm, b.x).layer(0)
    best = unit_scores(rec, b.latent)[0]
    facts = {x.gate: x for x in gate_facts(rec, best.unit, model.task.phases(b))}
    assert facts["f"].means["while the bit is held"] > 0.9
    assert facts["i"].means["at the marker"] > facts["i"].means["while the bit is held"] + 0.2
