"""Annotation tracks on snippets whose answer is known, the unit finder on a constructed trace, spans, clamps, text."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz import analysis, trace
from lstm_viz.engine import CellClamp
from lstm_viz.figures.code_text import TextPanel, layout_grid, text_figure
from lstm_viz.reading import finder, spans, tracking
from lstm_viz.reading.clamp import check_clamped, official_clamped
from lstm_viz.reading.generate import MAX_CHARS, generate


def marked(text: str, track: str) -> str:
    """The characters where a binary track is on."""
    values = tracking.tracks(text)[track]
    return "".join(ch for ch, v in zip(text, values, strict=True) if v)


def test_nested_brackets_count_up_and_down_and_ignore_brackets_in_strings_and_comments():
    text = 'f(a, [b, {c: (d)}], "(") # )\nx = 1\n'
    t = tracking.tracks(text)
    assert t.method == "tokenize"
    depth = dict(zip(range(len(text)), t["brackets"].tolist(), strict=True))
    assert depth[text.index("(")] == 1 and depth[text.index("[")] == 2 and depth[text.index("{")] == 3
    assert depth[text.index("(d")] == 4 and depth[text.index("d")] == 4
    assert depth[text.index(")}")] == 3 and depth[text.index("}")] == 2 and depth[text.index("]")] == 1
    assert depth[text.index('"(")') + 1] == 1, "a bracket inside a string does not count"
    assert depth[text.index("# )") + 2] == 0, "nor one inside a comment"
    assert t["brackets"][text.index("x")] == 0


def test_strings_with_escaped_quotes_prefixes_and_triple_quotes():
    text = 's = "a\\"b" + r\'c\' + b"""d\n"e"""\nt = 1\n'
    assert marked(text, "string") == '"a\\"b"' + "r'c'" + 'b"""d\n"e"""'
    assert marked(text, "comment") == ""


def test_comments_run_to_the_end_of_their_line_and_a_hash_in_a_string_is_not_one():
    text = 'x = "#no"  # yes (\ny = 2  #two\n'
    assert marked(text, "comment") == "# yes (#two"
    assert tracking.tracks(text)["brackets"].max() == 0


def test_docstrings_of_module_class_and_function_but_not_other_strings():
    text = (
        '"""Module."""\nclass A:\n    """Class."""\n    def f(self):\n        """Function."""\n'
        '        x = "no"\n        "expression, not first"\n'
    )
    assert marked(text, "docstring") == '"""Module."""' + '"""Class."""' + '"""Function."""'
    assert '"no"' in marked(text, "string")


def test_tabs_count_to_the_next_multiple_of_eight_in_indentation_and_column():
    text = "if x:\n\ty = 1\n  \tz = 2\n"
    t = tracking.tracks(text)
    line2, line3 = text.index("\ty"), text.index("  \tz")
    assert t["indentation"][line2] == 8 and t["indentation"][text.index("y")] == 8
    assert t["indentation"][line3] == 8 and t["indentation"][text.index("z")] == 8
    assert t["column"][text.index("y")] == 8 and t["column"][text.index("z")] == 8
    assert t["indentation"][0] == 0 and t["column"][text.index("x")] == 3


def test_word_position_counts_into_identifiers_and_resets_outside():
    text = "ab_c(x1)"
    assert tracking.tracks(text)["word"].tolist() == [1, 2, 3, 4, 0, 1, 2, 0]


def test_text_that_does_not_tokenize_falls_back_to_the_scanner_and_keeps_every_track():
    broken = 'def f(:\n    s = "open\n  x = (1,\n\tbad dedent\n'
    t = tracking.tracks(broken)
    assert t.method != "tokenize" and "scanner" in t.method
    assert all(v.shape == (len(broken),) for v in t.values.values())
    assert marked(broken, "string") == '"open'
    assert int(t["brackets"][-1]) >= 1
    prose = tracking.tracks("Alice said: 'it's (rather) odd'")
    assert prose["brackets"].max() >= 0 and prose["string"].sum() > 0
    assert tracking.tracks("").values["string"].shape == (0,)


def test_a_window_of_a_file_keeps_the_state_read_from_its_start():
    text = 'x = """\nstill a string\n"""\n'
    t = tracking.tracks(text)
    window = t.window(8, 20)
    assert window.text == text[8:20] and bool(window["string"].all())


def test_finder_names_the_constructed_units_beside_the_untrained_best():
    text = "def f(x):\n    if x:\n        return 'a'  # c\n    return (1, [2])\n" * 4
    values = finder.text_tracks([text])
    n = len(text)
    gen = torch.Generator().manual_seed(0)
    c = torch.randn(n, 6, generator=gen, dtype=torch.float64) * 0.1
    h = torch.randn(n, 6, generator=gen, dtype=torch.float64) * 0.1
    c[:, 3] = values["indentation"] * 0.25 + c[:, 3]
    h[:, 5] = -values["string"] + h[:, 5]
    untrained = {k: torch.randn(n, 6, generator=gen, dtype=torch.float64) for k in ("c", "h")}
    found = {f.track: f for f in finder.find_cells({"c": c, "h": h}, untrained, values)}
    assert (found["indentation"].unit, found["indentation"].state) == (3, "c")
    assert found["indentation"].r > 0.95
    assert (found["string"].unit, found["string"].state) == (5, "h") and found["string"].r < -0.85
    assert abs(found["string"].untrained_r) < 0.3
    assert found["indentation"].sentence().startswith("cell 3 counts the indentation, r = +0.")
    assert "untrained best 0." in found["indentation"].sentence()
    ordered = finder.find_cells({"c": c, "h": h}, untrained, values)
    assert [f.margin for f in ordered] == sorted((f.margin for f in ordered), reverse=True)


def test_correlations_are_pearsons_r_and_zero_for_a_constant_unit():
    gen = torch.Generator().manual_seed(1)
    v = torch.randn(500, 3, generator=gen, dtype=torch.float64)
    v[:, 2] = 1.0
    y = torch.randn(500, generator=gen, dtype=torch.float64)
    r = analysis.correlations({"c": v}, {"y": y}, chunk=64)["c"]
    expected = np.corrcoef(v[:, 0].numpy(), y.numpy())[0, 1]
    assert float(r[0, 0]) == pytest.approx(expected, abs=1e-12)
    assert float(r[0, 2]) == 0.0


def test_corpus_states_are_nn_lstm_h_and_the_c_it_implies():
    torch.manual_seed(0)
    lstm = nn.LSTM(5, 7, batch_first=True).eval()
    x = torch.randn(700, 5)
    tr = trace(lstm, x.unsqueeze(0)).layer(0)
    one = finder.corpus_states(lstm, x, segments=1, chunk=100)
    torch.testing.assert_close(one["h"], tr.h[0])
    torch.testing.assert_close(one["c"], tr.c[0])
    assert one["c_check"] < 1e-5
    split = finder.corpus_states(lstm, x, segments=4, warmup=150, chunk=64)
    assert split["c"].shape == (700, 7)
    torch.testing.assert_close(split["h"][:175], tr.h[0, :175]), "the first segment starts at the text's start"


# ---------------------------------------------------------------- select and match


def constructed_states() -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    states = torch.rand(200, 5, generator=gen) * 0.2 - 0.4  # every unit usually low, between -0.4 and -0.2
    states[30:38, 1] = 0.9  # the selected span: unit 1 high across it
    states[120:128, 1] = 0.8  # the same cell fires on a span as long
    states[160:190, 1] = 0.8  # and on a much longer one
    states[30:38, 4] = -0.95  # a second cell, below its usual values across the span
    states[120:128, 4] = -0.9
    states[30:33, 2] = 0.9  # on at the start of the span only: it does not stand out across it
    states[:, 3] = 0.9  # always on: it does not stand out either
    return states


def test_a_span_names_the_cells_that_stand_out_across_it_without_a_threshold():
    states = constructed_states()
    base = spans.Baseline.of(states)
    named = spans.name_cells(states, (30, 38), base)
    assert {(c.unit, c.sign) for c in named[:2]} == {(1, 1), (4, -1)}, "always-on 3 and flickering 2 are not"
    one = next(c for c in named if c.unit == 1)
    assert one.level == pytest.approx(0.9, abs=1e-6) and one.score > 1.5
    assert [c.score for c in named] == sorted((c.score for c in named), reverse=True)
    by_unit = sorted(named[:2], key=lambda c: c.unit)
    assert spans.share_on(states, (30, 38), by_unit, 0.5) == [1.0, 1.0]
    assert spans.share_on(states, (30, 38), by_unit, 0.92) == [0.0, 1.0]
    with pytest.raises(ValueError, match="not inside the text"):
        spans.name_cells(states, (190, 260), base)


def test_matching_returns_the_constructed_span_first_and_a_lower_threshold_only_adds():
    states = constructed_states()
    named = spans.name_cells(states, (30, 38), spans.Baseline.of(states))[:2]
    found = spans.match_spans(states, named, 0.5, 8, exclude=(30, 38))
    assert (found[0].start, found[0].stop) == (120, 128) and found[0].overlap == 1.0
    assert all(not (m.start < 38 and 30 < m.stop) for m in found), "the selection itself is left out"
    assert (160, 190) in [(m.start, m.stop) for m in found][1:], "a longer span where half fire ranks lower"
    itself = spans.match_spans(states, named, 0.5, 8)
    assert (itself[0].start, itself[0].stop) in {(30, 38), (120, 128)}
    covered = []
    for threshold in (0.85, 0.5, 0.1):
        mask = torch.zeros(200, dtype=torch.bool)
        for m in spans.match_spans(states, named, threshold, 8):
            mask[m.start : m.stop] = True
        covered.append(mask)
    assert bool((covered[1] | ~covered[0]).all()) and bool((covered[2] | ~covered[1]).all())
    assert covered[0].sum() < covered[1].sum()


def test_a_named_cell_follows_a_track_by_its_r_in_its_sign():
    r = torch.tensor([[0.8, -0.6, 0.1], [0.2, 0.1, -0.25]])  # [tracks, units]
    assert spans.follows(r, spans.SpanCell(0, 1, 0.9, 2.0), 0)
    assert spans.follows(r, spans.SpanCell(1, -1, 0.9, 2.0), 0), "on below, following the track's negative r"
    assert not spans.follows(r, spans.SpanCell(1, 1, 0.9, 2.0), 0)
    assert not spans.follows(r, spans.SpanCell(2, -1, 0.9, 2.0), 1), "|r| 0.25 is under 0.3"
    assert spans.clearest_track(r, spans.SpanCell(1, -1, 0.9, 2.0)) == (0, pytest.approx(-0.6))


def test_a_click_selects_the_word_it_lands_in():
    text = 'name = "hidden_size"  # ok'
    assert spans.word_span(text, 2) == (0, 4)
    assert spans.word_span(text, text.index("size")) == (text.index("hidden"), text.index('"  #'))
    assert spans.word_span(text, text.index("=")) == (5, 6), "not a word: the character alone"


def test_span_text_is_parsed_with_a_message_naming_the_limit():
    assert spans.parse_span(" 3-9 ", 10) == (3, 9)
    with pytest.raises(ValueError, match="start-stop"):
        spans.parse_span("three", 10)
    with pytest.raises(ValueError, match="≤ 10"):
        spans.parse_span("5-11", 10)


# ---------------------------------------------------------------- clamping


@pytest.mark.parametrize("batch_first", [True, False])
def test_a_clamp_reaches_the_hand_written_forward_and_nn_lstm_alike(batch_first):
    torch.manual_seed(2)
    lstm = nn.LSTM(4, 6, num_layers=2, batch_first=batch_first).eval()
    x = torch.randn(3, 25, 4) if batch_first else torch.randn(25, 3, 4)
    clamp = CellClamp((1, 4), (0.0, 0.3), layer=1)
    check = check_clamped(lstm, x, clamp)
    assert check.allclose and check.max_diff < 1e-6, check.verdict
    rec = check.trace.layer(1)
    assert torch.equal(rec.c[..., 1], torch.zeros_like(rec.c[..., 1]))
    assert torch.all(rec.c[..., 4] == 0.3)
    plain, _ = lstm(x)
    assert (plain - check.trace.output).abs().max() > 1e-3, "holding two cells changes what the LSTM outputs"
    assert torch.equal(trace(lstm, x).output, trace(lstm, x, clamp=None).output)
    out, _, c_n = official_clamped(lstm, x, clamp)
    assert torch.all(c_n[1][:, 1] == 0.0)


def test_a_bad_clamp_is_refused_with_its_limit():
    lstm = nn.LSTM(3, 4)
    x = torch.randn(5, 1, 3)
    with pytest.raises(ValueError, match="outside 0..3"):
        trace(lstm, x, clamp=CellClamp((4,), (0.0,)))
    with pytest.raises(ValueError, match="one value per unit"):
        CellClamp((1, 2), (0.0,))
    with pytest.raises(ValueError, match="bidirectional"):
        official_clamped(nn.LSTM(3, 4, bidirectional=True), x, CellClamp((1,), (0.0,)))


# ---------------------------------------------------------------- generation and the text view


def test_generation_repeats_per_seed_and_is_bounded():
    torch.manual_seed(3)
    lstm, head = nn.LSTM(6, 8, batch_first=True).eval(), nn.Linear(8, 6).eval()
    prime = torch.tensor([0, 1, 2])
    a = generate(lstm, head, prime, 40, 0.8, seed=5, vocab=6)
    assert a.shape == (40,) and int(a.max()) < 6
    assert torch.equal(a, generate(lstm, head, prime, 40, 0.8, seed=5, vocab=6))
    assert not torch.equal(a, generate(lstm, head, prime, 40, 0.8, seed=6, vocab=6))
    with pytest.raises(ValueError, match=f"between 1 and {MAX_CHARS}"):
        generate(lstm, head, prime, MAX_CHARS + 1, 0.8, seed=0, vocab=6)
    with pytest.raises(ValueError, match="temperature"):
        generate(lstm, head, prime, 5, 0.0, seed=0, vocab=6)


def test_layout_keeps_source_lines_and_wraps_long_ones():
    cols, rows = layout_grid("ab\ncdefg\n", wrap=3)
    assert cols.tolist() == [0, 1, 2, 0, 1, 2, 0, 1, 2]
    assert rows.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_text_view_colours_each_character_by_its_cell_in_a_fixed_range_and_hovers_its_step():
    text = "def f():\n\treturn 'x'\n"
    t = tracking.tracks(text)
    a = torch.linspace(-1, 1, len(text))
    b = -a
    fig = text_figure(
        text,
        [TextPanel(a, "tanh(c) of cell 1"), TextPanel(b, "h of unit 2")],
        "Title",
        tracks={"string": t["string"]},
        first_step=100,
        selected=(110, 112),
    )
    heat = [d for d in fig.data if d.type == "heatmap"]
    marks = [d for d in fig.data if d.type == "scatter"]
    assert len(heat) == 2 and len(marks) == 2
    assert heat[0].zmin == -1 and heat[0].zmax == 1 and heat[0].showscale and not heat[1].showscale
    cols, rows = layout_grid(text)
    z = np.asarray(heat[0].z, dtype=float)
    np.testing.assert_allclose(z[2 * rows, cols], a.numpy(), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(heat[1].z, dtype=float)[2 * rows, cols], b.numpy(), rtol=1e-6)
    custom = np.asarray(marks[0].customdata, dtype=float)
    assert custom[:, 0].tolist() == list(range(100, 100 + len(text))), "each character hovers its own step"
    assert list(marks[0].text)[text.index("\t")] == "⇥" and list(marks[0].text)[text.index("\n")] == "↵"
    assert "step %{customdata[0]}" in marks[0].hovertemplate
    assert any(d.type == "bar" for d in fig.data), "the string track is drawn as bars"
    assert len(fig.layout.shapes) == 2 * 2, "the selected span is outlined in both panels"
    assert fig.layout.xaxis.title.text == "column" and fig.layout.yaxis.title.text == "line"
    assert fig.layout.title.text.startswith("Title")


def test_a_written_text_replays_in_the_browser_uncovering_its_characters_frame_by_frame():
    import base64
    import io

    from PIL import Image

    from lstm_viz.figures import PALETTES, recolour
    from lstm_viz.figures.code_text import WRITING_FRAMES

    text = "def f(x):\n    return 'a' * x\n" * 12  # 360 characters, 24 rows
    values = torch.linspace(-1, 1, len(text))
    fig = text_figure(text, [TextPanel(values, "tanh(c) of cell 3")], "Title", writing=True)
    # No heatmap: plotly.js drops heatmaps from frames drawn without a redraw; the background is an image.
    assert not [d for d in fig.data if d.type == "heatmap"] and len(fig.layout.images) == 1
    mask = next(k for k, d in enumerate(fig.data) if d.name == "not yet written")
    assert list(fig.data[mask].x) == [None], "the figure opens on the whole text"
    frames = fig.frames
    assert 1 < len(frames) <= WRITING_FRAMES
    assert all(list(f.traces) == [mask] for f in frames), "a frame moves only the cover"
    written = [int(s.label) for s in fig.layout.sliders[0].steps]
    assert written == sorted(written) and written[-1] == len(text)
    assert fig.layout.sliders[0].active == len(frames) - 1
    assert all(s.args[1]["frame"]["redraw"] is False for s in fig.layout.sliders[0].steps)
    play = fig.layout.updatemenus[0].buttons[0]
    assert play.args[1]["frame"]["redraw"] is False and list(play.args[0]) == [f.name for f in frames]
    # Frame k covers everything from character written[k] on: the rest of its row and every row under it.
    cols, rows = layout_grid(text)
    for k in (0, len(frames) // 2):
        xs = [x for x in frames[k].data[0].x if x is not None]
        assert min(xs) == -0.5 and cols[written[k]] - 0.5 in xs
    assert list(frames[-1].data[0].x) == [None]
    # The image is the text's colours: red at the end (+1), blue at the start (-1), transparent between rows.
    png = Image.open(io.BytesIO(base64.b64decode(fig.layout.images[0].source.split(",", 1)[1]))).convert("RGBA")
    first, last = png.getpixel((1, 1)), png.getpixel((png.width * 20 // 100, png.height - 10))
    assert first[2] > first[0] and first[3] == 255, "blue, opaque"
    assert last[0] > last[2], "red"
    before = fig.layout.images[0].source
    recolour(fig, PALETTES["cividis"])
    assert fig.layout.images[0].source != before, "a palette repaints the background"


def test_a_box_across_one_word_selects_that_word_however_thin():
    from lstm_viz.figures.code_text import BAR, GAP, PANEL_GAP_PX, ROW_PX, box_span

    text = "def f(name):\n    return name + 'x'\n"
    word = text.index("name", 12)
    pitch = 1 + BAR + GAP  # one track drawn as bars
    row1 = pitch + 0.5  # the middle of the second row's characters
    thin = (row1, row1 + 0.01)
    assert box_span(text, (10.6, 14.4), thin, tracks=1) == (word, word + 4), "a thin drag: that word"
    assert box_span(text, (10.6, 14.4), thin, tracks=1, first_step=100) == (100 + word, 104 + word)
    assert box_span(text, (14.4, 10.6), (row1 + 0.3, row1 - 0.3), tracks=1) == (word, word + 4), "any direction"
    # Across rows, as an editor selects: from the left edge on the first row to the right edge on the last.
    assert box_span(text, (2, 4), (0.5, row1), tracks=1) == (2, text.index("return") + 1)
    # Too small to hold a centre: the character under its middle.
    assert box_span(text, (11.1, 11.3), thin, tracks=1) == (word, word + 1)
    assert box_span(text, (0, 5), (50, 60), tracks=1) is None
    # The second panel's copy of the text selects the same characters.
    second = 2 * pitch + PANEL_GAP_PX / ROW_PX
    assert box_span(text, (10.6, 14.4), (second + row1, second + row1), panels=2, tracks=1) == (word, word + 4)
    fig = text_figure(text, [TextPanel(torch.zeros(len(text)), "x")], "t")
    assert fig.layout.selectdirection == "d", "Plotly's default makes a thin drag a column range on every row"


def test_long_details_under_a_title_break_into_lines_that_fit():
    from lstm_viz.figures.code_text import SUBTITLE_CHARS, subtitle_lines

    words = "; ".join(["x" * 40, "y" * 50, "z" * 60, "w" * 10])
    lines = subtitle_lines(words)
    assert all(len(line) <= SUBTITLE_CHARS for line in lines) and "; ".join(lines) == words
    assert subtitle_lines("short") == ["short"]
    text = "x = 1\n" * 3
    fig = text_figure(text, [TextPanel(torch.zeros(len(text)), "v")], "Title", subtitle=words)
    assert fig.layout.title.text.count("<sup>") == len(lines) and fig.layout.margin.t >= 40 + 20 * len(lines)


def _json(figure: dict) -> str:
    import json

    import plotly

    return json.dumps(figure, cls=plotly.utils.PlotlyJSONEncoder, sort_keys=True)


def test_a_replay_opened_at_a_step_is_that_steps_frame_and_nothing_else_differs():
    from lstm_viz.figures.code_text import writing_counts

    text = "def f(x):\n    return 'a' * x\n" * 12
    panels = [TextPanel(torch.linspace(-1, 1, len(text)), "tanh(c) of cell 3")]
    tracks = {"string": tracking.tracks(text)["string"]}
    whole = text_figure(text, panels, "T", tracks=tracks, writing=True).to_plotly_json()
    cover = next(k for k, d in enumerate(whole["data"]) if d["name"] == "not yet written")
    counts = writing_counts(len(text))
    assert [int(s["label"]) for s in whole["layout"]["sliders"][0]["steps"]] == counts
    for k in (0, 5, len(counts) // 2, len(counts) - 1):
        at = text_figure(text, panels, "T", tracks=tracks, writing=True, written=counts[k]).to_plotly_json()
        frame = whole["frames"][k]["data"][0]
        assert list(at["data"][cover]["x"]) == list(frame["x"]) and list(at["data"][cover]["y"]) == list(frame["y"])
        assert at["layout"]["sliders"][0]["active"] == k
        # Everything else is the figure as sent: what a frame leaves alone, it need not move.
        at["layout"]["sliders"][0]["active"] = whole["layout"]["sliders"][0]["active"]
        at["data"][cover] = whole["data"][cover]
        assert _json(at) == _json(whole)
    # A still export at a step is that step's cover, without the slider and buttons.
    from lstm_viz.figures.still import still_figure

    fig = text_figure(text, panels, "T", tracks=tracks, writing=True)
    still = still_figure(fig, 5).to_plotly_json()
    assert list(still["data"][cover]["x"]) == list(whole["frames"][5]["data"][0]["x"])
    assert not still["layout"].get("sliders") and not still["layout"].get("updatemenus")


def test_file_heads_regions_and_where_a_cell_is_on_off_its_track():
    from lstm_viz.reading import headline

    texts = ['"""Doc."""\nimport os  # c\n\ndef f():\n    return "s"\n', "x = 1\n"]
    heads = headline.file_heads(texts)
    first = texts[0]
    assert bool(heads[: first.index("def")].all()) and not bool(heads[first.index("def") : len(first)].any())
    assert bool(heads[len(first) :].all()), "a file with no def or class is all head"
    tracks = finder.text_tracks(texts)
    where = headline.regions(tracks, heads)
    names = list(headline.REGIONS)
    at = {w: names[int(where[first.index(w)])] for w in ("Doc", "# c", "import", "return", '"s"')}
    assert at == {"Doc": "docstring", "# c": "comment", "import": "head", "return": "code", '"s"': "string"}
    # A cell on inside the docstring and at the import line: 10 of its 20 on characters are off its track, at the head.
    values = torch.full((len(first) + 6,), -0.9)
    values[: len('"""Doc."""')] = 0.9
    imp = first.index("import")
    values[imp : imp + 10] = 0.8
    profile = headline.on_profile(values, 1, tracks["docstring"] > 0, where)
    assert (profile.on, profile.on_track, profile.off_track[names.index("head")]) == (20, 10, 10)
    assert profile.elsewhere() == [("head", 0.5)]
    said = profile.sentence("inside a docstring")
    assert said.startswith(f"Beyond +0.5 it is on at 20 of {len(values)} held-out characters: 50% of them inside a")
    assert "also at the start of a file, before its first def or class (50%)" in said


def test_the_opening_window_starts_at_a_definition_whose_first_lines_show_the_cell_on_its_track():
    from lstm_viz.reading import headline

    body = "x = 1\n" * 20
    func = 'def g():\n    """One.\n\n    Two.\n    """\n    return 2\n'
    texts = [body, body + func + body]
    tracks = finder.text_tracks(texts)
    inside = tracks["docstring"] > 0
    values = torch.where(inside, 0.9, -0.9)
    window = headline.opening_window(values, 1, inside, texts, lines=6)
    assert (window.file, window.line) == (1, 21) and window.accuracy == 1.0
    flat = headline.opening_window(torch.full_like(values, -0.9), 1, inside, texts, lines=6)
    assert flat.accuracy == 0.5, "a cell never on is right only outside its track"
    none = headline.opening_window(values, 1, torch.zeros_like(inside), texts, lines=6)
    assert (none.file, none.line, none.accuracy) == (0, 1, 0.0), "no track shown: the first file's start"


def test_matches_are_shown_in_their_line_with_the_matched_characters_marked_grouped_by_kind():
    from lstm_viz.reading import matchlines

    files = ['x = "name"  # the name <b>\n', 'def f():\n    """A name."""\n    return name\n']
    text = "".join(files)
    starts = (0, len(files[0]))
    kinds = matchlines.kind_counts(finder.text_tracks(files))

    def at(word: str, nth: int = 0) -> spans.Match:
        k = -1
        for _ in range(nth + 1):
            k = text.index(word, k + 1)
        return spans.Match(k, k + len(word), 0.9, 0.9)

    found = [at("name"), at("name", 1), at("name", 2), at("name", 3), at("<b>")]
    groups = matchlines.group_matches(text, ("a.py", "b.py"), starts, kinds, found)
    assert groups.counts == {"docstring": 1, "string": 1, "comment": 2, "code": 1} and groups.total == 5
    line = groups.lines["docstring"][0]
    assert (line.path, line.line, line.before, line.marked, line.after) == ("b.py", 2, '"""A ', "name", '."""')
    assert groups.lines["code"][0].line == 3 and groups.lines["code"][0].before == "return "
    page = matchlines.groups_html(groups)
    assert page.index("in docstrings") < page.index("in strings") < page.index("in comments") < page.index("in code")
    assert "&lt;b&gt;" in page and "<b>in" in page and page.count("<mark") == 5, "the corpus's text is escaped"
    assert "2 matches" in page and "1 match<" in page


def test_a_selection_event_on_the_text_view_becomes_the_span_an_editor_would_select():
    from lstm_viz.figures.code_text import BAR, GAP, selection_span

    text = "def f(name):\n    return name + 'x'\n"
    word = text.index("name", 12)
    row1 = 1 + BAR + GAP + 0.5
    box = {"x": [10.6, 14.4], "y": [row1, row1 + 0.01]}
    made, span = selection_span({"box": [box]}, text, tracks=1)
    assert span == (word, word + 4) and made == repr(box)
    # A lasso counts by the box around it; one holding a single character's centre selects its word.
    lasso = {"x": [11.9, 12.1, 12.0], "y": [row1 - 0.2, row1 + 0.2, row1]}
    assert selection_span({"lasso": [lasso]}, text, tracks=1)[1] == (word, word + 4)
    # A click on one character selects its word (its step is the point's first customdata, list or typed dict).
    assert selection_span({"points": [{"customdata": [word + 1, 0.3]}]}, text)[1] == (word, word + 4)
    assert selection_span({"points": [{"customdata": {"0": word + 1, "1": 0.3}}]}, text)[1] == (word, word + 4)
    assert selection_span({"points": [{"customdata": [3, 0]}]}, text)[1] == (3, 4), "a space: itself"
    # Points of several characters: first to last; the bars under the text carry no customdata.
    points = [{"customdata": [2]}, {"customdata": [7]}, {"x": 1, "y": 1}]
    assert selection_span({"points": points}, text) == (repr([2, 7]), (2, 8))
    assert selection_span({"box": [{"x": [0, 5], "y": [50, 60]}]}, text, tracks=1)[1] is None, "a box off the text"
    assert selection_span(None, text) is None and selection_span({"points": [], "box": []}, text) is None


def test_named_cells_are_measured_as_the_match_table_states_them():
    base = spans.Baseline(torch.tensor([0.0, 0.2, -0.1]), torch.tensor([0.1, 0.2, 0.3]))
    values = torch.tensor([[0.9, 0.1, -0.8], [0.8, 0.2, -0.9], [0.7, 0.1, -0.7], [0.1, 0.0, 0.0]])
    r = torch.tensor([[0.5, 0.1, -0.6], [0.1, 0.0, 0.2]])  # [tracks, units]
    named = spans.named_cells(values, (0, 3), base, r, 0.75)
    cells = spans.name_cells(values, (0, 3), base)
    assert [n.cell for n in named] == cells
    assert [n.share for n in named] == spans.share_on(values, (0, 3), cells, 0.75)
    assert [(n.track, n.track_r) for n in named] == [spans.clearest_track(r, c) for c in cells]
    assert [n.usually for n in named] == [float(base.mean[c.unit]) for c in cells]
    assert [n.follows for n in named] == [
        spans.follows(r, c, k) for c, (k, _) in zip(cells, map(spans.clearest_track, [r] * 3, cells), strict=True)
    ]
    assert [spans.cells_needed(n) for n in (1, 2, 3, 4, 5)] == [1, 1, 2, 2, 3]


def test_the_text_view_speaks_chinese_and_its_words_under_the_title_fit_by_width():
    from lstm_viz.figures.code_text import SUBTITLE_CHARS, _width, subtitle_lines

    text = "def f(x):\n    return ((x + 1))  # one\n"
    tracks_ = tracking.tracks(text)
    panels = [TextPanel(torch.zeros(len(text)), "单元 3 的 tanh(c)", quantity="tanh(c)")]
    fig = text_figure(text, panels, "你的文本", tracks={"括号": tracks_["brackets"]}, writing=True, lang="zh-CN")
    assert fig.layout.xaxis.title.text == "列" and fig.layout.yaxis.title.text == "行"
    assert "每行下方的条：括号（颜色越深，数值越大）" in fig.layout.title.text
    marker = next(tr for tr in fig.data if tr.mode == "markers+text")
    assert marker.hovertemplate.startswith("第 %{customdata[0]} 步的字符 '%{text}'")
    assert fig.layout.sliders[0].currentvalue.prefix == "已写字符："
    assert fig.layout.updatemenus[0].buttons[0].label == "▶ 书写"
    carrier = next(tr for tr in fig.data if tr.name == "colour bar")
    assert carrier.marker.colorbar.title.text == "tanh(c)"
    two = text_figure(text, panels * 2, "t", lang="zh-CN")
    assert two.data[0].colorbar.title.text == "值", "several panels: the colour bar says 'value'"
    # English is as it was.
    en = text_figure(
        text, [TextPanel(torch.zeros(len(text)), "tanh(c) of cell 3")], "t", tracks={"brackets": tracks_["brackets"]}
    )
    assert (
        en.layout.xaxis.title.text == "column"
        and "bars under each row: brackets (darker: more)" in en.layout.title.text
    )
    # Chinese words under a title break at '；', each line at most SUBTITLE_CHARS wide (a Chinese character: 2).
    words = "；".join(["按每个单元着色" * 4, "真实的下一个字符变得更可能" * 3, "每行下方的条"])
    lines = subtitle_lines(words)
    assert len(lines) > 1 and all(_width(line) <= SUBTITLE_CHARS for line in lines)
    assert "；".join(lines) == words
