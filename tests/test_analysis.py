"""analysis: saturation fractions, PCA, forget products, and the hand-written RNN against autograd."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz.analysis import forget_product, pca_2d, saturation, step_norms
from lstm_viz.gradient_flow import gradient_flow
from lstm_viz.losses import output_loss_grad
from lstm_viz.rnn_backward import rnn_backward, rnn_like
from lstm_viz.tasks.losses import TASK_LOSS
from lstm_viz.trace import trace


def constructed(rec, **gates):
    """A record with chosen gate values (the rest kept), for exact expectations."""
    return dataclasses.replace(rec, **gates)


def test_saturation_fractions_are_exact_on_a_constructed_trace(make_case):
    case = make_case(hidden_size=3, batch=2, steps=5)
    rec = trace(case.lstm, case.input).layer(0)
    i = torch.full((2, 5, 3), 0.5, dtype=torch.float64)
    i[0, :2, 0] = 0.05  # unit 0: 2 of 10 (batch, step) values below 0.1
    i[1, :, 1] = 0.95  # unit 1: 5 of 10 above 0.9
    i[0, 0, 2], i[1, 4, 2] = 0.1, 0.9  # unit 2: exactly at the thresholds counts as neither
    f = torch.zeros(2, 5, 3, dtype=torch.float64)  # every value left-saturated
    o = torch.ones(2, 5, 3, dtype=torch.float64)
    sat = saturation(constructed(rec, i=i, f=f, o=o))
    assert list(sat) == ["i", "f", "o"]
    assert sat["i"].left.tolist() == [0.2, 0.0, 0.0]
    assert sat["i"].right.tolist() == [0.0, 0.5, 0.0]
    assert sat["f"].left.tolist() == [1.0] * 3 and sat["f"].right.tolist() == [0.0] * 3
    assert sat["o"].right.tolist() == [1.0] * 3 and sat["o"].left.tolist() == [0.0] * 3


@pytest.mark.parametrize("n", [1, 2, 6])
def test_pca_equals_numpy_svd_up_to_sign(n):
    gen = torch.Generator().manual_seed(n)
    states = torch.randn(3, 7, n, generator=gen, dtype=torch.float64) @ torch.randn(n, n, generator=gen).double()
    traj = pca_2d(states)
    flat = states.reshape(21, n).numpy()
    centred = flat - flat.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    k = min(2, n)
    for c in range(k):
        sign = np.sign(vt[c] @ traj.components[c].numpy())
        np.testing.assert_allclose(traj.components[c].numpy(), sign * vt[c], atol=1e-10)
        np.testing.assert_allclose(traj.coords[..., c].reshape(-1).numpy(), sign * centred @ vt[c], atol=1e-10)
    np.testing.assert_allclose(traj.explained[:k].numpy(), (s**2 / (s**2).sum())[:k], atol=1e-12)
    assert traj.coords.shape == (3, 7, 2)
    if n == 1:
        assert not traj.coords[..., 1].any()


@pytest.mark.parametrize("reverse", [False, True])
def test_forget_product_equals_its_definition(make_case, reverse):
    case = make_case(bidirectional=True, batch=2, steps=5)
    rec = trace(case.lstm, case.input).layer(0, reverse)
    got = forget_product(rec)
    steps = rec.steps
    for t in range(steps):
        later = range(t) if reverse else range(t + 1, steps)  # the steps this direction walks after t
        want = torch.ones(2, rec.f.shape[-1], dtype=torch.float64)
        for s in later:
            want = want * rec.f[:, s]
        torch.testing.assert_close(got[:, t], want, rtol=1e-14, atol=0)


def test_step_norms_are_euclidean_norms_per_step():
    grad = torch.arange(24, dtype=torch.float64).view(2, 3, 4)
    assert torch.equal(step_norms(grad, 1), grad[1].norm(dim=1))
    assert torch.allclose(step_norms(grad), grad.transpose(0, 1).reshape(3, -1).norm(dim=1))


def test_rnn_like_is_seeded_and_sized_like_the_lstm(make_case):
    case = make_case(num_layers=2, bidirectional=True, bias=False, batch_first=True)
    a, b, c = rnn_like(case.lstm, 3), rnn_like(case.lstm, 3), rnn_like(case.lstm, 4)
    assert (a.input_size, a.hidden_size, a.num_layers, a.bidirectional, a.bias, a.batch_first) == (
        4,
        5,
        2,
        True,
        False,
        True,
    )
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a.weight_hh_l0, c.weight_hh_l0)
    assert a.weight_ih_l0.dtype == torch.float64
    bound = 1 / 5**0.5
    assert all(p.abs().max() <= bound for p in a.parameters())


@pytest.mark.parametrize(
    ("num_layers", "bidirectional", "bias", "batch_first", "batched", "with_h0"),
    [(1, False, True, False, True, False), (2, True, True, True, True, True), (2, False, False, False, False, True)],
)
def test_rnn_backward_matches_autograd_through_nn_rnn(num_layers, bidirectional, bias, batch_first, batched, with_h0):
    gen = torch.Generator().manual_seed(0)
    rnn = nn.RNN(3, 4, num_layers=num_layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional)
    rnn = rnn.double().eval()
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1)
    dirs = 2 if bidirectional else 1
    x = torch.randn((2, 5, 3) if batch_first else (5, 2, 3), generator=gen, dtype=torch.float64)
    h0 = torch.randn(num_layers * dirs, 2, 4, generator=gen, dtype=torch.float64)
    if not batched:
        x, h0 = (x[0] if batch_first else x[:, 0]), h0[:, 0]
    xs, h0s = x.clone().requires_grad_(), h0.clone().requires_grad_()
    out, h_n = rnn(xs, h0s)
    grad_out = torch.randn(out.shape, generator=gen, dtype=torch.float64)
    params = dict(rnn.named_parameters())
    want = torch.autograd.grad(out, [xs, h0s, *params.values()], grad_out)
    mine = rnn_backward(rnn, x, grad_out, h0 if with_h0 else None)
    if not with_h0:  # autograd ran from h0 given; rerun it from zeros
        xs = x.clone().requires_grad_()
        zeros = torch.zeros_like(h0).requires_grad_()
        out, _ = rnn(xs, zeros)
        want = torch.autograd.grad(out, [xs, zeros, *params.values()], grad_out)
    assert (mine.output - out).abs().max() <= 1e-12
    got = [mine.input, mine.h0, *mine.params.values()]
    assert list(mine.params) == list(params)
    for name, a, b in zip(["input", "h0", *params], got, want, strict=True):
        assert a.shape == b.shape, name
        assert (a - b).abs().max() <= 1e-10, name
    # dL/dh_t of the top layer at the last step is what the output there receives, plus nothing recurrent.
    last = mine.layer_dh(num_layers - 1)
    top = grad_out if batch_first or not batched else grad_out.transpose(0, 1)
    top = top if batched else top.unsqueeze(0)
    assert torch.equal(last[:, -1], top[:, -1, :4])


def test_rnn_backward_refuses_relu():
    with pytest.raises(ValueError, match="tanh"):
        rnn_backward(nn.RNN(2, 3, nonlinearity="relu"), torch.zeros(4, 1, 2), torch.zeros(4, 1, 3))


@pytest.mark.parametrize(("batch_first", "batched"), [(False, True), (True, True), (False, False)])
def test_output_loss_grad_puts_ones_where_the_loss_reads(batch_first, batched):
    out = torch.randn((2, 4, 3) if batch_first else (4, 2, 3), dtype=torch.float64)
    if not batched:
        out = out[0] if batch_first else out[:, 0]
    every = output_loss_grad(out, "every", None, batch_first, batched)
    assert torch.equal(every, torch.ones_like(out))
    last = output_loss_grad(out, "last", 7, batch_first, batched)  # unit clipped to the last feature
    assert last.sum() == (2 if batched else 1)
    tm = last if batched else last.unsqueeze(0 if batch_first else 1)
    tm = tm.transpose(0, 1) if batch_first else tm
    assert tm[-1, :, 2].eq(1).all()


@pytest.mark.parametrize("name", ["brackets", "remember_bit"])
def test_gradient_flow_of_the_task_loss_is_autograd_through_both_networks_head_and_loss(name):
    from test_backward import task_case

    model, b = task_case(name, seed=4)
    x = b.x.double()
    flow = gradient_flow(model.lstm, x, None, TASK_LOSS, None, seed=9, task=model, batch=b)
    assert flow.loss.kind == TASK_LOSS
    # The LSTM: nn.LSTM + head + the task's loss, by autograd.
    xs = x.clone().requires_grad_()
    out, _ = model.lstm(xs)
    value = model.task.loss(model.head(out), b)
    (want,) = torch.autograd.grad(value, xs)
    assert (flow.grads.input - want).abs().max() < 1e-10
    assert flow.loss.value == pytest.approx(value.item(), rel=1e-12)
    # The RNN: the same head on its h, the same loss, by autograd through nn.RNN.
    rnn = rnn_like(model.lstm, 9)
    xs = x.clone().requires_grad_()
    params = dict(rnn.named_parameters())
    out, _ = rnn(xs)
    value = model.task.loss(model.head(out), b)
    want = torch.autograd.grad(value, [xs, *params.values()])
    for n, mine, theirs in zip(["input", *params], [flow.rnn.input, *flow.rnn.params.values()], want, strict=True):
        assert (mine - theirs).abs().max() < 1e-10, n
    assert flow.rnn_loss == pytest.approx(value.item(), rel=1e-12)
    # No gradient reaches a step after the last one the loss scores.
    last_scored = int(b.mask.any(0).nonzero().max())
    assert torch.all(flow.grads.layer(0).dc[:, last_scored + 1 :] == 0)


def test_gradient_flow_needs_the_task_for_the_task_loss(make_case):
    case = make_case()
    with pytest.raises(ValueError, match="task model"):
        gradient_flow(case.lstm, case.input, None, TASK_LOSS, None, seed=0)


def test_rnn_backward_takes_the_gradient_as_a_function_of_its_output():
    rnn = nn.RNN(3, 4, batch_first=True).double()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    seen = []
    by_fn = rnn_backward(rnn, x, lambda out: seen.append(out) or 2 * out)
    with torch.no_grad():
        out, _ = rnn(x)
    assert torch.allclose(seen[0], out, atol=1e-12)  # handed in the module's own layout
    assert torch.equal(by_fn.input, rnn_backward(rnn, x, 2 * by_fn.output).input)


@pytest.mark.parametrize("name", ["brackets", "remember_bit"])
def test_gradient_flow_races_the_given_rnn_through_its_own_read_out(name):
    """A task's RNN (``rnn_model``) is raced as given: its own head and the task's loss, equal to autograd."""
    from test_backward import task_case

    from lstm_viz.tasks.rnn import init_rnn

    model, b = task_case(name, seed=2)
    x = b.x.double()
    rnn_model = init_rnn(model.task, model.lstm.hidden_size, seed=7)  # float32, as shipped
    flow = gradient_flow(model.lstm, x, None, TASK_LOSS, None, seed=0, task=model, batch=b, rnn_model=rnn_model)
    assert rnn_model.rnn.weight_hh_l0.dtype == torch.float32, "the shared model is cast in a copy"
    rnn, head = rnn_model.rnn.double(), rnn_model.head.double()
    xs = x.clone().requires_grad_()
    params = dict(rnn.named_parameters())
    out, _ = rnn(xs)
    value = model.task.loss(head(out), b)
    want = torch.autograd.grad(value, [xs, *params.values()])
    for n, mine, theirs in zip(["input", *params], [flow.rnn.input, *flow.rnn.params.values()], want, strict=True):
        assert (mine - theirs).abs().max() < 1e-10, n
    assert flow.rnn_loss == pytest.approx(value.item(), rel=1e-12)
    # A sum loss races the same RNN: its h, the same steps.
    last = gradient_flow(model.lstm, x, None, "last", None, seed=0, rnn_model=rnn_model)
    xs = x.clone().requires_grad_()
    out, _ = rnn(xs)
    (want,) = torch.autograd.grad(out[:, -1].sum(), xs)
    assert (last.rnn.input - want).abs().max() < 1e-10
