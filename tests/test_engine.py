"""engine.run_direction and its helpers, checked against nn.LSTMCell without going through trace()."""

from __future__ import annotations

import pytest
import torch

from lstm_viz.engine import GATES, DirectionWeights, run_direction, step_preactivations
from lstm_viz.params import direction_weights

TOL = 1e-10


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("proj_size", [0, 2], ids=["no_proj", "proj"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
def test_run_direction_equals_lstm_cell_stepped_over_time(make_case, cell_reference, maxdiff, reverse, proj_size, bias):
    case = make_case(bidirectional=True, proj_size=proj_size, bias=bias, with_hx=True, batch=3, steps=8, seed=21)
    x = case.input  # [T, B, I]
    h0, c0 = case.hx[0][int(reverse)], case.hx[1][int(reverse)]
    w = direction_weights(case.lstm, 0, reverse)
    run = run_direction(x, h0, c0, w, reverse=reverse)
    ref = cell_reference(case.lstm, 0, reverse, x.transpose(0, 1), h0, c0)  # batch-major
    assert run.gates.shape == (8, 3, 4 * 5)
    for name in GATES:
        assert maxdiff(run.gate(name), getattr(ref, name).transpose(0, 1)) <= TOL, name
    for name in "cmh":
        assert maxdiff(getattr(run, name), getattr(ref, name).transpose(0, 1)) <= TOL, name


def test_gate_views_follow_pytorch_chunk_order(make_case):
    case = make_case(hidden_size=3)
    run = run_direction(
        case.input,
        torch.zeros(2, 3, dtype=torch.float64),
        torch.zeros(2, 3, dtype=torch.float64),
        direction_weights(case.lstm, 0),
    )
    # Columns are PyTorch's chunk(4) order (i, f, g, o), as in weight_ih's rows.
    for k, name in enumerate("ifgo"):
        view = run.gate(name)
        assert view.shape == (3, 2, 3)
        assert view.data_ptr() == run.gates[..., 3 * k : 3 * k + 3].data_ptr()


def test_run_direction_shares_m_and_h_without_projection_only(make_case):
    for proj_size, shared in ((0, True), (2, False)):
        case = make_case(proj_size=proj_size)
        out = proj_size or 5
        run = run_direction(
            case.input,
            torch.zeros(2, out, dtype=torch.float64),
            torch.zeros(2, 5, dtype=torch.float64),
            direction_weights(case.lstm, 0),
        )
        assert (run.h is run.m) is shared
        assert run.h.shape == (3, 2, out)


def test_run_direction_leaves_its_inputs_and_weights_untouched(make_case):
    case = make_case(proj_size=2, with_hx=True)
    w = direction_weights(case.lstm, 0)
    before = [t.clone() for t in (case.input, case.hx[0][0], case.hx[1][0], *w.__dict__.values())]
    run_direction(case.input, case.hx[0][0], case.hx[1][0], w)
    after = (case.input, case.hx[0][0], case.hx[1][0], *w.__dict__.values())
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))


@pytest.mark.parametrize("bias", [True, False])
def test_step_preactivations_are_input_and_recurrent_products(make_case, maxdiff, bias):
    case = make_case(bias=bias, proj_size=3, with_hx=True)
    lstm = case.lstm
    w = direction_weights(lstm, 0)
    x_t, h_prev = case.input[1], case.hx[0][0]
    from_input, from_hidden = step_preactivations(x_t, h_prev, w)
    want_in = torch.einsum("gi,bi->bg", lstm.weight_ih_l0.detach(), x_t)
    want_hid = torch.einsum("gh,bh->bg", lstm.weight_hh_l0.detach(), h_prev)
    if bias:
        want_in = want_in + lstm.bias_ih_l0.detach()
        want_hid = want_hid + lstm.bias_hh_l0.detach()
    assert maxdiff(from_input, want_in) <= TOL
    assert maxdiff(from_hidden, want_hid) <= TOL


def test_direction_weights_sizes():
    w = DirectionWeights(
        weight_ih=torch.zeros(20, 4),
        weight_hh=torch.zeros(20, 3),
        bias_ih=None,
        bias_hh=None,
        weight_hr=torch.zeros(3, 5),
    )
    assert w.hidden_size == 5 and w.out_size == 3
    assert DirectionWeights(torch.zeros(20, 4), torch.zeros(20, 5), None, None, None).out_size == 5
