"""Slide styling and unit labels of the gate figures: text that fits the drawn size, panel titles that stay legible."""

from __future__ import annotations

import pytest

from lstm_viz import build, trace
from lstm_viz.config import LSTMConfig
from lstm_viz.figures import (
    SLIDE_TITLE_CHARS,
    SLIDE_TITLE_CHARS_FULL,
    for_slides,
    state_heatmap_figure,
    step_bars_figure,
)
from lstm_viz.figures.base import plot_height, unit_dtick
from lstm_viz.figures.views import SLIDE_FONT, SLIDE_LINE_PX, _wrap


def _record(hidden_size: int):
    built = build(LSTMConfig(hidden_size=hidden_size, seq_len=12, batch=2))
    return trace(built.lstm, built.input, built.hx).layer(0)


def test_every_unit_is_labelled_only_where_its_row_holds_the_label():
    assert unit_dtick(4, 165) == 1
    assert unit_dtick(16, 165) is None, "16 rows of 10 px cannot hold 13 px labels"
    assert unit_dtick(16, 16 * 15) == 1
    assert unit_dtick(17, 1000) is None, "more than 16 units: Plotly spaces the labels"


@pytest.mark.parametrize(("hidden_size", "labelled"), [(4, 1), (16, 2)])
def test_heatmap_and_bars_label_each_unit_when_it_fits(hidden_size, labelled):
    rec = _record(hidden_size)
    heat, bars = state_heatmap_figure(rec, "c"), step_bars_figure(rec, 3)
    # Every unit where the rows hold a label, else every k-th, k a whole number (never a unit 2.5).
    assert heat.layout.yaxis.dtick == labelled
    assert bars.layout.yaxis.dtick == 1 == bars.layout.yaxis7.dtick, "340 px bars hold 16 labelled rows"
    assert all(bars.layout[f"xaxis{s}"].nticks == 3 for s in ("", "2", "3", "4", "5", "6", "7"))


def test_slides_enlarge_axis_text_and_panel_titles_and_keep_them_apart():
    rec = _record(16)
    bars = step_bars_figure(rec, 3)
    top = bars.layout.margin.t
    for_slides(bars, "random weights; batch 2, 12 steps")
    assert bars.layout.xaxis.tickfont.size == SLIDE_FONT - 2 and bars.layout.yaxis7.title.font.size == SLIDE_FONT
    assert {a.font.size for a in bars.layout.annotations} == {SLIDE_FONT - 4}, "the i, f, g, ... panel titles"
    lines = bars.layout.title.text.count("<br>") + 1
    assert bars.layout.title.yref == "container" and bars.layout.title.yanchor == "top", "the title grows downwards"
    assert bars.layout.margin.t >= 12 + SLIDE_LINE_PX * lines + SLIDE_FONT, "a row for the panel titles under the title"
    assert bars.layout.margin.t > top
    # 16 rows of slide-size text no longer fit: labels spaced, by a whole number of units (never 2.5).
    dtick = bars.layout.yaxis.dtick
    assert isinstance(dtick, int) and dtick > 1 and bars.layout.yaxis.tickmode == "linear"
    assert plot_height(bars.layout) < 16 * (SLIDE_FONT - 2 + 2)
    assert (16 / dtick) * (SLIDE_FONT - 2 + 2) <= plot_height(bars.layout), "the spaced labels fit"


def test_slide_titles_break_at_the_width_they_are_drawn():
    fig = state_heatmap_figure(_record(4), "f", highlight=(2,))
    name = fig.layout.title.text
    assert SLIDE_TITLE_CHARS < len(name) <= SLIDE_TITLE_CHARS_FULL
    whole = for_slides(state_heatmap_figure(_record(4), "f", highlight=(2,)), "run", SLIDE_TITLE_CHARS_FULL)
    assert whole.layout.title.text == f"{name}<br><sup>run</sup>"
    half = for_slides(fig, "run").layout.title.text.removesuffix("<br><sup>run</sup>")
    assert half.replace("<br>", " ") == name and max(map(len, half.split("<br>"))) <= SLIDE_TITLE_CHARS
    assert fig.layout.yaxis.dtick == 1, "four rows still hold slide-size labels"


@pytest.mark.parametrize(
    ("title", "lines"),
    [
        (
            "input gate i = σ(·), layer 0 forward, batch item 0",
            ["input gate i = σ(·), layer 0", "forward, batch item 0"],
        ),
        (
            "Every gate and state at step t = 12 (input +), layer 0 forward, batch item 1",
            ["Every gate and state at step t = 12", "(input +), layer 0 forward, batch item 1"],
        ),
        ("cell state c, layer 0 forward, batch item 0", ["cell state c, layer 0 forward, batch item 0"]),
    ],
)
def test_slide_titles_break_into_even_lines_never_before_a_number(title, lines):
    assert _wrap(title, SLIDE_TITLE_CHARS).split("<br>") == lines
