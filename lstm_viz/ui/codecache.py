"""The Cells that read code page's server-wide caches: its models, findings, corpus, runs, clamps and writing.

Defined once at import, not in the page: a page's script runs again on every rerun, and each
``st.cache_resource`` it defines reads its own source to make the cache's key (a file read on every run).
"""

from __future__ import annotations

import streamlit as st

from lstm_viz import cells, textcells
from lstm_viz.clamp import ClampEffect, clamp_effect
from lstm_viz.engine import CellClamp
from lstm_viz.generate import generate
from lstm_viz.tasks import TaskModel
from lstm_viz.textrun import TextRun, run_text


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


@st.cache_resource(max_entries=32, show_spinner=False)
def file_tracks(index: int) -> cells.Tracks:
    """The tracks of held-out file ``index``, computed on the whole file (a window's tokens need its start)."""
    return cells.tracks(textcells.corpus.analysis().texts[index])


@st.cache_resource(max_entries=32, show_spinner=False)
def run(name: str, text: str, file_index: int | None = None, skip: int = 0) -> TextRun:
    """Model ``name`` reading ``text``; a window of held-out file ``file_index`` from ``skip`` takes its tracks."""
    tracks = None if file_index is None else file_tracks(file_index).window(skip, skip + len(text))
    return run_text(model(name), text, tracks=tracks)


@st.cache_resource(max_entries=16, show_spinner="Clamping the cell in both forwards…")
def clamped(name: str, text: str, kind: str, unit: int, track: str, where: tuple = ()) -> tuple[CellClamp, ClampEffect]:
    """The clamp of ``unit`` (``kind``: zero or mean) and what it costs inside and outside ``track``."""
    m, r = model(name), run(name, text, *where)
    clamp = textcells.clamp_for(kind, unit, corpus(name).c_mean)
    return clamp, clamp_effect(m.lstm, m.head, r.x, r.ids, r.tracks[track], clamp)


@st.cache_resource(max_entries=16, show_spinner="Writing…")
def generated(name: str, prime: str, length: int, temperature: float, seed: int) -> str:
    """``prime`` and the ``length`` characters model ``name`` writes after it (sampled at ``temperature``)."""
    m = model(name)
    ids = m.task.encode(prime).long()
    out = generate(m.lstm, m.head, ids, length, temperature, seed, m.task.input_size)
    return m.decode(ids) + m.decode(out)
