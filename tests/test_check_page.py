"""The Check your LSTM page under Streamlit's AppTest: load, check, the report, the mode notice and the slots."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz.check import classics, sandbox, slots
from lstm_viz.server import file_slots

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def _end_the_warm_sandbox():
    """The page starts a warm sandbox for the next check (as a server does); a test ends it after itself."""
    yield
    sandbox.pool.close()


def open_check(monkeypatch, mode: str | None = None) -> AppTest:
    if mode is None:
        monkeypatch.delenv(sandbox.MODE_ENV, raising=False)
    else:
        monkeypatch.setenv(sandbox.MODE_ENV, mode)
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["model"] = "random"
    at.run()
    at.switch_page("pages/check.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def status_labels(at: AppTest) -> list[str]:
    """The labels of the page's st.status blocks (a check's progress and outcome)."""
    return [str(el.proto) for el in at.main.children.values() if type(el).__name__ == "Status"]


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [s.value for s in at.success]
    parts += [c.value for c in at.caption] + [w.value for w in at.warning] + [i.value for i in at.info]
    return "\n".join(parts)


needs_sandbox = pytest.mark.skipif(sandbox.bwrap_path() is None, reason="Debian's bubblewrap is not installed")


@needs_sandbox
def test_the_tutorials_function_loads_and_passes(monkeypatch):
    at = open_check(monkeypatch)
    assert at.title[0].value == "Check your LSTM"
    assert "def lstm_forward(inp, initial_states" in at.session_state["check_code"]  # the signature template
    button(at, "Load the tutorial's function").click().run()
    assert at.session_state["check_code"] == classics.example_code("seed")
    assert at.selectbox(key="check_function").value == "lstm_forward"
    button(at, "Check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success and "matches nn.LSTM on all 10 cases" in at.success[0].value
    table = next(m.value for m in at.markdown if m.value.startswith("| | case"))
    assert table.count("| matches |") == 10
    assert "float32 decides" in texts(at)
    assert any(e.proto.spec and "Each case" in e.proto.spec for e in at.get("plotly_chart"))


@needs_sandbox
def test_a_classic_mistake_gets_its_name_equation_and_a_link_to_one_step(monkeypatch):
    at = open_check(monkeypatch)
    at.selectbox(key="check_classic").select("gate_order").run()
    button(at, "Load this mistake").click().run()
    button(at, "Check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    report = at.session_state["check_report"]
    assert report.headline() == "Your lstm_forward differs from nn.LSTM on 10 of 10 cases (gate_order)."
    assert "differs from nn.LSTM on 10 of 10 cases \\(gate\\_order\\)" in shown or "gate_order" in at.error[0].value
    assert "`gate_order` **i, f, o, g**" in shown and "PyTorch's convention:" in shown
    assert len(at.latex) >= 7 + 4  # nn.LSTM's step with its values, and the right equations
    link = next(m.value for m in at.markdown if "lstm-link primary" in m.value)
    assert 'href="./step?' in link and "draw=tutorial" in link and "t=0" in link and "unit=0" in link
    keys = [el.proto.id for el in at.get("plotly_chart")]
    assert len(keys) == 3


def test_checking_off_says_how_to_turn_it_on_in_one_line(monkeypatch):
    at = open_check(monkeypatch, "off")
    (info,) = [i for i in at.info if i not in at.sidebar.info]  # the sidebar says its settings are other pages'
    assert "Checking code is off" in info.value and f"{sandbox.MODE_ENV}=local" in info.value
    assert "apt-get install bubblewrap" in info.value and "lstm_viz.check(lstm_forward)" in info.value
    assert button(at, "Check").disabled


def test_code_that_does_not_parse_is_named_and_not_run(monkeypatch):
    at = open_check(monkeypatch, "local")
    at.session_state["check_code"] = "import torch\ndef lstm_forward(:\n    pass\n"
    at.run()
    assert any("not valid Python" in e.value and "line 2" in e.value for e in at.error)
    assert button(at, "Check").disabled


def test_a_full_queue_refuses_by_name(monkeypatch, tmp_path):
    monkeypatch.setenv(file_slots.CACHE_DIR_ENV, str(tmp_path))
    at = open_check(monkeypatch, "local")
    button(at, "Load the tutorial's function").click().run()
    base = tmp_path / "checks"
    held = [file_slots.FileSlots(base, "check", slots.RUNNING).try_acquire() for _ in range(slots.RUNNING)]
    held += [file_slots.FileSlots(base, "check-wait", slots.WAITING).try_acquire() for _ in range(slots.WAITING)]
    try:
        assert all(fd is not None for fd in held)
        button(at, "Check").click().run()
    finally:
        for fd in held:
            file_slots.release(fd)
    assert not at.exception
    labels = status_labels(at)
    assert any("refused" in label and f"{slots.RUNNING} checks" in label for label in labels), labels
    assert "check_report" not in at.session_state
