"""Exports: figure images and a page's ZIP, the gates GIF, offline HTML, and the run's data with its rebuild script."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lstm_viz import build, trace
from lstm_viz.config import LSTMConfig
from lstm_viz.export import (
    ExportUnavailable,
    FigureRenderer,
    config_summary,
    figure_filename,
    figure_png,
    figures_html,
    figures_zip,
    find_chromium,
    gates_gif,
    gates_mp4,
    rebuild_script,
    trace_csv_zip,
    trace_npz,
)
from lstm_viz.export.data import RECORDED, record_key
from lstm_viz.figures import state_heatmap_figure, step_bars_figure
from lstm_viz.figures.gates_over_time import HERO_HEIGHT
from lstm_viz.figures.still import STILL_TRIM_PX

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed for kaleido")

SMALL = LSTMConfig(input_size=3, hidden_size=6, seq_len=5, batch=2, input_kind="step", seed=3)
DEEP = LSTMConfig(
    input_size=3,
    hidden_size=5,
    proj_size=2,
    num_layers=2,
    bidirectional=True,
    batch_first=True,
    seq_len=4,
    batch=2,
    initial_state="random",
    seed=11,
)


def _trace(config: LSTMConfig):
    built = build(config)
    return built, trace(built.lstm, built.input, built.hx)


@pytest.fixture(scope="module")
def kaleido_renderer():
    r = FigureRenderer()
    yield r
    r.close()


def test_figure_filename_says_figure_and_config():
    summary = config_summary(DEEP)
    assert summary == "B2_T4_I3_H5_P2_L2_bidir_batchfirst_float32_sine_hx-random_seed11"
    assert figure_filename("heat_c", summary, "svg") == f"lstm_heat_c_{summary}.svg"
    assert figure_filename("a b/c×", "x y") == "lstm_a_b_c_x_y.png"  # nothing unsafe reaches a file name
    assert config_summary(SMALL) != config_summary(SMALL.replace(seed=4))


@needs_chromium
def test_page_zip_holds_png_at_3x_and_svg_of_every_figure(kaleido_renderer):
    _, tr = _trace(SMALL)
    rec = tr.layer(0)
    figures = [("bars", step_bars_figure(rec, 2)), ("heat_c", state_heatmap_figure(rec, "c", cursor=2))]
    figures[1][1].update_layout(width=640)  # an explicit layout width must be honoured too
    calls = []
    data = figures_zip(figures, config_summary(SMALL), progress=lambda *a: calls.append(a), renderer_=kaleido_renderer)
    zf = zipfile.ZipFile(io.BytesIO(data))
    summary = config_summary(SMALL)
    names = sorted(zf.namelist())
    assert names == sorted(figure_filename(k, summary, ext) for k, _ in figures for ext in ("png", "svg"))
    for key, fig in figures:
        width, height = int(fig.layout.width or 1000), int(fig.layout.height)
        png = Image.open(io.BytesIO(zf.read(figure_filename(key, summary, "png"))))
        assert png.size == (3 * width, 3 * height)
        svg = zf.read(figure_filename(key, summary, "svg")).decode()
        assert svg.startswith("<svg") and f'width="{width}"' in svg and f'height="{height}"' in svg
        assert len(svg) > 5_000  # traces drawn, not an empty canvas
        assert fig.layout.title.text.split(",")[0] in svg  # the figure's own title, as text
    assert calls[0][:2] == (0, 4) and calls[-1][:2] == (4, 4)


@needs_chromium
def test_renders_between_tab_reloads_leave_nothing_behind():
    """The tab is reloaded every ``reload_every`` renders, not after each; a figure drawn after another is unchanged."""
    _, tr = _trace(SMALL)
    rec = tr.layer(0)
    heat, bars = state_heatmap_figure(rec, "c", cursor=1), step_bars_figure(rec, 2)
    r = FigureRenderer(reload_every=3)
    try:
        with r.job():
            pngs = [r.render(fig, "png", 600, 300) for fig in (heat, bars, heat, bars, heat)]
        k = r._kaleido  # noqa: SLF001 - the counts of the kept-alive browser
        assert (k.reloads, k.renders_since_reload) == (1, 2)
    finally:
        r.close()
    first, later, last = (np.asarray(Image.open(io.BytesIO(pngs[n])).convert("RGB")) for n in (0, 2, 4))
    assert (first == later).all() and (first == last).all()
    assert pngs[1] != pngs[0] and pngs[1] == pngs[3], "each render draws its own figure"


@needs_chromium
def test_a_failed_render_restarts_the_browser_and_says_so():
    r = FigureRenderer()
    try:
        with r.job():
            with pytest.raises(ExportUnavailable, match="rendering the figure failed.*non-array figure data"):
                r.render({"data": 5}, "png", 100, 100)
            assert r._kaleido is None  # noqa: SLF001 - the suspect browser was dropped
            assert Image.open(io.BytesIO(r.render({"data": [], "layout": {}}, "png", 100, 100))).size == (100, 100)
    finally:
        r.close()


@needs_chromium
def test_gif_has_one_frame_per_step(kaleido_renderer):
    _, tr = _trace(SMALL)
    calls = []
    data = gates_gif(tr.layer(0), progress=lambda *a: calls.append(a), renderer_=kaleido_renderer, frame_ms=200)
    gif = Image.open(io.BytesIO(data))
    assert gif.format == "GIF"
    assert gif.n_frames == SMALL.seq_len
    # The Gates figure without its slider, at layout pixels.
    assert gif.size[0] == 1000 and gif.size[1] == HERO_HEIGHT - STILL_TRIM_PX
    assert [c[0] for c in calls] == [0, 1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="inside"):
        gates_gif(tr.layer(0), steps=range(3, 9), renderer_=kaleido_renderer)


@needs_chromium
def test_mp4_is_h264_with_one_frame_per_step_at_twice_the_layout_size(kaleido_renderer):
    import av

    _, tr = _trace(SMALL)
    calls = []
    data = gates_mp4(tr.layer(0), progress=lambda *a: calls.append(a), renderer_=kaleido_renderer, frame_ms=250)
    assert data[4:8] == b"ftyp", "an MP4 container"
    assert data.index(b"moov") < data.index(b"mdat"), "index first (faststart): plays while it loads"
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == (2 * 1000, 2 * (HERO_HEIGHT - STILL_TRIM_PX)), "the figure at 2x"
        assert float(stream.average_rate) == pytest.approx(4.0), "frame_ms 250: four steps a second"
        frames = list(container.decode(stream))
    assert len(frames) == SMALL.seq_len
    # The cursor moves: consecutive frames differ.
    first, last = (f.to_ndarray(format="rgb24") for f in (frames[0], frames[-1]))
    assert (first != last).any()
    assert calls[-1][2] == "encoding the MP4"


def test_export_unavailable_without_chromium():
    _, tr = _trace(SMALL)
    fig = state_heatmap_figure(tr.layer(0), "i")
    missing = FigureRenderer(browser_path="/nonexistent/chromium")
    assert not missing.available
    with pytest.raises(ExportUnavailable, match="no Chromium"):
        figures_zip([("heat_i", fig)], "x", renderer_=missing)
    with pytest.raises(ExportUnavailable, match="no Chromium"):
        figure_png(fig, renderer_=missing)


def test_html_is_self_contained_and_interactive():
    _, tr = _trace(SMALL)
    rec = tr.layer(0)
    figures = [("heat_i", state_heatmap_figure(rec, "i")), ("heat_c", state_heatmap_figure(rec, "c"))]
    page = figures_html(figures, "Gates over time", "batch 2, 5 steps")
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I)  # every script inline: nothing fetched
    assert not re.search(r"<link[^>]*href\s*=\s*[\"']https?:", page, re.I)
    assert page.count("Plotly.newPlot(") == 2
    assert "plotly.js v" in page and len(page) > 3_000_000  # the library itself, once
    assert 'id="fig-heat_c"' in page


def test_npz_holds_every_tensor_of_the_trace_exactly():
    built, tr = _trace(DEEP)
    data = np.load(io.BytesIO(trace_npz(tr, built.input)))
    assert json.loads(str(data["meta"]))["proj_size"] == 2
    for rec in tr.layers:
        for name in RECORDED:
            np.testing.assert_array_equal(data[record_key(rec, name)], getattr(rec, name).numpy())
    for name, p in built.lstm.named_parameters():
        np.testing.assert_array_equal(data[name], p.detach().numpy())
    np.testing.assert_array_equal(data["input"], built.input.numpy())
    np.testing.assert_array_equal(data["h0"], built.hx[0].numpy())
    np.testing.assert_array_equal(data["c0"], built.hx[1].numpy())
    for name in ("output", "h_n", "c_n"):
        np.testing.assert_array_equal(data[name], getattr(tr, name).numpy())
    params = {n for n, _ in built.lstm.named_parameters()}
    records = {record_key(r, n) for r in tr.layers for n in RECORDED}
    assert set(data.files) == params | records | {"input", "h0", "c0", "output", "h_n", "c_n", "meta"}


def test_csv_zip_has_one_csv_per_tensor_with_the_values():
    built, tr = _trace(DEEP)
    zf = zipfile.ZipFile(io.BytesIO(trace_csv_zip(tr, built.input)))
    npz = np.load(io.BytesIO(trace_npz(tr, built.input)))
    assert sorted(zf.namelist()) == sorted([f"{k}.csv" for k in npz.files if k != "meta"] + ["meta.json"])
    rows = zf.read("l1_reverse/c.csv").decode().splitlines()
    assert rows[0] == "batch,step," + ",".join(f"unit_{k}" for k in range(5))
    table = np.loadtxt(rows[1:], delimiter=",")  # [B*T, 2 + H]
    c = tr.layer(1, reverse=True).c.numpy()  # [B, T, H]
    np.testing.assert_allclose(table[:, 2:], c.reshape(-1, 5), rtol=1e-7)
    np.testing.assert_array_equal(table[:, :2], np.indices(c.shape[:2]).reshape(2, -1).T)


def _run_script(tmp_path: Path, tr, input: torch.Tensor) -> subprocess.CompletedProcess:
    (tmp_path / "run.npz").write_bytes(trace_npz(tr, input))
    (tmp_path / "rebuild.py").write_text(rebuild_script("run.npz", "a test run", "rebuild.py"))
    return subprocess.run(
        [sys.executable, "rebuild.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("case", ["deep_float32", "unbatched_float64"])
def test_rebuild_script_reproduces_the_npz_with_plain_pytorch(tmp_path, case):
    if case == "deep_float32":
        built, tr = _trace(DEEP)
        x = built.input
    else:
        torch.manual_seed(0)
        lstm = torch.nn.LSTM(3, 4, num_layers=2, proj_size=2, dtype=torch.float64).eval()
        x = torch.randn(5, 3, dtype=torch.float64)  # [T, I], unbatched
        tr = trace(lstm, x)
    done = _run_script(tmp_path, tr, x)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK")


def test_rebuild_script_fails_on_a_wrong_record(tmp_path):
    built, tr = _trace(SMALL)
    arrays = dict(np.load(io.BytesIO(trace_npz(tr, built.input))))
    arrays["l0/f"][1, 3, 2] += 1e-3  # one forget-gate value off
    (tmp_path / "run.npz").write_bytes(b"")
    np.savez(tmp_path / "run.npz", **arrays)
    (tmp_path / "rebuild.py").write_text(rebuild_script("run.npz", "a broken run"))
    done = subprocess.run([sys.executable, "rebuild.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "step 3: f differs" in done.stderr
