"""The trained tasks in the app under AppTest: one click, the unit finder, edits, URL state, live training."""

from __future__ import annotations

import time

import numpy as np
import pytest
from test_app import charts, decode, follow, heatmap, links, open_page

from lstm_viz.config import LSTMConfig
from lstm_viz.edits import Edits
from lstm_viz.run import Run, RunSpec, run
from lstm_viz.sources import TaskSource
from lstm_viz.tasks.explain import memory_trace
from lstm_viz.tasks.jobs import TrainKey, trainer
from lstm_viz.ui import DEFAULTS


def _task_run(name: str, seq_len: int, edits: Edits | None = None) -> Run:
    config = LSTMConfig(**{**DEFAULTS, "batch": 4, "seq_len": seq_len, "seed": 0})
    return run(RunSpec(config, TaskSource(name), edits or Edits()))


def test_tasks_page_offers_each_task_and_one_click_shows_the_trained_model():
    at = open_page("tasks")
    assert not at.exception
    at = follow(links(at)["Show: bracket depth"])
    assert not at.exception
    r = _task_run("brackets", 40)
    assert r.explanation.finding in at.success[-1].value
    best = r.explanation.best
    assert best.state == "c" and f"unit {best.unit}'s cell state c" in at.success[-1].value
    title = next(t for t in charts(at) if t.startswith(f"Unit {best.unit}'s cell state c over one sequence"))
    line = decode(charts(at)[title]["data"][0]["y"])
    np.testing.assert_array_equal(line, r.trace.layer(0).c[0, :, best.unit].float().numpy())
    # The proof: the finding's unit and state, against the depth on fresh sequences.
    proof = next(s for t, s in charts(at).items() if t.startswith(f"Unit {best.unit}'s cell state c against"))
    mem = memory_trace(r.built.lstm, r.explanation.model, best.unit, "c", 40)
    np.testing.assert_allclose(decode(proof["data"][0]["y"]), mem.values.reshape(-1).double().numpy(), rtol=1e-6)
    assert "matches nn.LSTM" in at.success[0].value


def test_home_link_switches_every_page_to_the_task_model():
    at = follow(links(open_page("home"))["counting"])
    assert not at.exception
    r = _task_run("counting", 30)
    assert r.explanation.finding in at.success[-1].value
    at.switch_page("pages/gates.py").run()
    z = heatmap(at, "cell state c")
    np.testing.assert_array_equal(z, r.trace.layer(0).c[0].T.float().numpy())


def test_task_url_opens_the_same_model_with_symbols_on_the_time_axis_and_the_unit_outlined():
    # The Trained tasks page's forget-gate heatmap (the Gates page draws one hero figure, tested with it).
    at = open_page("tasks", {"model": "task", "task": "remember_bit", "seq_len": "20", "batch": "4"})
    r = _task_run("remember_bit", 20)
    spec = next(s for t, s in charts(at).items() if t.startswith("forget gate"))
    assert spec["layout"]["xaxis"]["ticktext"] == r.labels(0)
    outlines = [s for s in spec["layout"]["shapes"] if s.get("yref") == "y"]
    assert [(s["y0"] + s["y1"]) / 2 for s in outlines] == [r.explanation.best.unit]
    np.testing.assert_array_equal(heatmap(at, "forget gate"), r.trace.layer(0).f[0].T.float().numpy())
    # The sizes come from the model: stated once, not drawn as controls.
    sizes = f"{r.config.input_size}, {r.config.hidden_size}"
    assert f"nn.LSTM({sizes}, batch_first=True)" in " ".join(c.value for c in at.sidebar.caption)
    assert not any(n.key == "hidden_size" for n in at.sidebar.number_input)


def test_weight_preset_in_the_url_shows_what_it_breaks_and_keeps_the_verdict():
    query = {"model": "task", "task": "remember_bit", "seq_len": "20", "batch": "4", "edit_preset": "forget bias -3"}
    at = open_page("tasks", query)
    r = _task_run("remember_bit", 20, edits=Edits("forget bias -3"))
    metric = at.metric[0]
    assert metric.value == f"{r.explanation.metric:.3f}" and r.explanation.metric < 0.75
    assert "from the edits" in metric.delta
    assert "matches nn.LSTM" in at.success[0].value


def test_preset_link_on_the_tasks_page_keeps_the_run_and_edits_the_model():
    at = open_page("tasks", {"model": "task", "task": "counting", "seq_len": "30", "seed": "3"})
    href = links(at)["input gate shut"]
    assert "seed=3" in href and "model=counting" in href, "the link keeps every other setting"
    at = follow(href)
    assert at.selectbox(key="edit_preset").value == "input gate shut"
    assert at.number_input(key="seed").value == 3
    assert float(at.metric[0].value) < 0.5


@pytest.mark.parametrize(
    "query, words",
    [
        ({"model": "task", "task": "remember_bit", "seq_len": "1"}, ["at least 2"]),
        ({"bias": "false", "edit_preset": "input gate shut"}, ["bias=False"]),
    ],
)
def test_invalid_task_and_edit_settings_show_a_message_and_keep_a_valid_run(query, words):
    at = open_page("gates", query)
    message = at.sidebar.error[0].value
    for w in words:
        assert w in message
    assert at.get("plotly_chart")


def test_a_gate_scale_outside_its_limits_in_a_link_is_named_with_the_limit():
    at = open_page("gates", {"edit_scales": "true", "scale_f": "9"})
    assert any("`scale_f=9`" in w.value and "-5 to 5" in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.session_state["spec"].edits.scale == (1.0, 1.0, 1.0, 1.0)
    assert at.get("plotly_chart")


def test_untrained_weights_of_a_task_show_the_contrast():
    at = open_page("tasks", {"model": "task", "task": "brackets", "weights": "untrained"})
    assert not at.exception
    assert "untrained (initial weights)" in " ".join(c.value for c in at.caption)
    assert any("no training curve" in i.value for i in at.info)


def test_live_training_shows_progress_then_the_trained_model():
    key = TrainKey("brackets", 2, 77, 1.0)
    query = {"model": "task", "task": "brackets", "weights": "trained here", "train_hidden": "2", "train_seed": "77"}
    at = open_page("tasks", query)
    assert not at.exception
    words = " ".join([s.value for s in at.subheader] + [i.value for i in at.info])
    assert "Training bracket depth: H 2, seed 77" in words or "Queued" in words
    job = trainer().submit(key)
    deadline = time.monotonic() + 60
    while job.state not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.state == "done"
    at.run()
    assert not at.exception
    assert "trained on this server: H 2, seed 77" in " ".join(c.value for c in at.caption)
    assert float(at.metric[2].value) == pytest.approx(job.model.info["metric"], abs=5e-4)


def test_gate_scales_apply_only_with_their_box_ticked_and_links_tick_it():
    from lstm_viz.settings import BOUND_DEFAULTS, href

    at = open_page("gates", {"scale_f": "0.5"})
    assert "scale_f" not in [n.key for n in at.sidebar.number_input], "unticked: the factors are not drawn"
    assert not at.session_state["spec"].edits.active, "unticked: no scaling, whatever the factors were"
    link = href("gates", {**BOUND_DEFAULTS, "scale_f": 0.5})
    assert "edit_scales=true" in link and "scale_f=0.5" in link
    at = follow(link)
    assert at.checkbox(key="edit_scales").value and at.number_input(key="scale_f").value == 0.5
    assert at.session_state["spec"].edits.scale == (1.0, 0.5, 1.0, 1.0)
