"""The plain tanh RNN each task ships beside its LSTM: one recipe, the same batches, bit-identical remakes."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from torch import nn

from lstm_viz import tasks
from lstm_viz.tasks import code_train
from lstm_viz.tasks.definitions import TASKS
from lstm_viz.tasks.rnn import (
    LOSS_DIGITS,
    RNNTaskModel,
    has_shipped_rnn,
    init_rnn,
    load_rnn,
    pretrained_rnn,
    rnn_weights_path,
    save_rnn,
    shipped_rnn_info,
    train_rnn,
)
from lstm_viz.tasks.store import WEIGHTS_DIR

ROOT = Path(__file__).resolve().parents[1]
SHORT = 4
"""Steps of the shortened `code` run CI repeats."""


def rounded(losses: list[float]) -> list[float]:
    return [float(f"{x:.{LOSS_DIGITS}g}") for x in losses]


@pytest.mark.parametrize("name", tasks.names())
def test_every_task_ships_an_rnn_trained_by_its_lstms_recipe(name):
    assert has_shipped_rnn(name)
    task, lstm_info, info = TASKS[name], tasks.shipped_info(name), shipped_rnn_info(name)
    assert (info["network"], info["nonlinearity"], info["task"]) == ("rnn", "tanh", name)
    for key in ("hidden_size", "seed", "steps"):
        assert info[key] == lstm_info[key], key
    assert info["steps"] == task.full_steps == len(info["losses"])
    assert (info["optimizer"], info["clip"]) == ("Adam", 1.0)
    if task.fit is None:
        assert (info["batch_size"], info["seq_len"], info["lr"]) == (task.batch_size, task.seq_len, task.lr)
    else:
        assert info["corpus_digest"] == lstm_info["corpus_digest"]
        assert (info["streams"], info["chunk"], info["lr"], info["schedule"]) == tuple(
            lstm_info[k] for k in ("streams", "chunk", "lr", "schedule")
        )
    assert info["cpu_capability"] and info["torch"] == torch.__version__.split("+")[0]
    assert sum(info["losses"][-10:]) < sum(info["losses"][:10]), "the RNN learned something"
    path = rnn_weights_path(task)
    assert path.parent == WEIGHTS_DIR and path.stat().st_size < 600_000, "shipped files stay small"


@pytest.mark.parametrize("name", tasks.names())
def test_the_shipped_rnn_reaches_the_metric_its_file_states_on_the_lstms_sequences(name):
    model = pretrained_rnn(name)
    assert isinstance(model.rnn, nn.RNN) and model.rnn.nonlinearity == "tanh" and model.rnn.batch_first
    assert not model.rnn.training and model.rnn.hidden_size == tasks.pretrained(name).lstm.hidden_size
    assert model.evaluate() == pytest.approx(model.info["metric"], abs=1e-9)
    # Scored on the very sequences the LSTM is scored on.
    lstm = tasks.pretrained(name)
    assert torch.equal(model.batch(3, 10_000).x, lstm.batch(3, 10_000).x)


def test_pretrained_rnn_is_a_copy_and_a_missing_one_is_named():
    a = pretrained_rnn("brackets")
    with torch.no_grad():
        a.rnn.weight_hh_l0.zero_()
    assert pretrained_rnn("brackets").rnn.weight_hh_l0.abs().sum() > 0
    with pytest.raises(LookupError, match="no trained plain RNN"):
        pretrained_rnn("sorting")


def test_the_rnn_trains_on_the_very_batches_its_lstm_trains_on_and_repeats_bit_for_bit():
    seen: dict[str, list[torch.Tensor]] = {"lstm": [], "rnn": []}

    def recording(net: str) -> tasks.Task:
        task = TASKS["remember_bit"]

        def sample(batch: int, seq_len: int, gen: torch.Generator) -> tasks.Batch:
            b = task.sample(batch, seq_len, gen)
            seen[net].append(b.tokens)
            return b

        return dataclasses.replace(task, sample=sample)

    tasks.train(recording("lstm"), seed=3, steps=5)
    rnn = train_rnn(recording("rnn"), seed=3, steps=5)
    # Five training batches, then the metric's fresh sequences: the same for both networks.
    assert len(seen["rnn"]) == 6 and all(torch.equal(a, b) for a, b in zip(seen["lstm"], seen["rnn"], strict=True))
    again = train_rnn(TASKS["remember_bit"], seed=3, steps=5)
    for (ka, va), (kb, vb) in zip(rnn.rnn.state_dict().items(), again.rnn.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb)
    assert rnn.info["losses"] == again.info["losses"] and len(rnn.info["losses"]) == 5
    other = train_rnn(TASKS["remember_bit"], seed=4, steps=1)
    assert not torch.equal(other.rnn.weight_hh_l0, rnn.rnn.weight_hh_l0)


def test_init_is_pytorchs_default_range_from_a_private_generator():
    state = torch.get_rng_state()
    a, b = init_rnn(TASKS["chars"], 32, seed=5), init_rnn(TASKS["chars"], 32, seed=5)
    assert torch.equal(state, torch.get_rng_state()), "torch's global generator is not touched"
    bound = 1 / 32**0.5
    for (name, p), q in zip(a.rnn.named_parameters(), b.rnn.parameters(), strict=True):
        assert torch.equal(p, q) and p.abs().max() <= bound, name
    assert a.info["steps"] == 0 and a.info["network"] == "rnn"


def test_save_and_load_round_trip_the_weights_and_the_info(tmp_path):
    model = train_rnn(TASKS["brackets"], hidden_size=8, seed=1, steps=3)
    path = tmp_path / "m_rnn.safetensors"
    save_rnn(model, path)
    back = load_rnn(model.task, path)
    assert isinstance(back, RNNTaskModel) and back.rnn.hidden_size == 8
    for a, b in zip(
        [*model.rnn.parameters(), *model.head.parameters()],
        [*back.rnn.parameters(), *back.head.parameters()],
        strict=True,
    ):
        assert torch.equal(a, b)
    assert back.info == {**model.info, "losses": rounded(model.info["losses"])}
    with safe_open(str(path), framework="pt") as f:
        assert json.loads(f.metadata()["info"])["metric"] == model.info["metric"]
        assert sorted(f.keys()) == ["head.bias", "head.weight", *(f"rnn.{k}" for k in sorted(model.rnn.state_dict()))]


def test_a_task_with_another_training_loop_is_refused():
    odd = dataclasses.replace(TASKS["brackets"], fit=lambda *a, **k: None)
    with pytest.raises(ValueError, match="no plain-RNN training"):
        train_rnn(odd, steps=1)


def test_the_code_rnn_streams_like_the_code_lstm_and_begins_like_the_shipped_run():
    """A shortened `code` run repeats bit for bit; on the shipped run's CPU kernels and corpus it is its beginning."""
    task = TASKS["code"]
    a = train_rnn(task, hidden_size=16, seed=0, steps=SHORT)
    b = train_rnn(task, hidden_size=16, seed=0, steps=SHORT)
    assert torch.equal(a.rnn.weight_hh_l0, b.rnn.weight_hh_l0) and a.info["losses"] == b.info["losses"]
    c = code_train
    assert a.info["schedule"] == f"warm-up {c.WARMUP}, halved every {c.DECAY_EVERY} from {c.DECAY_FROM}"
    info = shipped_rnn_info("code")
    same = info["corpus_digest"] == code_train.training_streams()[1].digest and (
        info["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    )
    if same:
        full = train_rnn(task, seed=0, steps=SHORT)
        assert rounded(full.info["losses"]) == info["losses"][:SHORT]


def test_the_weights_script_regenerates_the_shipped_rnns_bit_identically(tmp_path):
    """The script, in a fresh process, writes exactly the RNN bytes in the repo (same CPU kernel family)."""
    made_here = [n for n in tasks.names() if TASKS[n].fit is None]
    recorded = {shipped_rnn_info(n)["cpu_capability"] for n in made_here}
    cmd = [sys.executable, str(ROOT / "scripts" / "make_task_weights.py"), "--net", "rnn", "--out"]
    if recorded != {torch.backends.cpu.get_cpu_capability()}:
        # Another instruction set rounds matrix products differently: two fresh processes must still agree.
        for out in ("a", "b"):
            subprocess.run([*cmd, str(tmp_path / out), "brackets", "counting"], check=True, cwd=ROOT)
        for name in ("brackets", "counting"):
            a = (tmp_path / "a" / f"{name}_rnn.safetensors").read_bytes()
            assert a == (tmp_path / "b" / f"{name}_rnn.safetensors").read_bytes()
        return
    subprocess.run([*cmd, str(tmp_path)], check=True, cwd=ROOT, capture_output=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}_rnn.safetensors" for n in made_here)
    for name in made_here:
        shipped = rnn_weights_path(TASKS[name])
        assert (tmp_path / shipped.name).read_bytes() == shipped.read_bytes(), f"{name}: the RNN differs"
