"""``lstm_viz.show`` and ``show_text``: the app's own figures, their still and exports, and errors that say why."""

from __future__ import annotations

import base64
import io
import re
import shutil
from pathlib import Path

import numpy as np
import plotly.io as pio
import pytest
import torch
from torch import nn

import lstm_viz
from lstm_viz.backward import backward
from lstm_viz.export.html import figures_html
from lstm_viz.figures import PALETTES, cell_diagram_figure, gates_over_time_figure, recolour, weight_figure
from lstm_viz.figures.gradients import log_magnitude
from lstm_viz.losses import loss_grad
from lstm_viz.notebook import VIEWS, show, show_text
from lstm_viz.trace import trace


def _tutorial(proj_size: int = 0, seed: int = 0):
    """The seed tutorial's sizes: B=2, T=3, I=4, H=5, batch_first, a random initial state."""
    torch.manual_seed(seed)
    lstm = nn.LSTM(4, 5, batch_first=True, proj_size=proj_size)
    x = torch.randn(2, 3, 4)
    hx = (torch.randn(1, 2, proj_size or 5), torch.randn(1, 2, 5))
    return lstm, x, hx


def _bundle(fig) -> dict:
    before = pio.renderers.default
    pio.renderers.default = "plotly_mimetype"
    try:
        return fig._repr_mimebundle_()["application/vnd.plotly.v1+json"]
    finally:
        pio.renderers.default = before


def _array(value) -> np.ndarray:
    """A trace's array as drawn: composed figures carry Plotly's typed arrays (base64 and a shape)."""
    if isinstance(value, dict):
        shape = tuple(int(n) for n in str(value.get("shape", "-1")).split(","))
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).reshape(shape)
    return np.asarray(value)


def _png(url: str) -> bytes:
    head, _, data = url.partition(",")
    assert head == "data:image/png;base64"
    raw = base64.b64decode(data)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    return raw


# --- the app's figures ------------------------------------------------------------------------------------------


def test_the_gates_view_is_the_gates_pages_figure():
    lstm, x, hx = _tutorial()
    fig = show(lstm, x, hx, t=2, unit=3, batch_item=1)
    app = gates_over_time_figure(trace(lstm, x, hx).layer(0), 1, (0, 5), cursor=2, clickable=False, picked=3)
    assert fig.to_json() == app.to_json()
    assert len(fig.to_dict()["frames"]) == 3


def test_step_and_parameters_views_are_the_pages_figures():
    lstm, x, hx = _tutorial(proj_size=3)
    rec = trace(lstm, x, hx).layer(0)
    step = show(lstm, x, hx, view="step", t=1, unit=4)
    diagram = cell_diagram_figure(rec.step_terms(1), rec, 0, 4)
    # The diagram's boxes are the page's, every value on them, placed under the heatmap.
    texts = [a.text for a in step.layout.annotations]
    assert all(a.text in texts for a in diagram.layout.annotations)
    assert "The cell at step t = 1, unit j = 4, layer 0 forward, batch item 0" in texts
    assert step.data[0].type == "heatmap" and list(step.data[2].x) == [1] and list(step.data[2].y) == [4]
    assert "click" not in str(step.to_dict()).lower()
    assert "step t = 1, unit j = 0" in show(lstm, x, hx, view="step").layout.title.text
    for weight in ("ih", "hh", "hr", "weight_hr_l0"):
        name = weight if weight.startswith("weight") else f"weight_{weight}_l0"
        app = weight_figure(getattr(lstm, name).detach(), name).update_yaxes(automargin=True)
        assert show(lstm, x, hx, view="parameters", weight=weight).to_json() == app.to_json()


def test_a_palette_is_the_apps_recolouring():
    lstm, x, hx = _tutorial()
    app = recolour(gates_over_time_figure(trace(lstm, x, hx).layer(0), clickable=False), PALETTES["cividis"])
    fig = show(lstm, x, hx, colours="cividis")
    assert fig.to_json() == app.to_json()
    assert fig.layout.images[0].source != show(lstm, x, hx).layout.images[0].source


def test_the_compare_view_puts_nn_lstms_output_beside_the_hand_written_one_under_the_verdict():
    lstm, x, hx = _tutorial()
    fig = show(lstm, x, hx, view="compare", batch_item=1)
    heat = [tr for tr in fig.data if tr.type == "heatmap"]
    official, _ = lstm(x, hx)
    mine = trace(lstm, x, hx).output
    # Drawn features x steps, float32: nn.LSTM's, the hand-written forward's, and their |difference|.
    np.testing.assert_allclose(_array(heat[0].z), official[1].detach().T.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(_array(heat[1].z), mine[1].T.float().numpy())
    assert float(np.max(_array(heat[2].z))) <= 1e-6
    assert [tr.type for tr in fig.data] == ["heatmap", "heatmap", "heatmap", "scatter"]
    assert "matches nn.LSTM" in fig.layout.title.text and "atol 1e-08" in fig.layout.title.text
    # Four charts, each on its own axes, none overlapping another.
    domains = [(fig.layout[f"xaxis{k or ''}"].domain, fig.layout[f"yaxis{k or ''}"].domain) for k in (0, 2, 3, 4)]
    for i, (xa, ya) in enumerate(domains):
        for xb, yb in domains[i + 1 :]:
            assert xa[1] <= xb[0] or xb[1] <= xa[0] or ya[1] <= yb[0] or yb[1] <= ya[0]
    default = show(lstm, x, hx, view="compare", against="default")
    assert "as called by default" in default.layout.title.text


def test_the_compare_view_says_so_when_the_lstm_does_not_match():
    class Broken(nn.LSTM):
        """An nn.LSTM whose own forward adds 1e-3: the hand-written forward then disagrees with it."""

        def forward(self, input, hx=None):
            out, (h, c) = super().forward(input, hx)
            return out + 1e-3, (h, c)

    torch.manual_seed(0)
    lstm = Broken(4, 5, batch_first=True)
    fig = show(lstm, torch.randn(2, 3, 4), view="compare")
    assert "DOES NOT match nn.LSTM" in fig.layout.title.text and "#cf222e" in fig.layout.title.text


def test_the_gradients_view_draws_the_hand_written_backward():
    lstm, x, hx = _tutorial()
    fig = show(lstm, x, hx, view="gradients", loss="every", unit=2, batch_item=1)
    tr = trace(lstm, x, hx)
    grads = backward(tr, loss_grad(tr, "every", 2).grad_output).layer(0)
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == 3
    np.testing.assert_allclose(_array(heat[0].z), log_magnitude(grads.dc[1])[0], rtol=1e-6)
    names = [t.name for t in fig.data if t.type == "scatter"]
    assert "LSTM ‖dL/dc_t‖" in names and "RNN ‖dL/dh_t‖" in names
    assert "output feature 2" in fig.layout.title.text and "summed over every step" in fig.layout.title.text
    assert "your LSTM vs untrained plain RNN" in str([a.text for a in fig.layout.annotations])


def test_a_task_model_shows_its_own_sequences_symbols_memory_unit_and_loss():
    model = lstm_viz.tasks.pretrained("brackets")
    fig = show(model)
    strip = next(t for t in fig.data if t.name == "input")
    assert set(strip.hovertext) <= set(model.task.symbols) and len(strip.hovertext) == model.task.seq_len
    assert "outlined" in fig.layout.title.text
    x, _ = model.sample(2, seed=5)  # the task's one-hot input: its steps keep their symbols
    assert set(next(t for t in show(model, x).data if t.name == "input").hovertext) <= set(model.task.symbols)
    task_loss = show(model, view="gradients", loss="task")
    assert "training loss" in task_loss.layout.title.text
    assert "trained LSTM vs trained plain RNN" in str([a.text for a in task_loss.layout.annotations])


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_draws_bidirectional_stacked_unbatched_and_float64_lstms(view):
    torch.manual_seed(3)
    lstm = nn.LSTM(3, 6, num_layers=2, bidirectional=True, proj_size=2).double().eval()
    x = torch.randn(7, 3, dtype=torch.float64)  # unbatched [T, I]
    # compare windows the output's 2 x 2 features; the others the 6 hidden units.
    picks = dict(units=(1, 3)) if view == "compare" else dict(units=(2, 5), unit=3)
    fig = show(lstm, x, view=view, layer=1, direction="reverse", t=-1, **picks)
    assert len(fig.data) > 0
    if view == "gates":
        assert "layer 1 reverse" in fig.layout.title.text and fig.layout.sliders[0].active == 6


def test_show_text_is_the_code_pages_view_of_a_found_cell():
    model = lstm_viz.tasks.pretrained("code")
    text = "def f(x):\n    return [x, (x + 1)]  # two\n"
    fig = show_text(model, text, cell="brackets")
    found = next(f for f in model.info["cells"] if f["track"] == "brackets")
    chars = next(t for t in fig.data if t.type == "scatter")
    assert f"unit {found['unit']}" in chars.name and "bracket depth" in chars.name
    assert [t.name for t in fig.data if t.type == "bar"] == ["brackets"]
    assert show_text("code", text, cell=7, state="h").data[1].name == "h of unit 7"


# --- a notebook's bundle, still and exports ---------------------------------------------------------------------


def test_the_notebook_bundle_holds_the_frames_painted_images_and_the_apps_camera_settings():
    lstm, x, hx = _tutorial()
    b = _bundle(show(lstm, x, hx))
    assert len(b["frames"]) == 3 and [f["name"] for f in b["frames"]] == ["0", "1", "2"]
    assert b["config"]["toImageButtonOptions"] == {"format": "png", "scale": 3, "filename": "lstm_gates"}
    images = b["layout"]["images"]
    assert len(images) == 8 and all(len(_png(i["source"])) > 100 for i in images)
    # The bars' fills of every frame are painted too (plotly.js draws them in the browser).
    assert all(len(f["data"][1]["marker"]["color"]) == 7 * 5 for f in b["frames"])


def test_the_still_drops_the_controls_and_shows_the_step_asked_for():
    lstm, x, hx = _tutorial()
    fig = show(lstm, x, hx)
    still = fig.still(2)
    assert not still.layout.sliders and not still.layout.updatemenus and not still.frames
    cursor = next(t for t in still.data if t.name == "cursor")
    assert min(v for v in cursor.x if v is not None) == 1.5
    assert show(lstm, x, hx, view="compare").still() is not None


def test_write_html_is_the_apps_html_export_and_waits_for_its_play_button(tmp_path):
    lstm, x, hx = _tutorial()
    fig = show(lstm, x, hx)
    app = gates_over_time_figure(trace(lstm, x, hx).layer(0), clickable=False)
    path = tmp_path / "gates.html"
    fig.write_html(path, title="My LSTM", caption="the tutorial's sizes")
    page = path.read_text(encoding="utf-8")
    assert page == figures_html([("gates", app)], "My LSTM", "the tutorial's sizes")
    assert "Plotly.addFrames" in page and "Plotly.animate" not in page
    assert not re.search(r"<script[^>]+src=", page), "plotly.js is inside the file: it opens offline"
    default = fig.html()
    assert "LSTM Explorer: gates" in default and "LSTM(4, 5, batch_first=True)" in default


@pytest.mark.skipif(shutil.which("chromium") is None, reason="kaleido draws with Chromium")
def test_write_image_is_the_apps_still_png_at_3x_and_svg(tmp_path):
    pytest.importorskip("kaleido")
    from PIL import Image

    lstm, x, hx = _tutorial()
    fig = show(lstm, x, hx)
    fig.write_image(tmp_path / "gates.png", step=1)
    with Image.open(tmp_path / "gates.png") as image:
        assert image.size == (900 * 3, (640 - 50) * 3)
    buffer = io.BytesIO()
    show(lstm, x, hx, view="step").write_image(buffer, format="svg")
    assert buffer.getvalue().lstrip().startswith(b"<svg")
    with pytest.raises(ValueError, match="format='gif' is not one of 'png', 'svg'"):
        fig.to_image("gif")


def test_the_checker_returns_a_report_a_notebook_displays():
    def lstm_forward(inp, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
        h, c = initial_states
        hidden = w_ih.shape[0] // 4
        outputs = []
        for t in range(inp.shape[1]):
            gates = inp[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
            i, f, g, o = gates.split(hidden, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            if w_hr is not None:
                h = h @ w_hr.T
            outputs.append(h)
        return torch.stack(outputs, 1), (h, c)

    report = lstm_viz.check(lstm_forward)
    assert report.matches, report.text()
    assert "<table>" in report._repr_html_() and len(report.figure().data) > 0
    assert callable(report._ipython_display_)


# --- errors that name what was passed and what was expected ------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "words"),
    [
        (nn.GRU(4, 5), r"nn.GRU.*no cell state c and no output gate"),
        (nn.RNN(4, 5), r"nn.RNN.*no gates"),
        (nn.LSTMCell(4, 5), r"nn.LSTMCell computes one step.*weight_ih -> weight_ih_l0"),
        (nn.Sequential(nn.Linear(4, 4)), r"Sequential module: it holds no nn.LSTM"),
        ("lstm", r"it was given str"),
    ],
)
def test_something_that_is_not_an_lstm_is_named(module, words):
    with pytest.raises(TypeError, match=words):
        show(module, torch.randn(2, 3, 4))


def test_a_model_holding_an_lstm_says_where_it_is():
    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.LSTM(4, 5, batch_first=True)
            self.head = nn.Linear(5, 2)

    with pytest.raises(
        TypeError, match=r"Tagger module: it holds an nn.LSTM at model.encoder: .*show\(model.encoder, x\)"
    ):
        show(Tagger(), torch.randn(2, 3, 4))


@pytest.mark.parametrize(
    ("x", "hx", "words"),
    [
        (
            torch.randn(2, 3, 6),
            None,
            r"x has 6 features per step \(shape \[2, 3, 6\]\), and this LSTM takes input_size=4",
        ),
        (torch.randn(2, 4, 3), None, r"6?.*input_size=4.*dimension 1 has 4: is x permuted\?"),
        (torch.randn(2, 3, 4, 1), None, r"x has shape \[2, 3, 4, 1\] \(4-D\); this LSTM takes \[B, T, 4\]"),
        (torch.zeros(2, 3, 4, dtype=torch.long), None, r"x holds int64 values: nn.LSTM reads float features"),
        (torch.randn(2, 3, 4, dtype=torch.float64), None, r"x is float64 and the LSTM's weights are float32"),
        (np.zeros((2, 3, 4), dtype=np.float32), None, r"x must be a torch.Tensor shaped \[B, T, 4\].*given ndarray"),
        (torch.randn(2, 0, 4), None, r"there is no step to draw"),
        (
            torch.randn(2, 3, 4),
            (torch.randn(2, 5), torch.randn(2, 5)),
            r"h_0 has shape \[2, 5\].*\[1, 2, 5\].*unsqueeze\(0\)",
        ),
        (
            torch.randn(3, 4),
            (torch.randn(1, 1, 5), torch.randn(1, 1, 5)),
            r"x is unbatched, \[3, 4\] = \[T, I\], but h_0 is 3-D",
        ),
        (
            torch.randn(2, 3, 4),
            (torch.randn(1, 2, 6), torch.randn(1, 2, 5)),
            r"h_0 has shape \[1, 2, 6\]; this LSTM takes \[1, 2, 5\]",
        ),
        (torch.randn(2, 3, 4), torch.randn(1, 2, 5), r"hx is \(h_0, c_0\), two tensors.*given Tensor"),
    ],
)
def test_an_input_or_state_the_lstm_does_not_take_says_what_it_takes(x, hx, words):
    lstm = nn.LSTM(4, 5, batch_first=True)
    with pytest.raises((TypeError, ValueError), match=words):
        show(lstm, x, hx)


def test_a_batch_first_mismatch_is_named_with_both_fixes():
    lstm = nn.LSTM(4, 5)  # batch_first=False, as nn.LSTM's default
    x = torch.randn(2, 3, 4)  # the tutorial's [B, T, I]
    hx = (torch.randn(1, 2, 5), torch.randn(1, 2, 5))
    words = r"batch_first=False .* batch of 3, but h_0 has a batch of 2: x is laid out batch-first"
    with pytest.raises(ValueError, match=words + r".*batch_first=True, or pass x.transpose\(0, 1\)"):
        show(lstm, x, hx)
    assert show(lstm, x.transpose(0, 1), hx) is not None


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (dict(view="heatmap"), r"view='heatmap' is not one of 'gates', 'compare', 'step', 'parameters', 'gradients'"),
        (dict(layer=1), r"layer=1: this LSTM has num_layers=1, so layer is 0..0"),
        (dict(direction="reverse"), r"direction='reverse': this LSTM is not bidirectional"),
        (dict(direction="backward"), r"direction='backward' is not one of 'forward', 'reverse'"),
        (dict(batch_item=2), r"batch_item=2: x holds 2 sequences, so batch_item is 0..1"),
        (dict(t=3), r"t=3 is outside the run's steps 0..2"),
        (dict(units=(0, 9)), r"units=\(0, 9\) is not a window of this LSTM's units: 0 <= start < stop <= 5"),
        (dict(unit=5), r"unit=5: this LSTM has hidden_size=5, so unit is 0..4"),
        (dict(units=(0, 2), unit=3), r"unit=3 is outside units=\(0, 2\)"),
        (dict(lang="fr"), r"lang='fr' is not available: the views speak 'en' \(English\), 'zh-CN' \(简体中文\)"),
        (dict(colours="rainbow"), r"colours='rainbow' is not one of 'viridis', 'cividis', 'magma', 'grey'"),
        (dict(view="gradients", loss="task"), r"loss='task' is a trained task's own loss on its targets"),
        (dict(view="gradients", loss="mean"), r"loss='mean' is not one of 'last', 'every', 'task'"),
        (dict(view="gradients", unit=7), r"unit=7: the loss reads an output feature, 0..4"),
        (dict(view="parameters", weight="hr"), r"weight='hr' names weight_hr_l0, .* no projection \(proj_size=0\)"),
        (dict(view="compare", against="mkl"), r"against='mkl' is not one of 'generic', 'default'"),
    ],
)
def test_a_view_or_part_the_run_does_not_have_is_named_with_its_range(kwargs, words):
    lstm, x, hx = _tutorial()
    with pytest.raises(ValueError, match=words):
        show(lstm, x, hx, **kwargs)


def test_an_unbatched_input_has_one_sequence():
    lstm, x, _ = _tutorial()
    assert show(lstm, x[0]).layout.title.text.endswith("batch item 0")
    with pytest.raises(ValueError, match=r"batch_item=1: x is unbatched \(\[T, I\]\), so there is one sequence"):
        show(lstm, x[0], batch_item=1)
    with pytest.raises(TypeError, match=r"show\(lstm, x\): give the input x .* \[B, T, 4\]"):
        show(lstm)


def test_show_text_names_what_it_cannot_read():
    with pytest.raises(ValueError, match=r"brackets task's model reads .* not text: .* show\(model\)"):
        show_text(lstm_viz.tasks.pretrained("brackets"), "abc")
    with pytest.raises(TypeError, match=r"given LSTM"):
        show_text(nn.LSTM(3, 3), "abc")
    with pytest.raises(ValueError, match=r"the text has 2,001 characters; the text view runs at most 2,000"):
        show_text("code", "x" * 2001)
    with pytest.raises(ValueError, match=r"cell='loops' is not a track with a found cell: its found cells follow"):
        show_text("code", "x = 1\n", cell="loops")
    with pytest.raises(ValueError, match=r"no cells were found and stored for this model: pass cell=a unit, 0..31"):
        show_text("chars", "alice")


def test_show_and_show_text_are_the_packages_own():
    assert lstm_viz.show is show and lstm_viz.show_text is show_text
    assert {"show", "show_text"} <= set(lstm_viz.__all__)
    assert Path(lstm_viz.notebook.__file__).parent.name == "notebook"
