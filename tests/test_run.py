"""Runs from every model source: random weights, a task's shipped, untrained and live-trained models, with edits.

The sources themselves (what each fixes, draws, explains and is called) are tested in ``test_sources.py``.
"""

from __future__ import annotations

import time

import pytest
import torch

from lstm_viz import tasks
from lstm_viz.config import LSTMConfig
from lstm_viz.edits import Edits
from lstm_viz.run import RunSpec, check_spec, run
from lstm_viz.sources import RandomSource, TaskSource
from lstm_viz.tasks.jobs import Trainer, TrainKey

CONFIG = LSTMConfig(batch=3, seq_len=40, seed=2)


def test_a_bare_config_is_a_random_weights_run_without_labels():
    r = run(LSTMConfig())
    assert r.spec == RunSpec(LSTMConfig(), RandomSource()) and r.explanation is None and r.highlight == ()
    assert r.labels(0) is None and r.source == "random weights"
    assert r.describe() == "random weights; batch 2, 3 steps, float32, seed 0"


def test_text_input_labels_each_step_with_its_character():
    r = run(LSTMConfig(input_kind="text", seq_len=5, batch=2))
    assert r.labels(0) == ["t", "h", "e", "␣", "q"]
    assert r.labels(1) == ["c", "k", "␣", "b", "r"], "the second sequence starts 7 characters later"


@pytest.mark.parametrize("name", tasks.names())
def test_task_run_shows_the_task_model_on_its_own_sequences(name):
    r = run(RunSpec(CONFIG.replace(seq_len=tasks.get(name).seq_len), TaskSource(name)))
    model = tasks.pretrained(name)
    x, latent = model.sample(3, seed=2)
    assert torch.equal(r.built.input, x) and torch.equal(r.explanation.batch.latent, latent)
    assert r.config.hidden_size == model.lstm.hidden_size and r.config.batch_first
    for p, q in zip(r.built.lstm.parameters(), model.lstm.parameters(), strict=True):
        assert torch.equal(p, q)
    assert r.comparison.allclose
    assert r.labels(0) == model.task.labels(r.explanation.batch.tokens)[0]
    assert r.highlight == (r.explanation.best.unit,)
    assert r.explanation.metric == r.explanation.metric_unedited == pytest.approx(model.info["metric"], abs=1e-9)


def test_edited_task_run_measures_what_the_edit_breaks():
    spec = RunSpec(CONFIG.replace(seq_len=20), TaskSource("remember_bit"), Edits("forget bias -3"))
    r = run(spec)
    assert r.comparison.allclose, "the same edited weights go to both forwards"
    assert r.explanation.metric < 0.75 < 0.98 < r.explanation.metric_unedited
    assert "edited: forget bias -3" in r.source


def test_float64_task_run_leaves_the_shared_model_in_float32():
    model = tasks.pretrained("counting")
    drawn = TaskSource("counting").draw(CONFIG.replace(dtype="float64"), model=model)
    assert drawn.built.lstm.weight_ih_l0.dtype == torch.float64
    assert model.lstm.weight_ih_l0.dtype == torch.float32
    r = run(RunSpec(CONFIG.replace(dtype="float64"), TaskSource("counting")))
    assert r.comparison.max_diff <= 1e-10


def test_longer_than_trained_sequences_are_flagged_with_the_metric_there():
    r = run(RunSpec(CONFIG.replace(seq_len=120), TaskSource("counting")))
    assert "trained on 30 steps" in r.explanation.outside
    assert r.explanation.metric_here < r.explanation.metric


def test_untrained_source_uses_the_initial_weights_of_that_seed():
    source = TaskSource("brackets", "untrained", hidden_size=8, seed=5, forget_bias=1.0)
    model = source.model()
    expected = tasks.init_model(tasks.get("brackets"), 8, 5, 1.0)
    assert torch.equal(model.lstm.weight_hh_l0, expected.lstm.weight_hh_l0)
    assert "untrained (initial weights): H 8, seed 5" in source.describe()


def test_sources_and_specs_refuse_what_cannot_run():
    with pytest.raises(ValueError, match="hidden size 3 is not one of"):
        TaskSource("brackets", "trained here", hidden_size=3)
    with pytest.raises(ValueError, match="weights 'best' is not one of"):
        TaskSource("brackets", "best")
    with pytest.raises(ValueError, match="at least 2"):
        check_spec(RunSpec(CONFIG.replace(seq_len=1), TaskSource("remember_bit")))
    with pytest.raises(ValueError, match="bias=False"):
        check_spec(RunSpec(CONFIG.replace(bias=False), RandomSource(), Edits("input gate shut")))
    with pytest.raises(LookupError, match="has not finished"):
        TaskSource("counting", "trained here", seed=123_456).model()


def _wait(job, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while job.state not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.05)


def test_trainer_queue_is_shared_per_key_and_bounded():
    trainer = Trainer(workers=0, max_queued=2)  # nothing runs: the queue alone is under test
    key = TrainKey("brackets", 2, 9, 1.0)
    job = trainer.submit(key)
    assert trainer.submit(key) is job, "a second session asking for the same training shares it"
    second = trainer.submit(TrainKey("brackets", 2, 10, 1.0))
    with pytest.raises(RuntimeError, match="at most 2 may wait"):
        trainer.submit(TrainKey("brackets", 2, 11, 1.0))
    assert (trainer.position(job), trainer.position(second)) == (0, 1)
    assert trainer.get(TrainKey("brackets", 2, 11, 1.0)) is None


def test_trainer_trains_with_live_progress_to_the_same_bits_as_a_direct_training():
    trainer = Trainer(workers=1)
    job = trainer.submit(TrainKey("brackets", 2, 9, 1.0))
    _wait(job)
    assert job.state == "done" and job.step == job.steps == tasks.get("brackets").train_steps
    assert len(job.losses) == job.steps and job.model.info["losses"] == job.losses
    direct = tasks.train(tasks.get("brackets"), 2, 9, forget_bias=1.0)
    assert torch.equal(job.model.lstm.weight_hh_l0, direct.lstm.weight_hh_l0), "same key, same bits"
