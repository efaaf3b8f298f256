"""Gradient and state figures: every drawn number is the one computed, with titles, axes and fixed ranges."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_viz.analysis import forget_product, pca_2d, saturation, step_norms
from lstm_viz.backward import backward
from lstm_viz.figures import (
    gradient_heatmap_figure,
    gradient_norms_figure,
    pca_trajectory_figure,
    saturation_figure,
    unit_lines_figure,
)
from lstm_viz.figures.gradients import DECADES, FLOOR
from lstm_viz.losses import loss_grad
from lstm_viz.trace import trace


@pytest.fixture()
def run(make_case):
    case = make_case(num_layers=2, proj_size=2, hidden_size=4, batch=2, steps=6)
    tr = trace(case.lstm, case.input)
    g = backward(tr, loss_grad(tr, "last").grad_output)
    return tr, g


def labelled(fig) -> None:
    assert fig.layout.title.text
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text


def test_norms_figure_draws_the_norms_on_a_log_axis(run):
    tr, g = run
    dc = step_norms(g.layer(1).dc, 0)
    zero = torch.zeros(6, dtype=torch.float64)
    fig = gradient_norms_figure({"LSTM ‖dL/dc_t‖": dc, "RNN ‖dL/dh_t‖": zero}, "Gradient flow")
    labelled(fig)
    assert fig.layout.yaxis.type == "log"
    np.testing.assert_allclose(fig.data[0].y, dc.float().numpy(), rtol=1e-6)
    assert list(fig.data[1].y) == [FLOOR] * 6  # an exact zero sits on the floor, not off the log axis
    assert [d.name for d in fig.data] == ["LSTM ‖dL/dc_t‖", "RNN ‖dL/dh_t‖"]


def test_heatmap_shows_log_magnitude_over_fixed_decades(run):
    tr, g = run
    grad = g.layer(0).dc[1]  # [T, H]
    fig = gradient_heatmap_figure(grad, "dL/dc_t", "dL/dc_t, layer 0")
    labelled(fig)
    heat = fig.data[0]
    assert heat.zmax - heat.zmin == DECADES
    assert heat.colorbar.title.text == "log10 |dL/dc_t|"
    want = np.log10(np.maximum(np.abs(grad.numpy().T), 10.0**heat.zmin))
    np.testing.assert_allclose(np.asarray(heat.z), want, rtol=1e-6)
    assert np.asarray(heat.z).shape == (4, 6)


def test_saturation_scatter_has_one_point_per_unit_and_gate(run):
    tr, _ = run
    sat = saturation(tr.layer(0))
    fig = saturation_figure(sat, "Gate saturation")
    labelled(fig)
    assert [d.name for d in fig.data] == ["gate i", "gate f", "gate o"]
    for d, s in zip(fig.data, sat.values(), strict=True):
        np.testing.assert_array_equal(d.x, s.left.float().numpy())
        np.testing.assert_array_equal(d.y, s.right.float().numpy())
        assert list(d.customdata) == list(range(4))
    assert tuple(fig.layout.xaxis.range) == (-0.03, 1.03)


def test_pca_figure_draws_one_line_per_batch_item_coloured_by_step(run):
    tr, _ = run
    traj = pca_2d(tr.layer(1).h)
    inputs = [[f"x{t}" for t in range(6)] for _ in range(2)]
    fig = pca_trajectory_figure(traj.coords, traj.explained, "Trajectories", inputs)
    labelled(fig)
    assert len(fig.data) == 2
    for b, d in enumerate(fig.data):
        np.testing.assert_allclose(d.x, traj.coords[b, :, 0].float().numpy())
        np.testing.assert_allclose(d.y, traj.coords[b, :, 1].float().numpy())
        assert list(d.marker.color) == list(range(6))
        assert d.customdata[3][1] == "x3"
    assert fig.data[0].marker.showscale and fig.data[0].marker.colorbar.title.text == "time step t"


def test_unit_lines_figure_draws_c_and_h_of_chosen_units(run):
    tr, _ = run
    rec = tr.layer(1)
    fig = unit_lines_figure(rec, [0, 3], 1, "c and h")
    labelled(fig)
    # unit 3 has no h feature: the projection leaves 2.
    assert [(d.name, d.yaxis) for d in fig.data] == [("unit 0", "y"), ("unit 0", "y2"), ("unit 3", "y")]
    np.testing.assert_array_equal(fig.data[0].y, rec.c[1, :, 0].float().numpy())
    np.testing.assert_array_equal(fig.data[1].y, rec.h[1, :, 0].float().numpy())


def test_forget_product_series_is_drawn_as_computed(run):
    tr, _ = run
    product = forget_product(tr.layer(0))[0].mean(dim=1)
    fig = gradient_norms_figure({"forget product f_(t+1)···f_T (mean over units)": product}, "f product")
    np.testing.assert_allclose(fig.data[0].y, product.float().numpy(), rtol=1e-6)
    assert fig.data[0].y[-1] == 1.0


def test_legends_above_the_plot_sit_under_a_title_pinned_to_the_top(run):
    tr, g = run
    sat = saturation(tr.layer(0))
    figs = [
        gradient_norms_figure({"LSTM ‖dL/dc_t‖": step_norms(g.layer(1).dc, 0)}, "Gradient flow"),
        saturation_figure(sat, "Saturated gates"),
        unit_lines_figure(tr.layer(1), [0, 1], 0, "c and h"),
    ]
    for fig in figs:
        title, legend = fig.layout.title, fig.layout.legend
        assert (title.yref, title.y, title.yanchor) == ("container", 1.0, "top"), title.text
        assert (legend.orientation, legend.yanchor, legend.y) == ("h", "bottom", 1.0), title.text
        # Room for the title (about 30 px) and a legend wrapped onto two rows (about 50 px).
        assert fig.layout.margin.t >= 80, title.text
    # Decades only, as 10^k (never "100μ", which reads as a unit, nor 5 2 1 between decades).
    assert all(t in ("0.1", "1", "10") or t.startswith("10<sup>") for t in figs[0].layout.yaxis.ticktext)


def test_narrow_heatmap_title_is_short_with_its_details_on_a_second_line(run):
    _, g = run
    fig = gradient_heatmap_figure(g.layer(0).dc[0], "dL/dc_t", "LSTM cell state", detail="layer 0, batch item 0")
    assert fig.layout.title.text == "LSTM cell state<br><sup>layer 0, batch item 0</sup>"
    assert fig.layout.margin.t > gradient_heatmap_figure(g.layer(0).dc[0], "dL/dc_t", "x").layout.margin.t
    assert gradient_heatmap_figure(g.layer(0).dc[0], "dL/dc_t", "x").layout.title.text == "x"


def test_the_gradient_figures_speak_chinese(run):
    tr, g = run
    product = forget_product(tr.layer(0))[0].mean(dim=1)
    dc, dh = step_norms(g.layer(0).dc, 0), step_norms(g.layer(0).dc, 0) * 1e-5
    series = {"LSTM ‖dL/dc_t‖": dc, "RNN ‖dL/dh_t‖": dh, "forget product f_(t+1)···f_T (mean over units)": product}
    fig = gradient_norms_figure(series, "梯度", gap=(0, "LSTM ‖dL/dc_t‖", "RNN ‖dL/dh_t‖"), lang="zh-CN")
    assert [d.name for d in fig.data] == ["LSTM ‖dL/dc_t‖", "RNN ‖dL/dh_t‖", "遗忘门乘积 f_(t+1)···f_T（各单元平均）"]
    assert fig.layout.yaxis.title.text == "范数、f 的乘积（对数刻度）" and fig.layout.xaxis.title.text == "时间步 t"
    assert fig.layout.annotations[0].text == "相差 5<br>个数量级"
    assert fig.data[2].hovertemplate.startswith("遗忘门乘积") and "时间步 %{x}" in fig.data[2].hovertemplate
    heat = gradient_heatmap_figure(g.layer(0).dc[0], "dL/dc_t", "LSTM 细胞状态", lang="zh-CN")
    assert heat.layout.yaxis.title.text == "单元" and heat.layout.xaxis.title.text == "时间步 t"
    sat = saturation_figure(saturation(tr.layer(0)), "饱和的门", lang="zh-CN")
    assert sat.layout.xaxis.title.text == "左饱和：门 < 0.1 的时间步比例"
    assert [d.name for d in sat.data] == ["门 i", "门 f", "门 o"]
    assert sat.data[1].hovertemplate == (
        "门 f，单元 %{customdata}<br>%{x:.0%} 的时间步 < 0.1<br>%{y:.0%} 的时间步 > 0.9<extra></extra>"
    )
    # English is as it was: the same hover, with Plotly's placeholders in place.
    english = saturation_figure(saturation(tr.layer(0)), "Saturated gates")
    assert english.data[0].hovertemplate == (
        "gate i, unit %{customdata}<br>< 0.1 on %{x:.0%} of steps<br>> 0.9 on %{y:.0%} of steps<extra></extra>"
    )
