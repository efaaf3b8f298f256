"""Every page read in Chinese in Chromium: no English word left outside code, names, symbols and Streamlit's own."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from test_browser import CHROMIUM, SHOTS, Server, browser, goto, page, server, wait_idle  # noqa: F401

from lstm_viz.settings import TABLE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

PAGES = {
    "home": "?lang=zh-CN",
    "gates": "gates?lang=zh-CN&t=5&unit=1",
    "gates_random": "gates?model=random&lang=zh-CN",
    "tasks": "tasks?lang=zh-CN",
    "code": "code?lang=zh-CN&code_span=10-30&code_clamp=to+0",
    "compare": "compare?lang=zh-CN",
    "step": "step?lang=zh-CN",
    "check": "check?lang=zh-CN",
    "gradients": "gradients?lang=zh-CN",
    "parameters": "parameters?model=random&proj_size=3&lang=zh-CN",
    "file": "?model=file&lang=zh-CN",
    "slide": "step?slide=1&lang=zh-CN",
}

# Words that stay Latin in Chinese: proper names, units and formats, PyTorch's and the glossary's names, and the
# language switch's "English" (each language is named in itself).
NAMES = set(
    """
    Adam Alice allclose argmax atol bin bubblewrap char Chromium cividis Colab csv cuDNN dc def dh diag dL dtype dx
    explorer Fei float32 float64 fn GB greys HAProxy hx inp ipynb Johnson Jozefowicz Jupyter kaleido Karpathy KB Li
    log10 LSTM lstm_forward LSTMVis magma max MB mean min ms nats nn npy NumPy oneDNN PCA Plotly pt pth px py Python
    PyTorch return RNN rtol safetensors sigmoid softmax std Streamlit tanh tensor tokenize torch tutorial viridis
    Wonderland Caffe ONNX TensorFlow LSTMCell sleep
    English
    """.split()
)
# Streamlit's own words that the public API cannot change (docs/streamlit-strings.md).
STREAMLIT_OWN = (
    '[data-testid="stFileUploaderDropzoneInstructions"]',
    '[data-testid="stFileUploader"] button',
    '[data-testid="InputInstructions"]',
    '[data-testid="stStatusWidget"]',
    '[data-testid="stToolbar"]',
    '[data-testid="stFileUploaderFile"]',
    '[data-testid="stSkipToContent"]',
    '[data-testid="stIconMaterial"]',
)


ALLOWED = NAMES | set(TABLE)
"""The names above and the URL keys. Option values (``model=brackets``, ``clamp=to 0``) are identifiers too: the
select boxes and radio groups that show them are left out of the scan (their words are checked where they are
said: labels, help and captions)."""

# The page's text, less what is code (code, pre, KaTeX), data (the charts' tick labels and data text: input
# symbols, characters of Python), values a user typed, and Streamlit's own words.
READ_TEXT = """(streamlitOwn) => {
    const root = document.querySelector('[data-testid="stApp"]') || document.body;
    const skip = new Set();
    const drop = (sel) => root.querySelectorAll(sel).forEach(el => skip.add(el));
    drop('code, pre, .katex, .katex-display, textarea, input, .js-plotly-plot, [data-testid="stCode"], '
        + '[data-baseweb="select"], [role="radiogroup"], [data-testid="stMultiSelectTagsContainer"]');
    streamlitOwn.forEach(drop);
    const texts = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        let el = n.parentElement, hidden = false;
        // Icons are ligatures of Material Symbols ('lightbulb', 'tune'): drawn as pictures, never read as words.
        if (getComputedStyle(el).fontFamily.includes('Material Symbols')) continue;
        for (let a = el; a; a = a.parentElement) { if (skip.has(a)) { hidden = true; break; } }
        if (hidden || !el.checkVisibility?.()) continue;
        texts.push(n.textContent);
    }
    // Charts: their words only (titles, axis titles, legends, annotations, colour bar titles, buttons, slider
    // labels), never their tick labels or data text.
    for (const plot of root.querySelectorAll('.js-plotly-plot')) {
        plot.querySelectorAll('.gtitle, .xtitle, .ytitle, .legendtext, .annotation-text, .cbtitle, '
            + '.updatemenu-item-text, .slider-label').forEach(t => texts.push(t.textContent));
    }
    return texts.join('\\n');
}"""


def latin_words(text: str) -> list[str]:
    """The Latin words of ``text`` that are not allowed: identifiers (``weight_ih_l0``, ``nn.LSTM``), single
    letters (symbols: i, f, g, o, h, c, t, B, T) and allowed names stay."""
    found = []
    text = re.sub(r"\S*/\S*\.py(:\d+)?", " ", text)  # file names (torch/nn/modules/rnn.py:12) stay as they are
    for word in re.findall(r"[A-Za-z][A-Za-z0-9_.']*", text):
        word = word.strip(".'").removesuffix("'s")
        if len(word) <= 1 or "_" in word or "." in word or any(ch.isdigit() for ch in word):
            continue
        if word in ALLOWED or word.upper() == word and len(word) <= 5:  # LSTM, CSV, NPZ, PNG, HTML
            continue
        found.append(word)
    return found


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_in_chinese_has_no_english_word_outside_the_allow_list(server, page, name):  # noqa: F811
    page.set_viewport_size({"width": 1600, "height": 900})
    goto(page, server, PAGES[name])
    wait_idle(page)
    page.screenshot(path=str(SHOTS / f"zh_{name}_1600.png"), full_page=False)
    text = page.evaluate(READ_TEXT, list(STREAMLIT_OWN))
    assert re.search(r"[\u4e00-\u9fff]", text), f"{name}: no Chinese at all"
    english = latin_words(text)
    assert not english, f"{name} ({PAGES[name]}) shows English words in Chinese: {sorted(set(english))[:40]}"


def test_the_allow_list_catches_an_english_sentence():
    assert latin_words("遗忘门 f 的值 nn.LSTM weight_ih_l0 LSTM t = 3") == []
    assert latin_words("the forget gate 遗忘门") == ["the", "forget", "gate"]


def test_the_exported_html_page_in_chinese_has_no_english_word(server, page, tmp_path):  # noqa: F811
    """The interactive HTML a teacher downloads from Gates in Chinese, opened offline in Chromium: its title, heading,
    caption and every figure's words in Chinese."""
    goto(page, server, "gates?lang=zh-CN")
    page.get_by_role("button", name="导出到幻灯片和笔记本…").click()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="交互式 HTML（可离线打开）").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.suffix == ".html" and saved.name.isascii()
    page.goto(saved.as_uri())
    page.wait_for_selector(".js-plotly-plot .gtitle", timeout=60_000)
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert re.search(r"[\u4e00-\u9fff]", page.title()), page.title()
    text = page.evaluate(READ_TEXT, [])
    assert re.search(r"[\u4e00-\u9fff]", text)
    english = latin_words(page.title() + "\n" + text)
    assert not english, f"the exported HTML shows English words in Chinese: {sorted(set(english))[:40]}"


def test_the_sidebar_switch_changes_the_language_and_keeps_the_run_in_the_link(server, page):  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 720})
    goto(page, server, "gates?model=random&hidden_size=8&t=5")
    page.get_by_role("button", name="简体中文").click()
    page.get_by_role("heading", name="门随时间变化").wait_for(timeout=60_000)
    wait_idle(page)
    query = parse_qs(urlsplit(page.url).query)
    assert query["lang"] == ["zh-CN"] and query["hidden_size"] == ["8"] and query["model"] == ["random"], page.url
    assert page.locator(".gtitle").first.text_content().startswith("40 个时间步上的所有门和状态")
    page.screenshot(path=str(SHOTS / "zh_switched_1280.png"))
    # A reload, as a student opening the copied link, stays in Chinese.
    page.reload()
    page.get_by_role("heading", name="门随时间变化").wait_for(timeout=60_000)
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Gates over time").wait_for(timeout=60_000)
    wait_idle(page)
    query = parse_qs(urlsplit(page.url).query)
    assert "lang" not in query and query["hidden_size"] == ["8"], page.url
