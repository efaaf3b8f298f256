"""Built-in tasks: sequences mean what they say, shipped weights reach their metric and regenerate bit for bit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from lstm_viz import tasks, trace
from lstm_viz.tasks.definitions import BIT_SYMBOLS, TASKS
from lstm_viz.tasks.store import WEIGHTS_DIR, load_model, save_model, weights_path

ROOT = Path(__file__).resolve().parents[1]


def test_names_lists_every_task_in_menu_order():
    assert tasks.names() == ["brackets", "remember_bit", "counting", "chars", "code"]
    with pytest.raises(ValueError, match="built-in tasks are brackets"):
        tasks.get("sorting")


@pytest.mark.parametrize("name", tasks.names())
def test_pretrained_is_an_eval_mode_nn_lstm_with_samples_shaped_for_it(name):
    model = tasks.pretrained(name)
    assert isinstance(model.lstm, nn.LSTM) and not model.lstm.training
    assert model.lstm.batch_first
    x, latent = model.sample(3, seed=7)
    task = tasks.get(name)
    assert x.shape == (3, task.seq_len, model.lstm.input_size)
    assert latent.shape == (3, task.seq_len)
    again, _ = model.sample(3, seed=7)
    assert torch.equal(x, again), "the same seed gives the same sequences"
    out, _ = model.lstm(x)  # the input really is what this nn.LSTM takes
    assert out.shape == (3, task.seq_len, model.lstm.hidden_size)


def test_pretrained_returns_a_copy_that_editing_cannot_spoil():
    a = tasks.pretrained("brackets")
    with torch.no_grad():
        a.lstm.weight_hh_l0.zero_()
    assert tasks.pretrained("brackets").lstm.weight_hh_l0.abs().sum() > 0


@pytest.mark.parametrize("name", tasks.names())
def test_shipped_weights_reach_the_stated_metric_on_fresh_sequences(name):
    model = tasks.pretrained(name)
    task = model.task
    value = model.evaluate()
    assert task.reached(value), f"{name}: {task.metric_name} {value:.4f} misses {task.target_metric}"
    assert value == pytest.approx(model.info["metric"], abs=1e-9), "the file states what the model reaches"
    assert model.info["steps"] == task.full_steps


def test_bracket_depth_is_the_running_count_of_open_minus_closed():
    b = tasks.get("brackets").sample(16, 40, torch.Generator().manual_seed(1))
    step = (b.tokens == 0).long() - (b.tokens == 1).long()
    assert torch.equal(b.latent.long(), step.cumsum(1))
    assert int(b.latent.min()) == 0, "depth never goes below 0"
    assert int(b.latent.max()) <= 4


def test_remember_bit_holds_the_marked_bit_from_the_marker_to_the_query():
    b = tasks.get("remember_bit").sample(32, 20, torch.Generator().manual_seed(2))
    for row in range(32):
        symbols = [BIT_SYMBOLS[k] for k in b.tokens[row]]
        at = next(t for t, s in enumerate(symbols) if s.startswith("★"))
        held = 1.0 if symbols[at] == "★+" else -1.0
        assert symbols[-1] == "?" and symbols.count("★+") + symbols.count("★−") == 1
        assert torch.all(b.latent[row, :at] == 0) and torch.all(b.latent[row, at:] == held)
        assert b.mask[row].tolist() == [False] * 19 + [True]
        assert int(b.target[row, -1]) == (1 if held > 0 else 0)


def test_counting_counts_the_a_symbols_so_far():
    b = tasks.get("counting").sample(8, 30, torch.Generator().manual_seed(3))
    for row in range(8):
        seen = 0
        for t in range(30):
            seen += int(b.tokens[row, t] == 0)
            assert b.latent[row, t] == seen


def test_character_task_predicts_the_next_character_of_the_text():
    task = tasks.get("chars")
    b = task.sample(4, 20, torch.Generator().manual_seed(4))
    assert torch.equal(b.tokens[:, 1:], b.target[:, :-1]), "the target is the input one step later"
    text = "".join(task.symbols[k] for k in b.tokens[0])
    assert all(ch in task.symbols for ch in text)


@pytest.mark.parametrize("name", tasks.names())
def test_longer_sequences_are_labelled_outside_the_trained_range(name):
    task = tasks.get(name)
    gen = torch.Generator().manual_seed(5)
    assert task.trained_range(task.sample(4, task.seq_len, gen)) is None
    message = task.trained_range(task.sample(4, task.seq_len * 3, gen))
    assert message and "trained on" in message


@pytest.mark.parametrize("name", ["brackets", "remember_bit", "counting"])
def test_a_short_training_lowers_the_loss_and_repeats_bit_for_bit(name):
    task = tasks.get(name)
    steps = []
    a = tasks.train(task, seed=3, steps=40, progress=lambda k, n, loss: steps.append((k, n)))
    b = tasks.train(task, seed=3, steps=40)
    assert steps[-1] == (40, 40) and len(steps) == 40
    losses = a.info["losses"]
    assert sum(losses[-5:]) < sum(losses[:5])
    for (ka, va), (kb, vb) in zip(a.lstm.state_dict().items(), b.lstm.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb)
    assert not torch.equal(a.lstm.weight_hh_l0, tasks.train(task, seed=4, steps=1).lstm.weight_hh_l0)


def test_training_leaves_the_thread_count_as_it_was():
    before = torch.get_num_threads()
    tasks.train(tasks.get("counting"), seed=0, steps=2)
    assert torch.get_num_threads() == before


def test_forget_bias_initialisation_sets_the_pair_to_the_chosen_value():
    model = tasks.init_model(tasks.get("remember_bit"), 4, seed=0, forget_bias=2.0)
    f = slice(4, 8)
    total = model.lstm.bias_ih_l0[f] + model.lstm.bias_hh_l0[f]
    assert torch.equal(total, torch.full((4,), 2.0))


def test_save_and_load_round_trip_every_tensor_and_the_info(tmp_path):
    model = tasks.train(tasks.get("brackets"), hidden_size=8, seed=1, steps=3)
    path = tmp_path / "m.safetensors"
    save_model(model, path)
    back = load_model(model.task, path)
    assert back.lstm.hidden_size == 8 and back.info == model.info
    for a, b in zip(model.lstm.parameters(), back.lstm.parameters(), strict=True):
        assert torch.equal(a, b)
    x, _ = model.sample(2, seed=0)
    assert torch.equal(trace(back.lstm, x).output, trace(model.lstm, x).output)


def test_the_weights_script_regenerates_the_shipped_files_bit_identically(tmp_path):
    """The script, in a fresh process, writes exactly the bytes in the repo (same CPU kernel family)."""
    # The code task's long training has its own loop and its own check (tests/test_code_task.py).
    made_here = [n for n in tasks.names() if TASKS[n].fit is None]
    recorded = {tasks.shipped_info(n)["cpu_capability"] for n in made_here}
    here = torch.backends.cpu.get_cpu_capability()
    # The LSTMs only: their RNNs have their own check (tests/test_rnn_task.py).
    cmd = [sys.executable, str(ROOT / "scripts" / "make_task_weights.py"), "--net", "lstm", "--out", str(tmp_path)]
    if recorded != {here}:
        # Another instruction set rounds matrix products differently: the bits cannot match the repo's, but
        # two fresh processes must still agree with each other and reach the stated metric.
        for out in ("a", "b"):
            subprocess.run([*cmd[:-1], str(tmp_path / out), "brackets", "counting"], check=True, cwd=ROOT)
        for name in ("brackets", "counting"):
            a = (tmp_path / "a" / f"{name}.safetensors").read_bytes()
            assert a == (tmp_path / "b" / f"{name}.safetensors").read_bytes()
        return
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
    for name in made_here:
        shipped = weights_path(TASKS[name])
        assert shipped.parent == WEIGHTS_DIR
        made = (tmp_path / shipped.name).read_bytes()
        assert made == shipped.read_bytes(), f"{name}: regenerated weights differ from the shipped file"
