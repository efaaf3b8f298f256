"""The code page's own URL keys in the one settings table: written once, read by its widgets, never a run's setting.

Their rows (``kind="page"``, ``page="code"``) hold the page's labels, help, defaults and limits; adding them
changes nothing a link to another page means: the run's settings, the flags a link carries, how a link is read
and written, the presets. A link's ``code_*`` values are still the page's widgets' to read (``ui.link`` refuses
only what would break a widget).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app import APP

from lstm_viz import settings
from lstm_viz.i18n import LANGUAGES
from lstm_viz.reading import code_models, spans, texts, tracking
from lstm_viz.reading.generate import MAX_CHARS, MAX_PRIME, TEMPERATURES
from lstm_viz.reading.reader import MAX_TEXT
from lstm_viz.settings import (
    BOUND,
    BOUND_DEFAULTS,
    CARRIED_FLAGS,
    DEFAULTS,
    INT_RANGES,
    LINK_FLAGS,
    PRESETS,
    TABLE,
    VIEW_FLAGS,
    href,
    page_settings,
    page_value_problem,
    url_values,
)

ROOT = Path(__file__).resolve().parents[1]
CODE = page_settings("code")
RUN_KEYS = (
    "model draw weights train_hidden init_forget train_seed batch seq_len input_size hidden_size proj_size "
    "num_layers seed bidirectional bias batch_first input_kind initial_state dtype colours edit_preset edit_scales "
    "scale_i scale_f scale_g scale_o"
).split()
"""A run's settings, in the sidebar's order, as they were before the code page's rows joined the table."""
OLD_LINK_FLAGS = ("lang", "slide", "controls", "figure", "t", "unit", "file")
"""The query parameters that are not a run's settings, as before."""
PAGE_VALUES = {
    "code_model": "chars",
    "code_track": "string",
    "code_unit": "12",
    "code_state": "h",
    "code_source": "generated",
    "code_line": "51",
    "code_prime": "class ",
    "code_temp": "1.3",
    "code_seed": "7",
    "code_len": "50",
    "code_more": "comment",
    "code_span": "3-9",
    "code_threshold": "0.35",
    "code_clamp": "to its mean",
}
"""A link's worth of the page's own settings."""


def test_every_key_the_page_binds_has_its_row_and_every_row_is_bound_by_the_page():
    page = (ROOT / "pages/code.py").read_text()
    bound = set(
        re.findall(r'cr\.(?:selectbox|multiselect|number|slider|text|text_area|radio)\([^,]+, "(code_\w+)"', page)
    )
    assert bound == set(CODE), bound ^ set(CODE)
    for key, s in CODE.items():
        assert (s.key, s.kind, s.page, s.bound) == (key, "page", "code", False)
        assert TABLE[key] is s


def test_the_rows_change_no_run_setting_no_link_flag_and_no_preset():
    assert [s.key for s in BOUND] == RUN_KEYS and list(BOUND_DEFAULTS) == RUN_KEYS
    assert LINK_FLAGS == OLD_LINK_FLAGS and VIEW_FLAGS == ("slide", "controls", "figure")
    assert CARRIED_FLAGS == ("slide", "controls", "figure", "lang")
    assert not set(CODE) & (set(DEFAULTS) | set(INT_RANGES) | set(settings.choices()))
    for preset in PRESETS.values():
        assert set(preset) == set(RUN_KEYS)
    # Recomputed from the table without the page's rows: the same.
    others = {k: s for k, s in TABLE.items() if s.page != "code"}
    assert tuple(k for k, s in others.items() if not s.bound) == LINK_FLAGS
    assert tuple(s for s in others.values() if s.bound) == BOUND


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"model": "random", "hidden_size": "8"},
        {"seed": "1e400", "colours": "nope"},
        {"model": "task", "task": "counting", "seq_len": "30"},
    ],
)
def test_a_links_code_values_change_nothing_it_says_of_the_run_and_are_not_written_into_other_links(params):
    plain = url_values(params)
    with_page = url_values({**params, **PAGE_VALUES})
    assert with_page == plain, "the page's values are not a run's settings: not read, not refused here"
    values = {**plain[0], **{k: v for k, v in PAGE_VALUES.items()}}
    assert href("gates", values) == href("gates", plain[0])


def test_the_link_reader_leaves_code_values_to_the_page_refusing_only_what_would_break_a_widget():
    # ui.link.read_link's rule: a key that is neither a run's setting nor a link flag is a page's own setting,
    # checked by page_value_problem alone.
    values, _ = url_values(PAGE_VALUES)
    for key, raw in PAGE_VALUES.items():
        assert key not in values and key not in LINK_FLAGS and page_value_problem(raw) is None, key
    for raw in ("1e400", "nan", "9" * 30, "x" * (settings.MAX_PAGE_VALUE_CHARS + 1)):
        assert page_value_problem(raw) is not None, raw


def test_limits_options_and_defaults_are_the_reading_packages():
    assert CODE["code_len"].limits == (1, MAX_CHARS) and CODE["code_temp"].limits == TEMPERATURES
    assert CODE["code_threshold"].limits == spans.THRESHOLDS and CODE["code_text"].limits == (1, MAX_TEXT)
    assert CODE["code_prime"].limits == (1, MAX_PRIME)
    assert CODE["code_line"].limits[0] == CODE["code_line"].default == 1, "the line input's default is its minimum"
    assert CODE["code_model"].options == tuple(code_models.MODELS)
    assert CODE["code_clamp"].options == tuple(code_models.CLAMP_CHOICES)
    assert CODE["code_source"].options == tuple(texts.SOURCES) and CODE["code_source"].default == texts.HELD_OUT
    assert CODE["code_state"].options == tuple(code_models.STATES.values())
    for key in ("code_track", "code_more", "code_bars"):
        assert CODE[key].options == tuple(tracking.TRACKS)
    low, high = CODE["code_temp"].limits
    assert low <= CODE["code_temp"].default <= high and 1 <= CODE["code_len"].default <= MAX_CHARS


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_label_and_help_is_said_whole_in_each_language_with_its_limits(lang):
    for key, s in CODE.items():
        label, help = s.label_text(lang), s.help_text(lang) if s.help else ""
        assert label and "{" not in label and "{" not in help, (key, label, help)
        if lang != "en" and s.help:
            assert re.search(r"[\u4e00-\u9fff]", label + help), (key, label, help)
    assert "1,500" in CODE["code_len"].label_text(lang) and "2,000" in CODE["code_text"].label_text(lang)
    assert "200" in CODE["code_prime"].help_text(lang) and "0.1" in CODE["code_temp"].help_text(lang)


def test_the_page_draws_each_widget_from_its_row():
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params["model"] = "brackets"
    at.query_params["code_source"] = "generated"
    at.switch_page("pages/code.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    for key in ("code_temp", "code_threshold"):
        slider = at.slider(key=key)
        assert (slider.min, slider.max, slider.value) == (*CODE[key].limits, CODE[key].default), key
        assert slider.label == CODE[key].label_text()
    length = at.number_input(key="code_len")
    assert (length.min, length.max, length.value) == (1, MAX_CHARS, CODE["code_len"].default)
    assert length.label == "characters (≤ 1,500)"
    assert at.text_input(key="code_prime").value == CODE["code_prime"].default
    assert at.radio(key="code_clamp").options == list(CODE["code_clamp"].options)
    assert at.selectbox(key="code_model").help.startswith("code: trained on Python")
    assert at.selectbox(key="code_track").help.startswith("Each hypothesis, clearest first: ")
    assert not any(str(w.key).startswith("code_") for w in at.sidebar.selectbox), "the sidebar draws no page row"
