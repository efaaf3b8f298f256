"""backward(): every gradient equals autograd through nn.LSTM; dL/dc_t, dL/dh_t, gates by finite differences."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor, nn

from lstm_viz.backward import Gradients, backward
from lstm_viz.losses import LOSSES, loss_grad
from lstm_viz.tasks.losses import TASK_LOSS, task_loss_grad
from lstm_viz.trace import trace

F64_TOL = 1e-10


def output_grads(case, seed: int = 1) -> tuple[Tensor, Tensor, Tensor]:
    """Random dL/d(output), dL/dh_n, dL/dc_n for a case, shaped like nn.LSTM's results."""
    with torch.no_grad():
        out, (h_n, c_n) = case.lstm(case.input, case.hx)
    gen = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(t.shape, generator=gen, dtype=torch.float64).to(t.dtype) for t in (out, h_n, c_n))  # type: ignore[return-value]


def autograd_grads(case, grads, generic: bool = True) -> dict[str, Tensor]:
    """Autograd through nn.LSTM itself: input, h0, c0 (zeros requiring grad when hx is None), parameters.

    ``generic`` turns oneDNN off, so float32 runs the CPU loop the trace mirrors (as in test_trace).
    """
    lstm = case.lstm
    x = case.input.detach().clone().requires_grad_()
    if case.hx is None:
        with torch.no_grad():
            _, (h_n, c_n) = lstm(case.input)
        h0, c0 = torch.zeros_like(h_n).requires_grad_(), torch.zeros_like(c_n).requires_grad_()
    else:
        h0, c0 = (s.detach().clone().requires_grad_() for s in case.hx)
    params = dict(lstm.named_parameters())
    with torch.backends.mkldnn.flags(enabled=not generic):
        out, (h_n, c_n) = lstm(x, (h0, c0))
    got = torch.autograd.grad((out, h_n, c_n), [x, h0, c0, *params.values()], grads)
    return dict(zip(["input", "h0", "c0", *params], got, strict=True))


def as_dict(g: Gradients) -> dict[str, Tensor]:
    return {"input": g.input, "h0": g.h0, "c0": g.c0, **g.params}


def assert_matches_autograd(case, g: Gradients, grads) -> None:
    """Same names, shapes and dtypes as autograd; float64 within 1e-10, float32 at allclose defaults."""
    want = autograd_grads(case, grads)
    mine = as_dict(g)
    assert list(mine) == list(want), "params in named_parameters() order"
    for name, theirs in want.items():
        assert mine[name].shape == theirs.shape, name
        assert mine[name].dtype == theirs.dtype, name
        assert torch.allclose(mine[name], theirs), (name, (mine[name] - theirs).abs().max().item())
        if theirs.dtype == torch.float64:
            assert (mine[name] - theirs).abs().max().item() <= F64_TOL, name


# (batched, with_hx): unbatched input without hx adds nothing the other three do not cover.
STATES = ((True, False), (True, True), (False, True))
GRID = [
    (layers, bi, proj, bias, batch_first, batched, with_hx, dtype)
    for layers, bi, proj, bias, batch_first, (batched, with_hx), dtype in itertools.product(
        (1, 2, 3),  # num_layers
        (False, True),  # bidirectional
        (0, 3),  # proj_size
        (True, False),  # bias
        (False, True),  # batch_first
        STATES,
        (torch.float64, torch.float32),
    )
]


@pytest.mark.parametrize(
    ("num_layers", "bidirectional", "proj_size", "bias", "batch_first", "batched", "with_hx", "dtype"),
    GRID,
    ids=[
        f"L{n}-{'bi' if bi else 'uni'}-proj{p}-{'bias' if b else 'nobias'}-{'batch_first' if bf else 'time_major'}"
        f"-{'3d' if bt else '2d'}-{'hx' if hx else 'nohx'}-{str(dt)[6:]}"
        for n, bi, p, b, bf, bt, hx, dt in GRID
    ],
)
def test_backward_matches_autograd_through_nn_lstm_over_config_grid(
    make_case, num_layers, bidirectional, proj_size, bias, batch_first, batched, with_hx, dtype
):
    case = make_case(
        num_layers=num_layers,
        bidirectional=bidirectional,
        proj_size=proj_size,
        bias=bias,
        batch_first=batch_first,
        batched=batched,
        with_hx=with_hx,
        dtype=dtype,
        batch=3,
        steps=5,
        seed=num_layers,
    )
    grads = output_grads(case)
    g = backward(trace(case.lstm, case.input, case.hx), *grads)
    assert_matches_autograd(case, g, grads)


@settings(max_examples=60, deadline=None)
@given(
    input_size=st.integers(1, 4),
    hidden_size=st.integers(1, 4),
    proj=st.integers(0, 3),
    num_layers=st.integers(1, 3),
    bidirectional=st.booleans(),
    bias=st.booleans(),
    batch_first=st.booleans(),
    batched=st.booleans(),
    with_hx=st.booleans(),
    batch=st.integers(1, 3),
    steps=st.integers(1, 5),
    dtype=st.sampled_from([torch.float64, torch.float32]),
    which=st.sampled_from(["all", "output", "h_n", "c_n"]),
    seed=st.integers(0, 2**16),
)
def test_backward_matches_autograd_for_any_config(
    make_case,
    input_size,
    hidden_size,
    proj,
    num_layers,
    bidirectional,
    bias,
    batch_first,
    batched,
    with_hx,
    batch,
    steps,
    dtype,
    which,
    seed,
):
    case = make_case(
        input_size=input_size,
        hidden_size=hidden_size,
        num_layers=num_layers,
        bias=bias,
        batch_first=batch_first,
        bidirectional=bidirectional,
        proj_size=proj % hidden_size,  # proj_size must stay below hidden_size
        batch=batch,
        steps=steps,
        batched=batched,
        with_hx=with_hx,
        dtype=dtype,
        seed=seed,
    )
    full = output_grads(case, seed)
    keep = {"all": (0, 1, 2), "output": (0,), "h_n": (1,), "c_n": (2,)}[which]
    # A gradient left out is None for backward() and zeros for autograd: the same loss.
    grads = tuple(t if k in keep else None for k, t in enumerate(full))
    g = backward(trace(case.lstm, case.input, case.hx), *grads)
    zeros_for_none = tuple(torch.zeros_like(z) if t is None else t for t, z in zip(grads, full, strict=True))
    assert_matches_autograd(case, g, zeros_for_none)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize(("num_layers", "bidirectional", "proj_size"), [(1, False, 0), (2, True, 3)])
def test_backward_rounds_exactly_like_autograds_cpu_loop(make_case, dtype, num_layers, bidirectional, proj_size):
    # Stronger than the tolerance: the chain rule runs in autograd's order with ATen's own local-derivative
    # kernels, so on the same BLAS every gradient is bit-identical, float32 included.
    case = make_case(
        num_layers=num_layers, bidirectional=bidirectional, proj_size=proj_size, with_hx=True, dtype=dtype, steps=7
    )
    grads = output_grads(case)
    mine = as_dict(backward(trace(case.lstm, case.input, case.hx), *grads))
    for name, theirs in autograd_grads(case, grads).items():
        assert torch.equal(mine[name], theirs), name


def test_backward_matches_pytorchs_default_float32_kernel_to_float32_rounding(make_case):
    case = make_case(hidden_size=6, with_hx=True, dtype=torch.float32, steps=8)
    grads = output_grads(case)
    mine = as_dict(backward(trace(case.lstm, case.input, case.hx), *grads))
    for name, theirs in autograd_grads(case, grads, generic=False).items():
        torch.testing.assert_close(mine[name], theirs, rtol=1e-4, atol=1e-5, msg=name)


def test_backward_never_calls_autograd(make_case, monkeypatch):
    case = make_case(num_layers=2, bidirectional=True, proj_size=2, with_hx=True, steps=4)
    grads = output_grads(case)
    want = autograd_grads(case, grads)

    def forbidden(*args, **kwargs):
        raise AssertionError("autograd was called")

    monkeypatch.setattr(torch.autograd, "grad", forbidden)
    monkeypatch.setattr(torch.autograd, "backward", forbidden)
    monkeypatch.setattr(torch.Tensor, "backward", forbidden)
    tr = trace(case.lstm, case.input, case.hx)
    g = backward(tr, *grads)
    assert all(t.grad_fn is None for t in as_dict(g).values())
    assert all(p.grad is None for p in case.lstm.parameters())
    for name, theirs in want.items():
        assert (as_dict(g)[name] - theirs).abs().max().item() <= F64_TOL, name


# --- the per-step records -------------------------------------------------------------------------------


def test_layer_records_have_trace_shapes_and_feed_h0_c0(make_case):
    case = make_case(num_layers=2, bidirectional=True, proj_size=3, hidden_size=5, batch=2, steps=4, with_hx=True)
    tr = trace(case.lstm, case.input, case.hx)
    g = backward(tr, *output_grads(case))
    for k in range(2):
        for reverse in (False, True):
            rec, lg = tr.layer(k, reverse), g.layer(k, reverse)
            assert (lg.layer, lg.reverse) == (k, reverse)
            assert lg.dh.shape == rec.h.shape == (2, 4, 3)
            for name in ("dc", "dm", "di", "df", "dg", "do"):
                assert getattr(lg, name).shape == rec.c.shape == (2, 4, 5), name
            assert lg.dx.shape == rec.x.shape
            assert torch.equal(lg.gate("f"), lg.df)
            assert torch.equal(g.h0[2 * k + reverse], lg.dh0)
            assert torch.equal(g.c0[2 * k + reverse], lg.dc0)
    with pytest.raises(IndexError):
        g.layer(2)
    g_uni = backward(trace(make_case().lstm, make_case().input), torch.ones(3, 2, 5, dtype=torch.float64))
    with pytest.raises(IndexError, match="not bidirectional"):
        g_uni.layer(0, reverse=True)


def test_input_gradient_is_the_sum_of_both_directions_dx(make_case):
    case = make_case(num_layers=1, bidirectional=True, batch_first=True, steps=5)
    g = backward(trace(case.lstm, case.input), *output_grads(case))
    assert torch.equal(g.input, g.layer(0).dx + g.layer(0, True).dx)


def test_gradients_of_zero_loss_are_zero(make_case):
    case = make_case(num_layers=2, proj_size=2, with_hx=True)
    g = backward(trace(case.lstm, case.input, case.hx), None)
    for name, t in as_dict(g).items():
        assert not t.any(), name


@pytest.mark.parametrize(
    ("arg", "shape"), [("grad_output", (3, 2, 4)), ("grad_h_n", (2, 2, 5)), ("grad_c_n", (1, 3, 5))]
)
def test_gradient_of_wrong_shape_raises_value_error(make_case, arg, shape):
    case = make_case()
    tr = trace(case.lstm, case.input)
    kwargs = {"grad_output": torch.ones_like(tr.output), arg: torch.ones(shape, dtype=torch.float64)}
    with pytest.raises(ValueError, match=arg):
        backward(tr, **kwargs)


# --- finite differences: dL/dc_t, dL/dh_t and gate pre-activations, which autograd on nn.LSTM cannot reach ---


def hand_forward(lstm: nn.LSTM, x: Tensor, hx, nudge: tuple | None = None):
    """An independent float64 forward over time-major ``x`` [T, B, I] that can add ``eps`` to one value.

    ``nudge = (what, layer, reverse, b, t, j, eps)`` adds ``eps`` to ``c_t``, ``h_t`` or one gate's
    pre-activation (``"pre_i"`` ...) of one layer-direction, right where the forward computes it, and the
    rest of the pass runs on from the nudged value.
    """
    dirs = 2 if lstm.bidirectional else 1
    steps, batch, _ = x.shape
    hidden = lstm.hidden_size
    h0, c0 = hx
    layer_in = x
    h_n, c_n = [], []
    for layer in range(lstm.num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w_ih, w_hh = getattr(lstm, "weight_ih" + sfx), getattr(lstm, "weight_hh" + sfx)
            h, c = h0[layer * dirs + d], c0[layer * dirs + d]
            out = [None] * steps
            for t in range(steps - 1, -1, -1) if d else range(steps):
                pre = layer_in[t] @ w_ih.T + h @ w_hh.T
                if lstm.bias:
                    pre = pre + getattr(lstm, "bias_ih" + sfx) + getattr(lstm, "bias_hh" + sfx)
                here = nudge is not None and (nudge[1], nudge[2], nudge[4]) == (layer, bool(d), t)
                if here and nudge[0].startswith("pre_"):
                    k = "ifgo".index(nudge[0][-1])
                    pre = pre.clone()
                    pre[nudge[3], k * hidden + nudge[5]] += nudge[6]
                i, f, g, o = pre.chunk(4, dim=1)
                c = f.sigmoid() * c + i.sigmoid() * g.tanh()
                if here and nudge[0] == "c":
                    c = c.clone()
                    c[nudge[3], nudge[5]] += nudge[6]
                h = o.sigmoid() * c.tanh()
                if lstm.proj_size:
                    h = h @ getattr(lstm, "weight_hr" + sfx).T
                if here and nudge[0] == "h":
                    h = h.clone()
                    h[nudge[3], nudge[5]] += nudge[6]
                out[t] = h
            outs.append(torch.stack(out))
            h_n.append(h)
            c_n.append(c)
        layer_in = torch.cat(outs, dim=-1)
    return layer_in, torch.stack(h_n), torch.stack(c_n)


@pytest.mark.parametrize(
    ("num_layers", "bidirectional", "proj_size", "bias"),
    [(1, False, 0, True), (2, True, 2, True), (2, False, 0, False)],
)
def test_state_and_gate_gradients_equal_finite_differences(make_case, num_layers, bidirectional, proj_size, bias):
    case = make_case(
        input_size=2,
        hidden_size=3,
        num_layers=num_layers,
        bidirectional=bidirectional,
        proj_size=proj_size,
        bias=bias,
        batch=2,
        steps=3,
        with_hx=True,
    )
    grad_out, grad_h, grad_c = output_grads(case)
    g = backward(trace(case.lstm, case.input, case.hx), grad_out, grad_h, grad_c)
    eps = 1e-6

    def loss(nudge):
        with torch.no_grad():
            out, h_n, c_n = hand_forward(case.lstm, case.input, case.hx, nudge)
        return float((out * grad_out).sum() + (h_n * grad_h).sum() + (c_n * grad_c).sum())

    checked = 0
    for layer in range(num_layers):
        for reverse in (False, True)[: 2 if bidirectional else 1]:
            rec = g.layer(layer, reverse)
            for what, grad in (("c", rec.dc), ("h", rec.dh), *((f"pre_{n}", rec.gate(n)) for n in "ifgo")):
                batch, steps, units = grad.shape
                for b, t, j in itertools.product(range(batch), range(steps), range(units)):
                    key = (what, layer, reverse, b, t, j)
                    numeric = (loss((*key, eps)) - loss((*key, -eps))) / (2 * eps)
                    assert abs(numeric - float(grad[b, t, j])) <= 1e-7 * (1 + abs(numeric)), key
                    checked += 1
    assert checked > 100


def test_hand_forward_of_the_finite_difference_check_is_nn_lstm(make_case):
    # The finite differences are only as good as the forward they nudge.
    case = make_case(num_layers=2, bidirectional=True, proj_size=2, with_hx=True)
    with torch.no_grad():
        want = case.lstm(case.input, case.hx)
        out, h_n, c_n = hand_forward(case.lstm, case.input, case.hx)
    for mine, theirs in zip((out, h_n, c_n), (want[0], *want[1]), strict=True):
        assert (mine - theirs).abs().max().item() <= F64_TOL


# --- losses ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(LOSSES))
@pytest.mark.parametrize("unit", [None, 1])
@pytest.mark.parametrize(("batch_first", "batched"), [(False, True), (True, True), (True, False)])
def test_loss_grad_is_the_gradient_of_its_value(make_case, kind, unit, batch_first, batched):
    case = make_case(bidirectional=True, batch_first=batch_first, batched=batched, steps=4)
    tr = trace(case.lstm, case.input)
    loss = loss_grad(tr, kind, unit)
    out = tr.output.clone().requires_grad_()
    tm = tr.time_major(out)  # [T, B, F]
    picked = tm[-1] if kind == "last" else tm
    value = (picked if unit is None else picked[..., unit]).sum()
    (want,) = torch.autograd.grad(value, out)
    assert loss.value == pytest.approx(value.item(), rel=1e-12)
    assert torch.equal(loss.grad_output, want)
    assert loss.grad_output.shape == tr.output.shape
    assert (loss.kind, loss.unit) == (kind, unit)


def test_loss_grad_rejects_unknown_kinds_and_units(make_case):
    tr = trace(make_case().lstm, make_case().input)
    with pytest.raises(ValueError, match="not one of"):
        loss_grad(tr, "mean")
    with pytest.raises(ValueError, match="outside"):
        loss_grad(tr, "last", unit=5)


# --- the task's own loss through its read-out ----------------------------------------------------------------


def task_case(name: str, seed: int = 0, hidden: int = 3, batch: int = 3, steps: int | None = None):
    """A small float64 task model (wide random weights, so the loss is far from 0) and a batch of its sequences."""
    from lstm_viz import tasks
    from lstm_viz.tasks.model import init_model

    task = tasks.get(name)
    model = init_model(task, hidden, seed)
    model.lstm.double()
    model.head.double()
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for p in [*model.lstm.parameters(), *model.head.parameters()]:
            p.copy_(torch.rand(p.shape, generator=gen, dtype=torch.float64) * 4 - 2)
    b = model.batch(batch, seed, steps or max(task.min_steps, 9))
    return model, b


TASKS = ["brackets", "remember_bit", "counting", "chars"]  # MSE, masked CE, MSE, CE over many classes


@pytest.mark.parametrize("name", TASKS)
def test_task_loss_grad_is_autograd_through_the_head_and_the_tasks_loss(name):
    model, b = task_case(name)
    tr = trace(model.lstm, b.x.double())
    loss = task_loss_grad(tr, model, b)
    h = tr.output.clone().requires_grad_()  # [B, T, H]
    value = model.task.loss(model.head(h), b)
    (want,) = torch.autograd.grad(value, h)
    assert loss.kind == TASK_LOSS and loss.unit is None
    assert loss.grad_output.shape == tr.output.shape and loss.grad_output.dtype == torch.float64
    assert (loss.grad_output - want).abs().max().item() < F64_TOL
    assert loss.value == pytest.approx(value.item(), rel=1e-12)
    # The masked steps get no gradient: remember_bit scores only the query.
    assert torch.all(loss.grad_output[~b.mask] == 0)
    assert ("mean squared error" if model.task.regression else "cross-entropy") in loss.description
    # The output alone (what a plain RNN's h is handed in as) gives the same.
    alone = task_loss_grad(tr.output, model, b)
    assert torch.equal(alone.grad_output, loss.grad_output) and alone.value == loss.value


@pytest.mark.parametrize("name", ["brackets", "remember_bit"])
def test_backward_of_the_task_loss_is_autograd_through_nn_lstm_head_and_loss(name):
    model, b = task_case(name, seed=3)
    x = b.x.double().requires_grad_()
    params = dict(model.lstm.named_parameters())
    out, _ = model.lstm(x)  # nn.LSTM itself, batch_first
    value = model.task.loss(model.head(out), b)
    want = torch.autograd.grad(value, [x, *params.values()])
    tr = trace(model.lstm, b.x.double())
    g = backward(tr, task_loss_grad(tr, model, b).grad_output)
    got = [g.input, *g.params.values()]
    assert list(g.params) == list(params)
    for n, mine, theirs in zip(["input", *params], got, want, strict=True):
        assert mine.shape == theirs.shape, n
        assert (mine - theirs).abs().max().item() < F64_TOL, n


def test_task_loss_grad_in_float32_matches_autograd_at_allclose_defaults():
    from lstm_viz import tasks

    model = tasks.pretrained("chars")
    b = model.batch(2, 5, 30)
    tr = trace(model.lstm, b.x)
    h = tr.output.clone().requires_grad_()
    (want,) = torch.autograd.grad(model.task.loss(model.head(h), b), h)
    loss = task_loss_grad(tr, model, b)
    assert loss.grad_output.dtype == torch.float32
    assert torch.allclose(loss.grad_output, want)


def test_task_loss_grad_writes_the_traces_own_layout():
    model, b = task_case("counting", seed=2)
    lstm_tm = nn.LSTM(model.lstm.input_size, model.lstm.hidden_size, dtype=torch.float64)  # time-major twin
    lstm_tm.load_state_dict(model.lstm.state_dict())
    tr_bf = trace(model.lstm, b.x.double())
    tr_tm = trace(lstm_tm, b.x.double().transpose(0, 1))
    bf, tm = task_loss_grad(tr_bf, model, b), task_loss_grad(tr_tm, model, b)
    assert tm.grad_output.shape == tr_tm.output.shape  # [T, B, H]
    assert torch.equal(tm.grad_output.transpose(0, 1), bf.grad_output)


def test_task_loss_grad_rejects_outputs_the_batch_or_head_cannot_read():
    model, b = task_case("brackets")
    tr = trace(model.lstm, b.x.double())
    with pytest.raises(ValueError, match="read-out takes 3 features"):
        task_loss_grad(tr.output[..., :2], model, b)
    with pytest.raises(ValueError, match="batch is"):
        task_loss_grad(tr.output[:1], model, b)
    with pytest.raises(ValueError, match="unbatched"):
        task_loss_grad(trace(model.lstm, b.x[0].double()), model, b)
    empty = dataclasses.replace(b, mask=torch.zeros_like(b.mask))
    with pytest.raises(ValueError, match="counts no step"):
        task_loss_grad(tr, model, empty)
