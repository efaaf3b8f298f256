"""The Gradient flow page and the one-step page's backward view under AppTest: the numbers drawn are computed."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app import charts, decode, open_page

from lstm_viz import tasks
from lstm_viz.analysis import forget_product, orders_apart, step_norms
from lstm_viz.backward import backward
from lstm_viz.config import LSTMConfig
from lstm_viz.edits import Edits, apply_edits
from lstm_viz.gradient_flow import gradient_flow
from lstm_viz.losses import loss_grad
from lstm_viz.run import RunSpec, run
from lstm_viz.server.gradients import task_races
from lstm_viz.sources import TaskSource
from lstm_viz.tasks.losses import TASK_LOSS, task_loss_grad
from lstm_viz.tasks.rnn import init_rnn, pretrained_rnn, shipped_rnn_info
from lstm_viz.ui import DEFAULTS


def chart(at: AppTest, title_start: str) -> dict:
    found = [s for t, s in charts(at).items() if t.startswith(title_start)]
    assert found, f"no chart titled {title_start!r} in {list(charts(at))}"
    return found[0]


def expected_flow(forget_bias: float = 0.0):
    r = run(LSTMConfig(**DEFAULTS))
    lstm = apply_edits(r.built.lstm, Edits(forget_bias=forget_bias))
    return gradient_flow(lstm, r.built.input, r.built.hx, "last", None, DEFAULTS["seed"])


@pytest.fixture(scope="module")
def gradients_page() -> AppTest:
    return open_page("gradients")


def test_gradient_flow_page_renders_every_figure_with_titles_and_axes(gradients_page):
    at = gradients_page
    assert not at.error
    assert at.selectbox(key="grad_loss").options == ["the last step's output", "every step's output"]
    assert "plain tanh RNN" in at.markdown[0].value and "forget" in at.markdown[0].value
    race = at.markdown[1].value
    assert race.startswith("**The race: untrained against untrained.**") and "drawn from seed 0" in race
    titles = list(charts(at))
    assert titles[0].startswith("How far back the gradient reaches: untrained LSTM vs untrained plain RNN")
    for start in ("LSTM cell state", "LSTM hidden state", "RNN hidden state (untrained)", "Saturated", "h over time"):
        assert any(t.startswith(start) for t in titles), start
    for title, spec in charts(at).items():
        assert spec["layout"]["xaxis"]["title"]["text"], title


def test_gradient_norms_on_the_page_are_the_hand_written_backwards(gradients_page):
    flow = expected_flow()
    lg = flow.grads.layer(0)
    spec = chart(gradients_page, "How far back")
    assert spec["layout"]["yaxis"]["type"] == "log"
    lines = {d["name"]: decode(d["y"]) for d in spec["data"]}
    np.testing.assert_allclose(lines["LSTM ‖dL/dc_t‖"], np.maximum(step_norms(lg.dc, 0).numpy(), 1e-30), rtol=1e-6)
    np.testing.assert_allclose(lines["RNN ‖dL/dh_t‖"], step_norms(flow.rnn.layer_dh(0), 0).numpy(), rtol=1e-6)
    product = forget_product(flow.trace.layer(0))[0].mean(dim=1).numpy()
    np.testing.assert_allclose(lines["forget product f_(t+1)···f_T (mean over units)"], product, rtol=1e-6)


def measured_words(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("**Measured on these weights:**"))


def test_forget_bias_control_states_its_measured_effect_and_makes_the_cell_gradient_survive_longer(gradients_page):
    at = gradients_page
    before = decode(chart(at, "How far back")["data"][0]["y"])
    dc = {s: float(step_norms(expected_flow(s).grads.layer(0).dc, 0)[0]) for s in (0.0, 2.0, 3.0)}
    # At 0 the words measure the preview shift of +2, on these (untrained) weights: the lesson holds.
    words = measured_words(at)
    assert "a forget-bias shift of +2 would move the forget gates" in words
    assert f"from {dc[0.0]:.2e} to {dc[2.0]:.2e}" in words and "larger: it reaches further back" in words
    assert "The forget-bias lesson holds here" in words
    at.slider(key="grad_forget_bias").set_value(3.0).run()
    assert not at.exception, [e.value for e in at.exception]
    after = decode(chart(at, "How far back")["data"][0]["y"])
    want = step_norms(expected_flow(3.0).grads.layer(0).dc, 0).numpy()
    np.testing.assert_allclose(after, np.maximum(want, 1e-30), rtol=1e-6)
    assert after[0] > before[0]  # the first step's cell gradient is larger with forget gates nearer 1
    assert "forget bias +3" in next(iter(charts(at)))
    words = measured_words(at)
    orders = np.log10(dc[3.0] / dc[0.0])
    assert "the forget-bias shift of +3 moves" in words and f"from {dc[0.0]:.2e} to {dc[3.0]:.2e}" in words
    assert f"{orders:.1f} orders of magnitude larger" in words
    f = expected_flow(3.0).trace.layer(0).f[0].mean()
    assert f"to {float(f):.2f} on average" in words


def test_step_page_backward_view_shows_the_backward_pass_numbers():
    at = open_page("step")
    at.radio(key="step_view").set_value("backward").run()
    assert not at.exception, [e.value for e in at.exception]
    r = run(LSTMConfig(**DEFAULTS))
    t, j = DEFAULTS["seq_len"] // 2, 0
    g = backward(r.trace, loss_grad(r.trace, "last").grad_output).layer(0)
    eqs = [el.value.strip().strip("$").strip() for el in at.latex]  # [dL/dh, dL/dc, dL/d(i, f, g, o)]
    assert eqs[1].startswith(r"\frac{\partial L}{\partial c_t}[0]")
    assert eqs[1].endswith(f"= {float(g.dc[0, t, j]):.4g}")
    assert eqs[0].endswith(f"= {float(g.dm[0, t, j]):.4g}")
    for gate, eq in zip("ifgo", eqs[2:6], strict=True):
        assert eq.endswith(f"= {float(getattr(g, 'd' + gate)[0, t, j]):.4g}"), gate
    at.selectbox(key="step_loss").set_value("every").run()
    g_every = backward(r.trace, loss_grad(r.trace, "every").grad_output).layer(0)
    assert at.latex[1].value.strip().strip("$").strip().endswith(f"= {float(g_every.dc[0, t, j]):.4g}")


TASK_QUERY = {"model": "task", "task": "remember_bit", "seq_len": "20", "batch": "4"}


def task_run():
    config = LSTMConfig(**{**DEFAULTS, "batch": 4, "seq_len": 20})
    return run(RunSpec(config, TaskSource("remember_bit")))


def test_gradient_flow_page_offers_the_task_loss_on_a_task_run_and_draws_its_gradients():
    at = open_page("gradients", TASK_QUERY)
    picker = at.selectbox(key="grad_loss")
    assert picker.options[-1] == "the task's own loss"
    picker.set_value(TASK_LOSS).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="grad_unit").disabled
    r = task_run()
    rnn = pretrained_rnn("remember_bit")
    flow = gradient_flow(
        r.built.lstm,
        r.built.input,
        r.built.hx,
        TASK_LOSS,
        None,
        r.config.seed,
        r.explanation.model,
        r.explanation.batch,
        rnn,
    )
    assert any("cross-entropy" in c.value and f"{flow.loss.value:.4g}" in c.value for c in at.caption)
    assert any(f"the RNN's h through its own read-out gives L = {flow.rnn_loss:.4g}" in c.value for c in at.caption)
    lines = {d["name"]: decode(d["y"]) for d in chart(at, "How far back")["data"]}
    lg = flow.grads.layer(0)
    np.testing.assert_allclose(lines["LSTM ‖dL/dc_t‖"], np.maximum(step_norms(lg.dc, 0).numpy(), 1e-30), rtol=1e-6)
    np.testing.assert_allclose(
        lines["RNN ‖dL/dh_t‖"], np.maximum(step_norms(flow.rnn.layer_dh(0), 0).numpy(), 1e-30), rtol=1e-6
    )
    # remember_bit scores only the last step: its loss reaches back from there alone.
    assert lines["LSTM ‖dL/dh_t‖"][-1] > 0
    # On a random model the task loss is not offered: the page falls back to a sum loss.
    at = open_page("gradients", {"model": "random"})
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="grad_loss").value == "last"
    assert TASK_LOSS not in at.selectbox(key="grad_loss").options


def shipped_race(name: str, seq_len: int):
    """The page's default view of a shipped task: its LSTM against its shipped RNN, the last step's output."""
    r = run(RunSpec(LSTMConfig(**{**DEFAULTS, "batch": 4, "seq_len": seq_len}), TaskSource(name)))
    flow = gradient_flow(r.built.lstm, r.built.input, r.built.hx, "last", None, 0, rnn_model=pretrained_rnn(name))
    dc, dh = step_norms(flow.grads.layer(0).dc, 0), step_norms(flow.rnn.layer_dh(0), 0)
    return r, flow, dc, dh, orders_apart(dc, dh, 0)


def test_the_default_model_races_a_trained_rnn_and_says_so_with_both_metrics():
    at = open_page("gradients", {"model": "brackets"})
    assert not at.exception, [e.value for e in at.exception]
    r, _, dc, dh, apart = shipped_race("brackets", 40)
    race = at.markdown[1].value
    rnn_info = shipped_rnn_info("brackets")
    assert race.startswith("**The race: trained against trained**, one recipe (H 4, seed 0, 300 Adam steps")
    assert (
        f"per-step accuracy {r.explanation.metric:.3f}" in race
        and f"per-step accuracy {rnn_info['metric']:.3f}" in race
    )
    assert rnn_info["metric"] < r.explanation.metric
    norms = chart(at, "How far back")
    lines = {d["name"]: decode(d["y"]) for d in norms["data"]}
    np.testing.assert_allclose(lines["RNN ‖dL/dh_t‖"], dh.numpy(), rtol=1e-6)
    assert norms["layout"]["title"]["text"].startswith("How far back the gradient reaches: trained LSTM vs trained")
    # Trained against trained, the bracket task's gradients are less than 3 powers of ten apart at t = 0.
    assert 0 < apart < 3
    note = next(i.value for i in at.info if "orders of magnitude" in i.value)
    assert f"the trained LSTM's ‖dL/dc_t‖ is only {10.0**apart:.3g} times the trained RNN's" in note
    assert f"‖dL/dc‖ {float(dc[0]):.2e} against ‖dL/dh‖ {float(dh[0]):.2e}" in note
    assert not any("orders of magnitude**" in s.value for s in at.success)
    # The forget-bias words measure a shift of these trained weights: it shortens the reach and costs accuracy.
    edited = apply_edits(r.built.lstm, Edits(forget_bias=2.0))
    after = float(step_norms(gradient_flow(edited, r.built.input, None, "last", None, 0).grads.layer(0).dc, 0)[0])
    words = measured_words(at)
    assert f"from {float(dc[0]):.2e} to {after:.2e}" in words and "smaller: it reaches less far back" in words
    metric = r.explanation.model.evaluate(edited)
    assert f"its per-step accuracy {r.explanation.metric:.3f} would become {metric:.3f}" in words
    assert "A forget bias belongs before training" in words and "lesson holds" not in words
    links = words.partition("Train it here from another initial forget bias")[2]
    assert "weights=trained+here" in links and "init_forget=%2B2" in links and "init_forget=%2B1" not in links


def test_every_tasks_race_is_tabled_from_the_shipped_pairs():
    at = open_page("gradients", {"model": "random"})
    table = next(m.value for m in at.markdown if m.value.startswith("| task | metric | LSTM | plain RNN"))
    rows = table.splitlines()[2:]
    assert len(rows) == len(tasks.names())
    for row, race in zip(rows, task_races(), strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert tasks.get(race.task).title in cells[0]
        assert cells[2:] == [
            f"{race.lstm_metric:.3f}",
            f"{race.rnn_metric:.3f}",
            f"{race.lstm_far:.2e}",
            f"{race.rnn_far:.2e}",
            f"{race.orders:+.1f}",
        ]
    bracket = next(x for x in task_races() if x.task == "brackets")
    _, _, dc, dh, apart = shipped_race("brackets", 40)
    assert (bracket.lstm_far, bracket.rnn_far, bracket.orders) == pytest.approx((float(dc[0]), float(dh[0]), apart))


def test_remember_bit_is_where_the_trained_lstm_outlives_the_trained_rnn():
    at = open_page("gradients", {"model": "remember_bit"})
    assert not at.exception, [e.value for e in at.exception]
    _, _, _, _, apart = shipped_race("remember_bit", 20)
    assert apart > 3, "the shipped pair: the RNN trained by the same recipe fails the task"
    note = next(s.value for s in at.success if "orders of magnitude" in s.value)
    assert f"the trained LSTM's ‖dL/dc_t‖ is **{apart:.0f} orders of magnitude** larger than the trained RNN" in note
    assert "t = 0" in note
    assert f"{apart:.0f} orders of" in chart(at, "How far back")["layout"]["annotations"][0]["text"]
    assert f"accuracy at the query {shipped_rnn_info('remember_bit')['metric']:.3f}" in at.markdown[1].value


def test_untrained_task_weights_race_the_untrained_rnn_and_show_the_forget_bias_lesson():
    at = open_page("gradients", {"model": "brackets", "weights": "untrained"})
    assert not at.exception, [e.value for e in at.exception]
    race = at.markdown[1].value
    assert race.startswith("**The race: untrained against untrained.**")
    rnn = init_rnn(tasks.get("brackets"), 4, 0)
    assert f"per-step accuracy {rnn.evaluate():.3f}" in race
    assert "The forget-bias lesson holds here" in measured_words(at)
    # A float64 view of a task runs the float32 RNN in float64 too.
    at = open_page("gradients", {"model": "brackets", "dtype": "float64"})
    assert not at.exception, [e.value for e in at.exception]


def test_random_weights_race_untrained_against_untrained_and_say_why_the_gap_is_small():
    at = open_page("gradients", {"model": "random"})
    assert not any("orders of magnitude** larger" in s.value for s in at.success)
    note = next(i.value for i in at.info if "orders of magnitude apart" in i.value)
    assert "the untrained LSTM's ‖dL/dc_t‖" in note and "untrained RNN's ‖dL/dh_t‖" in note
    f = expected_flow().trace.layer(0).f[0].mean()
    assert f"they average {float(f):.2f} here" in note and "in the table under the chart" in note


def test_step_page_backward_view_offers_the_task_loss_on_a_task_run():
    at = open_page("step", TASK_QUERY)
    at.radio(key="step_view").set_value("backward").run()
    at.selectbox(key="step_loss").set_value(TASK_LOSS).run()
    assert not at.exception, [e.value for e in at.exception]
    r = task_run()
    t, j = 10, 0
    g = backward(r.trace, task_loss_grad(r.trace, r.explanation.model, r.explanation.batch).grad_output).layer(0)
    eqs = [el.value.strip().strip("$").strip() for el in at.latex]
    assert eqs[1].endswith(f"= {float(g.dc[0, t, j]):.4g}")


def test_a_live_training_races_an_rnn_trained_here_and_is_compared_with_other_initial_forget_biases():
    import time

    from lstm_viz.tasks.jobs import TrainKey, trainer

    jobs = [trainer().submit(TrainKey("brackets", 4, 0, bias)) for bias in (2.0, 0.0)]
    deadline = time.monotonic() + 120
    while any(j.state not in ("done", "failed") for j in jobs) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(j.state == "done" for j in jobs)
    at = open_page("gradients", {"model": "brackets", "weights": "trained here", "init_forget": "+2"})
    assert not at.exception, [e.value for e in at.exception]
    race = at.markdown[1].value
    assert race.startswith("**The race: trained against trained**") and "trained on this server" in race
    assert "Plain tanh RNN (trained on this server for this race)" in race
    assert "The forget bias, set before training" in [h.value for h in at.subheader]
    lines = next(m.value for m in at.markdown if m.value.startswith("- initial forget bias"))
    assert lines.splitlines()[0].startswith("- initial forget bias 0: ‖dL/dc‖")
    assert "- initial forget bias +2 (this one): ‖dL/dc‖" in lines
    assert f"per-step accuracy {jobs[1].model.info['metric']:.3f}" in lines.splitlines()[0]


def test_the_gradient_flow_page_speaks_chinese_with_the_numbers_it_measures():
    at = open_page("gradients", {"model": "remember_bit", "lang": "zh-CN"})
    _, _, dc, dh, apart = shipped_race("remember_bit", 20)
    assert at.title[0].value == "梯度流"
    race = at.markdown[1].value
    assert (
        race.startswith("**比赛：训练好的对训练好的**，同一套训练方案（H 4，随机种子 0，") and "查询步的准确率" in race
    )
    note = next(s.value for s in at.success if "数量级" in s.value)
    assert note.startswith(
        f"在第一步（t = 0），训练好的 LSTM 的 ‖dL/dc_t‖ 比训练好的 RNN 的 ‖dL/dh_t‖ 大 **{apart:.0f} 个数量级**"
    )
    assert f"（‖dL/dc‖ {float(dc[0]):.2e} 对 ‖dL/dh‖ {float(dh[0]):.2e}）" in note
    assert next(c.value for c in at.caption if c.value.startswith("**在这些权重上实测**：若把遗忘门偏置平移 +2"))
    assert at.selectbox(key="grad_loss").options == ["最后一步的输出", "每一步的输出", "任务自身的损失"]
    titles = list(charts(at))
    assert titles[0] == "梯度能传回多远：训练好的 LSTM 对比训练好的普通 RNN，第 0 层正向，批中的第 0 条序列"
    assert chart(at, "梯度能传回多远")["layout"]["annotations"][0]["text"] == f"相差 {apart:.0f}<br>个数量级"
    assert any(t.startswith("RNN 隐藏状态（训练好的）") for t in titles) and "饱和的门，第 0 层正向" in titles
    assert [h.value for h in at.subheader] == ["门的饱和", "状态的轨迹"]
