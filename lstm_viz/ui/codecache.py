"""The Cells that read code page's server-wide caches: its models, findings, corpus, runs, clamps and writing.

Defined once at import, not in the page: a page's script runs again on every rerun, and each
``st.cache_resource`` it defines reads its own source to make the cache's key (a file read on every run).
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from torch import Tensor

from lstm_viz import cells, matchlines, spans, textcells
from lstm_viz.clamp import ClampEffect, clamp_effect
from lstm_viz.engine import CellClamp
from lstm_viz.generate import generate
from lstm_viz.tasks import TaskModel
from lstm_viz.textrun import TextRun, prefix_state, run_text


@st.cache_resource(max_entries=3, show_spinner=False)
def model(name: str) -> TaskModel:
    """The character model ``name`` (a key of ``textcells.MODELS``), loaded once per server."""
    return textcells.load(name)


@st.cache_resource(max_entries=3, show_spinner="Ranking every cell against every track…")
def findings(name: str) -> list[cells.CellFinding]:
    """Every hypothesis's best cell of model ``name`` on the held-out text, clearest first."""
    return textcells.findings(name)


@st.cache_resource(max_entries=2, show_spinner="Reading the held-out corpus once for this server…")
def corpus(name: str) -> textcells.MatchCorpus:
    """The held-out corpus read by model ``name``: its states, searched by select-and-match."""
    return textcells.match_corpus(model(name))


@st.cache_resource(max_entries=1, show_spinner=False)
def corpus_tracks() -> tuple[dict[str, Tensor], Tensor]:
    """The held-out corpus's tracks and every character's region (the same for every model)."""
    tracks = textcells.corpus_tracks()
    return tracks, textcells.corpus_regions(tracks)


@st.cache_resource(max_entries=1, show_spinner=False)
def corpus_kinds() -> dict[str, np.ndarray]:
    """Running counts of the held-out corpus's docstring, string and comment characters (to group matches)."""
    return matchlines.kind_counts(corpus_tracks()[0])


@st.cache_resource(max_entries=64, show_spinner=False)
def matches(
    name: str,
    state: str,
    named: tuple[spans.SpanCell, ...],
    threshold: float,
    length: int,
    exclude: tuple[int, int] | None,
) -> matchlines.MatchGroups:
    """Where else on held-out code the ``named`` cells of ``state`` fire beyond ``threshold``, grouped by kind."""
    mc = corpus(name)
    found = spans.match_spans(mc.states[state], list(named), threshold, length, exclude=exclude)
    return matchlines.group_matches(mc.text, mc.paths, mc.starts, corpus_kinds(), found)


@st.cache_resource(max_entries=6, show_spinner=False)
def baseline(name: str, state: str) -> spans.Baseline:
    """Where each unit of ``state`` of model ``name`` usually sits on held-out code (select and match's yardstick)."""
    return spans.Baseline.of(corpus(name).states[state])


@st.cache_resource(max_entries=3, show_spinner=False)
def unit_r(name: str) -> dict[str, Tensor]:
    """Pearson's r of every unit of model ``name`` with every track on held-out code, per state."""
    return textcells.unit_correlations(corpus(name), corpus_tracks()[0])


@st.cache_resource(max_entries=24, show_spinner=False)
def headline(name: str, track: str) -> textcells.Headline:
    """Where the finder's cell for ``track`` is on over held-out code, and the window that shows it."""
    finding = next(f for f in findings(name) if f.track == track)
    tracks, where = corpus_tracks()
    return textcells.headline_of(finding, corpus(name), tracks, where)


@st.cache_resource(max_entries=32, show_spinner=False)
def file_tracks(index: int) -> cells.Tracks:
    """The tracks of held-out file ``index``, computed on the whole file (a window's tokens need its start)."""
    return cells.tracks(textcells.corpus.analysis().texts[index])


@st.cache_resource(max_entries=32, show_spinner=False)
def run(name: str, text: str, file_index: int | None = None, skip: int = 0) -> TextRun:
    """Model ``name`` reading ``text``; a window of held-out file ``file_index`` from ``skip`` is read as in its file.

    Its tracks are the file's, and it starts from the state ``nn.LSTM`` has after the file's first ``skip``
    characters, so a cell shows what it shows inside the file, not at a file's start.
    """
    if file_index is None:
        return run_text(model(name), text)
    tracks = file_tracks(file_index).window(skip, skip + len(text))
    before = textcells.corpus.analysis().texts[file_index][:skip]
    return run_text(model(name), text, tracks=tracks, hx=prefix_state(model(name), before))


@st.cache_resource(max_entries=16, show_spinner="Clamping the cell in both forwards…")
def clamped(name: str, text: str, kind: str, unit: int, track: str, where: tuple = ()) -> tuple[CellClamp, ClampEffect]:
    """The clamp of ``unit`` (``kind``: zero or mean) and what it costs inside and outside ``track``."""
    m, r = model(name), run(name, text, *where)
    clamp = textcells.clamp_for(kind, unit, corpus(name).c_mean)
    return clamp, clamp_effect(m.lstm, m.head, r.x, r.ids, r.tracks[track], clamp, r.hx)


@st.cache_resource(max_entries=16, show_spinner="Writing…")
def generated(name: str, prime: str, length: int, temperature: float, seed: int) -> str:
    """``prime`` and the ``length`` characters model ``name`` writes after it (sampled at ``temperature``)."""
    m = model(name)
    ids = m.task.encode(prime).long()
    out = generate(m.lstm, m.head, ids, length, temperature, seed, m.task.input_size)
    return m.decode(ids) + m.decode(out)
