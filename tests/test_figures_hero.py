"""The Gates hero figure: one frame per step moving only the cursor and the values, hover and ticks that read."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from lstm_viz.config import LSTMConfig
from lstm_viz.cursor import clicked_cell, parse_step, parse_unit
from lstm_viz.figures import PALETTES, STATE_ORDER, SharedFigure, for_slides, quantity_range, recolour
from lstm_viz.figures.gates_over_time import MAX_CELL_POINTS, gates_over_time_figure
from lstm_viz.figures.paint import heat_png
from lstm_viz.figures.still import still_at
from lstm_viz.run import run

CFG = LSTMConfig(batch=2, seq_len=9, input_size=3, hidden_size=5, seed=1)
LABELS = ["a", "(", ")", "b", "(", "(", ")", ")", "a"]


@pytest.fixture(scope="module")
def rec():
    return run(CFG).trace.layer(0)


@pytest.fixture(scope="module")
def fig(rec):
    return gates_over_time_figure(rec, 1, cursor=3, step_labels=LABELS, highlight=(2,))


def _spec(fig) -> dict:
    """The figure as the browser receives it."""
    return json.loads(pio.to_json(fig, validate=False))


def _decode(arr) -> np.ndarray:
    import base64

    if isinstance(arr, dict):
        data = np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"]))
        return data.reshape([int(s) for s in str(arr["shape"]).split(",")]) if "shape" in arr else data
    return np.asarray(arr, dtype=float)


def _trace(fig, name: str):
    return next(tr for tr in fig.data if tr.name == name)


def _row(fig_or_trace, name: str, field: str = "customdata") -> np.ndarray:
    """One row's part of the bars' ``field`` (all rows share one bar trace, each bar's text its row)."""
    bars = fig_or_trace if not hasattr(fig_or_trace, "data") else _trace(fig_or_trace, "values at the cursor")
    return np.asarray(bars[field])[np.asarray(bars.text) == name]


def test_the_figure_validates_as_plotly_json_frames_included(fig):
    whole = go.Figure(fig.to_dict())  # validates every trace, the layout and every frame
    assert len(whole.frames) == CFG.seq_len


def test_one_frame_per_step_carrying_only_the_moving_traces(fig):
    spec = _spec(fig)
    assert [f["name"] for f in spec["frames"]] == [str(t) for t in range(CFG.seq_len)]
    moving = spec["frames"][0]["traces"]
    names = [spec["data"][k]["name"] for k in moving]
    assert names == ["cursor", "values at the cursor", "readout"], "all rows' bars are one trace"
    assert all(f["traces"] == moving for f in spec["frames"])
    # Nothing static travels in a frame: no cell points, no strip, and no heatmap (those are images).
    static = set(range(len(spec["data"]))) - set(moving)
    assert static and not static & set(moving)
    for frame in spec["frames"]:
        for update in frame["data"]:
            assert set(update) <= {"type", "x", "marker", "meta", "text", "customdata"}
    # The frames are a small part of the figure.
    assert len(json.dumps(spec["frames"])) < 0.6 * len(pio.to_json(fig, validate=False))


def test_each_frame_puts_the_cursor_on_its_step_and_the_bars_at_that_step(fig, rec):
    spec = _spec(fig)
    (bars,) = [k for k in spec["frames"][0]["traces"] if spec["data"][k]["type"] == "bar"]
    rows = np.asarray(spec["data"][bars]["text"])
    assert list(dict.fromkeys(rows)) == list(STATE_ORDER)
    for frame in spec["frames"]:
        t = int(frame["name"])
        cursor_x = [x for x in frame["data"][0]["x"] if x is not None]
        assert min(cursor_x) == t - 0.5 and max(cursor_x) == t + 0.5
        update = frame["data"][1]
        for name in STATE_ORDER:
            np.testing.assert_allclose(
                _decode(update["customdata"])[rows == name], getattr(rec, name)[1, t].float().numpy(), rtol=1e-6
            )
        assert len(update["marker"]["color"]) == len(rows)
        assert all(c.startswith("#") for c in update["marker"]["color"]), "colours as strings"
        assert update["meta"][0] == t and LABELS[t] in update["meta"][1]
        assert f"t = {t}" in frame["data"][-1]["text"][0]


def test_the_figure_opens_at_its_cursor_with_the_slider_there(rec):
    fig = gates_over_time_figure(rec, 0, cursor=6)
    assert fig.layout.sliders[0].active == 6
    assert min(x for x in _trace(fig, "cursor").x if x is not None) == 5.5
    np.testing.assert_allclose(_row(fig, "c"), rec.c[0, 6].float().numpy(), rtol=1e-6)
    assert gates_over_time_figure(rec, 0, cursor=99).layout.sliders[0].active == CFG.seq_len - 1
    slider = fig.layout.sliders[0]
    assert len(slider.steps) == CFG.seq_len
    assert all(s.method == "animate" and s.args[1]["frame"]["redraw"] is False for s in slider.steps)
    play, pause = fig.layout.updatemenus[0].buttons
    assert play.method == "animate" and play.args[1]["frame"]["duration"] <= 100
    assert play.args[1]["frame"]["redraw"] is False
    # plotly.js restyles bars (their fills) in an animation only when its transition lasts longer than 0 ms, and
    # cuts a transition to its frame's duration: both must be positive for the slider and for play.
    for args in [play.args[1], *(s.args[1] for s in slider.steps)]:
        assert args["frame"]["duration"] >= args["transition"]["duration"] > 0
    assert play.args[0][0] == "6", "play starts at the step the figure opened at"
    assert list(pause.args[0]) == [None]


def test_hover_names_step_symbol_unit_and_value(fig, rec):
    cells = _trace(fig, "cells")
    template = cells.hovertemplate
    assert "step %{x}" in template and "input %{hovertext}" in template and "<b>%{text}</b>" in template
    assert "unit %{customdata[0]:.0f}" in template and "%{customdata[1]:.4f}" in template
    custom = np.asarray(cells.customdata)  # [7 * units * T, 2]: unit, value
    letters = np.asarray(cells.text)
    for name in STATE_ORDER:
        rows = letters == name
        z = getattr(rec, name)[1].float().numpy().T  # [units, T]
        np.testing.assert_allclose(custom[rows, 1], z.ravel(), rtol=1e-6)
        np.testing.assert_array_equal(custom[rows, 0], np.repeat(np.arange(CFG.hidden_size), CFG.seq_len))
        np.testing.assert_array_equal(np.asarray(cells.x)[rows], np.tile(np.arange(CFG.seq_len), CFG.hidden_size))
        assert list(np.asarray(cells.hovertext)[rows][: CFG.seq_len]) == LABELS
    bars = _trace(fig, "values at the cursor")
    assert "step %{meta[0]}%{meta[1]}" in bars.hovertemplate and "value %{customdata:.4f}" in bars.hovertemplate
    assert "<b>%{text}</b>" in bars.hovertemplate and "%{hovertext}" in bars.hovertemplate
    assert list(_row(bars, "f", "hovertext")) == [f"unit {u}" for u in range(CFG.hidden_size)]
    assert bars.textposition == "none"
    strip = _trace(fig, "input")
    assert list(strip.text) == LABELS and "step %{x}" in strip.hovertemplate
    assert not any("step (" in (tr.hovertemplate or "") for tr in fig.data)


def test_steps_and_units_have_integer_ticks(fig):
    x = fig.layout.xaxis
    assert x.tickmode == "array" and all(float(v).is_integer() for v in x.tickvals)
    y = fig.layout.yaxis
    assert all(text.strip("<b>/").isdigit() for text in y.ticktext)
    assert "<b>2</b>" in y.ticktext, "the highlighted unit's label is bold"


def test_one_colour_bar_per_range_aligned_in_one_column(fig, rec):
    axes = [k for k in fig.layout if k.startswith("coloraxis")]
    ranges = {quantity_range(rec, n) for n in STATE_ORDER}
    assert len(axes) == len(ranges) == 3  # sigmoid, tanh, c's symmetric range
    assert len({fig.layout[a].colorbar.x for a in axes}) == 1
    assert len({fig.layout[a].colorbar.thickness for a in axes}) == 1
    titles = sorted(fig.layout[a].colorbar.title.text for a in axes)
    assert titles == ["c", "tanh: g m h", "σ: i f o"]
    carriers = [tr for tr in fig.data if tr.name.startswith("colour bar")]
    assert sorted(tr.marker.coloraxis for tr in carriers) == sorted(axes), "one trace carries each colour bar"
    for n in STATE_ORDER:  # each row's range has its colour bar, titled with the row
        lo, hi = quantity_range(rec, n)
        axis = next(a for a in axes if (fig.layout[a].cmin, fig.layout[a].cmax) == (lo, hi))
        assert n in fig.layout[axis].colorbar.title.text


def test_a_projected_h_has_a_colour_bar_of_its_own():
    rec = run(LSTMConfig(batch=1, seq_len=4, input_size=3, hidden_size=5, proj_size=2)).trace.layer(0)
    fig = gates_over_time_figure(rec, step_labels=list("abcd"))
    assert len([k for k in fig.layout if k.startswith("coloraxis")]) == 4
    assert list(_row(fig, "h", "hovertext")) == ["feature 0", "feature 1"], "h has proj_size features"


def test_highlighted_units_are_outlined_on_every_row(fig):
    outlines = [s for s in fig.layout.shapes if s.type == "rect" and s.line.dash == "dash"]
    assert len(outlines) == len(STATE_ORDER), "one per row"
    assert all((s.xref, s.x0, s.x1) == ("paper", 0, 1) for s in outlines), "across the heatmap and its bars"
    assert len(fig.layout.shapes) == len(outlines), "nothing else is a shape: each costs every frame"


def test_each_rows_bar_range_is_labelled_under_its_bars(fig, rec):
    ranges = _trace(fig, "bar ranges")
    labels = [t for t in ranges.text if t]
    for name in ("i", "g", "c"):
        lo, hi = quantity_range(rec, name)
        assert {f"{lo:.2g}", f"{hi:.2g}"} <= set(labels)
    assert labels.count("0") == sum(quantity_range(rec, n)[0] < 0 for n in STATE_ORDER) + sum(
        quantity_range(rec, n)[0] == 0 for n in STATE_ORDER
    )
    # Row names in the margin are the only annotations: each costs every frame.
    assert len(fig.layout.annotations) == len(STATE_ORDER) + 1


def test_heatmaps_are_images_repainted_by_recolour(rec):
    fig = gates_over_time_figure(rec)
    assert len(fig.layout.images) == len(STATE_ORDER) + 1, "every row and the input's values"
    before = [im.source for im in fig.layout.images]
    assert all(s.startswith("data:image/png;base64,") for s in before)
    recolour(fig, PALETTES["cividis"])
    after = [im.source for im in fig.layout.images]
    assert all(a != b for a, b in zip(before, after, strict=True))
    assert fig.layout.coloraxis.colorscale[0][1] != "#440154"


def test_heat_png_colours_each_cell_by_value():
    import base64
    import io

    from PIL import Image

    scale = (("0.0", "#000000"), ("1.0", "#ffffff"))
    url = heat_png(np.array([[0.0, 1.0]], dtype=np.float32), tuple((float(p), c) for p, c in scale), 0.0, 1.0)
    im = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")
    assert im.getpixel((0, 0)) == (0, 0, 0) and im.getpixel((im.width - 1, 0)) == (255, 255, 255)


def test_a_shared_copy_keeps_the_frames_and_slides_keep_the_animation(fig):
    shared = SharedFigure(fig)
    assert len(shared.to_dict()["frames"]) == CFG.seq_len
    slide = for_slides(gates_over_time_figure(run(CFG).trace.layer(0), step_labels=LABELS), "config words")
    spec = _spec(SharedFigure(slide))
    assert len(spec["frames"]) == CFG.seq_len and spec["layout"]["sliders"] and spec["layout"]["updatemenus"]
    assert spec["layout"]["height"] == gates_over_time_figure(run(CFG).trace.layer(0)).layout.height
    assert len([k for k in spec["layout"] if k.startswith("coloraxis")]) == 3


def test_still_at_is_the_figure_at_that_step_without_frames_or_controls(fig, rec):
    still = still_at(fig, 7)
    assert not still.frames and not still.layout.sliders and not still.layout.updatemenus
    np.testing.assert_allclose(_row(still, "o"), rec.o[1, 7].float().numpy(), rtol=1e-6)
    assert min(x for x in _trace(still, "cursor").x if x is not None) == 6.5
    assert len(still.layout.images) == len(STATE_ORDER)
    names = {tr.name for tr in still.data}
    assert names - {n for n in names if n.startswith("colour bar")} == {
        "input",
        "cursor",
        "readout",
        "values at the cursor",
        "bar zeros",
        "bar ranges",
    }


def test_many_cells_drop_the_cell_points_but_keep_the_strip():
    big = LSTMConfig(batch=1, seq_len=200, input_size=2, hidden_size=32)
    assert 7 * 200 * 32 > MAX_CELL_POINTS
    fig = gates_over_time_figure(run(big).trace.layer(0))
    assert "cells" not in {tr.name for tr in fig.data} and "input" in {tr.name for tr in fig.data}
    assert len(fig.to_dict()["frames"]) == 200


@pytest.mark.parametrize(
    ("value", "steps", "expected"),
    [(None, 40, (0, False)), ("12", 40, (12, False)), ("12.0", 40, (12, False)), ("99", 40, (39, True))],
)
def test_parse_step_reads_and_clamps(value, steps, expected):
    t, message = parse_step(value, steps)
    assert (t, message is not None) == expected


@pytest.mark.parametrize("value", ["abc", "1.5", "-3", "1e400", "", "⁵"])
def test_parse_step_never_raises_and_names_the_value(value):
    t, message = parse_step(value, 10)
    assert 0 <= t <= 9
    if value:
        assert message is not None and value in message and "0..9" in message


def test_parse_unit_keeps_units_inside_the_window_only():
    assert parse_unit("3", (0, 8)) == (3, None)
    assert parse_unit("9", (0, 8))[0] is None and "0..7" in parse_unit("9", (0, 8))[1]
    assert parse_unit("x", (0, 8))[0] is None
    assert parse_unit(None, (0, 8)) == (None, None)


def test_clicked_cell_reads_cells_and_strip_points():
    assert clicked_cell([{"x": 7, "y": 3.5, "customdata": [4.0, 0.25]}]) == (7, 4)
    # What Streamlit hands over for a row of a typed customdata array.
    assert clicked_cell([{"x": 17, "y": 10.6, "customdata": {"0": 2, "1": 0.63}, "text": "a"}]) == (17, 2)
    assert clicked_cell([{"x": 2, "y": 0.4}]) == (2, None)
    assert clicked_cell([]) == (None, None)


def test_without_symbols_the_input_strip_paints_the_input_values_with_a_colour_bar_of_their_own():
    rec = run(LSTMConfig(batch=2, seq_len=6, input_size=3, hidden_size=5, input_kind="random")).trace.layer(0)
    fig = gates_over_time_figure(rec, 1)
    x = rec.x[1].T.float().numpy()  # [I, T]
    axis = next(k for k in fig.layout if k.startswith("coloraxis") and fig.layout[k].colorbar.title.text == "x")
    limit = float(rec.x.abs().max())
    assert (fig.layout[axis].cmin, fig.layout[axis].cmax) == pytest.approx((-limit, limit))
    # The strip's image is painted from exactly the input's values on that axis (the first image, at the top).
    first = fig.layout.images[len(STATE_ORDER)]
    assert first.y == 1.0 and first.source.startswith("data:image/png;base64,")
    painted, painted_axis = fig._paint[len(STATE_ORDER)]
    np.testing.assert_array_equal(painted, x)
    assert painted_axis == axis
    strip = _trace(fig, "input")
    assert (
        strip.hovertext[2].startswith("x<sub>t</sub> = [") and f"{x[0, 2]:.3g}".replace("-", "−") in strip.hovertext[2]
    )
    assert any("<b>x</b> input" in a.text for a in fig.layout.annotations)
