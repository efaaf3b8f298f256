"""The core figures and the Gates, One step and Compare pages in Simplified Chinese; English unchanged.

Every builder called with ``lang="zh-CN"`` says its titles, axis titles, legends, hovers, annotations, buttons and
each animation frame's words in Chinese, with no English word outside symbols, PyTorch's names and proper names;
titles break by their drawn width, between Chinese characters, never inside a Latin word or a number.
"""

from __future__ import annotations

import re

import numpy as np
import plotly.io as pio
import pytest
import torch
from figure_words import figure_texts
from test_app import charts, open_page

from lstm_viz.analysis import pca_2d
from lstm_viz.config import LSTMConfig
from lstm_viz.figures import (
    ERROR_SCALE,
    SIGNED_SCALE,
    SLIDE_TITLE_CHARS,
    SLIDE_TITLE_CHARS_FULL,
    cell_diagram_figure,
    click_grid_figure,
    final_state_figure,
    for_slides,
    gates_over_time_figure,
    output_heatmap_figure,
    pca_trajectory_figure,
    state_heatmap_figure,
    step_bars_figure,
    step_error_figure,
    unit_lines_figure,
)
from lstm_viz.figures.base import direction_label, record_label, time_axis
from lstm_viz.figures.still import still_figure
from lstm_viz.figures.views import SLIDE_DETAIL_WIDTH, _wrap, text_width
from lstm_viz.i18n import t
from lstm_viz.run import RunSpec, run
from lstm_viz.sources import TaskSource
from lstm_viz.step_equations import forward_equations

ZH = "zh-CN"
CJK = re.compile(r"[\u4e00-\u9fff]")
# Latin words a Chinese figure keeps: proper names, PyTorch's names, formats and the symbols' function names.
NAMES = {"LSTM", "nn", "tanh", "allclose", "atol", "oneDNN", "float32", "float64", "PyTorch", "PCA", "CPU"}


def _latin_words(text: str) -> list[str]:
    """English words of ``text``: tags, Plotly placeholders, symbols (one letter) and names left out."""
    text = re.sub(r"<[^>]+>|%\{[^}]*\}", " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*", text)
    # Identifiers (dh_t, W_hr, h_n) and symbols with an index (PC1, dL) are not words.
    return [w for w in words if len(w) > 2 and w not in NAMES and "_" not in w and not any(c.isdigit() for c in w)]


@pytest.fixture(scope="module")
def runs():
    plain = run(LSTMConfig(batch=2, seq_len=12, input_size=3, hidden_size=5, proj_size=2, input_kind="random"))
    both = run(
        LSTMConfig(
            batch=2, seq_len=12, input_size=3, hidden_size=5, input_kind="random", bidirectional=True, num_layers=2
        )
    )
    task = run(RunSpec(LSTMConfig(batch=4, seq_len=40), TaskSource("brackets")))
    return plain, both, task


def _builders(runs, lang):
    """Every builder of the core figures, the ways the pages call them, in ``lang``."""
    plain, both, task = runs
    rec, rev, rect = plain.trace.layer(0), both.trace.layer(1, reverse=True), task.trace.layer(0)
    labels = task.labels(0)
    out = task.trace.output[0]
    traj = pca_2d(rect.h)
    return {
        "gates": lambda: gates_over_time_figure(
            rect, 0, cursor=3, step_labels=labels, highlight=task.highlight, picked=1, lang=lang
        ),
        "gates projected": lambda: gates_over_time_figure(rec, 1, cursor=2, lang=lang),
        "gates reverse": lambda: gates_over_time_figure(rev, 1, clickable=False, lang=lang),
        "heatmap": lambda: state_heatmap_figure(rect, "c", 1, cursor=3, step_labels=labels, highlight=(1,), lang=lang),
        "narrow heatmap": lambda: state_heatmap_figure(
            rect, "f", 0, step_labels=labels, highlight=(1, 2), height=280, narrow=True, lang=lang
        ),
        "projected h": lambda: state_heatmap_figure(rec, "h", 0, lang=lang),
        "bars": lambda: step_bars_figure(rect, 3, 1, symbol="(", lang=lang),
        "bars reverse": lambda: step_bars_figure(rev, 3, lang=lang),
        "trajectory": lambda: pca_trajectory_figure(
            traj.coords, traj.explained, "PCA", inputs=[task.labels(b) for b in range(4)], lang=lang
        ),
        "trajectory plain": lambda: pca_trajectory_figure(traj.coords, traj.explained, "PCA", lang=lang),
        "unit lines": lambda: unit_lines_figure(rect, [0, 1], 0, "c, h", step_labels=labels, lang=lang),
        "unit lines projected": lambda: unit_lines_figure(rec, [0, 3], 1, "c, h", lang=lang),
        "click grid": lambda: click_grid_figure(rect, "c", 0, (0, rect.c.shape[-1]), (3, 1), labels, lang=lang),
        "click grid plain": lambda: click_grid_figure(rec, "g", 1, (0, 5), (2, 2), lang=lang),
        "cell": lambda: cell_diagram_figure(rec.step_terms(3), rec, 1, 2, lang=lang),
        "cell reverse": lambda: cell_diagram_figure(rev.step_terms(3), rev, 0, 1, lang=lang),
        "output": lambda: output_heatmap_figure(
            out, "nn.LSTM", (0, out.shape[-1]), (-1.0, 1.0), SIGNED_SCALE, labels, lang=lang
        ),
        "difference": lambda: output_heatmap_figure(
            out.abs(), "|Δ|", (0, out.shape[-1]), (0.0, 1.0), ERROR_SCALE, None, lang=lang
        ),
        "step error zero": lambda: step_error_figure(torch.zeros(5), 1e-8, "nn.LSTM", lang=lang),
        "step error": lambda: step_error_figure(torch.full((7,), 3e-8), 1e-8, "nn.LSTM", lang=lang),
        "final state": lambda: final_state_figure(both.trace.h_n[:, 0], "h_n", ["0", "1", "2", "3"], lang=lang),
    }


BUILDERS = [
    "gates",
    "gates projected",
    "gates reverse",
    "heatmap",
    "narrow heatmap",
    "projected h",
    "bars",
    "bars reverse",
    "trajectory",
    "trajectory plain",
    "unit lines",
    "unit lines projected",
    "click grid",
    "click grid plain",
    "cell",
    "cell reverse",
    "output",
    "difference",
    "step error zero",
    "step error",
    "final state",
]


TITLED_BY_CALLER = {
    "trajectory",
    "trajectory plain",
    "unit lines",
    "unit lines projected",
    "output",
    "difference",
    "final state",
}
"""Builders whose caller says the title (the page, in the reader's language)."""


@pytest.mark.parametrize("name", BUILDERS)
def test_every_core_figure_speaks_chinese_with_no_english_word_left(runs, name):
    zh = _builders(runs, ZH)[name]()
    en = _builders(runs, "en")[name]()
    words = figure_texts(zh)
    assert CJK.search(zh.layout.title.text or "") or name in TITLED_BY_CALLER
    axes = [zh.layout[k].title.text for k in zh.layout if k.startswith(("xaxis", "yaxis")) and zh.layout[k].title]
    if any(a for a in axes):
        assert any(CJK.search(a or "") for a in axes), axes
    english = sorted({w for text in words for w in _latin_words(text)})
    assert not english, f"{name}: English words in the Chinese figure: {english}"
    assert any(CJK.search(text) for text in words)
    # English says no Chinese, and both figures draw the same data.
    assert not any(CJK.search(text) for text in figure_texts(en))
    for a, b in zip(en.data, zh.data, strict=True):
        for key in ("x", "y", "z", "customdata"):
            if getattr(a, key, None) is not None and not isinstance(getattr(a, key), str):
                np.testing.assert_array_equal(np.asarray(getattr(a, key)), np.asarray(getattr(b, key)))


def test_the_gates_figure_says_each_frames_step_words_in_chinese_as_its_first_state(runs):
    _, _, task = runs
    rec, labels = task.trace.layer(0), task.labels(0)
    fig = gates_over_time_figure(rec, 0, cursor=4, step_labels=labels, lang=ZH)
    readout = next(d for d in fig.data if d.name == "readout")
    bars = next(d for d in fig.data if d.name == "values at the cursor")
    frame = fig.raw_frames[4]["data"]
    # The frame of the opening step says exactly what the figure opened with: a moved state reads alike.
    assert frame[2]["text"] == list(readout.text) == [f"<b>t = 4 时</b>  输入 {labels[4]}"]
    assert frame[1]["meta"] == list(bars.meta) == [4, f"（输入 {labels[4]}）"]
    for step, frame in enumerate(fig.raw_frames):
        assert frame["data"][2]["text"][0].startswith(f"<b>t = {step} 时</b>")
    assert "时间步 %{meta[0]}" in bars.hovertemplate and "值" in bars.hovertemplate
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["▶ 播放", "❚❚ 暂停"]
    english = gates_over_time_figure(rec, 0, cursor=4, step_labels=labels)
    assert english.raw_frames[4]["data"][2]["text"] == [f"<b>at t = 4</b>  input {labels[4]}"]


def test_the_still_of_a_chinese_gates_figure_keeps_its_words(runs):
    _, _, task = runs
    still = still_figure(gates_over_time_figure(task.trace.layer(0), 0, step_labels=task.labels(0), lang=ZH), 7)
    readout = next(d for d in still.data if d.name == "readout")
    assert readout.text[0].startswith("<b>t = 7 时</b>")
    assert "所有门和状态" in still.layout.title.text


def test_words_of_the_shared_helpers_follow_the_glossary(runs):
    _, both, _ = runs
    assert (direction_label(False, lang=ZH), direction_label(True, lang=ZH)) == ("正向", "反向")
    assert record_label(both.trace.layer(1, reverse=True), 1, lang=ZH) == "第 1 层反向，批中的第 1 条序列"
    assert record_label(both.trace.layer(1, reverse=True), 1) == "layer 1 reverse, batch item 1"
    assert time_axis(10, lang=ZH)["title"]["text"] == "时间步 t"
    labels = [f"s{k}" for k in range(100)]
    assert time_axis(100, labels, max_symbols=40, lang=ZH)["title"]["text"] == "时间步 t（输入符号，每 3 步标一个）"
    assert time_axis(100, labels, max_symbols=40)["title"]["text"] == "step t (input symbol, every 3rd)"
    gates = {"i": "输入门", "f": "遗忘门", "g": "候选值", "o": "输出门"}
    for line, (gate, name) in zip(
        forward_equations(both.trace.layer(0), 0, 3, 1, lang=ZH), gates.items(), strict=False
    ):
        assert line.startswith(f"{gate}_t[1]") and rf"\text{{({name})}}" in line
    assert t(ZH, "cell state c") == "细胞状态 c" and t(ZH, "hidden state h") == "隐藏状态 h"


@pytest.mark.parametrize(
    "title",
    [
        "时间步 t = 12（输入 +）的所有门和状态，第 0 层正向，批中的第 1 条序列",
        "40 个时间步上的所有门和状态，第 0 层正向，批中的第 0 条序列（单元 1 已框出），已选定单元 1",
        "点击一个格子，选定时间步 t 和单元 j：遗忘门 f = σ(·)，第 0 层正向，批中的第 123 条序列",
        "细胞状态c（单元3已框出）第0层反向批中的第123456条序列没有空格也没有标点的很长很长的标题",
    ],
)
@pytest.mark.parametrize("width", [SLIDE_TITLE_CHARS, int(SLIDE_TITLE_CHARS * SLIDE_DETAIL_WIDTH), 30])
def test_chinese_titles_break_by_width_between_characters_never_inside_a_number_or_a_latin_word(title, width):
    lines = _wrap(title, width).split("<br>")
    assert len(lines) > 1 or text_width(title) <= width
    assert all(text_width(line) <= width for line in lines), [(line, text_width(line)) for line in lines]
    assert "".join(lines).replace(" ", "") == title.replace(" ", ""), "nothing lost or added but spaces"
    for before, after in zip(lines, lines[1:], strict=False):
        assert not (before[-1].isascii() and before[-1].isalnum() and after[0].isascii() and after[0].isalnum())
        assert after[0] not in "，。、；：）", "a line never starts with closing punctuation"
        assert before[-1] not in "（", "nor ends with an opening one"
        assert not (before.endswith("=") or after.startswith("=")), "an equation stays whole"


def test_a_chinese_title_prefers_breaking_after_its_punctuation():
    lines = _wrap("时间步 t = 3（输入 (）的所有门和状态，第 0 层正向，批中的第 0 条序列", SLIDE_TITLE_CHARS).split(
        "<br>"
    )
    assert lines == ["时间步 t = 3（输入 (）的所有门和状态，", "第 0 层正向，批中的第 0 条序列"]


def test_text_width_counts_a_chinese_character_as_two_latin_ones():
    assert text_width("layer 0") == 7 and text_width("第 0 层") == 7 and text_width("（）") == 4


@pytest.mark.parametrize("name", ["gates", "heatmap", "bars", "click grid", "cell", "step error", "output"])
@pytest.mark.parametrize("title_chars", [SLIDE_TITLE_CHARS, SLIDE_TITLE_CHARS_FULL])
def test_chinese_slide_titles_fit_their_width(runs, name, title_chars):
    fig = for_slides(
        _builders(runs, ZH)[name](), "训练好的任务：括号深度，随附权重；批大小 4，40 个时间步", title_chars
    )
    for line in fig.layout.title.text.split("<br>"):
        plain = line.replace("<sup>", "").replace("</sup>", "")
        limit = title_chars if "<sup>" not in line else int(title_chars * SLIDE_DETAIL_WIDTH)
        assert text_width(plain) <= limit, line


def test_english_figures_are_unchanged_by_the_language_argument(runs):
    for name, build in _builders(runs, "en").items():
        english = pio.to_json(build(), validate=False)
        assert not CJK.search(english), name


# The pages, opened from a link in Chinese.


def _page_english(at) -> list[str]:
    """English words in the page's own text (headings, markdown, captions), code spans and LaTeX left out."""
    texts = [e.value for kind in ("title", "subheader", "markdown", "caption") for e in getattr(at.main, kind)]
    return sorted({w for text in texts for w in _latin_words(re.sub(r"`[^`]*`", " ", text))})


def test_gates_page_in_chinese():
    at = open_page("gates", {"model": "brackets", "lang": ZH})
    assert at.title[0].value == "门随时间变化"
    assert any("拖动滑块或按播放" in c.value for c in at.caption)
    assert any("它在每一行都已框出" in n.value for n in at.info), [n.value for n in at.info]
    fig = gates_figure_zh(at)
    assert fig["layout"]["title"]["text"].startswith("40 个时间步上的所有门和状态，第 0 层正向")
    assert fig["layout"]["updatemenus"][0]["buttons"][0]["label"] == "▶ 播放"
    assert all(frame["data"][2]["text"][0].startswith("<b>t = ") for frame in fig["frames"])
    assert "时" in fig["frames"][5]["data"][2]["text"][0]
    assert _page_english(at) == []


def gates_figure_zh(at) -> dict:
    return next(s for title, s in charts(at).items() if "所有门和状态" in title)


def test_step_page_in_chinese():
    at = open_page("step", {"model": "brackets", "lang": ZH})
    assert at.title[0].value == "单步的全部数值"
    assert at.number_input(key="step_t").label == "时间步 t" and at.number_input(key="unit_j").label == "单元 j"
    assert any(s.value.startswith("时间步 t = 20，单元 j = 0，正向，第 0 层") for s in at.subheader)
    assert any("形状：每个 W_i* 分块为" in c.value for c in at.caption)
    assert r"\text{(输入门)}" in " ".join(x.value for x in at.latex)
    titles = list(charts(at))
    assert any(title.startswith("点击一个格子，选定时间步 t 和单元 j：") for title in titles), titles
    assert any(title.startswith("LSTM 细胞：时间步 t = 20，单元 j = 0") for title in titles), titles
    at.radio(key="step_view").set_value("backward").run()
    assert not at.exception
    assert any(s.value.startswith("反向传播：时间步 t = 20，单元 j = 0，正向") for s in at.subheader)
    assert any("读取本步状态的是第 t+1 步" in c.value for c in at.caption)
    assert _page_english(at) == []


def test_step_page_in_chinese_names_the_projected_feature():
    at = open_page("step", {"lang": ZH, "seq_len": "6", "hidden_size": "5", "proj_size": "2"})
    assert any("h_t 有 2 个特征，所以单元 j = 0 显示投影特征 0" in c.value for c in at.caption)
    assert any(title.startswith("LSTM 细胞：时间步 t = 3") for title in charts(at))


def test_compare_page_in_chinese():
    at = open_page("compare", {"model": "brackets", "lang": ZH})
    assert at.title[0].value == "与 nn.LSTM 对比"
    text = " ".join(m.value for m in at.markdown)
    assert "手写前向计算与 `nn.LSTM` 使用相同的权重、输入和初始状态" in text
    assert "**差值只是舍入误差吗？**" in text
    assert at.button(key="switch_dtype").label == "将本次运行切换为 float64"
    assert list(at.table[0].value.columns) == [
        "数据类型（dtype）",
        "对照 nn.LSTM（通用循环）",
        "对照默认调用的 nn.LSTM",
        "结论",
    ]
    titles = list(charts(at))
    for start in ("nn.LSTM 的输出<br><sup>通用循环，批中的第 0 条序列", "手写前向计算的输出", "|手写 − nn.LSTM|"):
        assert any(title.startswith(start) for title in titles), (start, titles)
    assert any(title.startswith("输出在每个时间步的最大绝对差") for title in titles), titles
    assert any(title.startswith("nn.LSTM 的 h_n，批中的第 0 条序列") for title in titles), titles
    assert any(s.value == "最终状态 h_n 和 c_n" for s in at.subheader)
    at.radio(key="cmp_against").set_value("default kernel (oneDNN in float32)").run()
    assert not at.exception
    assert any(title.startswith("nn.LSTM 的输出<br><sup>默认内核") for title in charts(at))
    assert _page_english(at) == []


def test_record_pickers_say_their_words_in_chinese():
    at = open_page("gates", {"model": "brackets", "lang": ZH, "batch": "2"})
    assert [s.label for s in at.selectbox if s.key == "gates_batch"] == ["批中的序列"]
    assert any(c.value == "第 0 层 · 正向 · 全部 4 个单元" for c in at.caption), [c.value for c in at.caption]
