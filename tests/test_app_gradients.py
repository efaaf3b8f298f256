"""The Gradient flow page and the one-step page's backward view under AppTest: the numbers drawn are computed."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz.analysis import forget_product, gradient_flow, step_norms
from lstm_viz.backward import backward, loss_grad
from lstm_viz.config import LSTMConfig
from lstm_viz.edits import Edits, apply_edits
from lstm_viz.run import run
from lstm_viz.ui import DEFAULTS

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> dict[str, dict]:
    specs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    return {spec["layout"]["title"]["text"]: spec for spec in specs}


def decode(arr) -> np.ndarray:
    if isinstance(arr, dict):
        data = np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"]))
        return data.reshape([int(s) for s in str(arr["shape"]).split(",")]) if "shape" in arr else data
    return np.asarray(arr)


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
