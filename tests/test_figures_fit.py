"""Figures that read at a glance: whole-number ticks, full hovers, decades on log axes, aligned heatmaps, proofs.

Pure Plotly checks of the figures built for Compare, Gradient flow, Parameters, Trained tasks and the step page, in
English and in Simplified Chinese (``LANGS``; the proofs' words are checked in Chinese by tests/test_i18n_tasks.py);
that their text fits the drawn chart is measured in Chromium by tests/test_browser_fit.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lstm_viz import build, trace
from lstm_viz.analysis import orders_apart, step_norms
from lstm_viz.config import LSTMConfig
from lstm_viz.figures import (
    ERROR_SCALE,
    SIGNED_SCALE,
    click_grid_figure,
    final_state_figure,
    for_slides,
    gradient_heatmap_figure,
    gradient_norms_figure,
    loss_curve_figure,
    memory_against_figure,
    memory_split_figure,
    memory_text_figure,
    output_heatmap_figure,
    state_heatmap_figure,
    step_error_figure,
    unit_scores_figure,
    weight_figure,
)
from lstm_viz.figures.base import decade_label, integer_dtick, log_axis, time_axis
from lstm_viz.figures.tasks import BIT_COLOURS, MAX_SCORED_UNITS, TEXT_COLUMNS
from lstm_viz.figures.views import SLIDE_DETAIL_WIDTH, SLIDE_TITLE_CHARS, text_width
from lstm_viz.gradient_flow import gradient_flow
from lstm_viz.i18n import t
from lstm_viz.run import RunSpec, run
from lstm_viz.sources import TaskSource
from lstm_viz.tasks.explain import memory_trace
from lstm_viz.tasks.rnn import pretrained_rnn
from lstm_viz.tasks.units import UnitScore

LANGS = ("en", "zh-CN")
"""Every figure fits in both languages."""


def _step_symbol(lang: str, index: str = "customdata[0]", symbol: str = "customdata[1]") -> str:
    """A hover's step index and its input symbol, as ``base.step_words`` says them in ``lang``."""
    return t(lang, "step %{{{index}}} (input %{{{symbol}}})", index=index, symbol=symbol)


def _whole_ticks(axis) -> bool:
    """Ticks at whole numbers only: a linear axis stepping by a whole number, or listed whole values."""
    if axis.tickmode == "array":
        return all(float(v) == int(v) for v in axis.tickvals)
    return axis.tickmode == "linear" and isinstance(axis.dtick, int) and float(axis.tick0 or 0) == int(axis.tick0 or 0)


@pytest.fixture(scope="module")
def short_run():
    """Three steps and four units: where Plotly's own ticks would fall at 0.5, 1.5, ..."""
    built = build(LSTMConfig(hidden_size=4, seq_len=3, batch=1))
    return built, trace(built.lstm, built.input, built.hx)


@pytest.fixture(scope="module")
def bit_run():
    return run(RunSpec(LSTMConfig(batch=4, seq_len=20), TaskSource("remember_bit")))


def test_integer_dtick_labels_whole_numbers_with_few_ticks():
    assert [integer_dtick(n) for n in (1, 3, 10, 11, 40, 64, 512)] == [1, 1, 1, 2, 5, 10, 100]
    assert integer_dtick(40, max_ticks=4) == 10
    for n in range(1, 300):
        d = integer_dtick(n, 8)
        assert -(-n // d) <= 8 and str(d)[0] in "125"


@pytest.mark.parametrize("lang", LANGS)
def test_time_axis_ticks_are_whole_steps_or_the_steps_symbols(lang):
    numbers = time_axis(3, lang=lang)
    assert numbers["tickmode"] == "linear" and numbers["dtick"] == 1 and numbers["tick0"] == 0
    labels = [f"s{k}" for k in range(100)]
    symbols = time_axis(100, labels, max_symbols=40, lang=lang)
    assert symbols["tickvals"] == list(range(0, 100, 3)) and symbols["ticktext"][1] == "s3"
    every = "3rd" if lang == "en" else "3"
    assert symbols["title"]["text"] == t(lang, "step t (input symbol, every {nth})", nth=every)
    assert time_axis(10, labels[:10], lang=lang)["title"]["text"] == t(lang, "step t (input symbol)")
    assert time_axis(100, labels, max_symbols=40)["title"]["text"] == "step t (input symbol, every 3rd)"


@pytest.mark.parametrize("lang", LANGS)
def test_log_axes_label_only_decades_as_powers_of_ten(lang):
    axis = log_axis("loss", 0.003, 4.0)
    assert axis["ticktext"] == ["10<sup>−3</sup>", "10<sup>−2</sup>", "0.1", "1", "10"]
    assert [math.log10(v) for v in axis["tickvals"]] == pytest.approx([-3, -2, -1, 0, 1])
    wide = log_axis("norm", 1e-30, 1.0)
    assert len(wide["ticktext"]) <= 7 and all(math.log10(v) % 5 == 0 for v in wide["tickvals"])
    assert decade_label(-4) == "10<sup>−4</sup>" and decade_label(0) == "1"
    loss = loss_curve_figure([3.0, 1.0, 0.2, 0.05, 0.04], "loss", lang=lang)
    assert loss.layout.yaxis.type == "log" and set(loss.layout.yaxis.ticktext) <= {"10<sup>−2</sup>", "0.1", "1", "10"}
    err = step_error_figure(torch.zeros(5), 1e-8, "nn.LSTM", lang=lang)
    assert all(k in ("1", "0.1", "10") or k.startswith("10<sup>") for k in err.layout.yaxis.ticktext)
    zero = t(lang, "all exactly 0, drawn at 10<sup>−18</sup>")
    assert any(a.text == zero for a in err.layout.annotations), "said beside the points, not in the title"
    assert _whole_ticks(err.layout.xaxis)


@pytest.mark.parametrize("lang", LANGS)
def test_heatmaps_have_whole_number_ticks_on_short_sequences_and_weights(short_run, lang):
    built, tr = short_run
    rec = tr.layer(0)
    out = tr.output[0] if tr.batched else tr.output
    figs = [
        output_heatmap_figure(out, "out", (0, 4), (-1.0, 1.0), SIGNED_SCALE, lang=lang),
        gradient_heatmap_figure(rec.c[0], "dL/dc_t", "grad", lang=lang),
        state_heatmap_figure(rec, "f", 0, height=280, narrow=True, lang=lang),
    ]
    for fig in figs:
        assert _whole_ticks(fig.layout.xaxis), fig.layout.title.text
        assert _whole_ticks(fig.layout.yaxis), fig.layout.title.text
    for name in ("weight_ih_l0", "weight_hh_l0"):
        w = weight_figure(getattr(built.lstm, name).detach(), name, lang=lang)
        assert _whole_ticks(w.layout.xaxis), name
        assert w.layout.yaxis.ticktext[0].startswith("i "), "gate blocks are labelled by name"


@pytest.mark.parametrize("lang", LANGS)
def test_every_heatmap_hover_names_step_index_symbol_unit_and_value(bit_run, lang):
    r = bit_run
    rec, labels = r.trace.layer(0), r.labels(0)
    out = r.trace.output[0]
    figs = {
        "output": output_heatmap_figure(out, "out", (0, 4), (-1.0, 1.0), SIGNED_SCALE, labels, lang=lang),
        "gradient": gradient_heatmap_figure(rec.c[0], "dL/dc_t", "grad", step_labels=labels, lang=lang),
        "task heatmap": state_heatmap_figure(
            rec, "c", 0, step_labels=labels, highlight=(1,), height=280, narrow=True, lang=lang
        ),
    }
    for what, fig in figs.items():
        heat = fig.data[0]
        template = heat.hovertemplate
        # On an axis labelled by symbols %{x} reads as the symbol ("step ("): the index comes from customdata.
        assert _step_symbol(lang) in template and t(lang, "step %{x}") not in template, what
        assert f"{t(lang, 'unit')} %{{y}}" in template or f"{t(lang, 'feature')} %{{y}}" in template, what
        assert "%{z" in template, what
        custom = np.asarray(heat.customdata)
        assert custom.shape == (*np.asarray(heat.z).shape, 2), what  # [rows, T, 2]: index and symbol per cell
        assert list(custom[0, :, 1]) == labels and list(custom[-1, :, 0]) == list(range(len(labels))), what
    numbers = gradient_heatmap_figure(rec.c[0], "dL/dc_t", "grad", lang=lang)
    assert t(lang, "step %{x}") in numbers.data[0].hovertemplate, "numbered steps: the axis value is the index"
    grid = click_grid_figure(rec, "c", 0, (0, 4), (3, 1), labels, lang=lang)
    cells = grid.data[1]  # the clickable overlay is what the pointer hovers
    assert _step_symbol(lang, "customdata[2]") in cells.hovertemplate
    assert f"{t(lang, 'unit')} %{{y}}" in cells.hovertemplate
    assert [row[1] for row in cells.customdata[:20]] == labels and [row[2] for row in cells.customdata[:20]] == list(
        range(20)
    )
    norms = gradient_norms_figure({"LSTM ‖dL/dc_t‖": step_norms(rec.c, 0)}, "norms", labels, lang=lang)
    assert _step_symbol(lang) in norms.data[0].hovertemplate
    assert list(np.asarray(norms.data[0].customdata)[:, 0]) == list(range(20))


@pytest.mark.parametrize("lang", LANGS)
def test_heatmaps_shown_together_share_plot_margins_and_colour_bar_placement(bit_run, lang):
    r = bit_run
    rec, labels = r.trace.layer(0), r.labels(0)
    out = r.trace.output[0]
    signed, error = (-1.0, 1.0), (0.0, 1.0)
    together = [
        output_heatmap_figure(out, "nn.LSTM output", (0, 4), signed, SIGNED_SCALE, labels, "generic loop", lang=lang),
        output_heatmap_figure(out, "Hand-written output", (0, 4), signed, SIGNED_SCALE, labels, "batch 0", lang=lang),
        output_heatmap_figure(out.abs(), "|diff|", (0, 4), error, ERROR_SCALE, labels, "all exactly 0", lang=lang),
    ]
    flow = [
        gradient_heatmap_figure(rec.c[0], name, name, step_labels=labels, detail="layer 0", lang=lang)
        for name in ("a", "b")
    ]
    norms = gradient_norms_figure({"LSTM ‖dL/dc_t‖": step_norms(rec.c, 0)}, "norms", labels, lang=lang)
    for group in (
        together,
        [*flow, norms],
        [
            state_heatmap_figure(rec, n, 0, step_labels=labels, highlight=(1,), height=280, narrow=True, lang=lang)
            for n in ("c", "f")
        ],
    ):
        assert len({(f.layout.margin.l, f.layout.margin.r) for f in group}) == 1, [f.layout.title.text for f in group]
        bars = {
            (b.x, b.xanchor, b.thickness, b.len) for f in group for b in [getattr(f.data[0], "colorbar", None)] if b
        }
        assert len(bars) <= 1


def test_remember_bit_proof_draws_each_sequence_coloured_by_its_bit_splitting_at_the_marker(bit_run):
    r = bit_run
    best = r.explanation.best
    assert best.state == "c", "the finding names the cell state, the state the proof draws"
    mem = memory_trace(r.built.lstm, r.explanation.model, best.unit, "c", 20)
    fig = memory_split_figure(mem.values, mem.latent, mem.labels, best)
    assert len(fig.data) == mem.values.shape[0], "one line per sequence"
    assert f"Unit {best.unit}'s cell state c" in fig.layout.title.text
    legend = [d.name for d in fig.data if d.showlegend]
    assert sorted(legend) == ["held bit +", "held bit −"], "one legend entry per bit"
    apart = {1: [], -1: []}
    for k, line in enumerate(fig.data):
        bit = 1 if float(mem.latent[k, -1]) > 0 else -1
        assert line.line.color == BIT_COLOURS[bit]
        marker = int((mem.latent[k] != 0).int().argmax())
        x = np.asarray(line.x)
        assert x[marker] == 0 and list(x) == list(range(-marker, 20 - marker)), "aligned at the marker"
        np.testing.assert_allclose(line.y, mem.values[k].double().numpy(), rtol=1e-6)
        apart[bit].append(np.asarray(line.y)[marker:])
    # From the marker on, every + sequence's c lies on one side of every − sequence's: the memory splits and stays.
    steps_after = min(len(a) for group in apart.values() for a in group)
    plus = np.stack([a[:steps_after] for a in apart[1]])
    minus = np.stack([a[:steps_after] for a in apart[-1]])
    gap = plus.min(0) - minus.max(0) if best.slope > 0 else minus.min(0) - plus.max(0)
    assert (gap > 0).all(), gap
    assert "customdata[0]" in fig.data[0].hovertemplate and "(input %{customdata[1]})" in fig.data[0].hovertemplate


@pytest.mark.parametrize("name", ["brackets", "counting"])
def test_counting_proofs_draw_the_cell_state_against_the_latent_with_the_mean_per_level(name):
    r = run(RunSpec(LSTMConfig(batch=4, seq_len=30), TaskSource(name)))
    best = r.explanation.best
    mem = memory_trace(r.built.lstm, r.explanation.model, best.unit, "c", 30)
    fig = memory_against_figure(mem.values, mem.latent, mem.labels, best, r.explanation.model.task.latent_name)
    points, means = fig.data
    assert len(points.y) == mem.values.numel()
    np.testing.assert_allclose(np.round(points.x), mem.latent.reshape(-1).numpy(), atol=0)
    levels = np.unique(mem.latent.numpy())
    np.testing.assert_array_equal(means.x, levels)
    assert abs(best.r) > 0.95 and np.all(np.diff(means.y) * np.sign(best.slope) > 0), "a staircase, one level per 1"
    assert _whole_ticks(fig.layout.xaxis) and f"cell state c against the {r.explanation.model.task.latent_name}" in (
        fig.layout.title.text
    )


def test_per_unit_chart_stays_readable_at_32_units_and_more():
    gen = torch.Generator().manual_seed(0)
    rs = torch.rand(2, 40, generator=gen) * 2 - 1
    scores = [UnitScore(u, s, float(rs[k, u]), 0.0) for k, s in enumerate("ch") for u in range(40)]
    fig = unit_scores_figure(scores, [UnitScore(0, "c", 0.3, 0.0)], "depth")
    rows = list(fig.data[0].y)
    assert len(rows) == MAX_SCORED_UNITS and all(d.orientation == "h" for d in fig.data)
    best = {u: max(abs(float(rs[0, u])), abs(float(rs[1, u]))) for u in range(40)}
    assert rows == [f"unit {u}" for u in sorted(best, key=lambda u: -best[u])[:MAX_SCORED_UNITS]], "largest |r| first"
    assert f"{MAX_SCORED_UNITS} of 40 units" in fig.layout.title.text
    band = fig.layout.shapes[0]
    assert (band.x0, band.x1) == (-0.3, 0.3), "the untrained model's best |r|"


@pytest.mark.parametrize("lang", LANGS)
def test_orders_apart_is_the_log_ratio_and_the_race_figure_states_the_measured_gap(lang):
    assert orders_apart(torch.tensor([1.0, 1.0]), torch.tensor([1e-5, 1.0]), 0) == pytest.approx(5.0)
    assert orders_apart(torch.tensor([1.0]), torch.tensor([0.0]), 0) == pytest.approx(30.0), "zero at the floor"
    # A fair race: the shipped remember_bit LSTM against the plain RNN trained by its recipe, which stays at chance.
    r = run(RunSpec(LSTMConfig(batch=4, seq_len=20), TaskSource("remember_bit")))
    rnn = pretrained_rnn("remember_bit")
    flow = gradient_flow(r.built.lstm, r.built.input, r.built.hx, "last", None, 0, rnn_model=rnn)
    dc = step_norms(flow.grads.layer(0).dc, 0)
    rnn_dh = step_norms(flow.rnn.layer_dh(0), 0)
    assert orders_apart(dc, rnn_dh, 0) > 3
    fig = gradient_norms_figure(
        {"LSTM ‖dL/dc_t‖": dc, "RNN ‖dL/dh_t‖": rnn_dh}, "x", gap=(0, "LSTM ‖dL/dc_t‖", "RNN ‖dL/dh_t‖"), lang=lang
    )
    said = t(lang, "{orders:.0f} orders of<br>magnitude apart", orders=orders_apart(dc, rnn_dh, 0))
    assert fig.layout.annotations[0].text.startswith(said.split("<br>")[0])


SLIDE_WORDS = {
    "en": (
        "task remember_bit (shipped); batch 4, 20 steps, float32, seed 0; see the sidebar for the rest of it",
        "LSTM cell state",
        "layer 0 forward, b 0",
    ),
    "zh-CN": (
        "训练好的任务：记住一位（随附权重）；批大小 4，20 个时间步，float32，随机种子 0；其余设置见侧栏",
        "LSTM 的细胞状态",
        "第 0 层正向，批中的第 0 条序列",
    ),
}


@pytest.mark.parametrize("lang", LANGS)
def test_slide_titles_wrap_their_detail_and_config_lines_and_grow_downwards(bit_run, lang):
    r = bit_run
    config, title, detail = SLIDE_WORDS[lang]
    fig = gradient_heatmap_figure(r.trace.layer(0).c[0], "dL/dc_t", title, detail=detail, lang=lang)
    for_slides(fig, config)
    lines = fig.layout.title.text.split("<br>")
    assert len(lines) >= 3
    for line in lines:
        plain = line.replace("<sup>", "").replace("</sup>", "")
        limit = SLIDE_TITLE_CHARS if "<sup>" not in line else int(SLIDE_TITLE_CHARS * SLIDE_DETAIL_WIDTH)
        assert text_width(plain) <= limit, line
        assert len(plain) <= limit, "a Latin character is at least as narrow as the width counts"
    assert fig.layout.title.yanchor == "top" and fig.layout.title.pad.t >= fig.layout.title.font.size
    assert fig.layout.yaxis.automargin and fig.layout.xaxis.automargin


def test_character_proof_colours_each_character_of_several_passages_by_the_unit():
    r = run(RunSpec(LSTMConfig(batch=2, seq_len=64), TaskSource("chars")))
    best = r.explanation.best
    mem = memory_trace(r.built.lstm, r.explanation.model, best.unit, "c", 64, n=3)
    fig = memory_text_figure(mem.values, mem.labels, best, "letters since the last space")
    heat = fig.data[0]
    z, text = np.asarray(heat.z, dtype=np.float64), np.asarray(heat.text, dtype=object)
    per = 64 // TEXT_COLUMNS
    assert z.shape == (3 * (per + 1) - 1, TEXT_COLUMNS), "rows of text, a blank row between passages"
    for k in range(3):
        rows = slice(k * (per + 1), k * (per + 1) + per)
        np.testing.assert_allclose(z[rows].reshape(-1), mem.values[k].double().numpy(), rtol=1e-6)
        assert list(text[rows].reshape(-1)) == mem.labels[k]
    assert np.isnan(z[per]).all() and heat.texttemplate == "%{text}"
    assert heat.zmin == -heat.zmax, "signed, symmetric around 0"
    assert "(input %{customdata[1]})" in heat.hovertemplate
    assert heat.customdata[0][5][0] == "sequence 0, step 5" and heat.customdata[0][5][1] == mem.labels[0][5]


@pytest.mark.parametrize("lang", LANGS)
def test_trajectory_colour_bar_and_unit_lines_count_whole_steps(short_run, lang):
    from lstm_viz.analysis import pca_2d
    from lstm_viz.figures import pca_trajectory_figure, unit_lines_figure

    _, tr = short_run
    rec = tr.layer(0)
    traj = pca_2d(rec.h)
    bar = pca_trajectory_figure(traj.coords, traj.explained, "pca", lang=lang).data[0].marker.colorbar
    assert bar.tickmode == "linear" and bar.dtick == 1
    lines = unit_lines_figure(rec, [0, 1], 0, "lines", lang=lang)
    assert _whole_ticks(lines.layout.xaxis) and _whole_ticks(lines.layout.xaxis2)


@pytest.mark.parametrize("lang", LANGS)
def test_task_heatmap_of_many_units_shows_a_window_around_the_memory_unit(lang):
    built = build(LSTMConfig(hidden_size=200, seq_len=5, batch=1))
    rec = trace(built.lstm, built.input, built.hx).layer(0)
    fig = state_heatmap_figure(rec, "c", 0, highlight=(150,), height=280, narrow=True, lang=lang)
    heat = fig.data[0]
    assert np.asarray(heat.z).shape == (64, 5) and heat.y0 == 118
    np.testing.assert_array_equal(np.asarray(heat.z), rec.c[0, :, 118:182].T.float().numpy())
    assert [(s.y0 + s.y1) / 2 for s in fig.layout.shapes] == [150], "the memory unit is outlined inside the window"
    assert _whole_ticks(fig.layout.yaxis)


def test_a_short_colour_bar_on_a_slide_is_labelled_at_its_ends_and_a_long_one_keeps_its_ticks():
    one_row = final_state_figure(torch.tensor([[0.5, -0.25, 0.1, 0.0]]), "h_n", ["layer 0"])
    for_slides(one_row, "random weights")
    bar = one_row.data[0].colorbar
    # Plotly's own three ticks for -0.5..0.5 would be a lone 0: the bar's ends are named instead.
    assert list(bar.tickvals) == [-0.5, 0.0, 0.5] and list(bar.ticktext) == ["−0.5", "0", "0.5"]
    many = final_state_figure(torch.randn(8, 4), "h_n", [f"layer {k}" for k in range(8)])
    for_slides(many, "random weights")
    assert many.data[0].colorbar.tickvals is None and many.data[0].colorbar.nticks >= 4
