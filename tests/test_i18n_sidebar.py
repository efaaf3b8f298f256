"""简体中文 for the sidebar and the library's words: refusals, verdicts and a run's description said in Chinese.

Every library message is a ``Message``: English as a ``str`` (the other tests read it), and ``say(err, "zh-CN")``
says it in Chinese with the same numbers. The pages opened with ``lang=zh-CN`` show the sidebar's refusals so.
"""

from __future__ import annotations

import io
import pickle
import re
import string
from pathlib import Path

import pytest
import torch
from figure_words import marked_messages
from test_app import open_page
from torch import nn

from lstm_viz import i18n
from lstm_viz.config import LSTMConfig
from lstm_viz.edits import PRESETS, Edits
from lstm_viz.i18n import Message, say
from lstm_viz.inputs import parse_sequence, parse_token_ids, parse_typed
from lstm_viz.params import parameter_table
from lstm_viz.reference import compare
from lstm_viz.run import RunSpec, check_spec, run
from lstm_viz.server import uploads
from lstm_viz.sources import FileSource, RandomSource, TaskSource
from lstm_viz.trace import trace
from lstm_viz.weights import check_file_size, load_lstms

ZH = "zh-CN"
ROOT = Path(__file__).resolve().parents[1]
FILES = [
    "lstm_viz/ui/sidebar.py",
    "lstm_viz/ui/widgets.py",
    "lstm_viz/ui/link.py",
    "lstm_viz/ui/own_input.py",
    "lstm_viz/ui/upload.py",
    "lstm_viz/ui/runs.py",
    "lstm_viz/ui/language.py",
    "lstm_viz/config.py",
    "lstm_viz/run.py",
    "lstm_viz/sources.py",
    "lstm_viz/inputs.py",
    "lstm_viz/edits.py",
    "lstm_viz/reference.py",
    "lstm_viz/build.py",
    "lstm_viz/params.py",
    "lstm_viz/server/uploads.py",
    "lstm_viz/weights/__init__.py",
    "lstm_viz/weights/files.py",
    "lstm_viz/weights/found.py",
]
_HAN = re.compile(r"[\u4e00-\u9fff]")


def chinese(text: str) -> bool:
    """Whether ``text`` has Chinese characters in it."""
    return bool(_HAN.search(text))


def refusal(call) -> Exception:  # noqa: ANN001 - any callable that must refuse
    """The exception ``call()`` raises (it must raise ``ValueError`` or ``LookupError``)."""
    with pytest.raises((ValueError, LookupError)) as caught:
        call()
    return caught.value


def said(err: BaseException, *numbers: object) -> str:
    """``err`` said in Chinese: a ``Message``, Chinese words, English unchanged, every number of it still there."""
    assert isinstance(err.args[0], Message), f"not a Message: {err!r}"
    zh = say(err, ZH)
    assert chinese(zh), zh
    assert zh != str(err)
    for n in numbers:
        assert str(n) in zh, (n, zh)
    return zh


# ---------------------------------------------------------------------------------------------- the catalogue


def test_every_marked_word_of_this_area_has_chinese_with_the_same_placeholders():
    formatter = string.Formatter()

    def fields(text: str) -> list[tuple[str, str, str | None]]:
        return sorted((f, spec, conv) for _, f, spec, conv in formatter.parse(text) if f is not None)

    messages = marked_messages(ROOT, FILES)
    assert len(messages) > 200
    for message in messages:
        zh = i18n.t(ZH, message)
        assert zh != message, f"no Chinese for {message!r}"
        assert fields(zh) == fields(message), (message, zh)


# ------------------------------------------------------------------------------------ the library's refusals


def test_config_refusals_name_the_setting_and_limit_in_chinese():
    zh = said(refusal(lambda: LSTMConfig(hidden_size=9999)), 9999, 1, 512, "hidden_size")
    assert "隐藏维度" in zh and "超出范围" in zh
    zh = said(refusal(lambda: LSTMConfig(hidden_size=4, proj_size=4)), "proj_size = 4", "hidden_size = 4")
    assert "必须小于" in zh
    zh = said(refusal(lambda: LSTMConfig(batch=32, seq_len=512, hidden_size=512, num_layers=4)), "4,000,000")
    assert "上限" in zh
    said(refusal(lambda: LSTMConfig(dtype="float16")), "'float16'", "float32, float64")


def test_run_and_edit_refusals_in_chinese():
    spec = RunSpec(LSTMConfig(bias=False), RandomSource(), Edits("forget bias +1"))
    zh = said(refusal(lambda: check_spec(spec)), "bias=False")
    assert "遗忘门偏置 +1" in zh, "the preset is named in Chinese"
    zh = said(refusal(lambda: check_spec(RunSpec(LSTMConfig(seq_len=1), TaskSource("remember_bit")))), 2)
    assert "“记住一位”" in zh
    said(refusal(lambda: Edits("none", (1.0, 9.0, 1.0, 1.0))), 9.0, -5.0, 5.0)


def test_inputs_refusals_in_chinese():
    zh = said(refusal(lambda: parse_typed("\n".join(["1"] * 600), 2)), 513, 512)
    assert "时间步" in zh
    said(refusal(lambda: parse_typed("1, 2, x", 3)), "'x'")
    said(refusal(lambda: parse_token_ids("3, 99", 20)), 99, 20, 19)
    said(refusal(lambda: parse_sequence(b"a,b\n1,2\n3\n", "x.csv", 2)), 3, 1, 2)
    said(refusal(lambda: parse_sequence(b"PK\x03\x04junk", "x.csv", 2)), ".npz")
    said(refusal(lambda: parse_sequence(b"1,2,3\n", "x.csv", 2)), 3, 2)


def _saved(obj: object) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


class _Evil:
    def __reduce__(self):  # noqa: ANN204 - a pickle that would run code if it were loaded
        return (print, ("never",))


def test_upload_refusals_in_chinese():
    said(refusal(lambda: check_file_size(100 * 2**20)), "100 MB", "64 MB", 4, 512)
    said(refusal(lambda: load_lstms(b"hello world, not weights", "model.pt")), "'hello world, not weights'")
    said(refusal(lambda: load_lstms(pickle.dumps(_Evil()), "evil.pt")), "builtins.print")
    said(refusal(lambda: load_lstms(_saved({"fc.weight": torch.ones(2, 2)}), "fc.pt")), "fc.weight")
    said(refusal(lambda: load_lstms(b"", "empty.pt")), 0)
    gru = nn.GRU(3, 4).state_dict()
    zh = said(refusal(lambda: load_lstms(_saved(gru), "gru.pt")), "nn.GRU")
    assert "顶层" in zh
    state = nn.LSTM(3, 4).state_dict()
    state["weight_hh_l0"][0, 0] = float("nan")
    zh = said(refusal(lambda: load_lstms(_saved(state), "nan.pt")), "weight_hh_l0", "NaN", 1, 64)
    assert "发散" in zh
    big = uploads.Store(max_bytes=2**20, max_item_bytes=1024)
    said(refusal(lambda: big.put(uploads.UploadedInput("x", torch.zeros(1, 512, 64, dtype=torch.float64)))), "0.3")


def test_lost_uploads_are_said_in_chinese():
    said(refusal(lambda: uploads.store().get("0" * 64)))
    said(refusal(lambda: FileSource("0" * 64, "", "gone.pt").fixed()))


# -------------------------------------------------------------------------- words for titles, notes and tables


def test_a_runs_description_speaks_chinese_for_slide_titles():
    spec = RunSpec(LSTMConfig(batch=3, seq_len=7, seed=11), TaskSource("brackets"), Edits("input gate shut"))
    english = spec.describe()
    assert english == (
        "trained task: bracket depth, shipped weights; batch 3, 7 steps, float32, seed 11; edited: input gate shut"
    )
    zh = spec.describe(lang=ZH)
    assert zh == say(english, ZH)
    assert "括号深度" in zh and "随附权重" in zh and "关闭输入门" in zh and "随机种子 11" in zh and "7 个时间步" in zh
    r = run(RunSpec(LSTMConfig(seq_len=5)))
    assert r.describe() == "random weights; batch 2, 5 steps, float32, seed 0"
    assert r.describe(ZH).startswith("随机权重；") and r.source_words(ZH) == "随机权重"
    shown = FileSource("d" * 64, "encoder.rnn", "tagger.pt").describe()
    assert shown == "uploaded tagger.pt, the LSTM at encoder.rnn"
    assert say(shown, ZH) == "上传的 tagger.pt 中位于 encoder.rnn 的 LSTM"


def test_what_a_source_fixes_and_the_edits_are_said_in_chinese():
    fixed = TaskSource("brackets").fixed_words()
    assert "`nn.LSTM(" in say(fixed, ZH) and "任务固定了模型" in say(fixed, ZH)
    tutorial = say(RandomSource("tutorial").fixed_words(), ZH)
    assert "`torch.manual_seed(seed)`" in tutorial and chinese(tutorial)
    edits = Edits("forget bias -3", (1.0, 0.5, 1.0, 1.0), forget_bias=2.0)
    assert edits.describe() == "forget bias -3; f pre-activation × 0.5; b_if +2"
    assert say(edits.describe(), ZH) == "遗忘门偏置 -3；f 的预激活 × 0.5；b_if +2"
    for name, words in PRESETS.items():
        assert chinese(i18n.t(ZH, words)), name


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_verdict_and_headline_are_said_in_chinese(dtype):
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 4).to(dtype)
    x = torch.randn(5, 2, 3, dtype=dtype)
    cmp = compare(lstm, x, None, trace(lstm, x))
    name = str(dtype).removeprefix("torch.")
    assert say(cmp.headline, ZH).startswith("与 nn.LSTM 一致：") and f"{cmp.max_diff:.1e}" in say(cmp.headline, ZH)
    verdict = say(cmp.verdict, ZH)
    assert verdict.startswith("与 nn.LSTM 一致：最大绝对差") and "rtol 1e-05" in verdict and name in verdict
    assert cmp.verdict.startswith("matches nn.LSTM: max |diff|")


def test_the_parameter_table_is_said_in_chinese():
    rows = {r.name: r.description for r in parameter_table(nn.LSTM(3, 6, num_layers=2, bidirectional=True))}
    zh = say(rows["weight_ih_l1_reverse"], ZH)
    assert zh.startswith("第 1 层反向的输入到隐藏权重 W_i*") and "12 列" in zh and "（2 × 6）" in zh
    assert "layer 1, reverse direction" in rows["weight_ih_l1_reverse"]


# ---------------------------------------------------------------------------------------- pages in Chinese


def _sidebar_words(at) -> str:  # noqa: ANN001 - an AppTest
    kinds = ("error", "warning", "info", "caption", "markdown")
    return " ".join(str(e.value) for kind in kinds for e in at.sidebar.get(kind))


def test_a_links_impossible_combination_is_refused_in_chinese_beside_the_controls_and_on_the_page():
    at = open_page("gates", {"lang": ZH, "hidden_size": "4", "proj_size": "4"})
    refused = "proj_size = 4 必须小于 hidden_size = 4：投影把隐藏单元映射到更少的特征（0 表示关闭投影）"
    assert [e.value for e in at.sidebar.error] == [f"未应用：{refused}。仍显示上一次有效的运行。"]
    assert f"你的设置未被应用（{refused}）。本页显示上一次有效的运行。" in [w.value for w in at.warning]
    assert [e.label for e in at.expander] == ["高级设置"]
    assert "由随机种子生成的随机权重" in _sidebar_words(at), "the model's words said with the language"
    assert at.get("plotly_chart"), "the last valid run stays on screen"


def test_a_tasks_story_and_what_it_fixes_are_said_in_chinese():
    at = open_page("gates", {"lang": ZH, "model": "brackets"})
    words = _sidebar_words(at)
    assert "任务固定了模型 `nn.LSTM(" in words and "批大小、时间步数、随机种子和数据类型（dtype）仍可设置" in words
    assert at.sidebar.button(key="_presets_open").label == "预设：可分享的链接…"


def test_a_malformed_upload_is_refused_in_chinese():
    at = open_page("gates", {"lang": ZH, "model": "file"})
    assert "上传检查点文件即可查看其中的 LSTM" in _sidebar_words(at)
    at.file_uploader(key="model_file").set_value(("notes.pt", b"hello, these are notes", "text/plain")).run()
    assert not at.exception, [e.value for e in at.exception]
    message = " ".join(e.value for e in at.sidebar.error)
    assert "notes.pt：这不是 PyTorch 或 safetensors 文件，而是文本文件" in message, message
    at.file_uploader(key="model_file").set_value(("empty.pt", b"", "application/octet-stream")).run()
    assert "文件为空（0 字节）" in " ".join(e.value for e in at.sidebar.error)


def test_an_own_input_too_long_is_refused_in_chinese_and_the_shape_said():
    at = open_page("gates", {"lang": ZH, "input_size": "2"})
    radio = at.radio(key="input_source")
    assert radio.label == "序列"
    at = radio.set_value("typed numbers").run()
    at.text_area(key="input_text").input("\n".join(["0.5, 1"] * 600)).run()
    assert not at.exception, [e.value for e in at.exception]
    message = " ".join(e.value for e in at.sidebar.error)
    assert "未应用：至少 513 个时间步（行），超过每条序列 512 步的上限" in message, message
    at.text_area(key="input_text").input("0.5, 1\n0.25, 2\n1, 1").run()
    assert not at.exception
    assert "由你的输入决定形状：批大小 1，3 个时间步。" in _sidebar_words(at)
    assert not at.sidebar.error, "a valid input clears the refusal"


def test_switching_language_says_a_kept_refusal_again():
    at = open_page("gates", {"input_size": "2"})
    at.radio(key="input_source").set_value("typed numbers").run()
    at.text_area(key="input_text").input("1, 2, 3").run()
    assert "Not applied" in " ".join(e.value for e in at.sidebar.error)
    at.query_params["lang"] = ZH
    at.run()
    message = " ".join(e.value for e in at.sidebar.error)
    assert message == "未应用：第 1 行有超过 2 个数，超出上限 2。仍显示上一次有效的输入。", message
    at.query_params["lang"] = "en"
    at.run()
    assert "Not applied: line 1 has more than 2 numbers" in " ".join(e.value for e in at.sidebar.error)


def test_the_sidebar_switch_names_the_other_language_and_writes_it_into_the_link():
    at = open_page("gates", {"model": "random", "hidden_size": "8"})
    assert [b.label for b in at.sidebar.button if b.key.startswith("_lang_switch")] == ["简体中文"]
    assert at.sidebar.header[0].value == "LSTM settings"
    at.sidebar.button(key="_lang_switch_zh-CN").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["lang"] == "zh-CN" and at.query_params["hidden_size"] == "8"
    assert at.sidebar.header[0].value == "LSTM 设置" and at.title[0].value == "门随时间变化"
    assert [b.label for b in at.sidebar.button if b.key.startswith("_lang_switch")] == ["English"]
    at.sidebar.button(key="_lang_switch_en").click().run()
    assert "lang" not in at.query_params and at.query_params["hidden_size"] == "8"
    assert at.sidebar.header[0].value == "LSTM settings" and at.title[0].value == "Gates over time"
