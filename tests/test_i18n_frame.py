"""The page frame, Home, Parameters, the share and export dialogs and the exports in Simplified Chinese."""

from __future__ import annotations

import html
import io
import json
import re
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.pages_manager import PagesManager
from test_app import follow, links, open_page

from lstm_viz import build, i18n, trace
from lstm_viz.config import LSTMConfig
from lstm_viz.export import FigureRenderer, figures_html, find_chromium, rebuild_script, trace_npz
from lstm_viz.export.animation import MAX_GIF_FRAMES, gate_stills
from lstm_viz.figures import weight_figure
from lstm_viz.settings import PRESETS
from lstm_viz.ui.state import LANG

ZH = {"lang": "zh-CN"}
needs_chromium = pytest.mark.skipif(find_chromium() is None, reason="no Chromium installed for kaleido")


@pytest.fixture
def clicks(monkeypatch):
    """Let a click reach the page under AppTest, as it does in a browser.

    AppTest makes a fresh ``PagesManager`` for every run, which finds ``pages/`` and puts Streamlit back in its
    legacy multipage mode: the run after a click then starts at the page alone, ``require_app`` reruns it through
    ``app.py``, and that rerun has forgotten the click. A server leaves that mode on its first run for good.
    """
    made = PagesManager.__init__

    def server_after_its_first_run(self, *args, **kwargs):
        made(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", server_after_its_first_run)


@pytest.fixture
def downloads(monkeypatch):
    """What each download button of the page would hand the browser, by file name (its data made on click)."""
    made: dict[str, object] = {}
    add = MediaFileManager.add_deferred

    def keep(self, data, mimetype, coordinates, file_name=None, **kwargs):
        made[file_name] = data
        return add(self, data, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    return made


def texts(at) -> str:
    """Every text of the page and its dialogs (titles, Markdown, captions, alerts, labels), one per line."""
    parts = [
        el.value
        for kind in ("title", "markdown", "caption", "success", "info", "warning", "error", "subheader")
        for el in at.get(kind)
    ]
    for kind in ("button", "selectbox", "slider", "download_button"):
        parts += [el.proto.label for el in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def test_home_in_chinese_says_its_lesson_verdict_and_run_in_chinese():
    at = open_page("home", ZH)
    assert not at.exception
    said = texts(at)
    assert at.title[0].value == "LSTM 探索器"
    for words in (
        "逐个门展示 `torch.nn.LSTM` 的计算",
        "#### LSTM 在每个时间步 t 计算什么",
        "#### 各页面（在顶部）",
        "- **门随时间变化**：i、f、g、o、c、m 和 h 的热力图",
        "- **参数**：按 PyTorch 的名称和形状列出的权重。",
        "**每个训练好的模型，以及用作对照的随机权重**",
        "本次运行：",
        "输入维度 4，隐藏维度 16，无投影，1 层。手写前向计算",
    ):
        assert words in said, words
    # The equations need no words: the same LaTeX in both languages.
    lesson = next(m.value for m in at.markdown if "begin{aligned}" in m.value)
    assert all(f"{q}_t &=" in lesson for q in "ifgoch")
    titles = [json.loads(el.proto.spec)["layout"]["title"]["text"] for el in at.get("plotly_chart")]
    assert "nn.LSTM 的输出 h，批中的第 0 条序列（官方实现）" in titles
    found = links(at)
    assert found["随机权重（未训练）"].startswith("./gates?")
    assert all(parse_qs(urlsplit(href).query).get("lang") == ["zh-CN"] for href in found.values()), found


def test_home_in_english_is_unchanged_by_the_catalogue():
    at = open_page("home")
    said = texts(at)
    assert at.title[0].value == "LSTM Explorer"
    assert "What `torch.nn.LSTM` computes, gate by gate: a hand-written forward pass, checked on every run." in said
    assert "\n#### What an LSTM computes at each step t\n\n$$\n\\begin{aligned}" in said
    assert "- **Parameters**: the weights, by PyTorch's names and shapes.\n" in said
    assert "input 4, hidden 16, projection none, 1 layer(s). Hand-written forward" in said
    assert "random weights (untrained)" in links(at)
    assert not any("lang=" in href for href in links(at).values())


def test_parameters_in_chinese_names_its_table_sentences_and_figure_in_chinese():
    at = open_page("parameters", {**ZH, "hidden_size": "5", "proj_size": "3", "num_layers": "2"})
    assert not at.exception
    said = texts(at)
    assert at.title[0].value == "参数与形状"
    assert "名称和形状与 `nn.LSTM.named_parameters()` 列出的完全一致" in said
    assert "共 " in said and " 个参数。" in said
    assert "proj_size 改变了什么" in said
    assert "- `weight_hh` 变为 **3 列而不是 5 列**：循环输入 h_(t-1) 是投影后的向量。" in said
    assert "- 第一层之上的各层读取投影后的输出：它们的 `weight_ih` 有 3 列。" in said
    assert "要绘制的权重矩阵" in said
    assert list(at.table[0].value.columns) == ["名称", "形状", "数值个数", "含义"]
    assert list(at.table[1].value.columns)[0] == "参数"
    assert "weight_ih_l0 (20, 4)" in at.code[0].value  # PyTorch's names and shapes stay as they are
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert fig["layout"]["title"]["text"] == "weight_ih_l0，形状 (20, 4)"
    assert fig["layout"]["xaxis"]["title"]["text"] == "列（输入特征）"
    assert fig["layout"]["yaxis"]["title"]["text"] == "行（门的分块）"
    assert fig["layout"]["yaxis"]["ticktext"][1] == "f 第 5–9 行"
    assert fig["data"][0]["hovertemplate"].startswith("行 %{y}<br>列 %{x}<br>权重 %{z:.4f}")


def test_the_frame_says_what_a_link_could_not_do_in_chinese():
    at = open_page("home", {**ZH, "seed": "abc", "hidden_size": "9999"})
    warning = next(w.value for w in at.warning if "此链接中有应用无法读取" in w.value)
    assert warning.startswith("此链接中有应用无法读取或其模型不接受的值，这些设置保留默认值：`")
    assert "`hidden_size=9999`（" in warning and "）；`seed=abc`（" in warning and warning.endswith("）。")
    at = open_page("home", {**ZH, "figure": "nope"})
    assert at.error[0].value == "本页没有名为 `nope` 的图。本页的图：`home_gates`、`home_out`。"
    english = open_page("home", {"figure": "nope"})
    assert english.error[0].value == "This page has no figure named `nope`. Its figures: `home_gates`, `home_out`."


def test_the_weight_figure_speaks_each_language_and_keeps_english_as_it_was():
    weight = torch.arange(520.0 * 300).reshape(520, 300)
    english = weight_figure(weight, "weight_ih_l0")
    assert english.layout.title.text == "weight_ih_l0, shape (520, 300) (strided: 1 in 3 rows, 1 in 2 columns shown)"
    assert english.layout.xaxis.title.text == "column (input feature)"
    assert english.layout.yaxis.ticktext[0] == "i rows 0–129"
    chinese = weight_figure(weight, "weight_ih_l0", lang="zh-CN")
    assert chinese.layout.title.text == "weight_ih_l0，形状 (520, 300)（抽样显示：每 3 行取 1 行，每 2 列取 1 列）"
    projection = weight_figure(torch.ones(3, 5), "weight_hr_l0", lang="zh-CN")
    assert projection.layout.xaxis.title.text == "列（单元）"
    assert projection.layout.yaxis.title.text == "行（投影特征）"
    assert projection.data[0].colorbar.title.text == "权重"


def _dialog_codes(at) -> list[str]:
    return [c.value for c in at.code]


def test_the_share_dialog_in_chinese_gives_links_that_keep_the_language(clicks):
    at = open_page("gates", {**ZH, "seed": "3"})
    at.button(key="_share_open").click().run()
    assert not at.exception, [e.value for e in at.exception]
    said = texts(at)
    for words in (
        "所有设置都保存在页面网址中",
        "教师链接：同一链接，但隐藏控件，用于投屏：",
        "幻灯片视图：大字号、白色背景、标题写明本次运行：",
        "单图视图：只显示一张图",
        "链接打开时所在的时间步",
    ):
        assert words in said, words
    codes = _dialog_codes(at)
    assert len(codes) == 4, codes
    for link in codes:
        query = parse_qs(urlsplit(link).query)
        assert query["lang"] == ["zh-CN"] and query["seed"] == ["3"], link
    assert "controls=hidden" in codes[1] and "slide=1" in codes[2] and "figure=" in codes[3]
    slide = links(at)["打开幻灯片视图"]
    assert parse_qs(urlsplit(slide).query)["lang"] == ["zh-CN"]
    # Followed, the shared link opens the same run in Chinese.
    shared = urlsplit(codes[0])
    opened = follow(f".{shared.path}?{shared.query}")
    assert opened.session_state["spec"].config.seed == 3
    assert opened.session_state[LANG] == "zh-CN"


def test_the_share_dialog_in_english_keeps_its_links_as_they_were(clicks):
    at = open_page("gates", {"seed": "3"})
    at.button(key="_share_open").click().run()
    assert not at.exception
    codes = _dialog_codes(at)
    assert len(codes) == 4 and not any("lang=" in link for link in codes), codes
    assert "Teacher link: the same with the controls hidden, for projecting:" in texts(at)


def test_the_presets_dialog_in_chinese_links_every_preset_in_chinese(clicks):
    at = open_page("gates", ZH)
    before = set(links(at))
    at.button(key="_presets_open").click().run()
    assert not at.exception
    presets = {label: href for label, href in links(at).items() if label not in before}
    assert len(presets) == len(PRESETS), presets
    for label, href in presets.items():
        assert href.startswith("./gates?") and parse_qs(urlsplit(href).query)["lang"] == ["zh-CN"], (label, href)


def test_settings_links_carry_the_language_and_the_view_only_when_the_link_had_them():
    at = open_page("home", {**ZH, "slide": "1"})
    for href in links(at).values():
        query = parse_qs(urlsplit(href).query)
        assert query["lang"] == ["zh-CN"] and query["slide"] == ["1"], href


def test_the_export_dialog_in_chinese_and_its_html_page_in_chinese(clicks, downloads):
    at = open_page("home", ZH)
    at.button(key="_export_open_").click().run()
    assert not at.exception, [e.value for e in at.exception]
    said = texts(at)
    for words in (
        "较慢的文件先绘制，再下载。",
        "数据和代码，点一下即可下载：",
        "门的 GIF，40 步",
        "门的 MP4，40 步",
        "全部 2 张图的压缩包（PNG + SVG）",
        "每个张量一个 CSV（压缩包）",
        "交互式 HTML（可离线打开）",
        "所有张量：NPZ",
        "脚本：用 nn.LSTM 重建",
        "图片显示的时间步",
    ):
        assert words in said, words
    page_file = next(name for name in downloads if name.endswith(".html"))
    assert page_file.isascii(), "file names stay ASCII"
    page = downloads[page_file]()
    assert page.startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
    title = re.search(r"<title>(.*)</title>", page).group(1)
    assert html.unescape(title).startswith("LSTM 探索器：")
    assert re.search(r"[\u4e00-\u9fff]", title)
    # The page's own figures, built in Chinese, are the ones exported.
    assert '"text":"nn.LSTM 的输出 h，批中的第 0 条序列（官方实现）"' in page
    script = downloads["rebuild_lstm.py"]()
    assert "用纯 PyTorch 从 lstm_run_" in script and "通过：nn.LSTM 和 LSTM 方程复现了文件中的全部" in script


def test_the_html_export_says_its_language():
    fig = weight_figure(torch.ones(8, 3), "weight_ih_l0", lang="zh-CN")
    chinese = figures_html([("weight", fig)], "LSTM 探索器：随机权重", "批大小 2", lang="zh-CN")
    assert '<html lang="zh-CN">' in chinese and "<title>LSTM 探索器：随机权重</title>" in chinese
    english = figures_html([("weight", weight_figure(torch.ones(8, 3), "weight_ih_l0"))], "LSTM Explorer: x")
    assert '<html lang="en">' in english


def test_the_rebuild_script_speaks_chinese_and_still_checks(tmp_path):
    config = LSTMConfig(input_size=3, hidden_size=4, seq_len=4, batch=2, seed=1)
    built = build(config)
    tr = trace(built.lstm, built.input, built.hx)
    (tmp_path / "run.npz").write_bytes(trace_npz(tr, built.input, words="随机权重"))
    script = rebuild_script("run.npz", "随机权重；批大小 2", lang="zh-CN")
    assert script.startswith(
        '"""用纯 PyTorch 从 run.npz 重建一次 LSTM 探索器的运行，并与文件核对。\n\n本次运行：随机权重；批大小 2。'
    )
    (tmp_path / "rebuild.py").write_text(script)
    done = subprocess.run([sys.executable, "rebuild.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("通过：nn.LSTM 和 LSTM 方程复现了文件中的全部 ")
    arrays = dict(np.load(tmp_path / "run.npz"))
    arrays["l0/f"][1, 2, 0] += 1e-3
    np.savez(tmp_path / "run.npz", **arrays)
    done = subprocess.run([sys.executable, "rebuild.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "第 0 层、方向 0、第 2 步：f 不一致" in done.stderr


def test_an_animation_refusal_is_said_in_chinese():
    built = build(LSTMConfig(input_size=2, hidden_size=3, seq_len=MAX_GIF_FRAMES + 1, batch=1))
    rec = trace(built.lstm, built.input).layer(0)
    with pytest.raises(ValueError) as refused:
        gate_stills(rec, steps=range(MAX_GIF_FRAMES + 1), lang="zh-CN")
    assert str(refused.value) == (
        f"{MAX_GIF_FRAMES + 1} steps is more than the {MAX_GIF_FRAMES} frames one animation may hold: "
        "export a window of steps"
    )
    assert (
        i18n.say(refused.value, "zh-CN")
        == f"{MAX_GIF_FRAMES + 1} 步超过了一个动画最多可容纳的 {MAX_GIF_FRAMES} 帧：请导出其中一段时间步"
    )


@pytest.fixture(scope="module")
def kaleido_renderer():
    r = FigureRenderer()
    yield r
    r.close()


def _title_pixels(renderer: FigureRenderer, text: str) -> np.ndarray:
    """The title strip of a figure titled ``text`` (48 px, black on white), drawn by the exports' own renderer."""
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1]))
    fig.update_layout(
        title=dict(text=text, x=0.02, xanchor="left", y=0.9, font=dict(size=48, color="black")),
        # The app's own font list: Chromium finds a CJK font for what Inter and Arial do not draw.
        font=dict(family="Inter, Helvetica, Arial, sans-serif"),
        width=600,
        height=300,
        template="none",
        paper_bgcolor="white",
    )
    with renderer.job():
        png = renderer.render(fig, "png", 600, 300, 1)
    gray = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.int16)
    return gray[:90]  # the title's strip: above the plot area


@needs_chromium
def test_exported_images_draw_chinese_glyphs_not_boxes(kaleido_renderer):
    """PNG, GIF and MP4 exports are drawn by kaleido's Chromium: Chinese needs a CJK font there (fonts-noto-cjk).

    Without one, every Chinese character is the same empty box (.notdef): two different words then draw the
    same pixels, and the same pixels as characters no font has. With the font, each word draws its own strokes.
    """
    gates = _title_pixels(kaleido_renderer, "输入门遗忘门")
    other = _title_pixels(kaleido_renderer, "细胞状态隐藏")
    # Plane 16's private use area: no font has a glyph there, so Chromium draws its missing-glyph box.
    boxes = _title_pixels(kaleido_renderer, "\U0010fffd" * 6)
    blank = _title_pixels(kaleido_renderer, " ")
    ink = (gates < 128).sum()
    assert ink > 400, f"the Chinese title left {ink} dark pixels: nothing drawn"
    assert (np.abs(gates - other) > 64).sum() > 200, "two different Chinese words drew the same pixels (boxes)"
    assert (np.abs(gates - boxes) > 64).sum() > 200, "the Chinese title looks like missing-glyph boxes"
    assert (np.abs(gates - blank) > 64).sum() > 200
    # The same character draws the same glyph: 门 ends both halves of 输入门遗忘门 (left to right, 48 px each).
    columns = np.flatnonzero((gates < 128).any(axis=0))
    start = columns[0]
    first, second = gates[:, start + 2 * 48 : start + 3 * 48], gates[:, start + 5 * 48 : start + 6 * 48]
    assert (np.abs(first - second) > 64).sum() < 0.1 * (first < 128).sum() + 20


@needs_chromium
def test_a_chinese_svg_export_keeps_its_words_as_text(kaleido_renderer):
    fig = weight_figure(torch.ones(8, 3), "weight_ih_l0", lang="zh-CN")
    with kaleido_renderer.job():
        svg = kaleido_renderer.render(fig, "svg", 600, 300).decode()
    assert "形状" in svg and "列（输入特征）" in svg
