"""The Cells that read code page under AppTest: the clearest cell, the text view, match, clamp, generation, limits."""

from __future__ import annotations

import json

import numpy as np
from streamlit.testing.v1 import AppTest
from test_app import APP, decode

from lstm_viz.figures.code_text import layout_grid
from lstm_viz.reading import code_models, headline, tracking
from lstm_viz.reading.reader import MAX_TEXT, prefix_state, run_text

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


def told(track: str, name: str = "code") -> code_models.Headline:
    model = code_models.load(name)
    mc = code_models.match_corpus(model)
    tracks = code_models.corpus_tracks()
    finding = next(f for f in code_models.findings(name) if f.track == track)
    return code_models.headline_of(finding, mc, tracks, code_models.corpus_regions(tracks))


def opened_run(window: headline.Window):
    """The text the page opens on, run as the page runs it: from the state after the file's earlier lines."""
    path, text, first, offset = code_models.held_out_window(window.file, window.line, 1200)
    held = code_models.corpus.analysis()
    skip = offset - held.starts[window.file]
    model = code_models.load("code")
    before = held.texts[window.file][:skip]
    tracks = tracking.tracks(held.texts[window.file]).window(skip, skip + len(text))
    return path, first, run_text(model, text, tracks=tracks, hx=prefix_state(model, before))


def test_page_opens_where_the_clearest_cell_shows_its_track_and_says_where_else_it_fires():
    at = open_code()
    clearest = code_models.findings("code")[0]
    said = at.success[0].value
    measured = told(clearest.track)
    assert clearest.sentence() in said and measured.sentence() in said
    assert "also at the start of a file, before its first def or class" in said, said
    assert at.selectbox(key="code_track").value == clearest.track
    # The text view opens on the window that shows that cell on its track, read as inside its file.
    assert (at.selectbox(key="code_file").index, at.number_input(key="code_line").value) == (
        measured.window.file,
        measured.window.line,
    )
    path, first, r = opened_run(measured.window)
    spec = text_view(at)
    assert spec["layout"]["title"]["text"].startswith(f"torch/{path}, from line {first}")
    state = code_models.state_key(clearest)
    cols, rows = layout_grid(r.text)
    z = decode(spec["data"][0]["z"]).reshape(-1, max(cols) + 1)
    values = r.state(state)[:, clearest.unit].numpy()
    np.testing.assert_allclose(z[2 * rows, cols], values, rtol=1e-6)
    assert spec["data"][0]["zmin"] == -1 and spec["data"][0]["zmax"] == 1
    assert spec["layout"]["yaxis"]["ticktext"][0] == str(first), "rows carry the file's line numbers"
    # Its first lines show the cell on inside its track and off outside it.
    top = rows < headline.FIRST_LINES
    inside = r.tracks[clearest.track].numpy() > 0
    assert (values[top & inside] > 0.5).mean() > 0.8 and (values[top & ~inside] < 0.5).mean() > 0.8
    assert 0.2 <= inside[top].mean() <= 0.8
    assert "matches nn.LSTM" in at.caption[0].value and f"state after line {first - 1}" in at.caption[0].value


def test_another_track_opens_on_its_own_window():
    at = open_code()
    at.selectbox(key="code_track").set_value("string").run()
    assert not at.exception
    window = told("string").window
    assert (at.selectbox(key="code_file").index, at.number_input(key="code_line").value) == (window.file, window.line)
    assert "inside a string" in at.success[0].value


def test_links_that_name_a_file_or_a_line_keep_their_meaning_and_another_file_opens_at_its_first_line():
    held = code_models.corpus.analysis()
    at = open_code({"code_line": "51"})
    assert (at.selectbox(key="code_file").index, at.number_input(key="code_line").value) == (0, 51)
    at = open_code({"code_file": held.paths[3]})
    assert (at.selectbox(key="code_file").index, at.number_input(key="code_line").value) == (3, 1)
    at.selectbox(key="code_file").set_value(5).run()
    assert at.number_input(key="code_line").value == 1
    assert text_view(at)["layout"]["title"]["text"].startswith(f"torch/{held.paths[5]}, from line 1")


def test_a_span_names_its_cells_and_lists_matches_in_their_lines_grouped_by_kind():
    at = open_code()
    _, _, r = opened_run(told("docstring").window)
    line = r.text.index("Similar to")  # a line of the docstring the page opens on
    span = (line, r.text.index("\n", line))
    at.text_input(key="code_span").set_value(f"{span[0]}-{span[1]}").run()
    assert not at.exception
    said = next(m.value for m in at.markdown if m.value.startswith("**Selected**"))
    assert "`Similar to" in said and "inside a docstring (r = +0.80)" in said, said
    shown = next(m.value for m in at.markdown if m.value.startswith("<table"))
    assert "in docstrings</b>" in shown and "<mark" in shown
    assert any(m.value.startswith("**Where else**") for m in at.markdown)


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
        s["layout"]["title"]["text"].startswith("What clamping cell") and "likelier" in s["layout"]["title"]["text"]
        for s in specs(at)
    )


def test_generated_text_is_coloured_and_a_long_text_is_cut_with_a_message():
    at = open_code()
    at.selectbox(key="code_source").set_value("generated").run()
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
    at.selectbox(key="code_source").set_value("your text").run()
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
    assert at.selectbox(key="code_source").value == "generated"


def test_a_page_setting_that_would_break_its_widget_is_named_and_dropped():
    at = open_code({"code_seed": "1e400", "code_line": "nan", "code_source": "generated"})
    assert not at.exception
    message = next(w.value for w in at.warning if "cannot read" in w.value)
    assert "`code_seed=1e400`" in message and "`code_line=nan`" in message
    assert at.selectbox(key="code_source").value == "generated", "the page's other settings are kept"


def test_the_sidebar_says_its_settings_are_the_other_pages_run():
    at = open_code()
    assert any("own character models" in i.value for i in at.sidebar.info)
    assert "frames" not in text_view(at), "a held-out file is not replayed"


def test_the_page_in_chinese_says_its_sentences_tables_figures_and_matches_in_chinese_and_english_stays():
    at = open_code({"lang": "zh-CN", "code_span": "300-360", "code_clamp": "to 0"})
    clearest = code_models.findings("code")[0]
    assert at.title[0].value == "读代码的单元"
    said = at.success[0].value
    assert (
        clearest.sentence("zh-CN") in said and "个留出字符中" in said and "文件开头（第一个函数或类定义之前）" in said
    )
    assert "在文档字符串内开启" in said
    view = next(s for s in specs(at) if "按每个单元着色" in s["layout"]["title"]["text"])
    assert view["layout"]["xaxis"]["title"]["text"] == "列" and "，从第 " in view["layout"]["title"]["text"]
    assert any(c.value.startswith("共 ") and "手写前向计算与 nn.LSTM 一致" in c.value for c in at.caption)
    table = next(m.value for m in at.markdown if m.value.startswith("| 假设 |"))
    assert "| 在文档字符串内 | 二值 | 单元 " in table
    selected = next(m.value for m in at.markdown if m.value.startswith("**已选取**"))
    assert "| 单元 | 4/5 达到 | 通常 |" in selected
    shown = next(m.value for m in at.markdown if m.value.startswith("<table"))
    assert "处匹配" in shown and "in docstrings" not in shown
    assert any(s.value.startswith("钳制后的前向计算与钳制后的 nn.LSTM 一致") for s in at.success)
    assert any(m.label.startswith("损失上升") for m in at.metric)
    assert at.radio(key="code_clamp").options == ["none", "to 0", "to its mean"], "a bound widget's URL values stay"
    assert "held-out file：" in at.selectbox(key="code_source").help, "bound options are explained in Chinese"
    assert any(s["layout"]["title"]["text"].startswith("把单元") for s in specs(at))
    # The server's caches keep no words: the same computations said in English afterwards are English.
    at = open_code({"code_span": "300-360", "code_clamp": "to 0"})
    assert clearest.sentence() in at.success[0].value and "also at the start of a file" in at.success[0].value
    assert any(m.value.startswith("**Selected**") for m in at.markdown)
    assert any(s.value.startswith("clamped forward matches clamped nn.LSTM") for s in at.success)


def test_a_held_out_window_is_the_text_the_page_reads_as_inside_its_file():
    from lstm_viz.reading import texts

    held = code_models.corpus.analysis()
    shown = texts.held_out(3, 11)
    path, text, first, offset = code_models.held_out_window(3, 11, texts.WINDOW)
    assert (shown.text, shown.first_line, shown.offset) == (text, first, offset)
    assert shown.in_file == (3, offset - held.starts[3]) and shown.exclude((2, 5)) == (offset + 2, offset + 5)
    assert shown.where == f"torch/{path}, from line {first}" and not shown.cut and not shown.generated
    own = texts.own("x" * (MAX_TEXT + 5))
    assert own.cut and len(own.text) == MAX_TEXT and own.length == MAX_TEXT + 5 and own.in_file == ()
    assert own.exclude((0, 3)) is None and texts.own("x", "a.py").where == "your file a.py"
