"""``lstm_viz.show(..., lang="zh-CN")`` and ``show_text``: every view in Chinese, the same numbers as in English.

Each view's words (title, axes, colour bars, annotations, hovers, buttons, each frame's words) are Chinese with no
English word left but names and code; its numbers (every trace's x, y, z and customdata, every frame's, the painted
images, the numbers written on the figure) are the English view's. The errors a notebook shows are said in the
view's language, and the HTML export says its language.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from figure_words import figure_texts, marked_messages
from torch import nn

import lstm_viz
from lstm_viz.i18n import LANGUAGES, catalogue
from lstm_viz.notebook import VIEWS, show, show_text
from lstm_viz.notebook.compare import compare_view, split_headline
from lstm_viz.notebook.language import check_language
from lstm_viz.notebook.picks import pick
from lstm_viz.reference import compare
from lstm_viz.trace import trace

ZH = "zh-CN"
CJK = re.compile(r"[\u4e00-\u9fff]")
NAMES = {"LSTM", "RNN", "nn", "tanh", "allclose", "atol", "rtol", "oneDNN", "float32", "float64", "PyTorch"}
"""Latin words a Chinese view keeps: proper names, PyTorch's names and formats."""


def _tutorial(proj_size: int = 0):
    """The seed tutorial's sizes: B=2, T=3, I=4, H=5, batch_first."""
    torch.manual_seed(0)
    return nn.LSTM(4, 5, batch_first=True, proj_size=proj_size), torch.randn(2, 3, 4)


def _latin_words(text: str) -> list[str]:
    """English words of ``text``: tags, Plotly placeholders, symbols, identifiers and names left out."""
    text = re.sub(r"<[^>]+>|%\{[^}]*\}", " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*", text)
    return [w for w in words if len(w) > 2 and w not in NAMES and "_" not in w and not any(c.isdigit() for c in w)]


def _numbers(text: str) -> list[str]:
    """The decimals written in ``text`` (a cell's values, a difference), in order of appearance sorted."""
    return sorted(re.findall(r"[-+−]?\d+\.\d+(?:e[-+]\d+)?", text))


def _assert_same_numbers(en, zh) -> None:
    """The two views draw the same data: traces, frames, painted images and the values written on them."""
    assert len(en.data) == len(zh.data)
    for a, b in zip(en.data, zh.data, strict=True):
        for key in ("x", "y", "z", "customdata"):
            va, vb = getattr(a, key, None), getattr(b, key, None)
            if va is not None and not isinstance(va, str):
                np.testing.assert_array_equal(np.asarray(va), np.asarray(vb))
    fa, fb = getattr(en, "raw_frames", None) or en.frames, getattr(zh, "raw_frames", None) or zh.frames
    assert len(fa) == len(fb)
    for a, b in zip(fa, fb, strict=True):
        for ua, ub in zip(a["data"], b["data"], strict=True):
            for key in ("x", "y", "z"):
                if ua.get(key) is not None:
                    np.testing.assert_array_equal(np.asarray(ua[key], dtype=object), np.asarray(ub[key], dtype=object))
    assert [i.source for i in en.layout.images] == [i.source for i in zh.layout.images]
    written = [_numbers(a.text or "") for a in en.layout.annotations]
    assert written == [_numbers(a.text or "") for a in zh.layout.annotations]


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("model", ["tutorial", "projected", "task"])
def test_every_view_speaks_chinese_with_the_numbers_of_the_english_one(view, model):
    if model == "task":
        args: tuple = (lstm_viz.tasks.pretrained("brackets"),)
    else:
        args = _tutorial(3 if model == "projected" else 0)
    en, zh = show(*args, view=view), show(*args, view=view, lang=ZH)
    assert CJK.search(zh.layout.title.text), zh.layout.title.text
    words = figure_texts(zh)
    english = sorted({w for text in words for w in _latin_words(text)})
    assert not english, f"{view}: English words in the Chinese view: {english}"
    assert not any(CJK.search(text) for text in figure_texts(en))
    _assert_same_numbers(en, zh)
    assert zh._view_lang == ZH and en._view_lang == "en"
    assert CJK.search(zh._view_caption) and not CJK.search(en._view_caption)


def test_the_views_own_titles_are_whole_chinese_sentences():
    lstm, x = _tutorial()
    compare = show(lstm, x, view="compare", lang=ZH).layout.title.text
    assert compare.startswith("<b style='color:#1a7f37'>与 nn.LSTM 对比：与 nn.LSTM 一致</b><br><sup>")
    assert "allclose 容差：rtol 1e-05，atol 1e-08</sup>" in compare
    default = show(lstm, x, view="compare", against="default", lang=ZH).layout.title.text
    assert "与 nn.LSTM 对比：与按默认方式调用的 nn.LSTM 一致</b>" in default
    assert "默认内核" in " ".join(figure_texts(show(lstm, x, view="compare", against="default", lang=ZH)))
    step = show(lstm, x, view="step", t=2, unit=3, lang=ZH)
    assert step.layout.title.text == "<b>单步的全部数值</b>：时间步 t = 2，单元 j = 3"
    # The page's invitations to click are left out in Chinese too: a notebook takes no clicks.
    assert not any("点击" in text for text in figure_texts(step))
    assert CJK.search(show(lstm, x, view="parameters", lang=ZH).layout.yaxis.title.text)


def test_a_verdict_that_fails_is_said_in_chinese_in_red():
    lstm, x = _tutorial()
    other, _ = _tutorial()
    with torch.no_grad():
        other.weight_hh_l0.add_(0.5)
    tr = trace(other, x)  # another LSTM's numbers against nn.LSTM's own: the verdict fails
    cmp = compare(lstm, x, None, tr)
    assert not cmp.allclose
    for against in ("generic", "default"):
        en = compare_view(tr, cmp, pick(tr), None, against, None, "en").layout.title.text
        zh = compare_view(tr, cmp, pick(tr), None, against, None, ZH).layout.title.text
        assert en.startswith("<b style='color:#cf222e'>Compare with nn.LSTM: DOES NOT match nn.LSTM")
        assert zh.startswith("<b style='color:#cf222e'>与 nn.LSTM 对比：与") and "不一致</b>" in zh
        assert _numbers(en) == _numbers(zh)
    # The headline's verdict and measurement, split where either language puts its colon.
    assert split_headline("matches nn.LSTM: the largest difference") == ("matches nn.LSTM", "the largest difference")
    assert split_headline("与 nn.LSTM 一致：最大差值") == ("与 nn.LSTM 一致", "最大差值")


def test_show_text_speaks_chinese_with_the_same_colours():
    source = "def f(x):\n    # one\n    return (x + 1)\n"
    en = show_text("code", source, cell="indentation", tracks=["indentation", "brackets"])
    zh = show_text("code", source, cell="indentation", tracks=["indentation", "brackets"], lang=ZH)
    assert zh.layout.title.text.startswith("你的文本<br><sup>按每个单元着色")
    assert "缩进、括号" in zh.layout.title.text or "缩进，括号" in zh.layout.title.text
    words = figure_texts(zh)
    assert not sorted({w for text in words for w in _latin_words(text)})
    _assert_same_numbers(en, zh)
    assert zh._view_caption.startswith(f"code 任务的模型读取了 {len(source)} 个字符；与 nn.LSTM 一致：")


@pytest.mark.parametrize("alias", ["zh", "zh-cn", "zh_CN", "ZH-CN", "zh-Hans"])
def test_other_spellings_of_chinese_are_zh_cn(alias):
    assert check_language(alias) == ZH
    lstm, x = _tutorial()
    assert show(lstm, x, lang=alias).layout.title.text == show(lstm, x, lang=ZH).layout.title.text
    # The gradients view hands the canonical code to the words it borrows.
    assert show(lstm, x, view="gradients", lang=alias)._view_lang == ZH
    assert CJK.search(show(lstm, x, view="gradients", lang=alias).layout.title.text)


@pytest.mark.parametrize("lang", ["fr", "", None, "english", 3])
def test_a_language_the_views_do_not_speak_is_named_with_the_ones_they_do(lang):
    lstm, x = _tutorial()
    words = r"is not available: the views speak 'en' \(English\), 'zh-CN' \(简体中文\)"
    with pytest.raises(ValueError, match=re.escape(f"lang={lang!r} ") + words):
        show(lstm, x, lang=lang)
    with pytest.raises(ValueError, match=words):
        show_text("code", "x = 1\n", lang=lang)
    assert LANGUAGES == ("en", ZH)


@pytest.mark.parametrize(
    ("call", "english", "chinese"),
    [
        (lambda lang: show(*_tutorial(), layer=2, lang=lang), "so layer is 0..0", "所以 layer 取 0..0"),
        (lambda lang: show(*_tutorial(), view="heat", lang=lang), "view='heat' is not one of", "不在可选项"),
        (lambda lang: show(nn.GRU(4, 5), lang=lang), "a GRU has no cell state c", "GRU 没有细胞状态 c"),
        (lambda lang: show(nn.LSTM(4, 5), torch.randn(2, 3, 7), lang=lang), "input_size=4", "每个时间步有 7 个特征"),
        (lambda lang: show(nn.LSTM(4, 5), lang=lang), "give the input x", "[T, B, 4]（batch_first=False）"),
        (
            lambda lang: show(*_tutorial(), view="parameters", weight="hr", lang=lang),
            "it has no projection",
            "它没有投影（proj_size=0）",
        ),
        (lambda lang: show(*_tutorial(), units=(0, 9), lang=lang), "this LSTM's units", "这个 LSTM 的单元窗口"),
        (lambda lang: show(*_tutorial(), view="gradients", loss="x", lang=lang), "is not one of", "不在可选项"),
        (lambda lang: show_text("code", "x", cell="loops", lang=lang), "its found cells follow", "已发现的单元"),
        (lambda lang: show_text("code", "x" * 2001, lang=lang), "2,001 characters", "2,001"),
    ],
)
def test_a_mistake_is_said_in_the_views_language(call, english, chinese):
    with pytest.raises((TypeError, ValueError)) as en:
        call("en")
    assert english in str(en.value) and not CJK.search(str(en.value))
    with pytest.raises(type(en.value)) as zh:
        call(ZH)
    assert chinese in str(zh.value) and CJK.search(str(zh.value)), str(zh.value)


def test_the_html_export_says_its_language_and_names_the_page_in_it():
    lstm, x = _tutorial()
    page = show(lstm, x, lang=ZH).html()
    assert '<html lang="zh-CN">' in page and "LSTM 探索器：门随时间变化" in page
    assert "，输入 x [2, 3, 4] float32，h_0、c_0 为零" in page
    still = show(lstm, x, view="step", lang=ZH).still()
    assert still._view_lang == ZH and "LSTM 探索器：单步" in still.html()
    assert "LSTM Explorer: gates" in show(lstm, x).html()
    with pytest.raises(ValueError, match="format='gif' 不在可选项 'png', 'svg' 之中"):
        show(lstm, x, lang=ZH).to_image("gif")


def test_every_sentence_the_notebook_writes_has_its_chinese():
    folder = Path(lstm_viz.__path__[0]) / "notebook"
    names = ("compare", "figure", "language", "parameters", "picks", "show", "step", "subject", "text", "gates")
    zh = catalogue(ZH)
    missing = [text for text in marked_messages(folder, [f"{n}.py" for n in names]) if zh.gettext(text) == text]
    assert not missing, missing
