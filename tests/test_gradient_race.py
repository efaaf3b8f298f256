"""The Gradient flow page's race: which RNN each LSTM races, the forget-bias effect and trainings from other biases."""

from __future__ import annotations

import time

import pytest
import torch
from safetensors.torch import save

from lstm_viz import tasks
from lstm_viz.analysis import step_norms
from lstm_viz.config import LSTMConfig
from lstm_viz.edits import Edits, apply_edits
from lstm_viz.gradient_flow import gradient_flow
from lstm_viz.run import RunSpec, run
from lstm_viz.server import uploads
from lstm_viz.server.gradients import Record, bias_effect, bias_siblings, flow_for, opponent_for
from lstm_viz.sources import FileSource, TaskSource
from lstm_viz.tasks.jobs import TrainKey, trainer
from lstm_viz.tasks.rnn import init_rnn, pretrained_rnn, shipped_rnn_info, train_rnn

TASK_CONFIG = LSTMConfig(batch=4, seq_len=40)
LIVE = TaskSource("brackets", "trained here", 4, 0, 2.0)


def weights_equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


@pytest.fixture(scope="module")
def live_run():
    """A live training of the bracket task (H 4, seed 0, initial forget bias +2), as the trainer gives it."""
    job = trainer().submit(LIVE.train_key())
    deadline = time.monotonic() + 120
    while job.state not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.state == "done", job.error
    return run(RunSpec(TASK_CONFIG, LIVE))


def test_random_weights_race_an_untrained_rnn_of_their_sizes_and_seed():
    r = run(LSTMConfig(input_size=3, hidden_size=5, batch=2, seq_len=6, seed=3))
    opp = opponent_for(r)
    assert opp.model is None and not opp.trained and opp.lstm_trained is False and opp.fair
    flow = flow_for(r, "last", None)
    direct = gradient_flow(r.built.lstm, r.built.input, r.built.hx, "last", None, 3)
    assert torch.equal(flow.rnn.layer_dh(0), direct.rnn.layer_dh(0))


def test_an_uploaded_lstm_races_an_untrained_rnn_and_the_race_is_not_called_fair():
    lstm = torch.nn.LSTM(3, 4)
    up = uploads.add_model_file(save({k: v.contiguous() for k, v in lstm.state_dict().items()}), "mine.safetensors")
    config = LSTMConfig(input_size=3, hidden_size=4, batch=2, seq_len=5)
    r = run(RunSpec(config, FileSource(up.digest, "", "mine.safetensors")))
    opp = opponent_for(r)
    assert opp.model is None and not opp.trained and opp.lstm_trained is None and not opp.fair


@pytest.mark.parametrize("name", ["brackets", "chars"])
def test_a_shipped_model_races_its_shipped_rnn(name):
    task = tasks.get(name)
    r = run(RunSpec(LSTMConfig(batch=2, seq_len=task.seq_len), TaskSource(name)))
    opp = opponent_for(r)
    assert opp.trained and opp.lstm_trained and opp.fair
    assert weights_equal(opp.model.rnn, pretrained_rnn(name).rnn)
    assert opp.metric == shipped_rnn_info(name)["metric"]
    flow = flow_for(r, "task", None)
    direct = gradient_flow(
        r.built.lstm,
        r.built.input,
        None,
        "task",
        None,
        0,
        r.explanation.model,
        r.explanation.batch,
        pretrained_rnn(name),
    )
    assert torch.equal(flow.rnn.layer_dh(0), direct.rnn.layer_dh(0)) and flow.rnn_loss == direct.rnn_loss


def test_untrained_task_weights_race_the_rnns_untrained_draw():
    r = run(RunSpec(TASK_CONFIG, TaskSource("brackets", "untrained", 8, 5)))
    opp = opponent_for(r)
    assert not opp.trained and opp.lstm_trained is False and opp.fair
    want = init_rnn(tasks.get("brackets"), 8, 5)
    assert weights_equal(opp.model.rnn, want.rnn) and opp.metric == want.evaluate()


def test_a_live_training_races_an_rnn_trained_here_by_the_same_recipe(live_run):
    opp = opponent_for(live_run)
    assert opp.trained and opp.fair and opp.rnn_source == "trained here" and opp.live
    assert opp.model.info["steps"] == live_run.explanation.model.info["steps"] == tasks.get("brackets").train_steps
    assert opponent_for(live_run).model is opp.model, "trained once, then shared"
    want = train_rnn(tasks.get("brackets"), 4, 0, opp.model.info["steps"])
    assert weights_equal(opp.model.rnn, want.rnn) and opp.metric == want.info["metric"]
    if shipped_rnn_info("brackets")["cpu_capability"] == torch.backends.cpu.get_cpu_capability():
        assert weights_equal(opp.model.rnn, pretrained_rnn("brackets").rnn), "the shipped recipe, bit for bit"


def test_the_forget_bias_effect_is_measured_on_the_weights_shown(live_run):
    at = Record("last", None)
    effect = bias_effect(live_run, at, 2.0)
    lstm = live_run.built.lstm
    shifted = apply_edits(lstm, Edits(forget_bias=2.0))
    reach = [
        float(step_norms(gradient_flow(m, live_run.built.input, None, "last", None, 0).grads.layer(0).dc, 0)[0])
        for m in (lstm, shifted)
    ]
    assert (effect.before, effect.after) == pytest.approx(reach, rel=1e-12)
    assert effect.orders == pytest.approx(torch.log10(torch.tensor(reach[1] / reach[0])).item(), rel=1e-6)
    assert effect.metric_before == live_run.explanation.metric
    assert effect.metric_after == live_run.explanation.model.evaluate(shifted)
    assert effect.forget_after > effect.forget_before
    no_bias = run(LSTMConfig(hidden_size=3, batch=1, seq_len=4, bias=False))
    with pytest.raises(ValueError, match="no biases"):
        bias_effect(no_bias, at, 1.0)


def test_trainings_from_other_initial_forget_biases_are_measured_on_the_same_sequences(live_run):
    at = Record("last", None)
    biases = (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
    job = trainer().submit(TrainKey("brackets", 4, 0, 0.0))
    deadline = time.monotonic() + 120
    while job.state not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.05)
    found = bias_siblings(live_run, at, biases)
    assert [s.forget_bias for s in found][:1] == [0.0] and 2.0 in [s.forget_bias for s in found]
    mine = next(s for s in found if s.current)
    assert mine.forget_bias == 2.0 and mine.metric == live_run.explanation.metric
    zero = next(s for s in found if s.forget_bias == 0.0)
    flow = gradient_flow(job.model.lstm, live_run.built.input, None, "last", None, 0)
    assert zero.reach == pytest.approx(float(step_norms(flow.grads.layer(0).dc, 0)[0]), rel=1e-12)
    assert zero.metric == job.model.info["metric"] and not zero.current
    assert bias_siblings(run(RunSpec(TASK_CONFIG, TaskSource("brackets"))), at, biases) == [], "live trainings only"
