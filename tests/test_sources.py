"""Model sources: each says what it fixes, draws, explains and is called; nothing else asks which kind it is.

A fourth, test-only source (a fixed tiny LSTM) runs through Home, Gates and the exports without any change to the
app: proof that a run goes one way through the code whatever its model's source.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from lstm_viz import settings
from lstm_viz.build import Built
from lstm_viz.config import LSTMConfig
from lstm_viz.export import figure_filename, figures_html, rebuild_script, trace_npz
from lstm_viz.export.animation import gate_stills
from lstm_viz.export.names import spec_summary
from lstm_viz.figures import for_slides, gates_over_time_figure
from lstm_viz.run import RunSpec, run
from lstm_viz.server import uploads
from lstm_viz.sources import Drawn, FileSource, ModelSource, RandomSource, Recipe, TaskSource
from lstm_viz.ui import sidebar

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@dataclass(frozen=True)
class ConstantSource(ModelSource):
    """A test-only source: one fixed, seeded nn.LSTM(3, 4) on seeded normal noise."""

    seed: int = 7
    choice: ClassVar[str] = "random"

    def fixed(self) -> dict[str, Any]:
        return dict(input_size=3, hidden_size=4, proj_size=0, num_layers=1, bidirectional=False, bias=True)

    def fixed_words(self) -> str:
        return "A constant test model fixes the sizes."

    def draw(self, config: LSTMConfig) -> Drawn:
        config = config.replace(**self.fixed())
        gen = torch.Generator().manual_seed(self.seed)
        lstm = torch.nn.LSTM(3, 4, batch_first=config.batch_first)
        with torch.no_grad():
            for p in lstm.parameters():
                p.copy_(torch.rand(p.shape, generator=gen) - 0.5)
        dtype = getattr(torch, config.dtype)
        x = torch.randn(config.batch, config.seq_len, 3, generator=gen)
        x = x if config.batch_first else x.transpose(0, 1).contiguous()
        return Drawn(config, Built(lstm.to(dtype).eval(), x.to(dtype), None))

    def describe(self) -> str:
        return "the constant test model"

    def slug(self) -> str:
        return "test-constant"

    def recipe(self) -> Recipe:
        return Recipe("unknown")


def test_every_source_says_what_it_fixes_and_is_named_for_titles_and_files():
    random, tutorial, task = RandomSource(), RandomSource("tutorial"), TaskSource("brackets")
    assert random.fixed() == {} and random.describe() == "random weights" and random.slug() == ""
    assert tutorial.fixed() == {"input_kind": "random", "initial_state": "random"} and tutorial.slug() == "tutorial"
    assert task.fixed()["hidden_size"] == 4 and task.fixed()["batch_first"] is True
    assert task.describe() == "trained task: bracket depth, shipped weights" and task.slug() == "task-brackets"
    untrained = TaskSource("brackets", "untrained", 8, 5, 2.0)
    assert untrained.slug() == "task-brackets-untrained-H8-s5-fb+2"
    assert [s.recipe().how for s in (random, task, untrained)] == ["untrained", "shipped", "untrained"]
    with pytest.raises(ValueError, match="draw = 'mine' is not one of"):
        RandomSource("mine")


def test_a_test_only_source_runs_and_matches_nn_lstm_like_any_other():
    r = run(RunSpec(LSTMConfig(batch=2, seq_len=6), ConstantSource()))
    assert r.comparison.allclose and r.config.input_size == 3 and r.config.hidden_size == 4
    assert r.source == "the constant test model" and r.explanation is None and r.highlight == ()
    assert r.describe().startswith("the constant test model; batch 2, 6 steps")
    assert "test-constant" in spec_summary(r.spec, r.config)


@pytest.fixture
def constant_app(monkeypatch):
    """The app with the test-only source wherever a link says random weights (the sidebar's one route)."""
    real = settings.source_from_values

    def source(values, file=None):
        return ConstantSource() if values["model"] == "random" else real(values, file)

    monkeypatch.setattr(settings, "source_from_values", source)
    monkeypatch.setattr(sidebar, "source_from_values", source)


@pytest.mark.parametrize("page", ["home", "gates"])
def test_the_test_only_source_runs_through_home_and_gates_untouched(constant_app, page):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["model"] = "random"
    at.run()
    if page != "home":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    r = at.session_state["_current_run"]
    assert isinstance(r.spec.source, ConstantSource) and r.comparison.allclose
    figures = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    gates = next(f for f in figures if f["layout"]["title"]["text"].startswith("Every gate and state"))
    assert len(gates["frames"]) == r.config.seq_len
    assert "A constant test model fixes the sizes." in " ".join(c.value for c in at.sidebar.caption)


def test_the_test_only_source_is_named_as_itself_in_every_export(tmp_path):
    r = run(RunSpec(LSTMConfig(batch=1, seq_len=5), ConstantSource()))
    _assert_named_in_exports(r, "the constant test model", "test-constant", tmp_path)


def test_an_uploaded_model_is_named_as_itself_in_every_export_never_random(tmp_path):
    from test_app_uploads import _checkpoint

    data = _checkpoint()
    held = uploads.add_model_file(data, "tagger.pt")
    source = FileSource(held.digest, "encoder", "tagger.pt")
    config = LSTMConfig(**{**settings.DEFAULTS, **source.fixed(), "seq_len": 5, "batch": 1})
    r = run(RunSpec(config, source))
    assert "random" not in r.describe()
    _assert_named_in_exports(r, "uploaded tagger.pt, the LSTM at encoder", "file-tagger-encoder", tmp_path)


def _assert_named_in_exports(r, words: str, slug: str, tmp_path) -> None:
    summary = spec_summary(r.spec, r.config)
    assert slug in summary
    for ext in ("png", "svg", "gif", "mp4", "html", "npz"):
        assert slug in figure_filename("gates", summary, ext)
    fig = gates_over_time_figure(r.trace.layer(0))
    # A slide's title states the run.
    assert words in for_slides(fig, r.describe()).layout.title.text
    html = figures_html(
        [("gates", gates_over_time_figure(r.trace.layer(0)))], f"LSTM Explorer: {r.source}", r.describe()
    )
    assert words in html
    with np.load(io.BytesIO(trace_npz(r.trace, r.built.input, words=r.describe()))) as npz:
        assert words in json.loads(str(npz["meta"]))["run"]
    assert words in rebuild_script("run.npz", r.describe())
    # The GIF's and MP4's frames (what kaleido draws) carry the run's words under their title.
    for still in gate_stills(r.trace.layer(0), steps=range(2), caption=r.describe()):
        assert words in still["layout"]["title"]["text"]


def test_no_module_asks_which_kind_of_source_it_holds():
    kinds = re.compile(r"isinstance\([^)]*(Random|Task|File)Source|\.source\.choice\s*==|type\(\w*source\w*\)")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("lstm_viz", "pages")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "sources.py" and kinds.search(path.read_text())
    ]
    offenders += ["app.py"] if kinds.search((ROOT / "app.py").read_text()) else []
    assert offenders == []
