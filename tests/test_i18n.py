"""Every marked message has its Chinese, with the same placeholders and markup; the catalogue is the code's."""

from __future__ import annotations

import ast
import functools
import gettext
import pickle
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from lstm_viz import i18n
from lstm_viz.i18n import LANGUAGES, Message, msg, say, t, tn

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "lstm_viz/locale/zh_CN/LC_MESSAGES/lstm_viz.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"t": (2,), "tn": (2, 3), "msg": None, "N_": None, "tr": None, "trn": (1, 2)}
"""The markers (scripts/i18n.sh's -k options): Babel's keyword specs."""
MARKERS = {"t": 1, "tn": 1, "msg": 0, "N_": 0, "tr": 0, "trn": 0}
"""Each marker and the index of its (first) message argument."""


@functools.cache
def _extracted() -> frozenset[str]:
    method_map = [("lstm_viz/**.py", "python"), ("pages/**.py", "python"), ("app.py", "python")]
    found = extract_from_dir(str(ROOT), method_map, keywords=KEYWORDS, comment_tags=())
    return frozenset(m[2] if isinstance(m[2], str) else m[2][0] for m in found)


@pytest.fixture(scope="module")
def catalogue():
    with PO.open("rb") as f:
        return read_po(f, locale="zh_CN")


def _chinese(message) -> str:
    return message.string[0] if isinstance(message.string, tuple) else message.string


def test_every_marked_message_of_the_code_has_its_chinese(catalogue) -> None:
    """A new or changed English message fails here until ``scripts/i18n.sh`` ran and its Chinese was written."""
    in_po = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalogue if m.id}
    marked = _extracted()
    assert marked, "no marked message found: the markers changed?"
    not_in_catalogue = sorted(marked - set(in_po))
    assert not not_in_catalogue, f"marked but not in the .po (run scripts/i18n.sh): {not_in_catalogue[:20]}"
    untranslated = sorted(k for k in marked if not _chinese(in_po[k]))
    assert not untranslated, f"{len(untranslated)} messages without Chinese, e.g. {untranslated[:20]}"
    stale = sorted(set(in_po) - marked)
    assert not stale, f"the .po holds messages no code marks any more (run scripts/i18n.sh): {stale[:20]}"


def _fields(text: str) -> list[tuple[str, str]]:
    return sorted((name, spec or "") for _, name, spec, _ in string.Formatter().parse(text) if name is not None)


def _markup(text: str) -> dict[str, int]:
    return {
        "`": text.count("`"),
        "**": text.count("**"),
        "](": text.count("]("),
        "$": text.count("$"),
        "<": len(
            re.findall(r"</?(?:a|b|br|i|em|strong|span|div|code|pre|sub|sup|p|ul|ol|li|table|tr|td|th)[ >/]", text)
        ),
        "%{": text.count("%{"),
    }


def test_each_translation_keeps_the_placeholders_and_markup_of_its_english(catalogue) -> None:
    wrong = []
    for m in catalogue:
        if not m.id or not _chinese(m):
            continue
        english = m.id if isinstance(m.id, str) else m.id[0]
        chinese = _chinese(m)
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        if any(_fields(i) != _fields(chinese) for i in ids):
            wrong.append(f"placeholders differ: {english!r} -> {chinese!r}")
        if _markup(english) != _markup(chinese):
            wrong.append(f"markup differs: {english!r} -> {chinese!r}")
        if re.search(r"%\{[^}]*\}", english) and set(re.findall(r"%\{[^}]*\}", english)) != set(
            re.findall(r"%\{[^}]*\}", chinese)
        ):
            wrong.append(f"hover fields differ: {english!r} -> {chinese!r}")
    assert not wrong, "\n".join(wrong[:30])


def test_the_compiled_catalogue_is_the_po_compiled(catalogue) -> None:
    """The .mo in the repository (and the wheel) says what the .po says: nobody forgot to compile."""
    with MO.open("rb") as f:
        compiled = read_mo(f)

    def key(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    po = {key(m.id): key(m.string) for m in catalogue if m.id and _chinese(m)}
    mo = {key(m.id): key(m.string) for m in compiled if m.id}
    assert po == mo


def test_the_catalogue_keeps_its_header_and_chinese_has_one_plural_form() -> None:
    """The .po's own header says Chinese's plural rule (``scripts/i18n.sh`` once dropped it with ``--omit-header``:
    gettext then assumes English's two forms and says the English plural whenever n != 1)."""
    with PO.open("rb") as f:
        own = read_po(f)  # no locale given: the header alone decides
    assert own.locale is not None and (own.locale.language, own.locale.territory) == ("zh", "CN")
    assert own.plural_forms == "nplurals=1; plural=0;"
    plural = [m for m in own if m.id and m.pluralizable]
    assert plural and all(len(m.string) == 1 for m in plural), [m.id for m in plural if len(m.string) != 1]
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    assert compiled.ngettext("{n:,} match", "{n:,} matches", 5) == compiled.ngettext("{n:,} match", "{n:,} matches", 1)


def test_no_marked_call_hides_its_message_in_an_f_string_or_glued_text() -> None:
    """Babel extracts literals only: an f-string or a '+' inside a marker would never reach the catalogue."""
    bad = []
    files = [*ROOT.glob("lstm_viz/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in MARKERS or len(node.args) <= MARKERS[name]:
                continue
            arg = node.args[MARKERS[name]]
            if isinstance(arg, ast.JoinedStr | ast.BinOp):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, f"marked calls with an f-string or glued message: {bad}"


def test_babel_extracts_every_literal_message_the_code_marks() -> None:
    """Babel's tokenizer loses a message when a bare name ``t`` (or a nested marker) sits in the call's arguments;
    the ast finds every marker call with a literal message: each must reach the catalogue."""
    marked: dict[str, str] = {}
    files = [*ROOT.glob("lstm_viz/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            name = _marker_name(node)
            if name is None or len(node.args) <= MARKERS[name]:
                continue
            arg = node.args[MARKERS[name]]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                marked.setdefault(arg.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    lost = sorted(where for message, where in marked.items() if message not in _extracted())
    assert not lost, f"marked messages Babel does not extract (compute the arguments first): {lost}"


def _marker_name(node: ast.AST) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
    return name if name in MARKERS else None


def test_no_marker_sits_inside_another_markers_arguments() -> None:
    """Babel does not extract a marker nested in another marker's arguments: its message would never be translated.

    Say the inner one first (``joined = tr(", ")``), then pass it in.
    """
    nested = []
    files = [*ROOT.glob("lstm_viz/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if _marker_name(node) is None:
                continue
            inner = [n for arg in [*node.args, *(k.value for k in node.keywords)] for n in ast.walk(arg)]
            if any(
                _marker_name(n)
                and isinstance(
                    n.args[MARKERS[_marker_name(n)]] if len(n.args) > MARKERS[_marker_name(n)] else None, ast.Constant
                )
                for n in inner
            ):
                nested.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not nested, f"markers inside another marker's arguments: {nested}"


def test_t_says_a_message_in_each_language_with_its_values() -> None:
    assert t("en", "{n:,} characters", n=12000) == "12,000 characters"
    zh = t("zh-CN", "Home")
    assert zh != "Home" and re.search(r"[\u4e00-\u9fff]", zh)
    assert tn("en", "{n} step", "{n} steps", 1) == "1 step" and tn("en", "{n} step", "{n} steps", 3) == "3 steps"


def test_a_message_is_english_as_a_str_and_said_again_in_chinese() -> None:
    m = msg("out of range (allowed: {low} to {high})", low=1, high=512)
    assert m == "out of range (allowed: 1 to 512)" and isinstance(m, str)
    zh = say(m, "zh-CN")
    assert zh != m and "1" in zh and "512" in zh and re.search(r"[\u4e00-\u9fff]", zh)
    assert say(ValueError(m), "zh-CN") == zh, "an exception carrying a Message is said in the language"
    assert say(ValueError("typed by a user"), "zh-CN") == "typed by a user", "anything else stays as it is"
    again = pickle.loads(pickle.dumps(m))
    assert isinstance(again, Message) and say(again, "zh-CN") == zh


def test_a_message_inside_a_message_is_translated_with_it() -> None:
    inner = msg("Home")
    outer = msg("one of {options}", options=inner)
    assert outer == "one of Home"
    assert t("zh-CN", "Home") in say(outer, "zh-CN")


@pytest.mark.parametrize(
    ("requested", "browser", "expected"),
    [
        ("zh-CN", "en-US", "zh-CN"),
        ("en", "zh-CN", "en"),
        (None, "zh-TW", "zh-CN"),
        (None, "zh", "zh-CN"),
        (None, "fr-FR", "en"),
        (None, None, "en"),
        ("xx", "zh-HK", "zh-CN"),
    ],
)
def test_the_link_chooses_the_language_else_the_browser_else_english(requested, browser, expected) -> None:
    assert i18n.language(requested, browser) == expected


def test_every_language_has_a_catalogue_and_a_name_in_itself() -> None:
    for lang in LANGUAGES:
        assert isinstance(i18n.catalogue(lang), gettext.NullTranslations)
        assert lang in i18n.LANGUAGE_NAMES
