"""compare(): nn.LSTM's own result beside the trace's, the measured differences and the verdict."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from lstm_viz import LSTMConfig, build, compare, trace


def _built_trace(**changes):
    built = build(LSTMConfig(**changes))
    return built, trace(built.lstm, built.input, built.hx)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_verdict_says_matches_and_states_the_measured_max_diff(dtype):
    built, tr = _built_trace(dtype=dtype, num_layers=2, bidirectional=True, initial_state="random", seq_len=8)
    cmp = compare(built.lstm, built.input, built.hx, tr)
    assert cmp.allclose
    assert cmp.verdict.startswith("matches nn.LSTM")
    assert f"max |diff| {cmp.max_diff:.1e}" in cmp.verdict
    assert dtype in cmp.verdict and cmp.dtype == getattr(torch, dtype)
    with torch.no_grad(), torch.backends.mkldnn.flags(enabled=False):
        output, (h_n, c_n) = built.lstm(built.input, built.hx)
    assert torch.equal(cmp.output, output) and torch.equal(cmp.h_n, h_n) and torch.equal(cmp.c_n, c_n)
    assert cmp.output_max_diff == (output - tr.output).abs().max().item()
    assert cmp.c_n_max_diff == (c_n - tr.c_n).abs().max().item()
    assert cmp.max_diff == max(cmp.output_max_diff, cmp.h_n_max_diff, cmp.c_n_max_diff)
    assert cmp.max_diff < (1e-6 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_verdict_uses_allclose_defaults(dtype):
    built, tr = _built_trace(dtype=dtype)
    cmp = compare(built.lstm, built.input, built.hx, tr)
    assert (cmp.rtol, cmp.atol) == (1e-5, 1e-8)
    assert f"rtol 1e-05, atol 1e-08, {dtype}" in cmp.verdict


@pytest.mark.parametrize("seed", range(40))
def test_float32_traces_equal_nn_lstm_generic_loop_bit_for_bit(seed):
    # The engine mirrors ATen's generic loop kernel for kernel, so even float32 has zero difference there,
    # and the verdict holds at allclose's default atol=1e-8.
    built, tr = _built_trace(
        seed=seed, num_layers=2, seq_len=12, batch=3, input_kind="random", batch_first=bool(seed % 2)
    )
    cmp = compare(built.lstm, built.input, built.hx, tr)
    assert cmp.allclose, cmp.verdict
    assert cmp.max_diff == 0.0, cmp.verdict


def test_default_float32_kernel_differs_only_by_rounding():
    built, tr = _built_trace(seq_len=40, hidden_size=32, batch=4, input_size=16, input_kind="random")
    cmp = compare(built.lstm, built.input, built.hx, tr)
    with torch.no_grad():
        default_output, _ = built.lstm(built.input, built.hx)
    measured = (default_output - tr.output).abs().max().item()
    assert cmp.default_kernel_max_diff >= measured
    assert 0.0 < cmp.default_kernel_max_diff < 1e-5  # oneDNN sums in another order: float32 rounding


def test_default_kernel_is_the_generic_loop_in_float64_and_with_projection():
    for changes in ({"dtype": "float64"}, {"proj_size": 2}):
        built, tr = _built_trace(**changes)
        cmp = compare(built.lstm, built.input, built.hx, tr)
        assert cmp.default_kernel_max_diff == cmp.max_diff


@pytest.mark.parametrize(
    ("batch_first", "batched"),
    [(False, True), (True, True), (False, False), (True, False)],
    ids=["time_major", "batch_first", "unbatched", "unbatched_batch_first"],
)
def test_step_max_diff_has_one_entry_per_step_and_finds_the_bad_step(batch_first, batched):
    built, tr = _built_trace(
        dtype="float64", batch_first=batch_first, seq_len=7, batch=3 if batched else 1, bidirectional=True
    )
    x = built.input if batched else (built.input[0] if batch_first else built.input[:, 0])
    tr = trace(built.lstm, x)
    cmp = compare(built.lstm, x, None, tr)
    assert cmp.step_max_diff.shape == (7,)
    assert cmp.step_max_diff.max().item() == cmp.output_max_diff
    bad = tr.output.clone()
    time_dim = 1 if (batch_first and batched) else 0
    bad.select(time_dim, 4).add_(1e-3)
    broken = compare(built.lstm, x, None, dataclasses.replace(tr, output=bad))
    assert broken.step_max_diff.shape == (7,)
    assert broken.step_max_diff.argmax().item() == 4
    assert abs(broken.step_max_diff[4].item() - 1e-3) < 1e-9
    assert broken.step_max_diff[torch.arange(7) != 4].max() < 1e-12


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_corrupted_trace_does_not_match(dtype):
    built, tr = _built_trace(dtype=dtype, initial_state="random")
    broken = dataclasses.replace(tr, output=tr.output + 1e-3)
    cmp = compare(built.lstm, built.input, built.hx, broken)
    assert not cmp.allclose
    assert cmp.verdict.startswith("DOES NOT match nn.LSTM")
    assert abs(cmp.output_max_diff - 1e-3) < 1e-6
    assert "max |diff| 1.0e-03" in cmp.verdict


def test_corrupted_cell_state_alone_does_not_match():
    built, tr = _built_trace(dtype="float64")
    cmp = compare(built.lstm, built.input, built.hx, dataclasses.replace(tr, c_n=tr.c_n * 1.01))
    assert not cmp.allclose and cmp.output_max_diff < 1e-12 and cmp.c_n_max_diff > 0


def test_explicit_tolerances_are_used_and_stated():
    built, tr = _built_trace(dtype="float64")
    broken = dataclasses.replace(tr, output=tr.output + 1e-3)
    cmp = compare(built.lstm, built.input, built.hx, broken, rtol=0.0, atol=1e-2)
    assert cmp.allclose and (cmp.rtol, cmp.atol) == (0.0, 1e-2)
    assert "rtol 0e+00, atol 1e-02" in cmp.verdict
