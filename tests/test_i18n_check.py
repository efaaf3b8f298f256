"""简体中文 for Check your LSTM: every diagnosis, refusal, report, figure, the page and the terminal said in Chinese.

A check's diagnoses are ``Message``s made once: English as ``str`` (the other checker tests read it), and said in
Chinese with the same numbers and the same tensor names. The diagnosis ids, the learner's code and Python's own
error messages stay as they are in both languages.
"""

from __future__ import annotations

import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from figure_words import marked_messages
from streamlit.testing.v1 import AppTest

import lstm_viz
from lstm_viz import i18n
from lstm_viz.check import cases, classics, mistakes, protocol, sandbox, slots
from lstm_viz.check.checker import NoSuchFunction, _Collector, _no_function, _problems_from, all_case_data, check_source
from lstm_viz.check.compare import ErrorInfo
from lstm_viz.check.diagnosis import explain_error
from lstm_viz.check.runner import UNREADABLE
from lstm_viz.check.source import SourceProblem, definitions_only, read_source, signature_template
from lstm_viz.check.words import exception_words, width
from lstm_viz.i18n import say

ZH = "zh-CN"
ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
EXAMPLES = ROOT / "lstm_viz" / "check" / "examples"
FILES = [
    "pages/check.py",
    "lstm_viz/ui/check.py",
    "lstm_viz/figures/check.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "lstm_viz" / "check").glob("*.py")),
]
_HAN = re.compile(r"[\u4e00-\u9fff]")
NAMES = re.compile(r"\b(?:[A-Za-z]+_[A-Za-z0-9_]+|[hcm]_[nt0T]|nn\.LSTM|torch\.\w+)\b")
"""What a diagnosis names that Chinese keeps as it is: tensors and parameters (``b_hh``, ``w_ih``, ``h_n``)."""
LATIN_KEPT = {
    # PyTorch's, Python's and the tutorial's names, proper names and symbols the glossary keeps in Latin letters.
    "nn",
    "LSTM",
    "LSTMCell",
    "PyTorch",
    "Python",
    "torch",
    "randn",
    "zeros",
    "chunk",
    "allclose",
    "bmm",
    "sigmoid",
    "tanh",
    "float32",
    "float64",
    "Caffe",
    "ONNX",
    "TensorFlow",
    "True",
    "False",
    "None",
    "NumPy",
    "exp",
    "bidirectional",
    "reverse",
    "lstm",
    "forward",
    "output",
    "cell",
    "inp",
    "hx",
    "shape",
    "RuntimeError",
    "TypeError",
    "ZeroDivisionError",
    "IndexError",
    "MemoryError",
    "ValueError",
    "KB",
    "MB",
    "CPU",
    "sys",
    "os",
    "exit",
    "num",
    "layers",
    "first",
    "batch",
    "size",
    "dtype",
    "local",
    "sleep",
    "Jupyter",
    "IPython",
    "shell",
}


def chinese(text: str) -> bool:
    return bool(_HAN.search(text))


def numbers(text: str) -> list[str]:
    return sorted(re.findall(r"\d+", text))


def names(text: str) -> set[str]:
    return set(NAMES.findall(text))


def latin_words(text: str) -> set[str]:
    """The Latin words of ``text`` outside its code (backticks) and its names (``w_ih``, ``nn.LSTM``)."""
    text = re.sub(r"`[^`]*`", " ", text)
    text = NAMES.sub(" ", text)
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9]+", text))
    return {w for w in words if not re.fullmatch(r"[A-Za-z]{1,2}\d*", w)}  # symbols: h0, c0, nn, B


def said_alike(english: str, zh: str) -> None:
    """``zh`` is Chinese, names every number and tensor ``english`` names, and adds no English word of its own."""
    assert chinese(zh), (english, zh)
    assert numbers(zh) == numbers(english), (english, zh)
    assert names(zh) == names(english), (english, zh)
    assert latin_words(zh) <= LATIN_KEPT, (latin_words(zh) - LATIN_KEPT, zh)


def example(name: str) -> str:
    return (EXAMPLES / f"{name}.py").read_text(encoding="utf-8")


# --- The catalogue ---------------------------------------------------------------------------------------------


def test_every_marked_word_of_the_checker_has_chinese_with_the_same_placeholders():
    formatter = string.Formatter()

    def fields(text: str) -> list[tuple[str, str]]:
        return sorted((f, spec) for _, f, spec, _ in formatter.parse(text) if f is not None)

    messages = marked_messages(ROOT, FILES)
    assert len(messages) > 250
    for message in messages:
        zh = i18n.t(ZH, message)
        # A name ("float64") is its own translation; anything else said the same in Chinese is untranslated.
        assert zh != message or re.fullmatch(r"[\w.]+", message), f"no Chinese for {message!r}"
        # Words are Chinese; a message that is names and punctuation alone ("<b>PyTorch:</b> …") may stay Latin.
        prose = re.search(r"[a-z]{2,} [a-z]{2,}", re.sub(r"`[^`]*`|\{[^}]*\}", "", message))
        assert chinese(zh) or not prose, f"no Chinese for {message!r}"
        assert fields(zh) == fields(message), (message, zh)
        for bold in re.finditer(r"\*\*(.+?)\*\*(.?)", zh):
            # CommonMark closes ** after punctuation only before a space or punctuation: "**约定：**w" stays literal.
            inner, after = bold.group(1), bold.group(2)
            assert not (inner[-1] in PUNCTUATION and after and after not in PUNCTUATION + " "), (message, zh)


PUNCTUATION = "，。：；！？（）“”、…,.:;!?()"


# --- Every mistake's diagnosis ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(classics.CLASSICS))
def test_each_mistakes_diagnosis_is_said_in_chinese_with_the_same_numbers_and_names(name):
    torch.manual_seed(0)
    report = check_source(example(name), filename=f"{name}.py", mode="process")
    (d,) = report.diagnoses
    assert d.id == name  # the id stays English
    for part in (d.detail, d.sentence, d.convention, d.evidence):
        if isinstance(part, i18n.Message):  # ours (a gate order, Python's own words stay as they are)
            said_alike(part, say(part, ZH))
    for eq in d.equations:
        zh = say(eq, ZH)
        assert numbers(zh) == numbers(eq) and zh.count("{") == eq.count("{"), (eq, zh)
        assert not re.search(r"\\text\{[^}]*\b(?:for|every|with|in|the|next|step|is)\b", zh), zh
    text = report.text(ZH)
    assert f"诊断：{name}" in text and "结论：不一致" in text and "正确：" in text, text
    assert "diagnosis:" not in text and "verdict:" not in text and "found:" not in text
    headline = report.headline(ZH)
    assert headline.startswith("你的 lstm_forward 在") and f"（{name}）" in headline, headline
    assert report.text() == str(report) and "diagnosis: " + name in report.text()  # English stays the default


@pytest.mark.parametrize("mistake", mistakes.SINGLES, ids=lambda m: f"{m.id}-{m.detail}")
def test_every_known_mistakes_detail_is_said_in_chinese(mistake):
    zh = say(mistake.detail, ZH)
    if mistake.id == "gate_order":
        assert zh == mistake.detail  # an order of gates is symbols alone: "i, f, o, g"
    else:
        said_alike(mistake.detail, zh)


def test_two_mistakes_and_alternatives_are_joined_in_chinese():
    a, b = mistakes.SINGLES[-1], next(m for m in mistakes.SINGLES if m.id == "bias")
    both = mistakes.combine(b, a)
    assert str(both.detail) == f"{b.detail}; {a.detail}"
    assert say(both.detail, ZH) == f"{say(b.detail, ZH)}；{say(a.detail, ZH)}"


def test_the_gate_order_names_the_library_in_chinese():
    report = check_source(example("gate_order"), mode="process")
    zh = say(report.diagnoses[0].sentence, ZH)
    assert "i, f, o, g" in zh and "Caffe 的顺序" in zh and "PyTorch 的堆叠顺序是 i, f, g, o" in zh


def test_an_exception_is_explained_in_chinese_around_pythons_own_words():
    spec = cases.case("distinct")
    error = ErrorInfo(
        "RuntimeError", "mat1 and mat2 shapes cannot be multiplied (2x7 and 3x28)", ({"line": 4, "text": "x @ w"},)
    )
    zh = explain_error(error, spec, ZH)
    # Python's message stays English, its sizes named; our sentence around it is Chinese.
    assert "mat1 and mat2 shapes cannot be multiplied ((2 = B)×(7 = H) and (3 = I)×(28 = 4H))" in zh
    assert "你的函数在各维度互异的用例" in zh and "第 4 行（`x @ w`）" in zh and "一次矩阵乘法" in zh
    assert "W_ih 是 [4H, I]" in zh
    empty = explain_error(ErrorInfo("RuntimeError", "The size of tensor a (0) must match"), spec, ZH)
    assert "(0 = 空切片)" in empty
    unreadable = ErrorInfo("ValueError", UNREADABLE)
    assert "“<无法把这条消息转换为文本>”" in explain_error(unreadable, spec, ZH)
    assert f"“{UNREADABLE}”" in explain_error(unreadable, spec)


def test_a_signature_and_a_return_value_are_named_in_chinese():
    report = lstm_viz.check(lambda inp, states, w_ih, w_hh, bias: None)
    (d,) = report.diagnoses
    zh = say(d.sentence, ZH)
    assert "你的函数无法按教程的方式调用" in zh and "positional argument" in zh  # Python's words kept
    assert "lstm_forward(inp, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None)" in say(d.convention, ZH)
    report = lstm_viz.check(lambda inp, states, *w: (inp, inp))
    (d,) = [d for d in report.diagnoses if d.id == "return_value"]
    zh = say(d.sentence, ZH)
    assert zh.startswith("它返回了 (Tensor [") and "第二项应当是二元组 (h_n, c_n)" in zh, zh


def test_a_function_that_raises_everywhere_is_unknown_in_chinese():
    report = lstm_viz.check(lambda *a: 1 / 0)
    d = report.diagnoses[-1]
    assert d.id == "unknown"
    zh = say(d.sentence, ZH)
    assert "ZeroDivisionError" in zh and "在运行的每个用例上都引发了" in zh


# --- What stops a check, and what refuses code -------------------------------------------------------------


def _outcome(stopped: str = "", returncode: int | None = 0, detail: str = "") -> sandbox.Outcome:
    out = sandbox.Outcome()
    out.stopped, out.returncode, out.detail = stopped, returncode, detail
    return out


def test_run_problems_are_said_in_chinese_with_their_limits():
    collector = _Collector(all_case_data(), None)
    collector.started.append("tutorial")
    collector.function = {"found": True}
    time_limit = _problems_from(_outcome("time", None), collector)[0]
    zh = say(time_limit.sentence, ZH)
    said_alike(time_limit.sentence, zh)
    assert f"{sandbox.WALL_S:.0f} 秒" in zh and "在运行教程的用例时" in zh
    printed = _problems_from(_outcome("printed"), collector)[0]
    assert f"{sandbox.PRINT_KEEP:,} 个字符" in say(printed.sentence, ZH)
    killed = _problems_from(_outcome("", -9), collector)[0]
    assert "被信号 9 终止" in say(killed.detail, ZH)
    broken = protocol.ProtocolError(protocol.N_("a frame of {size:,} bytes is above the cap"), size=123456)
    assert str(broken) == "a frame of 123,456 bytes is above the cap"
    stream = _problems_from(_outcome("results", 0, sandbox.protocol_words(broken)), collector)[0]
    assert "123,456 字节的帧超过了上限" in say(stream.sentence, ZH)
    missing = _no_function("lstm_forward", ["f", "g"], ErrorInfo("NameError", "x"))
    zh = say(missing.sentence, ZH)
    assert "没有定义名为 lstm_forward 的函数" in zh and "f, g" in zh and "NameError" in zh
    assert say(_no_function("lstm_forward", [], None).detail, ZH).endswith("（已定义：无）")


@pytest.mark.parametrize(
    ("data", "filename", "english", "zh"),
    [
        ("import torch\ndef lstm_forward(:\n", "a.py", "not valid Python", "这不是合法的 Python 代码"),
        ("#" * 300_000, "a.py", "at most 256 KB", "最多读取 256 KB"),
        (b"\xff\xfe\x00x = 1", "a.py", "not UTF-8", "不是 UTF-8 文本"),
        (b"{not json", "a.ipynb", "not a Jupyter notebook", "不是 Jupyter 笔记本的 JSON"),
        (b"{}", "a.ipynb", "no list of cells", "没有单元格列表"),
    ],
)
def test_code_that_cannot_be_read_is_refused_in_chinese(data, filename, english, zh):
    with pytest.raises(SourceProblem) as err:
        read_source(data, filename)
    assert english in str(err.value)
    said = say(err.value, ZH)
    assert zh in said and numbers(said) == numbers(str(err.value)), said


def test_a_syntax_error_says_where_in_chinese_keeping_pythons_words():
    with pytest.raises(SourceProblem) as err:
        read_source("import torch\ndef lstm_forward(:\n")
    said = say(err.value, ZH)
    assert "第 2 行" in said and "invalid syntax" in said and "`def lstm_forward(:`" in said, said


def test_no_such_function_and_a_full_queue_are_refused_in_chinese(monkeypatch, tmp_path):
    with pytest.raises(NoSuchFunction) as err:
        check_source("def f():\n    pass\n", function="lstm_forward", mode="process")
    assert say(err.value, ZH) == "你的代码没有定义名为 lstm_forward 的函数（它定义了 f）。"
    from lstm_viz.server import file_slots

    monkeypatch.setenv(file_slots.CACHE_DIR_ENV, str(tmp_path))
    base = tmp_path / "checks"
    held = [file_slots.FileSlots(base, "check", slots.RUNNING).try_acquire() for _ in range(slots.RUNNING)]
    held += [file_slots.FileSlots(base, "check-wait", slots.WAITING).try_acquire() for _ in range(slots.WAITING)]
    try:
        with pytest.raises(slots.CheckBusy) as busy, slots.turn():
            pass
    finally:
        for fd in held:
            file_slots.release(fd)
    zh = say(busy.value, ZH)
    assert f"正在运行 {slots.RUNNING} 个检查" in zh and "被拒绝" in zh


def test_the_sandboxs_refusals_are_said_in_chinese(monkeypatch):
    monkeypatch.setenv(sandbox.MODE_ENV, "nonsense")
    mode = sandbox.current_mode()
    assert mode.name == "off"
    assert say(mode.reason, ZH) == f"{sandbox.MODE_ENV}='nonsense' 不是 sandbox, local, off 之一"
    assert "没有安装 bubblewrap" in say(sandbox.NOT_INSTALLED, ZH)
    isolated = i18n.msg("the test sandbox is not isolated: {problems}", problems=exception_words(ValueError("x")))
    assert say(isolated, ZH) == "测试沙箱没有隔离好：x"


# --- The report, its figures and the notebook --------------------------------------------------------------


def test_the_report_draws_and_prints_in_the_language_asked_for():
    report = check_source(example("bias"), mode="process", lang=ZH)
    assert "诊断：bias 漏加了 b_hh" in str(report) and "结论：不一致" in str(report)
    assert "diagnosis: bias b_hh left out" in report.text("en")
    html = report._repr_html_()
    assert "诊断：<code>bias</code> 漏加了 b_hh" in html and "<th>用例</th>" in html and "$$" in html
    assert "首次偏离" in html and "输入门" in html
    cases_fig, diff_fig, states_fig = report.cases_figure(), report.difference_figure(), report.final_states_figure()
    assert cases_fig.layout.title.text.startswith("每个用例") and cases_fig.layout.yaxis.title.text == "用例"
    assert "容差" in cases_fig.layout.xaxis.title.text and cases_fig.data[0].y[0] == "教程的用例"
    assert diff_fig.layout.title.text.startswith("输出的 |你的 − nn.LSTM|")
    assert diff_fig.layout.yaxis.title.text == "输出单元（特征）" and "时间步" in diff_fig.data[0].hovertemplate
    assert "批中的第 %{y} 条序列" in states_fig.data[0].hovertemplate
    assert states_fig.layout.xaxis.title.text == "h_n 的单元"
    english = lstm_viz.check(lambda *a: a[0]).cases_figure()
    assert english.layout.title.text.startswith("Each case") and english.layout.yaxis.title.text == "case"


def test_lstm_viz_check_takes_the_language_of_its_report():
    namespace: dict = {}
    exec(compile(definitions_only(example("seed")), "seed.py", "exec"), namespace)  # noqa: S102 - our own example
    report = lstm_viz.check(namespace["lstm_forward"], lang=ZH)
    assert report.matches and report.lang == ZH
    assert "你的 lstm_forward 在运行的全部 10 个用例上都与 nn.LSTM 一致。" in str(report)
    assert report.headline("en") == "Your lstm_forward matches nn.LSTM on all 10 cases it ran."


def test_the_signature_template_speaks_chinese_in_its_comments_only():
    zh, en = signature_template(ZH), signature_template("en")
    assert chinese(zh) and not chinese(en)
    assert read_source(zh).functions["lstm_forward"] == read_source(en).functions["lstm_forward"]
    code_lines = [line for line in zh.splitlines() if not line.lstrip().startswith("#")]
    assert [line for line in code_lines if "NotImplementedError" not in line] == [
        line for line in en.splitlines() if not line.lstrip().startswith("#") and "NotImplementedError" not in line
    ]


# --- The terminal ----------------------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lstm_viz.check", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_the_terminal_prints_chinese_with_lang_zh_cn():
    bad = run_cli("--lang", "zh-CN", str(EXAMPLES / "gate_order.py"))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    lines = bad.stdout.splitlines()
    assert [line for line in lines if line.startswith("诊断：")] == ["诊断：gate_order i, f, o, g"]
    assert lines[0].startswith("检查 lstm_forward（在本 Python 进程中）：10 个用例")
    assert lines[-1] == "结论：不一致。你的 lstm_forward 在 10 个用例中的 10 个上与 nn.LSTM 不一致（gate_order）。"
    assert "首次偏离。" in bad.stdout and "(输入门)" in bad.stdout and "Caffe 的顺序" in bad.stdout
    # A case's columns stay aligned with Chinese titles (a Chinese character takes two columns in a terminal).
    rows = [line for line in lines if line.startswith("  ✗ ")]
    assert len(rows) == 10 and len({width(line[: line.index(" B ")]) for line in rows}) == 1, rows
    missing = run_cli(str(EXAMPLES / "seed.py"), "--function", "nope", "--lang", "zh-CN")
    assert missing.returncode == 2 and missing.stdout.startswith("错误：seed.py 没有定义名为 nope 的函数")
    helped = run_cli("--lang", "zh-CN", "--help")
    assert helped.returncode == 0 and "报告的语言" in helped.stdout and "手写的 LSTM 前向计算" in helped.stdout
    english = run_cli(str(EXAMPLES / "gate_order.py"))
    assert "diagnosis: gate_order i, f, o, g" in english.stdout and "verdict: differs" in english.stdout
    assert "诊断" not in english.stdout


# --- The page ----------------------------------------------------------------------------------------------------


def open_check(monkeypatch, lang: str = ZH) -> AppTest:
    monkeypatch.setenv(sandbox.MODE_ENV, "local")
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["model"] = "random"
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/check.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    """The page's sentences (its Markdown unescaped; the link buttons' HTML left out)."""
    parts = [m.value for m in at.main.markdown if "lstm-link" not in m.value]
    parts += [e.value for e in at.main.error] + [s.value for s in at.main.success] + [h.value for h in at.subheader]
    parts += [c.value for c in at.main.caption] + [w.value for w in at.main.warning]
    return "\n".join(parts).replace("\\", "")


@pytest.fixture
def _end_the_warm_sandbox():
    yield
    sandbox.pool.close()


@pytest.mark.usefixtures("_end_the_warm_sandbox")
def test_the_page_in_chinese_names_an_example_mistake_in_chinese(monkeypatch):
    at = open_check(monkeypatch)
    assert at.title[0].value == "检查你的 LSTM"
    assert "粘贴你为教程写的 `lstm_forward`" in at.main.markdown[0].value
    assert "B 条序列，T 个时间步" in at.session_state["check_code"]  # the template's comments
    labels = {b.key: b.label for b in at.button}
    assert labels["check_load_seed"] == "载入教程的函数" and labels["check_run"] == "检查"
    picker = at.selectbox(key="check_classic")
    assert picker.label == "经典错误" and picker.format_func("bias") == "两个偏置漏加了一个"
    picker.select("bias").run()
    at.button(key="check_load_mistake").click().run()
    at.button(key="check_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = page_text(at)
    assert "你的 lstm_forward 在 10 个用例中的 10 个上与 nn.LSTM 不一致（bias）。" in shown, shown[:600]
    assert "`bias` **漏加了 b_hh**" in shown and "你的函数加偏置的方式不对（漏加了 b_hh）" in shown
    assert "**PyTorch 的约定**：" in shown and "哪里出了错" in shown and "正确的公式：" in shown
    assert "| | 用例 | 大小 | 结论 |" in shown and "| 不一致 |" in shown
    assert any("输入门" in eq.value for eq in at.latex)
    link = next(m.value for m in at.markdown if "lstm-link primary" in m.value)
    assert "在“单步”页打开这个用例" in link and "lang=zh-CN" in link
    charts = [el.proto.spec for el in at.get("plotly_chart")]
    assert len(charts) == 3 and all(chinese(spec) for spec in charts)
    statuses = [str(el.proto) for el in at.main.children.values() if type(el).__name__ == "Status"]
    assert any("检查用时" in s and "不一致" in s for s in statuses), statuses
    # No sentence of ours left in English: every Latin word on the page is a name, code or a symbol.
    prose = re.sub(r"\|[^\n]*\|", " ", shown)  # the table's rows: the cases' sizes (B 2, T 3, float32)
    assert not latin_words(prose) - LATIN_KEPT - {"bias"}, latin_words(prose) - LATIN_KEPT  # the headline's id


@pytest.mark.usefixtures("_end_the_warm_sandbox")
def test_the_untouched_template_follows_the_language(monkeypatch):
    at = open_check(monkeypatch, "en")
    assert at.session_state["check_code"] == signature_template("en")
    at.query_params["lang"] = ZH
    at.run()
    assert at.session_state["check_code"] == signature_template(ZH)
    at.session_state["check_code"] = signature_template(ZH) + "\n# mine\n"
    at.query_params["lang"] = "en"
    at.run()
    assert at.session_state["check_code"].endswith("# mine\n")  # the learner's edits are never replaced
