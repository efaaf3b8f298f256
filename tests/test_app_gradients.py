"""The Gradient flow page and the one-step page's backward view under AppTest: the numbers drawn are computed."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app import charts, decode, open_page

from lstm_viz.analysis import forget_product, gradient_flow, orders_apart, step_norms
from lstm_viz.backward import TASK_LOSS, backward, loss_grad, task_loss_grad
from lstm_viz.config import LSTMConfig
from lstm_viz.edits import Edits, apply_edits
from lstm_viz.run import RunSpec, TaskSource, run
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
    assert "plain RNN" in at.markdown[0].value and "forget" in at.markdown[0].value
    titles = list(charts(at))
    for start in ("How far back", "LSTM cell state", "LSTM hidden state", "RNN:", "Saturated gates", "h over time"):
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


def test_forget_bias_control_makes_the_cell_gradient_survive_longer(gradients_page):
    at = gradients_page
    before = decode(chart(at, "How far back")["data"][0]["y"])
    at.slider(key="grad_forget_bias").set_value(3.0).run()
    assert not at.exception, [e.value for e in at.exception]
    after = decode(chart(at, "How far back")["data"][0]["y"])
    want = step_norms(expected_flow(3.0).grads.layer(0).dc, 0).numpy()
    np.testing.assert_allclose(after, np.maximum(want, 1e-30), rtol=1e-6)
    assert after[0] > before[0]  # the first step's cell gradient is larger with forget gates nearer 1
    assert "forget bias +3" in next(iter(charts(at)))


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
    flow = gradient_flow(
        r.built.lstm, r.built.input, r.built.hx, TASK_LOSS, None, r.config.seed, r.task.model, r.task.batch
    )
    assert any("cross-entropy" in c.value and f"{flow.loss.value:.4g}" in c.value for c in at.caption)
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


def test_gradient_flow_says_how_many_orders_of_magnitude_the_lstm_outlives_the_rnn():
    at = open_page("gradients", {"model": "brackets"})
    assert not at.exception, [e.value for e in at.exception]
    r = run(RunSpec(LSTMConfig(**{**DEFAULTS, "batch": 4, "seq_len": 40}), TaskSource("brackets")))
    flow = gradient_flow(r.built.lstm, r.built.input, r.built.hx, "last", None, r.config.seed)
    apart = orders_apart(step_norms(flow.grads.layer(0).dc, 0), step_norms(flow.rnn.layer_dh(0), 0), 0)
    assert apart > 3, "the shipped bracket model (the app's default) shows the lesson"
    note = next(s.value for s in at.success if "orders of magnitude" in s.value)
    assert f"**{apart:.0f} orders of magnitude**" in note and "t = 0" in note
    spec = chart(at, "How far back")
    assert f"{apart:.0f} orders of" in spec["layout"]["annotations"][0]["text"]
    # Random weights: forget gates near 0.5, no lesson to see; the page says so and links the trained tasks.
    at = open_page("gradients", {"model": "random"})
    assert not any("orders of magnitude** larger" in s.value for s in at.success)
    assert any("too few to tell the two apart" in i.value for i in at.info)


def test_step_page_backward_view_offers_the_task_loss_on_a_task_run():
    at = open_page("step", TASK_QUERY)
    at.radio(key="step_view").set_value("backward").run()
    at.selectbox(key="step_loss").set_value(TASK_LOSS).run()
    assert not at.exception, [e.value for e in at.exception]
    r = task_run()
    t, j = 10, 0
    g = backward(r.trace, task_loss_grad(r.trace, r.task.model, r.task.batch).grad_output).layer(0)
    eqs = [el.value.strip().strip("$").strip() for el in at.latex]
    assert eqs[1].endswith(f"= {float(g.dc[0, t, j]):.4g}")
