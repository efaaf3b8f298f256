"""The Cells that read code page under AppTest: the clearest cell, the text view, match, clamp, generation, limits."""

from __future__ import annotations

import json

import numpy as np
from streamlit.testing.v1 import AppTest
from test_app import APP, decode

from lstm_viz import spans, textcells
from lstm_viz.figures.text import layout_grid
from lstm_viz.textrun import MAX_TEXT, run_text

PAGE = "pages/code.py"
QUERY = {"model": "brackets"}
"""The app's own controls, stated: the page must not depend on the app's default run."""


def open_code(query: dict[str, str] | None = None, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    for k, v in {**QUERY, **(query or {})}.items():
        at.query_params[k] = v
    at.switch_page(PAGE)  # opened directly, as a link to /code is
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def specs(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def text_view(at: AppTest) -> dict:
    return next(s for s in specs(at) if "coloured by each cell" in s["layout"]["title"]["text"])


def test_page_opens_on_the_clearest_cell_of_the_shipped_model_over_a_held_out_file():
    at = open_code()
    clearest = textcells.findings("code")[0]
    assert clearest.sentence() in at.success[0].value
    assert at.selectbox(key="code_track").value == clearest.track
    # The text view is the held-out file's first window, coloured by that cell's state.
    path, text, _, _ = textcells.held_out_window(0, 1, 1200)
    spec = text_view(at)
    assert spec["layout"]["title"]["text"].startswith(f"torch/{path}")
    r = run_text(textcells.load("code"), text)
    state = "tanh_c" if clearest.state == "c" else "h"
    cols, rows = layout_grid(r.text)
    z = decode(spec["data"][0]["z"]).reshape(-1, max(cols) + 1)
    np.testing.assert_allclose(z[2 * rows, cols], r.state(state)[:, clearest.unit].numpy(), rtol=1e-6)
    assert spec["data"][0]["zmin"] == -1 and spec["data"][0]["zmax"] == 1
    assert "matches nn.LSTM" in at.caption[0].value


def test_a_span_finds_its_cells_and_lists_matches_in_the_held_out_corpus():
    at = open_code()
    r = run_text(textcells.load("code"), textcells.held_out_window(0, 1, 1200)[1])
    clearest = textcells.findings("code")[0]
    state = "tanh_c" if clearest.state == "c" else "h"
    # A span where some cell is on: the longest run of the found cell beyond 0.5 in the text shown.
    values = r.state(state)
    span = next((a, a + 6) for a in range(r.steps - 6) if spans.cells_on(values, (a, a + 6), 0.5))
    at.text_input(key="code_span").set_value(f"{span[0]}-{span[1]}").run()
    assert not at.exception
    said = next(m.value for m in at.markdown if m.value.startswith("Cells on across the span"))
    on = spans.cells_on(values, span, 0.5)
    assert f"{'cell' if state == 'tanh_c' else 'unit'} {on[0].unit}" in said
    titles = [s["layout"]["title"]["text"] for s in specs(at)]
    assert any(t.startswith("Match 1: torch/") for t in titles) or any("fire nowhere else" in i.value for i in at.info)


def test_a_bad_span_gets_a_message_and_the_page_still_draws():
    at = open_code()
    at.text_input(key="code_span").set_value("500-20").run()
    assert not at.exception
    assert any("The span was not used" in w.value for w in at.warning)
    assert text_view(at)


def test_clamping_the_cell_is_checked_in_both_forwards_and_costs_loss():
    at = open_code()
    at.radio(key="code_clamp").set_value("to 0").run()
    assert not at.exception
    assert any(s.value.startswith("clamped forward matches clamped nn.LSTM") for s in at.success)
    labels = [m.label for m in at.metric]
    assert any(label.startswith("loss rise") for label in labels)
    assert any(
        s["layout"]["title"]["text"].startswith("torch/") and "likelier" in s["layout"]["title"]["text"]
        for s in specs(at)
    )


def test_generated_text_is_coloured_and_a_long_text_is_cut_with_a_message():
    at = open_code()
    at.radio(key="code_source").set_value("generated").run()
    assert not at.exception
    view = text_view(at)
    assert view["layout"]["title"]["text"].startswith("written by the model")
    # It replays being written in the browser: frames moving only the cover, the slider opening on the whole text.
    frames, slider = view["frames"], view["layout"]["sliders"][0]
    assert frames and slider["active"] == len(frames) - 1
    cover = next(k for k, tr in enumerate(view["data"]) if tr.get("name") == "not yet written")
    assert all(f["traces"] == [cover] for f in frames)
    assert view["layout"]["images"], "the colours are an image (plotly.js drops heatmaps from such frames)"
    assert any("▶ write" in c.value for c in at.caption)
    at.radio(key="code_source").set_value("your text").run()
    at.text_area(key="code_text").set_value("x = 1\n" * (MAX_TEXT // 6 + 50)).run()
    assert not at.exception
    assert any(f"first {MAX_TEXT:,}" in w.value for w in at.warning)


def test_other_models_colour_the_same_text():
    for name in ("code_untrained", "chars"):
        at = open_code()
        at.selectbox(key="code_model").set_value(name).run()
        assert not at.exception, name
        assert text_view(at)


def test_a_link_with_the_page_settings_opens_them():
    at = open_code({"code_clamp": "to 0", "code_source": "generated", "code_track": "string"})
    assert at.radio(key="code_clamp").value == "to 0"
    assert at.selectbox(key="code_track").value == "string"
    assert at.radio(key="code_source").value == "generated"


def test_a_page_setting_that_would_break_its_widget_is_named_and_dropped():
    at = open_code({"code_seed": "1e400", "code_line": "nan", "code_source": "generated"})
    assert not at.exception
    message = next(w.value for w in at.warning if "cannot read" in w.value)
    assert "`code_seed=1e400`" in message and "`code_line=nan`" in message
    assert at.radio(key="code_source").value == "generated", "the page's other settings are kept"


def test_the_sidebar_says_its_settings_are_the_other_pages_run():
    at = open_code()
    assert any("own character models" in i.value for i in at.sidebar.info)
    assert "frames" not in text_view(at), "a held-out file is not replayed"
