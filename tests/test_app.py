"""Every page run by Streamlit's AppTest: renders, shows the trace's numbers, follows controls and URLs."""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz import ui
from lstm_viz.config import LSTMConfig
from lstm_viz.figures import QUANTITIES, SLIDE_TITLE_CHARS
from lstm_viz.run import run
from lstm_viz.sources import RandomSource, TaskSource
from lstm_viz.ui import DEFAULTS

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ["home", "gates", "compare", "step", "parameters"]


def open_page(page: str, query: dict[str, str] | None = None, as_link: bool = False) -> AppTest:
    """The page opened with ``query``: random weights unless the query names a model (or a task).

    ``as_link``: exactly the query of a link the app made (no model there means the app's default model).
    """
    at = AppTest.from_file(APP, default_timeout=120)
    query = dict(query or {})
    if not as_link and "model" not in query and "task" not in query:
        query["model"] = "random"
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page != "home":
        at.switch_page(f"pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> dict[str, dict]:
    """Every plotly chart on the page, by its key, as the figure JSON Streamlit sends."""
    specs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    return {spec["layout"]["title"]["text"]: spec for spec in specs}


def decode(arr) -> np.ndarray:
    """A Plotly typed array (base64 ``bdata`` with dtype and shape) or a plain list, as numpy."""
    if isinstance(arr, dict):
        data = np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"]))
        if "shape" in arr:
            data = data.reshape([int(s) for s in str(arr["shape"]).split(",")])
        return data
    return np.asarray(arr)


def heatmap(at: AppTest, title_start: str) -> np.ndarray:
    """The values of the chart titled ``title_start``, or of the Gates figure's row of that name ([units, T])."""
    drawn = charts(at)
    matches = [s for t, s in drawn.items() if t.startswith(title_start)]
    if matches:
        return decode(matches[0]["data"][0]["z"])
    row = next((q.name for q in QUANTITIES.values() if q.title.startswith(title_start)), None)
    for spec in drawn.values():
        for trace in spec["data"]:
            if trace.get("name") == "cells" and row is not None:
                # The Gates figure's cell points: [unit, value] each, unit-major per row, the row's letter as text.
                cells = decode(trace["customdata"])[np.asarray(trace["text"]) == row]
                return cells[:, 1].reshape(-1, int(decode(trace["x"]).max()) + 1)
    raise AssertionError(f"no chart or Gates row titled {title_start!r} in {list(drawn)}")


def gates_figure(at: AppTest) -> dict:
    """The Gates figure (every gate and state over time) of a page, as Streamlit sends it."""
    return next(s for t, s in charts(at).items() if t.startswith("Every gate and state"))


@pytest.mark.parametrize("page", ["home", "gates", "tasks", "code", "compare", "step", "gradients", "parameters"])
def test_every_page_opens_on_the_shipped_bracket_model_with_no_query(page):
    at = open_page(page, as_link=True)
    assert not at.exception and not at.error, [e.value for e in at.error]
    spec = at.session_state["spec"]
    assert spec.source == TaskSource("brackets")
    assert not any("cannot read" in w.value or "not applied" in w.value for w in at.warning)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(page):
    at = open_page(page)
    assert not at.error
    if page == "home":
        assert "matches nn.LSTM" in at.success[0].value
        equations = next(m.value for m in at.markdown if "begin{aligned}" in m.value)
        assert all(f"{q}_t &=" in equations for q in "ifgoch")
    assert len(at.get("plotly_chart")) >= (2 if page == "home" else 1)
    for title, spec in charts(at).items():
        assert title, "every figure has a title"
        xaxis = spec["layout"].get("xaxis", {})
        assert xaxis.get("title", {}).get("text") or xaxis.get("visible") is False, title


def test_gate_heatmaps_carry_the_trace_values():
    at = open_page("gates")
    rec = run(LSTMConfig(**DEFAULTS)).trace.layer(0)
    for name, title in (
        ("i", "input gate"),
        ("f", "forget gate"),
        ("g", "cell candidate"),
        ("c", "cell state"),
    ):
        z = heatmap(at, title)
        expected = getattr(rec, name)[0].T.float().numpy()  # [H, T]
        assert z.shape == expected.shape
        np.testing.assert_array_equal(z, expected)


def test_changing_hidden_size_changes_every_heatmap():
    at = open_page("gates")
    assert heatmap(at, "input gate").shape[0] == DEFAULTS["hidden_size"]
    at.number_input(key="hidden_size").set_value(7).run()
    assert not at.exception
    rec = run(LSTMConfig(**{**DEFAULTS, "hidden_size": 7})).trace.layer(0)
    z = heatmap(at, "forget gate")
    assert z.shape == (7, DEFAULTS["seq_len"])
    np.testing.assert_array_equal(z, rec.f[0].T.float().numpy())


def test_query_params_seed_the_controls_and_the_run():
    query = {"hidden_size": "6", "seed": "5", "seq_len": "9", "input_kind": "sine", "dtype": "float64"}
    at = open_page("gates", query)
    assert at.number_input(key="hidden_size").value == 6
    assert at.number_input(key="seed").value == 5
    assert at.selectbox(key="input_kind").value == "sine"
    cfg = LSTMConfig(
        **{**DEFAULTS, "hidden_size": 6, "seed": 5, "seq_len": 9, "input_kind": "sine", "dtype": "float64"}
    )
    rec = run(cfg).trace.layer(0)
    np.testing.assert_array_equal(heatmap(at, "output gate"), rec.o[0].T.float().numpy())


@pytest.mark.parametrize(
    "query, words",
    [
        ({"proj_size": "16"}, ["proj_size = 16", "smaller than hidden_size = 16"]),
        ({"seq_len": "512", "batch": "32", "hidden_size": "512"}, ["would record", "4,000,000"]),
    ],
)
def test_invalid_url_settings_show_a_message_and_keep_a_valid_run(query, words):
    for page in ("gates", "compare"):
        at = open_page(page, query)
        message = at.sidebar.error[0].value
        for w in words:
            assert w in message
        assert at.get("plotly_chart"), "the page keeps showing a run"


@pytest.mark.parametrize(
    "query, words",
    [
        ({"hidden_size": "100000"}, ["`hidden_size=100000`", "1 to 512"]),
        ({"batch": "0"}, ["`batch=0`", "1 to 32"]),
        ({"num_layers": "9"}, ["`num_layers=9`", "1 to 4"]),
        ({"hidden_size": "7.9"}, ["`hidden_size=7.9`", "not a whole number"]),
        ({"seed": "1e400"}, ["`seed=1e400`", "not a whole number"]),
        ({"hidden_size": "inf"}, ["`hidden_size=inf`", "not a whole number"]),
        ({"seed": "9" * 310}, ["`seed=" + "9" * 40 + "…`", "out of range"]),
        ({"seed": str(2**53 + 1)}, ["out of range", "0 to 2147483647"]),
        ({"train_seed": "1e400", "model": "brackets", "weights": "untrained"}, ["`train_seed=1e400`"]),
        ({"scale_f": "nan", "edit_scales": "true"}, ["`scale_f=nan`", "-5 to 5"]),
    ],
)
def test_unreadable_or_out_of_range_link_values_are_named_with_their_limit_and_never_break_the_page(query, words):
    for page in ("gates", "compare"):
        at = open_page(page, query)
        assert not at.exception
        message = next(w.value for w in at.warning if "cannot read" in w.value)
        for w in words:
            assert w in message
        assert at.get("plotly_chart"), "the page keeps showing a run"


@pytest.mark.parametrize("page", ["home", "gates"])
def test_an_old_link_that_sets_sizes_and_no_model_opens_random_weights_of_those_sizes(page):
    at = open_page(page, {"hidden_size": "8", "seed": "3"}, as_link=True)
    spec = at.session_state["spec"]
    assert spec.source == RandomSource()
    assert (spec.config.hidden_size, spec.config.seed) == (8, 3)
    assert at.selectbox(key="model").value == "random" and at.number_input(key="hidden_size").value == 8
    assert at.query_params["model"] in ("random", ["random"])
    at = open_page(page, {"hidden_size": "16", "proj_size": "16"}, as_link=True)
    assert "proj_size = 16 must be smaller than hidden_size = 16" in at.sidebar.error[0].value


@pytest.mark.parametrize("view", [{}, {"controls": "hidden"}, {"figure": "gates"}])
def test_a_link_whose_sizes_contradict_its_trained_model_says_so_in_every_view(view):
    at = open_page("gates", {"model": "brackets", "hidden_size": "8", **view}, as_link=True)
    message = next(w.value for w in at.warning if "does not take" in w.value)
    assert "`hidden_size=8`" in message and "fixes its sizes" in message
    assert at.session_state["spec"].config.hidden_size == 4


def test_a_link_value_is_quoted_as_text_never_as_a_link():
    at = open_page("gates", {"colours": "[click me](https://example.com)", "seed": "<b>x</b>"})
    message = next(w.value for w in at.warning if "cannot read" in w.value)
    assert "`colours=[click me](https://example.com)`" in message, "inside a code span: shown verbatim"
    assert "`seed=<b>x</b>`" in message
    assert message.count("`") % 2 == 0


def test_invalid_control_change_keeps_the_last_valid_run():
    at = open_page("gates")
    at.number_input(key="hidden_size").set_value(9).run()
    at.number_input(key="proj_size").set_value(9).run()
    assert not at.exception
    assert "smaller than hidden_size = 9" in at.sidebar.error[0].value
    assert heatmap(at, "input gate").shape[0] == 9  # the last valid run: hidden 9, no projection


def test_compare_page_shows_a_computed_verdict_and_both_outputs():
    at = open_page("compare")
    r = run(LSTMConfig(**DEFAULTS))
    assert at.success[0].value.strip("*") == r.comparison.headline
    assert "0.0e+00" in r.comparison.headline
    official = heatmap(at, "nn.LSTM output")
    mine = heatmap(at, "Hand-written output")
    np.testing.assert_array_equal(official, r.comparison.output[:, 0].T.float().numpy())
    np.testing.assert_array_equal(mine, r.trace.output[:, 0].T.float().numpy())
    assert len(at.table[0].value) == 2  # float32 and float64 side by side


def test_compare_page_dtype_switch_button_changes_the_run():
    at = open_page("compare")
    at.button(key="switch_dtype").click().run()
    assert at.selectbox(key="dtype").value == "float64"
    assert "float64" in at.success[0].value


def test_step_page_equations_use_the_trace_values():
    at = open_page("step", {"seq_len": "6", "hidden_size": "5", "proj_size": "2"})
    at.number_input(key="step_t").set_value(3).run()
    at.number_input(key="unit_j").set_value(4).run()
    rec = run(LSTMConfig(**{**DEFAULTS, "seq_len": 6, "hidden_size": 5, "proj_size": 2})).trace.layer(0)
    latex = " ".join(x.value for x in at.latex)
    for name in ("i", "f", "g", "o", "c", "m"):
        assert f"{float(getattr(rec, name)[0, 3, 4]):.4f}" in latex
    assert "W_{hr}" in latex
    terms = rec.step_terms(3)
    a, b = terms.split("f")
    assert f"{float(a[0, 4]):.4f}" in latex and f"{float(b[0, 4]):.4f}" in latex


def test_parameters_page_lists_pytorch_names_and_shapes():
    at = open_page("parameters", {"hidden_size": "5", "proj_size": "3"})
    code = at.code[0].value
    assert "weight_ih_l0 (20, 4)" in code
    assert "weight_hh_l0 (20, 3)" in code
    assert "weight_hr_l0 (3, 5)" in code


def links(at: AppTest) -> dict[str, str]:
    """Every link button on the page and in the sidebar: label -> href."""
    found = {}
    for md in at.markdown:
        for href, label in re.findall(r'<a class="lstm-link[^"]*" href="([^"]+)"[^>]*>([^<]+)</a>', md.value):
            found[html.unescape(label)] = html.unescape(href)
    return found


def follow(href: str) -> AppTest:
    """Open a link's page with its query, as a browser following it would (a fresh session)."""
    url = urlsplit(href)
    page = url.path.removeprefix("./") or "home"
    return open_page(page, dict(parse_qsl(url.query)), as_link=True)


def test_tutorial_preset_link_sets_every_control():
    # The presets dialog draws exactly these links (AppTest does not render dialogs; the browser test opens it).
    href = ui.settings_href("gates", ui.PRESETS["the tutorial (2, 3, 4, 5, proj 3)"])
    assert href.startswith("./gates?"), "a preset link keeps the page it was chosen on"
    at = follow(href)
    assert not at.exception
    assert at.number_input(key="hidden_size").value == 5
    assert at.number_input(key="proj_size").value == 3
    assert at.number_input(key="seq_len").value == 3
    assert heatmap(at, "input gate").shape == (5, 3)


def test_the_tutorial_preset_draws_the_tutorials_very_tensors_and_compare_prints_them_as_pytorch_does():
    import torch

    at = follow(ui.settings_href("compare", ui.PRESETS["the tutorial (2, 3, 4, 5, proj 3)"]))
    spec = at.session_state["spec"]
    assert spec.source == RandomSource("tutorial") and spec.config.seed == 0
    with torch.random.fork_rng():
        torch.manual_seed(0)
        inp = torch.randn(2, 3, 4)
        c0, h0 = torch.randn(2, 5), torch.randn(2, 3)
        lstm = torch.nn.LSTM(4, 5, batch_first=True, proj_size=3)
        output, (h_n, c_n) = lstm(inp, (h0.unsqueeze(0), c0.unsqueeze(0)))
    codes = [c.value for c in at.code]
    printed_in = next(c for c in codes if c.startswith("input  # [B, T, I] = [2, 3, 4]"))
    assert str(inp) in printed_in and str(h0.unsqueeze(0)) in printed_in and str(c0.unsqueeze(0)) in printed_in
    official = next(c for c in codes if c.startswith("output  # [B, T, H_out] = [2, 3, 3]"))
    assert str(output.detach()) in official and str(h_n.detach()) in official and str(c_n.detach()) in official
    assert sum(str(output.detach()) in c for c in codes) == 2, "nn.LSTM's and the hand-written forward's, alike"


def test_one_step_opens_at_the_links_step_and_unit_and_names_what_it_cannot_honour():
    at = open_page("step", {"seq_len": "6", "t": "4", "unit": "3"})
    assert (at.number_input(key="step_t").value, at.number_input(key="unit_j").value) == (4, 3)
    assert any("Step t = 4, unit j = 3" in h.value for h in at.subheader)
    at = open_page("step", {"seq_len": "6", "t": "40", "unit": "99"})
    words = " ".join(w.value for w in at.warning)
    assert "t=40 is outside this run's steps 0..5" in words and "unit=99 is outside the units shown" in words
    assert at.number_input(key="step_t").value == 5
    # Moving the pickers moves the link: a copied link opens the same cell.
    at.number_input(key="unit_j").set_value(2).run()
    assert at.query_params["unit"] in ("2", ["2"]) and at.query_params["t"] in ("5", ["5"])


def test_one_step_prints_the_steps_tensors_as_pytorch_does():
    at = open_page("step", {"seq_len": "6", "t": "2"})
    rec = run(LSTMConfig(**{**DEFAULTS, "seq_len": 6})).trace.layer(0)
    printed = next(c.value for c in at.code if c.value.startswith("x_t  # [B, I]"))
    assert str(rec.f[:, 2]) in printed and str(rec.h[:, 1]) in printed, "f_t and h_prev as print() shows them"


def test_a_link_step_opens_the_gates_figure_there_and_its_frames_move_the_cursor_in_the_browser():
    spec = gates_figure(open_page("gates", {"t": "12", "unit": "3"}))
    assert spec["layout"]["sliders"][0]["active"] == 12
    assert len(spec["frames"]) == DEFAULTS["seq_len"], "one frame per step, played in the browser"
    cursor = next(tr for tr in spec["data"] if tr["name"] == "cursor")
    assert min(x for x in cursor["x"] if x is not None) == 11.5
    assert gates_figure(open_page("gates"))["layout"]["sliders"][0]["active"] == 0
    # An unreadable or out-of-range step is named with the range, never a traceback.
    at = open_page("gates", {"t": "zebra"})
    assert any("t=zebra" in w.value and "0..39" in w.value for w in at.warning), [w.value for w in at.warning]
    at = open_page("gates", {"t": "500", "unit": "99"})
    assert gates_figure(at)["layout"]["sliders"][0]["active"] == DEFAULTS["seq_len"] - 1
    assert any("unit=99" in w.value for w in at.warning)


def test_compare_page_switches_to_pytorchs_default_kernel():
    at = open_page("compare", {"hidden_size": "32", "seq_len": "50", "batch": "4", "input_size": "16"})
    r = run(LSTMConfig(**{**DEFAULTS, "hidden_size": 32, "seq_len": 50, "batch": 4, "input_size": 16}))
    assert "all exactly 0" in " ".join(charts(at))
    at.radio(key="cmp_against").set_value("default kernel (oneDNN in float32)").run()
    assert not at.exception
    official = heatmap(at, "nn.LSTM output<br><sup>default kernel")
    np.testing.assert_array_equal(official, r.comparison.default_output[:, 0, :32].T.float().numpy())
    diff = heatmap(at, "|hand-written − nn.LSTM|<br><sup>vs nn.LSTM default kernel")
    assert 0 < diff.max() < 1e-5


def test_colour_choice_in_the_url_swaps_scales_but_keeps_ranges():
    plain = gates_figure(open_page("gates"))["layout"]
    swapped = gates_figure(open_page("gates", {"colours": "cividis"}))["layout"]
    a, b = plain["coloraxis"], swapped["coloraxis"]  # the sigmoid gates' colour axis
    assert (a["cmin"], a["cmax"]) == (b["cmin"], b["cmax"]) == (0.0, 1.0)
    assert a["colorscale"][0][1] == "#440154" and b["colorscale"][0][1] != "#440154"
    assert plain["coloraxis2"]["colorscale"] != swapped["coloraxis2"]["colorscale"]  # tanh: g, m, h
    assert [im["source"] for im in plain["images"]] != [im["source"] for im in swapped["images"]], "repainted"


ALL_PAGES = ["home", "gates", "tasks", "compare", "step", "gradients", "parameters"]


@pytest.mark.parametrize("page", ALL_PAGES)
def test_teacher_view_draws_no_controls_and_shows_the_linked_run(page):
    query = {"model": "task", "task": "counting", "seq_len": "30", "seed": "3", "edit_preset": "forget bias -3"}
    shown = open_page(page, query)
    taught = open_page(page, {**query, "controls": "hidden"})
    assert not taught.sidebar.number_input and not taught.sidebar.selectbox and not taught.sidebar.checkbox
    assert taught.session_state["spec"] == shown.session_state["spec"], "the link decides the same run"
    assert taught.session_state["spec"].source.task == "counting"
    assert taught.session_state["spec"].edits.preset == "forget bias -3"
    assert charts(taught).keys() == charts(shown).keys()


def test_teacher_view_reads_sizes_flags_scales_and_colours_from_the_link():
    query = {"hidden_size": "7", "bias": "false", "dtype": "float64", "edit_scales": "true", "scale_f": "0.5"}
    shown = open_page("gates", {**query, "colours": "magma"})
    taught = open_page("gates", {**query, "colours": "magma", "controls": "hidden"})
    spec = taught.session_state["spec"]
    assert spec == shown.session_state["spec"]
    assert (spec.config.hidden_size, spec.config.bias, spec.config.dtype) == (7, False, "float64")
    assert spec.edits.scale == (1.0, 0.5, 1.0, 1.0)
    gate = gates_figure(taught)["layout"]["coloraxis"]["colorscale"]
    assert gate == gates_figure(shown)["layout"]["coloraxis"]["colorscale"]
    assert gate != gates_figure(open_page("gates", query))["layout"]["coloraxis"]["colorscale"], "magma, not viridis"


def test_teacher_view_names_unreadable_and_invalid_values_and_keeps_a_valid_run():
    at = open_page("gates", {"controls": "hidden", "seed": "abc", "dtype": "float16"})
    assert "seed=abc" in at.warning[0].value and "dtype=float16" in at.warning[0].value
    assert at.session_state["spec"].config.seed == DEFAULTS["seed"]
    at = open_page("gates", {"controls": "hidden", "hidden_size": "4", "proj_size": "4"})
    assert any("not applied" in w.value and "proj_size" in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.get("plotly_chart"), "the last valid (default) run is shown"


def test_one_figure_view_draws_that_chart_alone_and_tall_without_controls():
    at = open_page("gates", {"figure": "gates", "hidden_size": "6"})
    drawn = charts(at)
    assert list(drawn) == ["Every gate and state over 40 steps, layer 0 forward, batch item 0"]
    assert drawn[next(iter(drawn))]["layout"]["height"] == ui.FIGURE_VIEW_HEIGHT
    assert not at.sidebar.number_input, "the controls are hidden: the link decides the run"
    assert at.session_state["spec"].config.hidden_size == 6
    assert not at.error


@pytest.mark.parametrize(("page", "key"), [("gates", "gates"), ("home", "home_gates"), ("tasks", "train_loss")])
def test_one_figure_view_leaves_out_notes_about_the_run_but_not_a_link_it_could_not_honour(page, key):
    # 40 steps of remember_bit lie outside its trained range: the full page warns, and states the finding.
    task = {"model": "task", "task": "remember_bit", "seq_len": "40"}
    full = open_page(page, task)
    assert any("Outside the trained range" in w.value for w in full.warning)
    assert full.info or full.success, "the task's finding (and the verdict) as notes on the full page"
    alone = open_page(page, {**task, "figure": key})
    assert len(charts(alone)) == 1
    assert not alone.info and not alone.success and not alone.warning, "the figure alone"
    unread = open_page(page, {**task, "figure": key, "seed": "abc"})
    assert any("seed=abc" in w.value for w in unread.warning), [w.value for w in unread.warning]
    if page != "tasks":  # the tasks page draws its figures only for a trained model, whose sizes are fixed
        invalid = open_page(page, {"figure": key, "hidden_size": "4", "proj_size": "4"})
        assert any("not applied" in w.value for w in invalid.warning), [w.value for w in invalid.warning]


def test_slide_titles_of_full_width_charts_stay_on_one_line_and_state_the_run():
    task = {"model": "task", "task": "remember_bit", "slide": "1"}
    hero = next(t for t in charts(open_page("gates", task)) if t.startswith("Every gate"))
    alone = next(iter(charts(open_page("gates", {**task, "figure": "gates"}))))
    proof = next(t for t in charts(open_page("tasks", task)) if "splits at the marker" in t)
    name = "Every gate and state over 20 steps, layer 0 forward, batch item 0 (unit 2 outlined)"
    assert len(name) > SLIDE_TITLE_CHARS
    for full in (hero, alone):
        title, run_line = full.split("<br><sup>", 1)
        assert title == name, "a chart as wide as the page keeps its title on one line"
        assert "trained task: remember a bit, shipped weights" in run_line and "seed 0" in run_line
    proof_title = proof.split("<br><sup>")[0]
    assert len(proof_title) > SLIDE_TITLE_CHARS and "<br>" not in proof_title, "the proof is full width too"


def test_one_figure_view_names_the_page_figures_when_the_key_is_wrong():
    at = open_page("gates", {"figure": "heat_x"})
    assert not charts(at)
    message = at.error[0].value
    assert "heat_x" in message and "gates" in message
