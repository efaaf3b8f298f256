"""Every cached chart reaches the browser by orjson's fast path: no Python walk over its lists on each page run."""

from __future__ import annotations

import base64

import numpy as np
import orjson
import plotly.graph_objects as go
import plotly.io._json as plotly_json
import pytest

from lstm_viz.figures.paint import json_ready
from lstm_viz.figures.views import SharedFigure
from tests.test_app import open_page

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def test_json_ready_turns_text_and_object_arrays_into_lists_and_numbers_into_typed_arrays():
    fig = go.Figure(go.Scatter(x=["a", "b", 3], y=[1.0, 2.0, 3.0], customdata=np.array([["x", 1]], dtype=object)))
    raw = fig.to_dict()
    with pytest.raises(TypeError):
        orjson.dumps(raw, option=OPTIONS)
    ready = json_ready(raw)
    orjson.dumps(ready, option=OPTIONS)
    assert ready["data"][0]["x"] == ["a", "b", 3]
    assert plotly_json.to_json_plotly(ready) == plotly_json.to_json_plotly(raw), "the same JSON, only faster"
    # Numbers as Plotly's own to_dict sends them: a typed array (base64 of the contiguous values).
    numbers = json_ready({"z": np.arange(6.0).reshape(2, 3)[:, ::2]})["z"]
    assert numbers["dtype"] == "f8"
    assert np.array_equal(np.frombuffer(base64.b64decode(numbers["bdata"])), [0.0, 2.0, 3.0, 5.0])


def test_a_shared_figure_is_written_by_orjson_as_plotly_would_write_it():
    raw = go.Figure(go.Heatmap(z=[[1, 2]], x=["(", ")"], text=[["a", "b"]]))
    shared = SharedFigure(raw)
    written = orjson.loads(orjson.dumps(shared.to_dict(), option=OPTIONS))
    assert written == orjson.loads(plotly_json.to_json_plotly(raw.to_dict())), "the same figure, the fast path"


@pytest.mark.parametrize("page", ["home", "gates", "code"])
def test_the_class_pages_charts_take_the_fast_path(page, monkeypatch):
    slow: list[str] = []
    real = plotly_json.clean_to_json_compatible

    def walked(obj, **kwargs):
        if isinstance(obj, dict) and "layout" in obj:
            slow.append(str(obj["layout"].get("title", {}).get("text")))
        return real(obj, **kwargs)

    monkeypatch.setattr(plotly_json, "clean_to_json_compatible", walked)
    for query in ({}, {"model": "random"}):
        at = open_page(page, query, as_link=True)
        assert at.get("plotly_chart"), "the page drew charts"
    assert slow == [], f"charts that took Plotly's slow path: {slow}"
