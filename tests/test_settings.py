"""The one route from a link to a run: the app's own parser of URL values, links that round-trip, defaults."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_viz import tasks
from lstm_viz.config import MAX_SEED
from lstm_viz.settings import (
    BOUND_DEFAULTS,
    DEFAULT_MODEL,
    INT_RANGES,
    href,
    model_defaults,
    model_options,
    spec_from_values,
    unused_keys,
    url_values,
)
from lstm_viz.sources import RandomSource, TaskSource
from lstm_viz.ui.markup import code, link_html, plain


def _problem(params: dict[str, str]) -> tuple[str, str, str]:
    values, problems = url_values(params)
    assert len(problems) == 1, problems
    return problems[0]


def test_no_query_opens_the_shipped_bracket_model_inside_its_trained_range():
    values, problems = url_values({})
    assert not problems
    spec, source = spec_from_values(values)
    assert DEFAULT_MODEL == "brackets" and spec.source == TaskSource("brackets") and source is spec.source
    assert (spec.config.seq_len, spec.config.batch) == (tasks.get("brackets").seq_len, 4)
    assert "nn.LSTM(4, 4, batch_first=True)" in source.fixed_words()


@pytest.mark.parametrize(
    "raw, why",
    [
        ("7.9", "not a whole number"),
        ("1e400", "not a whole number"),
        ("inf", "not a whole number"),
        ("-inf", "not a whole number"),
        ("nan", "not a whole number"),
        ("abc", "not a whole number"),
        ("", "not a whole number"),
        ("9" * 310, "out of range"),
        (str(2**53 + 1), "out of range"),
        (str(MAX_SEED + 1), "out of range"),
        ("-1", "out of range"),
        ("٣", "not a whole number"),  # a digit to str.isdigit, not to a link
    ],
)
def test_a_seed_the_app_cannot_take_is_named_with_its_limit(raw, why):
    key, quoted, message = _problem({"seed": raw})
    assert key == "seed" and why in message and f"0 to {MAX_SEED}" in message
    assert len(quoted) <= 41, "a long value is cut when quoted back"


@pytest.mark.parametrize("key", sorted(INT_RANGES))
def test_every_whole_number_setting_refuses_values_outside_its_range(key):
    low, high = INT_RANGES[key]
    assert url_values({key: str(high)})[0][key] == high
    assert url_values({key: str(low)})[0][key] == low
    assert _problem({key: str(high + 1)})[2] == f"out of range (allowed: {low} to {high})"


def test_scales_booleans_and_choices_are_read_or_named():
    values, problems = url_values({"scale_f": "0.5", "edit_scales": "TRUE", "dtype": "float64"})
    assert not problems and values["scale_f"] == 0.5 and values["edit_scales"] is True
    assert _problem({"scale_f": "nan"})[2].startswith("out of range")
    assert _problem({"scale_f": "1e400"})[2].startswith("out of range")
    assert _problem({"bias": "maybe"})[2] == "not true or false"
    assert "float32, float64" in _problem({"dtype": "float16"})[2]


def test_older_task_links_open_the_same_task():
    for params in ({"model": "task", "task": "counting"}, {"task": "counting"}, {"model": "counting"}):
        values, problems = url_values(params)
        assert not problems and values["model"] == "counting"
        assert values["seq_len"] == tasks.get("counting").seq_len


def test_a_task_link_keeps_its_own_length_and_random_weights_theirs():
    assert model_defaults("remember_bit")["seq_len"] == tasks.get("remember_bit").seq_len
    assert model_defaults("random")["seq_len"] == BOUND_DEFAULTS["seq_len"]
    assert href("gates", model_defaults("remember_bit")) == "./gates?model=remember_bit"
    assert href("gates", model_defaults(DEFAULT_MODEL)) == "./gates"


settable = {
    "model": st.sampled_from([m for m in model_options() if m != "file"]),
    "seed": st.integers(0, MAX_SEED),
    "batch": st.integers(1, 32),
    "seq_len": st.integers(2, 64),
    "hidden_size": st.integers(2, 32),
    "edit_preset": st.sampled_from(["none", "forget bias +1", "recurrent weights zeroed"]),
    "edit_scales": st.booleans(),
    "scale_g": st.sampled_from([1.0, 0.5, -2.25]),
    "dtype": st.sampled_from(["float32", "float64"]),
}


@settings(max_examples=60, deadline=None)
@given(st.fixed_dictionaries({}, optional=settable))
def test_a_link_reads_back_as_exactly_the_values_it_was_made_from(chosen):
    values = {**model_defaults(chosen.get("model", DEFAULT_MODEL)), **chosen}
    link = href("gates", values)
    read, problems = url_values(dict(parse_qsl(urlsplit(link).query)))
    assert not problems
    defaults = model_defaults(values["model"])
    # A setting the model does not take (a task's hidden size) is not in its link: it would not apply.
    expected = {k: defaults[k] if k in unused_keys(values["model"]) else v for k, v in values.items()}
    if any(values[f"scale_{g}"] != 1.0 for g in "ifgo"):
        expected["edit_scales"] = True  # a link with a factor ticks its box
    assert read == expected


def test_a_task_run_is_the_same_spec_whatever_the_generated_input_settings_say():
    base = model_defaults("brackets")
    a = spec_from_values({**base, "input_kind": "sine", "initial_state": "random"})[0]
    b = spec_from_values(base)[0]
    assert a == b, "one cache entry: a task's input is its own sequences"


def test_text_from_a_link_or_a_file_is_shown_as_text():
    hostile = "[click](https://example.com) <b>x</b> www.example.com a@b.co :red[x] :material/home: $x$ _y_ `z`"
    escaped = plain(hostile)
    for made_safe in (r"\[click\]\(https\:", r"\<b\>", r"www\.", r"a\@b", r"\:red\[", r"\:material", r"\$x\$"):
        assert made_safe in escaped
    assert r"\_y\_" in escaped and r"\`z\`" in escaped
    assert plain("hidden_size = 16") == "hidden_size = 16", "an underscore inside a word cannot start emphasis"
    assert "\n" not in plain("a\nb")
    assert code("x`y\nz") == "`x'y z`"
    assert link_html('a"<b>', 'x" onclick="1', 'h"') == (
        '<a class="lstm-link" href="x&quot; onclick=&quot;1" target="_self" title="h&quot;">a&quot;&lt;b&gt;</a>'
    )


@pytest.mark.parametrize(
    "query",
    [
        {"hidden_size": "8", "seed": "3"},
        {"hidden_size": "16", "proj_size": "8"},
        {"bidirectional": "true"},
        {"input_kind": "sine"},
        {"num_layers": "2"},
        {"bias": "false"},
        {"input_size": "3"},
    ],
)
def test_a_link_made_for_random_weights_before_the_app_opened_on_a_task_opens_random_weights(query):
    values, problems = url_values(query)
    assert not problems and values["model"] == "random"
    spec, _ = spec_from_values(values)
    assert spec.source == RandomSource()
    for key, raw in query.items():
        assert str(values[key]).lower() == raw


@pytest.mark.parametrize("query", [{}, {"seed": "3"}, {"t": "5"}, {"batch": "2", "seq_len": "30", "dtype": "float64"}])
def test_a_link_without_sizes_still_opens_the_default_trained_model(query):
    values, problems = url_values(query)
    assert not problems and values["model"] == DEFAULT_MODEL


def test_an_old_random_link_whose_projection_is_too_large_is_refused_by_name_again():
    values, _ = url_values({"hidden_size": "16", "proj_size": "16"})
    with pytest.raises(ValueError, match="proj_size = 16 must be smaller than hidden_size = 16"):
        spec_from_values(values)


@pytest.mark.parametrize(
    ("query", "key", "words"),
    [
        ({"model": "brackets", "hidden_size": "8"}, "hidden_size", "the trained model brackets fixes its sizes"),
        ({"model": "counting", "input_kind": "sine"}, "input_kind", "fixes its sizes and input"),
        ({"model": "random", "weights": "untrained"}, "weights", "only a trained task takes this"),
        ({"model": "file", "hidden_size": "8"}, "hidden_size", "an uploaded model fixes its own sizes"),
    ],
)
def test_a_link_whose_values_contradict_its_model_says_so(query, key, words):
    values, problems = url_values(query)
    assert [(k, why) for k, _, why in problems if words in why] == [(key, problems[0][2])]
    assert values[key] == model_defaults(query["model"])[key]
