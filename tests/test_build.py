"""build(): bit-identical for the same config, independent of torch's global RNG, sensible inputs."""

from __future__ import annotations

import math

import pytest
import torch

from lstm_viz import Built, LSTMConfig, build
from lstm_viz.build import TEXT

RICH = LSTMConfig(
    input_size=6,
    hidden_size=7,
    num_layers=2,
    bidirectional=True,
    proj_size=3,
    batch=3,
    seq_len=9,
    input_kind="random",
    initial_state="random",
    seed=123,
)


def assert_bit_identical(a: Built, b: Built) -> None:
    pa, pb = dict(a.lstm.named_parameters()), dict(b.lstm.named_parameters())
    assert list(pa) == list(pb)
    for name in pa:
        assert torch.equal(pa[name], pb[name]), name
    assert torch.equal(a.input, b.input)
    assert (a.hx is None) == (b.hx is None)
    if a.hx is not None:
        assert torch.equal(a.hx[0], b.hx[0]) and torch.equal(a.hx[1], b.hx[1])


@pytest.mark.parametrize("kind", ["sine", "random", "step", "text"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_config_builds_bit_identical_weights_input_and_hx(kind, dtype):
    cfg = RICH.replace(input_kind=kind, dtype=dtype)
    assert_bit_identical(build(cfg), build(cfg))


def test_same_config_is_bit_identical_whatever_the_global_rng_did():
    torch.manual_seed(1)
    a = build(RICH)
    torch.manual_seed(2)
    torch.rand(100)
    assert_bit_identical(a, build(RICH))


def test_different_seed_gives_different_weights_input_and_hx():
    a, b = build(RICH), build(RICH.replace(seed=124))
    for (name, pa), pb in zip(a.lstm.named_parameters(), b.lstm.parameters(), strict=True):
        assert not torch.equal(pa, pb), name
    assert not torch.equal(a.input, b.input)
    assert not torch.equal(a.hx[0], b.hx[0]) and not torch.equal(a.hx[1], b.hx[1])


def test_build_leaves_torchs_global_rng_untouched():
    torch.manual_seed(0)
    state = torch.get_rng_state()
    for kind in ("sine", "random", "step", "text"):
        build(RICH.replace(input_kind=kind))
    assert torch.equal(torch.get_rng_state(), state)


def test_float32_weights_are_the_float64_weights_rounded():
    a, b = build(RICH), build(RICH.replace(dtype="float64"))
    for pa, pb in zip(a.lstm.parameters(), b.lstm.parameters(), strict=True):
        assert pa.dtype == torch.float32 and pb.dtype == torch.float64
        assert torch.equal(pa, pb.float())
    assert torch.equal(a.input, b.input.float())


@pytest.mark.parametrize("hidden_size", [1, 5, 64])
def test_weights_follow_pytorchs_default_init_bound(hidden_size):
    built = build(LSTMConfig(hidden_size=hidden_size, num_layers=2, dtype="float64"))
    bound = 1 / math.sqrt(hidden_size)
    values = torch.cat([p.detach().flatten() for p in built.lstm.parameters()])
    assert values.abs().max() <= bound
    assert values.abs().max() > 0.9 * bound  # spread over the whole range, not squeezed
    assert values.min() < 0 < values.max()


def test_built_module_matches_the_config_and_is_in_eval_mode():
    built = build(RICH.replace(batch_first=True, dropout=0.3, bias=False, dtype="float64"))
    lstm = built.lstm
    assert not lstm.training
    assert (lstm.input_size, lstm.hidden_size, lstm.num_layers, lstm.proj_size) == (6, 7, 2, 3)
    assert lstm.bidirectional and lstm.batch_first and not lstm.bias and lstm.dropout == 0.3
    assert all(p.dtype == torch.float64 and p.device.type == "cpu" for p in lstm.parameters())
    # The module is usable as is: nn.LSTM runs on the built input and hx.
    output, _ = lstm(built.input, built.hx)
    assert output.shape == (3, 9, 2 * 3)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("initial_state", ["zeros", "random"])
def test_input_and_hx_have_the_layout_nn_lstm_expects(batch_first, dtype, initial_state):
    cfg = RICH.replace(batch_first=batch_first, dtype=dtype, initial_state=initial_state)
    built = build(cfg)
    want = (3, 9, 6) if batch_first else (9, 3, 6)
    assert built.input.shape == want and built.input.dtype == getattr(torch, dtype)
    assert built.input.is_contiguous()
    if initial_state == "zeros":
        assert built.hx is None
    else:
        h0, c0 = built.hx
        assert h0.shape == (4, 3, 3) and c0.shape == (4, 3, 7)
        assert h0.dtype == c0.dtype == getattr(torch, dtype)
        assert h0.std() > 0.5 and c0.std() > 0.5  # standard normal, not zeros


def test_time_major_and_batch_first_builds_hold_the_same_sequences():
    a = build(RICH)
    b = build(RICH.replace(batch_first=True))
    assert torch.equal(a.input.transpose(0, 1), b.input)


def _batch_major(built: Built, cfg: LSTMConfig) -> torch.Tensor:
    return built.input if cfg.batch_first else built.input.transpose(0, 1)  # [B, T, I]


@pytest.mark.parametrize("seed", range(5))
def test_sine_input_is_in_minus_one_to_one_and_varies(seed):
    cfg = LSTMConfig(input_kind="sine", seq_len=64, input_size=5, batch=4, seed=seed)
    x = _batch_major(build(cfg), cfg)
    assert x.min() >= -1 and x.max() <= 1
    assert x.max() > 0.9 and x.min() < -0.9  # full swings over 64 steps
    assert not torch.equal(x[0], x[1])  # each batch item has its own phase


@pytest.mark.parametrize("seed", range(5))
def test_step_input_is_zero_or_one_with_steps_and_impulses(seed):
    cfg = LSTMConfig(input_kind="step", seq_len=40, input_size=4, batch=3, seed=seed)
    x = _batch_major(build(cfg), cfg)
    assert set(x.unique().tolist()) <= {0.0, 1.0}
    steps, impulses = x[..., 0::2], x[..., 1::2]
    assert (steps.diff(dim=1) >= 0).all()  # even features switch on and stay on
    assert (steps[:, 0] == 0).all() and (steps[:, -1] == 1).any()
    assert (impulses.sum(dim=1) <= 1).all() and impulses.sum() > 0  # odd features fire at most once


@pytest.mark.parametrize("input_size", [1, 3, len(set(TEXT))])
def test_text_input_is_one_hot_of_the_text(input_size):
    cfg = LSTMConfig(input_kind="text", seq_len=30, input_size=input_size, batch=2)
    x = _batch_major(build(cfg), cfg)
    assert set(x.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(x.sum(dim=-1), torch.ones(2, 30))
    if input_size == len(set(TEXT)):  # one feature per distinct character: the text reads back
        alphabet = sorted(set(TEXT))
        decoded = "".join(alphabet[k] for k in x[0].argmax(dim=-1).tolist())
        assert decoded == TEXT[:30]


def test_random_input_is_standard_normal():
    cfg = LSTMConfig(input_kind="random", seq_len=200, input_size=8, batch=8, dtype="float64")
    x = build(cfg).input
    assert abs(x.mean().item()) < 0.1 and abs(x.std().item() - 1) < 0.1


def _tutorial_draw_with_the_global_rng(seed, batch, steps, inp, hidden, proj):
    """The tutorial's own lines, run on torch's global RNG (restored afterwards)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        x = torch.randn(batch, steps, inp)
        c0 = torch.randn(batch, hidden)
        h0 = torch.randn(batch, proj or hidden)
        lstm = torch.nn.LSTM(inp, hidden, batch_first=True, proj_size=proj)
    return x, c0, h0, lstm


@pytest.mark.parametrize(
    ("seed", "batch", "steps", "inp", "hidden", "proj"),
    [(0, 2, 3, 4, 5, 0), (0, 2, 3, 4, 5, 3), (7, 4, 40, 16, 64, 16), (3, 1, 1, 1, 1, 0)],
)
def test_tutorial_draw_is_bit_identical_to_the_tutorials_code_after_manual_seed(seed, batch, steps, inp, hidden, proj):
    config = LSTMConfig(
        batch=batch, seq_len=steps, input_size=inp, hidden_size=hidden, proj_size=proj, batch_first=True, seed=seed
    )
    built = build(config, draw="tutorial")
    x, c0, h0, lstm = _tutorial_draw_with_the_global_rng(seed, batch, steps, inp, hidden, proj)
    assert torch.equal(built.input, x)
    assert torch.equal(built.hx[1][0], c0) and torch.equal(built.hx[0][0], h0)
    mine = dict(built.lstm.named_parameters())
    for name, p in lstm.named_parameters():
        assert torch.equal(mine[name], p), name
    assert not built.lstm.training


def test_tutorial_draw_time_major_and_float64_hold_the_same_numbers():
    config = LSTMConfig(batch=2, seq_len=3, input_size=4, hidden_size=5, proj_size=3, batch_first=True, seed=1)
    first = build(config, draw="tutorial")
    wide = build(config.replace(batch_first=False, dtype="float64"), draw="tutorial")
    assert torch.equal(wide.input.transpose(0, 1).float(), first.input)
    assert torch.equal(wide.hx[0].float(), first.hx[0]) and torch.equal(wide.hx[1].float(), first.hx[1])
    assert torch.equal(wide.lstm.weight_hr_l0.float(), first.lstm.weight_hr_l0)


def test_tutorial_draw_leaves_torchs_global_rng_untouched():
    state = torch.random.get_rng_state()
    build(LSTMConfig(seed=5), draw="tutorial")
    assert torch.equal(torch.random.get_rng_state(), state)


def test_an_unknown_draw_is_refused_by_name():
    with pytest.raises(ValueError, match="draw = 'mine' is not one of explorer, tutorial"):
        build(LSTMConfig(), draw="mine")
