"""trace(): parity with nn.LSTM, every gate record against nn.LSTMCell, step terms, errors, nbytes."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from lstm_viz import LSTMTrace, trace

F64_TOL = 1e-10
# float32 and float64 alike: torch.allclose's defaults against nn.LSTM's generic CPU loop, which the engine
# mirrors operation for operation (it is in fact bit-identical there). PyTorch's default float32 kernel
# (oneDNN, no projection) sums in another order and is checked separately, to float32 rounding.
ONEDNN_TOL = {"rtol": 1.3e-6, "atol": 1e-5}  # torch.testing.assert_close's float32 tolerances


def official(case, generic: bool = True):
    """nn.LSTM on the case: its generic loop (oneDNN off), or as called by default."""
    with torch.no_grad(), torch.backends.mkldnn.flags(enabled=not generic):
        output, (h_n, c_n) = case.lstm(case.input, case.hx)
    return output, h_n, c_n


def assert_matches_nn_lstm(case, tr: LSTMTrace) -> None:
    """output, h_n, c_n have nn.LSTM's shapes, dtype, device and values: allclose defaults, float64 to 1e-10."""
    output, h_n, c_n = official(case)
    for name, mine, theirs in (("output", tr.output, output), ("h_n", tr.h_n, h_n), ("c_n", tr.c_n, c_n)):
        assert mine.shape == theirs.shape, name
        assert mine.dtype == theirs.dtype, name
        assert mine.device == case.input.device, name
        assert torch.allclose(mine, theirs), name
        if mine.dtype == torch.float64:
            assert (mine - theirs).abs().max().item() <= F64_TOL, name
    default = official(case, generic=False)
    for name, mine, theirs in zip(("output", "h_n", "c_n"), (tr.output, tr.h_n, tr.c_n), default, strict=True):
        assert torch.allclose(mine, theirs, **ONEDNN_TOL), f"{name} vs nn.LSTM's default kernel"


GRID = list(
    itertools.product(
        (1, 2, 3),  # num_layers
        (False, True),  # bidirectional
        (0, 3),  # proj_size
        (True, False),  # bias
        (False, True),  # batch_first
        (True, False),  # batched
        (False, True),  # with_hx
        (torch.float64, torch.float32),
    )
)


@pytest.mark.parametrize(
    ("num_layers", "bidirectional", "proj_size", "bias", "batch_first", "batched", "with_hx", "dtype"),
    GRID,
    ids=[
        f"L{n}-{'bi' if bi else 'uni'}-proj{p}-{'bias' if b else 'nobias'}-{'batch_first' if bf else 'time_major'}"
        f"-{'3d' if bt else '2d'}-{'hx' if hx else 'nohx'}-{str(dt)[6:]}"
        for n, bi, p, b, bf, bt, hx, dt in GRID
    ],
)
def test_trace_matches_nn_lstm_over_config_grid(
    make_case, num_layers, bidirectional, proj_size, bias, batch_first, batched, with_hx, dtype
):
    case = make_case(
        input_size=4,
        hidden_size=5,
        num_layers=num_layers,
        bidirectional=bidirectional,
        proj_size=proj_size,
        bias=bias,
        batch_first=batch_first,
        batched=batched,
        with_hx=with_hx,
        dtype=dtype,
        batch=3,
        steps=6,
        seed=num_layers,
    )
    tr = trace(case.lstm, case.input, case.hx)
    assert_matches_nn_lstm(case, tr)
    assert tr.batched is batched
    assert tr.batch_first is batch_first


def test_trace_matches_nn_lstm_bidirectional_projected(make_case):
    case = make_case(num_layers=2, bidirectional=True, proj_size=2, with_hx=True, batch=4, steps=9, seed=7)
    tr = trace(case.lstm, case.input, case.hx)
    assert_matches_nn_lstm(case, tr)
    assert tr.output.shape == (9, 4, 2 * 2)


@settings(max_examples=800, deadline=None)
@given(
    data=st.data(),
    input_size=st.integers(1, 12),
    hidden_size=st.integers(1, 12),
    num_layers=st.integers(1, 3),
    bias=st.booleans(),
    batch_first=st.booleans(),
    bidirectional=st.booleans(),
    batch=st.integers(1, 4),
    steps=st.integers(1, 10),
    batched=st.booleans(),
    with_hx=st.booleans(),
    dtype=st.sampled_from([torch.float64, torch.float32]),
    seed=st.integers(0, 2**16),
)
def test_trace_matches_nn_lstm_for_any_config(
    make_case,
    data,
    input_size,
    hidden_size,
    num_layers,
    bias,
    batch_first,
    bidirectional,
    batch,
    steps,
    batched,
    with_hx,
    dtype,
    seed,
):
    proj_size = data.draw(st.integers(0, hidden_size - 1), label="proj_size")
    case = make_case(
        input_size=input_size,
        hidden_size=hidden_size,
        num_layers=num_layers,
        bias=bias,
        batch_first=batch_first,
        bidirectional=bidirectional,
        proj_size=proj_size,
        batch=batch,
        steps=steps,
        batched=batched,
        with_hx=with_hx,
        dtype=dtype,
        seed=seed,
    )
    assert_matches_nn_lstm(case, trace(case.lstm, case.input, case.hx))


def _lstm_input(case):
    return case.lstm, case.input


# --- gate records -------------------------------------------------------------------------------------


def _batch_major_input_and_state(case):
    """The case's input as [B, T, I] and its (h0, c0) as [D*L, B, *] (zeros when hx is omitted)."""
    x = case.input
    if x.dim() == 2:
        x = x.unsqueeze(0 if case.lstm.batch_first else 1)
    x = x if case.lstm.batch_first else x.transpose(0, 1)
    dirs = 2 if case.lstm.bidirectional else 1
    n, batch = case.lstm.num_layers * dirs, x.shape[0]
    if case.hx is None:
        out = case.lstm.proj_size or case.lstm.hidden_size
        return x, x.new_zeros(n, batch, out), x.new_zeros(n, batch, case.lstm.hidden_size)
    h0, c0 = case.hx
    if h0.dim() == 2:
        h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
    return x, h0, c0


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("proj_size", [0, 3], ids=["no_proj", "proj"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
@pytest.mark.parametrize("with_hx", [False, True], ids=["hx_omitted", "hx_given"])
def test_gate_records_equal_lstm_cell_reference(
    make_case, cell_reference, maxdiff, reverse, proj_size, bias, batch_first, with_hx
):
    case = make_case(
        bidirectional=reverse,
        proj_size=proj_size,
        bias=bias,
        batch_first=batch_first,
        with_hx=with_hx,
        batch=3,
        steps=7,
        seed=11,
    )
    tr = trace(case.lstm, case.input, case.hx)
    x, h0, c0 = _batch_major_input_and_state(case)
    k = int(reverse)
    ref = cell_reference(case.lstm, 0, reverse, x, h0[k], c0[k])
    rec = tr.layer(0, reverse=reverse)
    assert rec.reverse is reverse and rec.layer == 0
    hidden, out = case.lstm.hidden_size, proj_size or case.lstm.hidden_size
    for name in "ifgocm":
        assert getattr(rec, name).shape == (3, 7, hidden), name
        assert maxdiff(getattr(rec, name), getattr(ref, name)) <= F64_TOL, name
    assert rec.h.shape == (3, 7, out)
    assert maxdiff(rec.h, ref.h) <= F64_TOL
    assert maxdiff(rec.x, x) == 0.0
    assert maxdiff(rec.h0, h0[k]) == 0.0 and maxdiff(rec.c0, c0[k]) == 0.0


def test_gate_records_of_unbatched_input_have_batch_one(make_case, cell_reference, maxdiff):
    case = make_case(batched=False, with_hx=True, proj_size=2, steps=5, seed=3)
    tr = trace(case.lstm, case.input, case.hx)
    rec = tr.layer(0)
    assert rec.i.shape == (1, 5, 5) and rec.h.shape == (1, 5, 2) and rec.x.shape == (1, 5, 4)
    x, h0, c0 = _batch_major_input_and_state(case)
    ref = cell_reference(case.lstm, 0, False, x, h0[0], c0[0])
    for name in "ifgocmh":
        assert maxdiff(getattr(rec, name), getattr(ref, name)) <= F64_TOL, name


def test_gate_records_hold_the_lstm_equations(make_case, maxdiff):
    """c_t = f*c_prev + i*g, m_t = o*tanh(c_t), h_t = W_hr m_t, in both directions."""
    case = make_case(bidirectional=True, proj_size=3, with_hx=True, batch=2, steps=6, seed=5)
    tr = trace(case.lstm, case.input, case.hx)
    for reverse in (False, True):
        rec = tr.layer(0, reverse)
        w_hr = getattr(case.lstm, "weight_hr_l0" + ("_reverse" if reverse else "")).detach()
        for t in range(rec.steps):
            prev = rec.prev_index(t)
            c_prev = rec.c0 if prev is None else rec.c[:, prev]
            assert maxdiff(rec.c[:, t], rec.f[:, t] * c_prev + rec.i[:, t] * rec.g[:, t]) <= F64_TOL
            assert maxdiff(rec.m[:, t], rec.o[:, t] * torch.tanh(rec.c[:, t])) <= F64_TOL
            assert maxdiff(rec.h[:, t], rec.m[:, t] @ w_hr.t()) <= F64_TOL


def test_h_is_m_without_projection(make_case):
    case = make_case(proj_size=0)
    rec = trace(case.lstm, case.input).layer(0)
    assert torch.equal(rec.h, rec.m)


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("proj_size", [0, 2], ids=["no_proj", "proj"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
def test_each_layer_feeds_the_next_and_the_last_layer_is_output(
    make_case, cell_reference, maxdiff, bidirectional, proj_size, batch_first
):
    case = make_case(
        num_layers=3,
        bidirectional=bidirectional,
        proj_size=proj_size,
        batch_first=batch_first,
        with_hx=True,
        batch=2,
        steps=5,
        seed=13,
    )
    tr = trace(case.lstm, case.input, case.hx)
    dirs = 2 if bidirectional else 1
    assert len(tr.layers) == 3 * dirs
    _, h0, c0 = _batch_major_input_and_state(case)

    def layer_h(k):
        return torch.cat([tr.layer(k, bool(d)).h for d in range(dirs)], dim=-1)  # [B, T, D*H_out]

    for k in range(1, 3):
        for d in range(dirs):
            assert maxdiff(tr.layer(k, bool(d)).x, layer_h(k - 1)) == 0.0
    output_bt = tr.output if batch_first else tr.output.transpose(0, 1)
    assert maxdiff(layer_h(2), output_bt) == 0.0
    # Deeper layers' records are right too, given what they consumed.
    for k in range(3):
        for d in range(dirs):
            rec = tr.layer(k, bool(d))
            ref = cell_reference(case.lstm, k, bool(d), rec.x, h0[k * dirs + d], c0[k * dirs + d])
            for name in "ifgocmh":
                assert maxdiff(getattr(rec, name), getattr(ref, name)) <= F64_TOL, (k, d, name)
    # h_n / c_n are the last step of each layer-direction in its own walking order.
    for k in range(3):
        for d in range(dirs):
            rec, last = tr.layer(k, bool(d)), (0 if d else -1)
            assert torch.equal(tr.h_n[k * dirs + d], rec.h[:, last])
            assert torch.equal(tr.c_n[k * dirs + d], rec.c[:, last])


def test_layer_lookup_rejects_missing_layers_and_directions(make_case):
    tr = trace(*_lstm_input(make_case(num_layers=2)))
    with pytest.raises(IndexError, match="layer 2 is outside 0..1"):
        tr.layer(2)
    with pytest.raises(IndexError, match="not bidirectional"):
        tr.layer(0, reverse=True)
    assert tr.layer(1).layer == 1


# --- step terms ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("proj_size", [0, 3], ids=["no_proj", "proj"])
def test_step_terms_split_preactivations_and_reproduce_gates(make_case, maxdiff, reverse, bias, proj_size):
    case = make_case(bidirectional=True, bias=bias, proj_size=proj_size, with_hx=True, batch=2, steps=6)
    tr = trace(case.lstm, case.input, case.hx)
    rec = tr.layer(0, reverse)
    sfx = "_l0" + ("_reverse" if reverse else "")
    w_ih = getattr(case.lstm, "weight_ih" + sfx).detach()
    w_hh = getattr(case.lstm, "weight_hh" + sfx).detach()
    first = rec.steps - 1 if reverse else 0
    for t in (first, 3):  # the step that starts from h0, and one mid-sequence
        terms = rec.step_terms(t)
        prev = rec.prev_index(t)
        h_prev = rec.h0 if prev is None else rec.h[:, prev]
        c_prev = rec.c0 if prev is None else rec.c[:, prev]
        if t == first:
            assert prev is None
            assert torch.equal(terms.h_prev, rec.h0) and torch.equal(terms.c_prev, rec.c0)
        else:
            assert prev == (t + 1 if reverse else t - 1)
        want_in = rec.x[:, t] @ w_ih.t()
        want_hid = h_prev @ w_hh.t()
        if bias:
            want_in = want_in + getattr(case.lstm, "bias_ih" + sfx).detach()
            want_hid = want_hid + getattr(case.lstm, "bias_hh" + sfx).detach()
        assert terms.t == t
        assert maxdiff(terms.x_t, rec.x[:, t]) == 0.0
        assert maxdiff(terms.h_prev, h_prev) == 0.0 and maxdiff(terms.c_prev, c_prev) == 0.0
        assert maxdiff(terms.from_input, want_in) <= F64_TOL
        assert maxdiff(terms.from_hidden, want_hid) <= F64_TOL
        for gate, act in (("i", torch.sigmoid), ("f", torch.sigmoid), ("g", torch.tanh), ("o", torch.sigmoid)):
            from_input, from_hidden = terms.split(gate)
            assert from_input.shape == (2, case.lstm.hidden_size)
            assert maxdiff(act(from_input + from_hidden), getattr(rec, gate)[:, t]) <= F64_TOL, gate


def test_step_terms_rejects_steps_outside_the_sequence(make_case):
    rec = trace(*_lstm_input(make_case(steps=4))).layer(0)
    for t in (-1, 4):
        with pytest.raises(IndexError, match=f"step {t} is outside 0..3"):
            rec.step_terms(t)


# --- ranges, device, nbytes ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gates_stay_in_their_activation_ranges(make_case, dtype):
    case = make_case(num_layers=2, bidirectional=True, proj_size=2, with_hx=True, steps=20, batch=4, dtype=dtype)
    # Large inputs saturate the gates: the ranges must hold at the extremes too.
    tr = trace(case.lstm, case.input * 30, case.hx)
    for rec in tr.layers:
        for name in "ifo":
            v = getattr(rec, name)
            assert v.min() >= 0 and v.max() <= 1, name
        for name in "gm":
            v = getattr(rec, name)
            assert v.min() >= -1 and v.max() <= 1, name
    first = tr.layer(0)
    assert first.i.min() < 0.01 and first.i.max() > 0.99  # the saturation really happened
    assert first.g.min() < -0.99 and first.g.max() > 0.99


@pytest.mark.parametrize(
    ("num_layers", "bidirectional", "proj_size", "dtype", "batched"),
    [
        (1, False, 0, torch.float32, True),
        (1, False, 3, torch.float64, True),
        (2, True, 0, torch.float64, True),
        (3, True, 2, torch.float32, True),
        (2, False, 4, torch.float32, False),
    ],
)
def test_nbytes_is_itemsize_times_recorded_values_plus_alignment(
    make_case, num_layers, bidirectional, proj_size, dtype, batched
):
    hidden, steps, batch = 5, 7, 3
    case = make_case(
        num_layers=num_layers,
        bidirectional=bidirectional,
        proj_size=proj_size,
        dtype=dtype,
        batched=batched,
        hidden_size=hidden,
        steps=steps,
        batch=batch,
    )
    tr = trace(case.lstm, case.input, case.hx)
    dirs = 2 if bidirectional else 1
    itemsize = torch.empty(0, dtype=dtype).element_size()
    b = batch if batched else 1
    exact = itemsize * num_layers * dirs * steps * b * (6 * hidden + proj_size)
    # m and h (with a projection) pad each step to a 64-byte boundary so BLAS rounds as in ATen's loop.
    padding = num_layers * dirs * 2 * (steps + 1) * 64
    assert exact <= tr.nbytes <= exact + padding


# --- independence from nn.LSTM's own kernels -----------------------------------------------------------


def test_trace_never_calls_pytorchs_lstm_kernels(make_case, monkeypatch, maxdiff):
    case = make_case(num_layers=2, bidirectional=True, proj_size=2, with_hx=True, steps=5)
    with torch.no_grad():
        want_output, (want_h, want_c) = case.lstm(case.input, case.hx)

    def forbidden(*args, **kwargs):
        raise AssertionError("PyTorch's LSTM kernel was called")

    monkeypatch.setattr(nn.LSTM, "forward", forbidden)
    monkeypatch.setattr(nn.LSTMCell, "forward", forbidden)
    monkeypatch.setattr(torch._VF, "lstm", forbidden)
    monkeypatch.setattr(torch._VF, "lstm_cell", forbidden, raising=False)
    monkeypatch.setattr(torch, "lstm", forbidden)
    monkeypatch.setattr(torch, "lstm_cell", forbidden)
    with pytest.raises(AssertionError, match="kernel was called"):
        case.lstm(case.input, case.hx)  # the patches bite
    tr = trace(case.lstm, case.input, case.hx)
    assert maxdiff(tr.output, want_output) <= F64_TOL
    assert maxdiff(tr.h_n, want_h) <= F64_TOL
    assert maxdiff(tr.c_n, want_c) <= F64_TOL


# --- errors -------------------------------------------------------------------------------------------


def test_packed_sequence_input_is_rejected(make_case):
    case = make_case(batch=2, steps=4)
    packed = pack_padded_sequence(case.input, torch.tensor([4, 2]))
    with pytest.raises(TypeError, match="PackedSequence input is not supported"):
        trace(case.lstm, packed)


def test_training_mode_dropout_is_rejected_with_advice_to_call_eval(make_case):
    case = make_case(num_layers=2, dropout=0.5)
    case.lstm.train()
    with pytest.raises(ValueError, match=r"dropout=0\.5.*call lstm\.eval\(\)"):
        trace(case.lstm, case.input)


def test_eval_mode_dropout_is_traced_and_matches(make_case):
    case = make_case(num_layers=2, dropout=0.5, with_hx=True)
    assert not case.lstm.training
    assert_matches_nn_lstm(case, trace(case.lstm, case.input, case.hx))


def test_training_mode_without_dropout_matches(make_case):
    case = make_case(num_layers=2, dropout=0.0)
    case.lstm.train()
    assert_matches_nn_lstm(case, trace(case.lstm, case.input, case.hx))


def test_trace_records_no_autograd_graph(make_case):
    case = make_case()
    tr = trace(case.lstm, case.input.requires_grad_())
    assert not tr.output.requires_grad and not tr.layer(0).i.requires_grad


def test_trace_records_are_read_only_but_usable(make_case):
    case = make_case(with_hx=True)
    tr = trace(case.lstm, case.input, case.hx)
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor"):
        tr.layer(0).c.add_(1)
    copy = tr.output.clone()
    copy.mul_(2)  # a copy is an ordinary tensor
    assert torch.equal(copy, tr.output * 2) and tr.output.numpy().shape == tuple(tr.output.shape)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda c: (c.input[..., :3], c.hx), r"input\.size\(-1\) must be equal to input_size\. Expected 4, got 3"),
        (lambda c: (c.input.float(), c.hx), r"input dtype \(torch\.float32\) does not match weight dtype"),
        (lambda c: (c.input[0, 0], c.hx), "Expected input to be 2D or 3D, got 1D"),
        (lambda c: (c.input[None], c.hx), "Expected input to be 2D or 3D, got 4D"),
        (lambda c: (c.input, (c.hx[0][:, :1], c.hx[1])), r"Expected hidden\[0\] size \(1, 2, 5\), got \(1, 1, 5\)"),
        (lambda c: (c.input, (c.hx[0], c.hx[1][..., :4])), r"Expected hidden\[1\] size \(1, 2, 5\), got \(1, 2, 4\)"),
        (lambda c: (c.input, (c.hx[0][0], c.hx[1][0])), "For 3-D input, hx and cx should also be 3-D"),
        (lambda c: (c.input, c.hx[0]), r"hx must be a tuple \(h_0, c_0\)"),
        (lambda c: (c.input, (c.hx[0].float(), c.hx[1])), r"hx dtype \(torch\.float32\) does not match"),
        (lambda c: (c.input, (c.hx[0], c.hx[1].float())), r"hx dtype \(torch\.float32\) does not match"),
        (lambda c: (c.input, (c.hx[0].to("meta"), c.hx[1])), "hx is on meta but the input is on cpu"),
        (lambda c: (c.input.to("meta"), c.hx), "input is on meta but the LSTM is on cpu"),
    ],
    ids=[
        "input_size",
        "input_dtype",
        "input_1d",
        "input_4d",
        "h0_batch",
        "c0_hidden",
        "hx_dims",
        "hx_not_a_pair",
        "h0_dtype",
        "c0_dtype",
        "h0_device",
        "input_device",
    ],
)
def test_wrong_input_or_hx_raises_value_error(make_case, mutate, match):
    case = make_case(with_hx=True, batch=2, hidden_size=5)
    x, hx = mutate(case)
    with pytest.raises(ValueError, match=match):
        trace(case.lstm, x, hx)


def test_unbatched_input_with_3d_hx_raises_value_error(make_case):
    case = make_case(with_hx=True, batch=1)
    with pytest.raises(ValueError, match="For 2-D input, hx and cx should also be 2-D"):
        trace(case.lstm, case.input[:, 0], case.hx)


def test_trace_record_is_frozen(make_case):
    tr = trace(*_lstm_input(make_case()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        tr.output = tr.output + 1
