"""trace() on a CUDA module: same device, same values as nn.LSTM there (cuDNN). Skipped without a GPU."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from lstm_viz import LSTMConfig, build, compare, trace

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")

CONFIGS = list(itertools.product((1, 2), (False, True), (0, 3), (True, False), (False, True)))


@pytest.fixture(autouse=True)
def _no_tf32():
    # TF32 would round cuDNN's float32 products to 10 mantissa bits: that is not the rounding under test.
    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


@pytest.mark.parametrize(("num_layers", "bidirectional", "proj_size", "bias", "batch_first"), CONFIGS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_trace_on_cuda_matches_nn_lstm_on_cuda(num_layers, bidirectional, proj_size, bias, batch_first, dtype):
    cfg = LSTMConfig(
        input_size=6,
        hidden_size=7,
        num_layers=num_layers,
        bidirectional=bidirectional,
        proj_size=proj_size,
        bias=bias,
        batch_first=batch_first,
        batch=3,
        seq_len=11,
        dtype=dtype,
        initial_state="random",
        input_kind="random",
    )
    built = build(cfg)
    lstm: nn.LSTM = built.lstm.cuda()
    x = built.input.cuda()
    hx = tuple(t.cuda() for t in built.hx)
    tr = trace(lstm, x, hx)
    with torch.no_grad():
        output, (h_n, c_n) = lstm(x, hx)
    for mine, theirs in ((tr.output, output), (tr.h_n, h_n), (tr.c_n, c_n)):
        assert mine.device == x.device and mine.shape == theirs.shape
        if dtype == "float64":
            assert (mine - theirs).abs().max().item() <= 1e-10
        else:
            torch.testing.assert_close(mine, theirs)  # float32: rtol 1.3e-6, atol 1e-5
    assert tr.layer(0).i.device == x.device
    cpu = trace(built.lstm.cpu(), built.input, built.hx)
    torch.testing.assert_close(tr.output.cpu(), cpu.output)


def test_compare_runs_on_cuda():
    built = build(LSTMConfig(dtype="float64", seq_len=20, hidden_size=16, num_layers=2, bidirectional=True))
    lstm, x = built.lstm.cuda(), built.input.cuda()
    tr = trace(lstm, x)
    cmp = compare(lstm, x, None, tr)
    assert cmp.allclose and cmp.max_diff <= 1e-10, cmp.verdict
