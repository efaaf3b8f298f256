"""The trained tasks in Simplified Chinese: their words, findings, refusals, figures and page, English unchanged."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from test_app import charts, open_page

from lstm_viz import tasks
from lstm_viz.config import LSTMConfig
from lstm_viz.edits import Edits
from lstm_viz.figures import (
    loss_curve_figure,
    memory_against_figure,
    memory_split_figure,
    memory_text_figure,
    unit_latent_figure,
    unit_scores_figure,
)
from lstm_viz.i18n import Message, say, t
from lstm_viz.run import Run, RunSpec, run
from lstm_viz.sources import TaskSource
from lstm_viz.tasks.explain import memory_trace
from lstm_viz.tasks.jobs import Trainer, TrainKey
from lstm_viz.tasks.units import GATE_WORDS, UnitScore
from lstm_viz.ui import DEFAULTS

ZH = "zh-CN"
CJK = re.compile(r"[\u4e00-\u9fff]")
R_VALUE = re.compile(r"r = [+-]\d\.\d\d")
# The glossary's task names (docs/glossary.md), one translation everywhere.
GLOSSARY_TITLES = {
    "brackets": "括号深度",
    "remember_bit": "记住一位",
    "counting": "计数",
    "chars": "真实文本的字符",
    "code": "Python 源码的字符",
}


def _chinese(text: str) -> bool:
    return bool(CJK.search(text))


def _task_run(name: str, seq_len: int) -> Run:
    config = LSTMConfig(**{**DEFAULTS, "batch": 4, "seq_len": seq_len, "seed": 0})
    return run(RunSpec(config, TaskSource(name), Edits()))


@pytest.mark.parametrize("name", tasks.names())
def test_every_word_of_a_task_has_a_chinese_entry_and_english_stays_as_it_was(name):
    task = tasks.get(name)
    assert task.title_in(ZH) == GLOSSARY_TITLES[name]
    for english, chinese in (
        (task.title, task.title_in(ZH)),
        (task.story, task.story_in(ZH)),
        (task.latent_name, task.latent_name_in(ZH)),
        (task.metric_name, task.metric_name_in(ZH)),
    ):
        assert chinese != english and _chinese(chinese), english
    assert (task.title_in("en"), task.story_in("en")) == (task.title, task.story)
    assert task.metric_name_in("en") == task.metric_name
    # The metric's name and its definition, split in both languages the same way.
    name_en, detail_en = task.metric_parts_in("en")
    name_zh, detail_zh = task.metric_parts_in(ZH)
    assert name_en + (f" ({detail_en})" if detail_en else "") == task.metric_name
    assert _chinese(name_zh) and "（" not in name_zh and "）" not in detail_zh
    assert bool(detail_zh) == bool(detail_en)
    batch = task.sample(2, task.seq_len, torch.Generator().manual_seed(0))
    for phase in task.phases(batch):
        assert _chinese(task.phase_in(phase, ZH)) and task.phase_in(phase, "en") == phase


def test_chinese_story_keeps_the_markdown_and_symbols_of_the_english():
    story = tasks.get("brackets").story_in(ZH)
    assert "`(`" in story and "`)`" in story
    assert "★" in tasks.get("remember_bit").story_in(ZH)


@pytest.mark.parametrize(("name", "seq_len"), [("brackets", 40), ("remember_bit", 20), ("counting", 30)])
def test_finding_and_gate_facts_say_the_same_numbers_in_chinese(name, seq_len):
    v = _task_run(name, seq_len).explanation
    english, chinese = v.finding_in("en"), v.finding_in(ZH)
    assert english == str(v.finding) and isinstance(v.finding, Message)
    assert english.startswith(f"unit {v.best.unit}'s cell state c tracks the {v.model.task.latent_name}, r = ")
    assert chinese.startswith(f"单元 {v.best.unit} 的细胞状态 c 跟踪{v.model.task.latent_name_in(ZH)}，r = ")
    assert R_VALUE.findall(chinese) == R_VALUE.findall(english) and len(R_VALUE.findall(english)) == 2
    assert not re.search(r"[A-Za-z]{3,}", chinese), chinese
    for fact, zh in zip(v.facts, v.facts_in(ZH), strict=True):
        assert str(fact.sentence) == say(fact.sentence, "en")
        assert zh.startswith(f"单元 {v.best.unit} 的{t(ZH, GATE_WORDS[fact.gate])}"), zh
        assert re.findall(r"\d\.\d+", zh) == re.findall(r"\d\.\d+", str(fact.sentence))
        assert not re.search(r"[A-Za-z]{3,}", zh), zh


def test_outside_the_trained_range_and_refusals_are_said_in_chinese():
    v = _task_run("counting", 90).explanation
    assert v.outside.startswith("trained on 30 steps; this input has 90")
    assert v.outside_in(ZH).startswith("训练时为 30 步；此输入有 90 步") and v.outside_in("en") == v.outside
    assert _task_run("counting", 30).explanation.outside_in(ZH) is None
    with pytest.raises(ValueError, match="hidden size 3 is not one of") as err:
        TrainKey("brackets", 3, 0, 1.0)
    assert say(err.value, ZH).startswith("在本服务器训练时，隐藏维度 3 必须是")
    full = Trainer(workers=0, max_queued=0)
    with pytest.raises(RuntimeError, match="the server is already training 0 models") as err:
        full.submit(TrainKey("brackets", 2, 5, 1.0))
    assert say(err.value, ZH) == "服务器已在训练 0 个模型（最多允许 0 个等待）：请一分钟后再试，或使用随附权重"


def _title_words(fig, time_axis: bool = False) -> list[str]:
    """The figure's title and its axis titles (a time axis's is ``figures.base.time_axis``'s words, tested there)."""
    layout = fig.layout
    words = [layout.title.text or ""]
    for axis in ("yaxis", "yaxis2") if time_axis else ("xaxis", "yaxis", "yaxis2"):
        title = getattr(layout, axis).title.text if getattr(layout, axis, None) is not None else None
        if title:
            words.append(title)
    return words


def _figures(lang: str) -> dict:
    r = _task_run("brackets", 40)
    v = r.explanation
    best = v.best
    mem = memory_trace(r.built.lstm, v.model, best.unit, "c", 40)
    bit = _task_run("remember_bit", 20)
    bit_mem = memory_trace(bit.built.lstm, bit.explanation.model, bit.explanation.best.unit, "c", 20)
    chars = _task_run("chars", 64)
    text_mem = memory_trace(chars.built.lstm, chars.explanation.model, chars.explanation.best.unit, "c", 32, n=2)
    rec = r.trace.layer(0)
    where = t(lang, "batch item {b}", b=0)
    return {
        "split": memory_split_figure(
            bit_mem.values, bit_mem.latent, bit_mem.labels, bit.explanation.best, "c", lang=lang
        ),
        "against": memory_against_figure(mem.values, mem.latent, mem.labels, best, "nesting depth", "c", lang=lang),
        "text": memory_text_figure(
            text_mem.values, text_mem.labels, chars.explanation.best, "letters since the last space", "c", lang=lang
        ),
        "latent": unit_latent_figure(
            rec.c[0, :, best.unit], v.batch.latent[0], best, "nesting depth", r.labels(0), where, "c", lang=lang
        ),
        "scores": unit_scores_figure(v.scores, v.untrained_scores, "nesting depth", lang=lang),
        "loss": loss_curve_figure([3.0, 1.0, 0.5], t(lang, "training loss"), lang=lang),
    }


def test_figure_builders_say_titles_axes_legends_and_hovers_in_chinese():
    english, chinese = _figures("en"), _figures(ZH)
    for key, fig in chinese.items():
        for words in _title_words(fig, time_axis=key == "latent"):
            assert _chinese(words), (key, words)
        en = english[key]
        # The same numbers drawn: only the words differ.
        for a, b in zip(en.data, fig.data, strict=True):
            for coord in ("x", "y", "z"):
                drawn = getattr(a, coord, None)
                if drawn is not None and np.asarray(drawn).dtype.kind in "fiu":
                    np.testing.assert_array_equal(np.asarray(drawn), np.asarray(getattr(b, coord)))
        names = [tr.name for tr in fig.data if tr.name]
        assert all(_chinese(n) for n in names), (key, names)
        hovers = [tr.hovertemplate for tr in fig.data if tr.hovertemplate]
        assert hovers and all(_chinese(h) or h.startswith("%{y}") for h in hovers), (key, hovers)
        # Plotly's placeholders survive the translation.
        for a, b in zip(en.data, fig.data, strict=True):
            if a.hovertemplate:
                assert re.findall(r"%\{[^}]+\}", a.hovertemplate) == re.findall(r"%\{[^}]+\}", b.hovertemplate)
    assert english["against"].layout.title.text.startswith("Unit ")
    assert chinese["against"].layout.xaxis.title.text == "嵌套深度"
    assert chinese["scores"].layout.xaxis.title.text == "皮尔逊相关系数 r"
    assert chinese["loss"].layout.yaxis.title.text == "损失（对数刻度）"
    assert chinese["latent"].layout.yaxis2.title.text == "嵌套深度"
    assert "标记 ★" in chinese["split"].layout.annotations[0].text
    cells = chinese["text"].data[0].customdata
    assert str(cells[0][0][0]).startswith("序列 0，第 0 步")


def test_tasks_page_in_chinese_shows_the_story_the_finding_with_the_same_r_and_chinese_figures():
    query = {"model": "task", "task": "brackets", "seq_len": "40", "batch": "4"}
    english = open_page("tasks", query)
    chinese = open_page("tasks", {**query, "lang": ZH})
    assert not chinese.exception
    assert chinese.title[0].value == "训练好的任务：记忆在哪里"
    story = tasks.get("brackets").story_in(ZH)
    assert any(story in m.value for m in chinese.markdown)
    finding_en = english.success[-1].value
    finding_zh = chinese.success[-1].value
    assert finding_zh.startswith("**单元 ") and "的细胞状态 c 跟踪嵌套深度，r = " in finding_zh
    assert R_VALUE.findall(finding_zh) == R_VALUE.findall(finding_en) and R_VALUE.findall(finding_en)
    assert [s.value for s in chinese.subheader][:2] == ["承载记忆的单元", "一条序列，逐步查看"]
    assert chinese.metric[0].label == "逐步准确率" and chinese.metric[0].value == english.metric[0].value
    assert chinese.metric[1].label == "设定的目标" and chinese.metric[2].label == "未编辑的模型"
    assert any("阶段：在“(”处、在“)”处、在其他符号处。" in c.value for c in chinese.caption)
    titles = list(charts(chinese))
    assert any(title.startswith("单元 ") and "与嵌套深度的关系" in title for title in titles), titles
    assert any(title.startswith("与嵌套深度的皮尔逊相关系数 r") for title in titles), titles
    assert any(title.startswith("每个 Adam 步的训练损失<br><sup>括号深度是如何学会的") for title in titles), titles


def test_tasks_page_in_chinese_on_random_weights_lists_every_task_in_chinese():
    at = open_page("tasks", {"lang": ZH})
    words = " ".join(m.value for m in at.markdown)
    for name in tasks.names():
        task = tasks.get(name)
        assert f"**{task.title_in(ZH)}**——{task.story_in(ZH)}" in words
    assert any(i.value.startswith("各页面现在显示的是随机权重") for i in at.info)


def test_remember_bit_page_in_chinese_shows_gate_facts_and_the_split_proof():
    at = open_page("tasks", {"model": "task", "task": "remember_bit", "seq_len": "20", "batch": "4", "lang": ZH})
    facts = [m.value for m in at.markdown if m.value.startswith("- 单元 ")]
    assert facts and "遗忘门" in facts[0] and "在保持该位期间" in " ".join(facts)
    assert any("在标记处按所保持的位分开" in title for title in charts(at))


def test_memory_split_hover_names_the_units_state_in_both_languages():
    values = torch.zeros(2, 6)
    latent = torch.tensor([[0, 0, 1, 1, 1, 1], [0, 0, 0, -1, -1, -1]], dtype=torch.float64)
    labels = [["+"] * 6, ["−"] * 6]
    score = UnitScore(1, "c", 0.9, 0.0)
    en = memory_split_figure(values, latent, labels, score)
    zh = memory_split_figure(values, latent, labels, score, lang=ZH)
    assert en.data[0].hovertemplate.startswith("sequence 0, bit +, marker at step 2<br>step %{customdata[0]}")
    assert zh.data[0].hovertemplate.startswith("序列 0，位 +，标记在第 2 步<br>第 %{customdata[0]} 步")
    assert [d.name for d in zh.data] == ["所保持的位 +", "所保持的位 −"]
