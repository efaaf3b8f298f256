"""The checker's core, in this process: cases, verdicts, first divergence, diagnoses, the report and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch

import lstm_viz
import lstm_viz.check
from lstm_viz import settings
from lstm_viz.check import cases, mistakes
from lstm_viz.check.checker import NoSuchFunction, check_source
from lstm_viz.check.compare import FLOAT32, ErrorInfo, Returned, check_tensor, compare_case
from lstm_viz.check.diagnosis import annotate, explain_error
from lstm_viz.check.source import SourceProblem, definitions_only, read_source

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "lstm_viz" / "check" / "examples"
CLASSICS = {
    "output_size": "output_size",
    "hidden_size_rows": "hidden_size_rows",
    "gate_order": "gate_order",
    "bias": "bias",
    "activation": "activation",
    "state_not_carried": "state_not_carried",
    "returns_swapped": "returns_swapped",
    "reversed_time": "reversed_time",
    "steps_missed": "steps_missed",
    "time_major": "time_major",
    "projection": "projection",
    "initial_state": "initial_state",
    "unknown": "unknown",
}
"""Each learner-style example file and the one diagnosis id it must get (and no other)."""


def example(name: str) -> str:
    return (EXAMPLES / f"{name}.py").read_text(encoding="utf-8")


def example_function(name: str):
    namespace: dict = {}
    exec(compile(definitions_only(example(name)), name, "exec"), namespace)
    return namespace["lstm_forward"]


# --- The public entry ----------------------------------------------------------------------------------------


def test_lstm_viz_check_is_the_package_and_callable():
    assert isinstance(lstm_viz.check, types.ModuleType)
    assert lstm_viz.check.__name__ == "lstm_viz.check"
    assert callable(lstm_viz.check)
    assert "check" in lstm_viz.__all__
    report = lstm_viz.check(example_function("seed"))
    assert isinstance(report, lstm_viz.check.Report)
    assert report.verdict == "match" and report.exit_code == 0


def test_check_refuses_what_is_not_a_function():
    with pytest.raises(TypeError, match="not str"):
        lstm_viz.check("lstm_forward")


# --- Cases ---------------------------------------------------------------------------------------------------


def test_the_tutorials_two_cases_come_first_with_its_sizes():
    first, second = cases.CASES[:2]
    assert (first.batch, first.seq_len, first.input_size, first.hidden_size, first.proj_size) == (2, 3, 4, 5, 0)
    assert (second.batch, second.seq_len, second.input_size, second.hidden_size, second.proj_size) == (2, 3, 4, 5, 3)
    names = [c.name for c in cases.CASES]
    assert len(set(names)) == len(names)
    ladder = cases.CASES[2:]
    assert any(c.batch == 1 for c in ladder) and any(c.seq_len == 1 for c in ladder)
    assert any(c.seq_len >= 10 for c in ladder) and any(c.initial == "zeros" for c in ladder)
    assert any(c.batch == c.seq_len for c in ladder) and any(c.dtype == "float64" for c in ladder)
    distinct = [c for c in ladder if len(set(c.sizes().values())) == len(c.sizes())]
    assert any(c.projected for c in distinct) and any(not c.projected for c in distinct)


@pytest.mark.parametrize("spec", cases.CASES, ids=lambda s: s.name)
def test_every_case_is_the_app_run_its_link_opens(spec):
    """The link's settings build bit-identical tensors: One step shows exactly the case that failed."""
    values = {**settings.model_defaults("random"), **spec.link_values()}
    run_spec, _ = settings.spec_from_values(values)
    built = run_spec.source.draw(run_spec.config).built
    data = cases.case_data(spec)
    assert torch.equal(built.input, data.inputs["inp"])
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        assert torch.equal(getattr(built.lstm, name), getattr(data.lstm, name))
    if spec.initial == "random":
        assert torch.equal(built.hx[0][0], data.inputs["h0"]) and torch.equal(built.hx[1][0], data.inputs["c0"])
    else:
        assert built.hx is None and not data.inputs["h0"].any() and not data.inputs["c0"].any()
    href = settings.href("step", values, {"t": "1", "unit": "2"})
    assert href.startswith("./step?") and "t=1" in href and "unit=2" in href


@pytest.mark.parametrize("spec", cases.CASES, ids=lambda s: s.name)
def test_reference_forward_without_a_mistake_is_nn_lstm(spec):
    data = cases.case_data(spec)
    pred = mistakes.forward(data, mistakes.Mistake())
    for name in ("output", "h_n", "c_n"):
        assert (getattr(pred, name) - data.exact[name]).abs().max() < 1e-10


def test_every_known_mistake_changes_the_lstm_on_some_case():
    """A mistake no case can tell from the LSTM would be a diagnosis that can never be made."""
    for m in mistakes.SINGLES:
        changed = False
        for spec in cases.CASES:
            pred = mistakes.forward(cases.case_data(spec), m)
            data = cases.case_data(spec)
            if pred is None:
                continue
            for name in ("output", "h_n", "c_n"):
                got, want = getattr(pred, name), data.exact[name]
                if got.shape != want.shape or torch.isnan(got).any() or (got - want).abs().max() > 1e-4:
                    changed = True
        assert changed, m


# --- Verdicts ------------------------------------------------------------------------------------------------


def test_the_seed_passes_every_case_with_the_float32_buffer_a_note():
    report = check_source(example("seed"), filename="seed.py", mode="process")
    assert report.verdict == "match", report.text()
    assert [r.status for r in report.results] == ["match"] * len(cases.CASES)
    f64 = report.results[-1]
    assert f64.spec.dtype == "float64" and any("float32" in n for n in f64.notes)
    assert f64.tensor("output").tolerance is FLOAT32 and f64.tensor("h_n").tolerance.dtype == "float64"
    assert "weight_ih_l0 # # torch.Size([20, 4])" in report.printed
    assert report.diagnoses == []


def test_a_function_without_w_hr_skips_the_projected_cases_and_says_so():
    code = example("seed")
    first = code[: code.index("def test_lstm_impl")]
    report = check_source(first, mode="process")
    skipped = [r.spec.name for r in report.results if r.status == "skipped"]
    assert skipped == [c.name for c in cases.CASES if c.projected]
    assert report.verdict == "match"
    assert "projected cases were skipped" in report.headline() and "w_hr" in report.headline()


def test_a_rounding_miss_of_allclose_is_a_note_and_a_real_difference_is_not():
    """The tutorial's function misses allclose's defaults by rounding alone on the tutorial's case with seed 1."""
    spec = cases.CaseSpec("t", "t", "", 2, 3, 4, 5, seed=1)
    data = cases.case_data(spec)
    fn = example_function("seed")
    d = data.inputs
    out, (h, c) = fn(d["inp"], (d["h0"], d["c0"]), d["w_ih"], d["w_hh"], d["b_ih"], d["b_hh"])
    strict = [check_tensor(n, t, getattr(data, n), spec) for n, t in (("output", out), ("h_n", h), ("c_n", c))]
    assert not all(t.ok for t in strict), "seed 1 no longer misses allclose: pick another seed for this test"
    result = compare_case(data, Returned(out, h, c))
    assert result.status == "match"
    assert any("rounding" in n for n in result.notes)
    wrong = compare_case(data, Returned(out * (1 + 1e-4), h, c))
    assert wrong.status == "differs"


def test_mixed_dtypes_are_compared_after_casting():
    spec = cases.case("float64")
    data = cases.case_data(spec)
    result = compare_case(data, Returned(data.output.float(), data.h_n.float(), data.c_n))
    assert result.status == "match"
    assert sum("float32" in n for n in result.notes) == 2


def test_wrong_shapes_and_structures_are_named_in_the_cases_letters():
    spec = cases.case("tutorial_proj")
    data = cases.case_data(spec)
    wrong = check_tensor("output", torch.zeros(2, 3, 5), data.output, spec)
    assert (
        not wrong.ok
        and "[2, 3, 5] (B, T or P, H)" in wrong.problem
        and "[2, 3, 3] (B, T or P, T or P)" in wrong.problem
    )
    report = lstm_viz.check(lambda inp, states, *w: inp)
    assert report.verdict == "differs"
    assert "return_value" in [d.id for d in report.diagnoses]


# --- Diagnoses -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CLASSICS))
def test_each_classic_mistake_is_named(name):
    report = check_source(example(name), filename=f"{name}.py", mode="process")
    assert report.verdict == "differs"
    lstm_ids = [d.id for d in report.diagnoses]
    assert lstm_ids == [CLASSICS[name]], report.text()
    d = report.diagnoses[0]
    assert d.sentence and d.equations and d.convention
    assert f"diagnosis: {d.id}" in report.text()


def test_gate_order_names_the_order_found():
    report = check_source(example("gate_order"), mode="process")
    d = report.diagnoses[0]
    assert d.detail == "i, f, o, g" and "Caffe" in d.sentence
    assert "i, f, g, o" in d.convention


def test_the_published_output_size_mistake_fails_only_the_projected_cases():
    report = check_source(example("output_size"), mode="process")
    bad = {r.spec.name for r in report.results if r.status != "match"}
    assert bad == {c.name for c in cases.CASES if c.projected}
    assert all(r.status == "raised" for r in report.results if r.spec.projected)
    (why,) = [w for r, w in report.explained_errors() if r.spec.name == "tutorial_proj"]
    assert "(5 = H)" in why and "[2 = B, 3 = T or P]" in why and "line" in why
    assert report.module_error is not None  # the published copy's own test call raises too


def test_two_mistakes_at_once_are_both_named():
    code = example("gate_order").replace(
        " + b_ih[h_size*i:h_size*(1+i)] + b_hh[h_size*i:h_size*(1+i)])", " + b_ih[h_size*i:h_size*(1+i)])"
    )
    report = check_source(code, mode="process")
    assert sorted(d.id for d in report.diagnoses) == ["bias", "gate_order"], report.text()


def test_a_wrong_signature_is_named_with_the_contract():
    report = lstm_viz.check(lambda inp, states, w_ih, w_hh, bias: None)
    assert [d.id for d in report.diagnoses] == ["signature"]
    assert all(r.status in ("raised", "skipped") for r in report.results)
    assert "lstm_forward(inp, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None)" in report.diagnoses[0].convention


def test_an_exception_is_explained_in_the_lstms_terms():
    spec = cases.case("distinct")
    error = ErrorInfo(
        "RuntimeError", "mat1 and mat2 shapes cannot be multiplied (2x7 and 3x28)", ({"line": 4, "text": "x @ w"},)
    )
    words = explain_error(error, spec)
    assert "(2 = B)×(7 = H)" in words and "(3 = I)×(28 = 4H)" in words
    assert "line 4" in words and "W_ih is [4H, I]" in words
    assert annotate("at non-singleton dimension 1", spec) == "at non-singleton dimension 1"


def test_nothing_known_is_unknown_with_the_divergence_shown():
    report = check_source(example("unknown"), mode="process")
    assert [d.id for d in report.diagnoses] == ["unknown"]
    d = report.divergence
    assert d is not None and d.spec.name == "tutorial" and d.step == 0
    assert len(d.equations) == 7 and "c_t" in d.equations[4]


# --- Where it goes wrong -------------------------------------------------------------------------------------


def test_first_divergence_is_the_first_step_and_units_that_part():
    report = check_source(example("steps_missed"), mode="process")
    d = report.divergence
    assert d.spec.name == "tutorial" and d.step == d.spec.seq_len - 1
    assert d.units == tuple(range(5)) and d.h_units and d.c_units
    values, flags = d.link()
    assert flags == {"t": str(d.step), "unit": str(d.unit)}
    link = report.step_link()
    assert "draw=tutorial" in link and f"t={d.step}" in link and "seq_len=3" in link
    heat = d.heat
    assert heat.shape == (3, 5) and bool((heat[-1] > 1e-3).all()) and bool((heat[:-1] < 1e-5).all())


def test_only_the_final_states_parting_shows_the_last_step():
    report = check_source(example("returns_swapped"), mode="process")
    d = report.divergence
    assert d.step is None and d.shown_step == d.spec.seq_len - 1 and d.h_units and d.c_units
    assert "matches nn.LSTM's at every step" in report.divergence_words()


# --- The report ----------------------------------------------------------------------------------------------


def test_report_prints_as_text_and_draws_in_jupyter(monkeypatch):
    report = check_source(example("bias"), mode="process")
    text = str(report)
    assert "diagnosis: bias b_hh left out" in text and "verdict: differs" in text
    assert "right: " in text and "σ" in text and "One step opens this case there: ./step?" in text
    html = report._repr_html_()
    assert "$$" in html and "diagnosis: <code>bias</code>" in html
    shown = []
    display = types.ModuleType("IPython.display")
    display.HTML = lambda s: ("html", s)
    display.display = shown.append
    monkeypatch.setitem(sys.modules, "IPython", types.ModuleType("IPython"))
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    report._ipython_display_()
    kinds = [type(x).__name__ for x in shown]
    assert shown[0][0] == "html" and kinds.count("Figure") == 3


def test_report_figures_have_titles_axes_and_colour_bars():
    report = check_source(example("gate_order"), mode="process")
    for fig in (report.cases_figure(), report.difference_figure(), report.final_states_figure()):
        layout = fig.layout
        assert layout.title.text
        axes = [k for k in layout if k.startswith(("xaxis", "yaxis"))]
        assert axes and all(
            layout[k].title.text is not None for k in axes if layout[k].domain or k in ("xaxis", "yaxis")
        )
        bars = [t for t in fig.data if getattr(t, "colorbar", None) is not None and t.colorbar.title.text] + [
            t for t in fig.data if getattr(t, "marker", None) is not None and t.marker.colorbar.title.text
        ]
        assert bars, fig.layout.title.text
    heat = report.difference_figure()
    assert heat.layout.shapes[0].x0 == report.divergence.step - 0.5


# --- Reading code --------------------------------------------------------------------------------------------


def test_a_notebook_is_read_with_magics_and_shell_lines_made_harmless():
    cells = [
        {"cell_type": "markdown", "source": ["# my LSTM"]},
        {"cell_type": "code", "source": ["%matplotlib inline\n", "!pip install torch\n", "import torch\n"]},
        {"cell_type": "code", "source": "%%bash\necho hi\n"},
        {"cell_type": "code", "source": "%%time\nx = 1\nfiles = !ls\n"},
        {"cell_type": "code", "source": example("seed")},
        {"cell_type": "code", "source": "def helper():\n    !echo inside\nlstm_forward?\n"},
    ]
    nb = json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {}})
    source = read_source(nb.encode(), "mine.ipynb")
    assert "lstm_forward" in source.functions and "helper" in source.functions
    assert source.functions["lstm_forward"].takes_w_hr  # the second definition wins
    assert source.removed >= 5 and "echo hi" not in source.code
    line = source.functions["lstm_forward"].line
    assert source.where(line).startswith("cell 4, line ")
    report = check_source(nb.encode(), filename="mine.ipynb", mode="process")
    assert report.verdict == "match", report.text()


def test_the_last_definition_wins_as_when_the_file_runs():
    code = example("seed")
    source = read_source(code)
    assert source.functions["lstm_forward"].params[-1] == "w_hr"
    first_only = code.replace(
        "def lstm_forward(inp, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):",
        "def other(inp, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):",
    )
    assert read_source(first_only).functions["lstm_forward"].params[-1] == "b_hh"


def test_code_that_cannot_be_read_is_refused_with_where_and_why():
    with pytest.raises(SourceProblem, match=r"not valid Python: .* at line 2"):
        read_source("import torch\ndef lstm_forward(:\n")
    with pytest.raises(SourceProblem, match="at most 256 KB"):
        read_source("#" * 300_000)
    with pytest.raises(SourceProblem, match="not UTF-8"):
        read_source(b"\xff\xfe\x00x = 1", "a.py")
    with pytest.raises(SourceProblem, match="not a Jupyter notebook"):
        read_source(b"{not json", "a.ipynb")
    with pytest.raises(SourceProblem, match="nests too deeply|not valid Python"):
        read_source("x = " + "(" * 5000 + ")" * 5000)
    with pytest.raises(NoSuchFunction, match="defines no function called lstm_forward"):
        check_source("def f():\n    pass\n\n\ndef g():\n    pass\n", mode="process")


# --- The terminal --------------------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lstm_viz.check", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_cli_exit_codes_and_one_line_per_diagnosis(tmp_path):
    ok = run_cli(str(EXAMPLES / "seed.py"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "verdict: match" in ok.stdout
    bad = run_cli(str(EXAMPLES / "gate_order.py"))
    assert bad.returncode == 1
    assert [line for line in bad.stdout.splitlines() if line.startswith("diagnosis:")] == [
        "diagnosis: gate_order i, f, o, g"
    ]
    missing = run_cli(str(EXAMPLES / "seed.py"), "--function", "nope")
    assert missing.returncode == 2 and "no function called nope" in missing.stdout
    broken = tmp_path / "broken.py"
    broken.write_text("def lstm_forward(:\n")
    parse = run_cli(str(broken))
    assert parse.returncode == 2 and "not valid Python" in parse.stdout
