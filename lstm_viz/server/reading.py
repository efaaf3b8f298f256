"""The Cells that read code page's computations, made once per server and kept within one byte budget.

Models, findings, the held-out corpus read by a model, its match tables, text runs, clamps and writing: each is
computed once however many sessions ask (``ByteLRU.get_or_make``) and counted in bytes (``held_bytes``) against
``READING_CACHE_BYTES``, the least recently used dropped first, like the app's other caches. Pure: the page's
spinners are the Streamlit layer's (``lstm_viz.ui.code_reading``).

Nothing kept here is words in one language: values hold numbers, texts read and ``i18n.Message``s (a track's
method, a clamp's verdict), said in each reader's language when shown, so one entry serves every language and
no key needs one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import numpy as np
from torch import Tensor

from lstm_viz.engine import CellClamp
from lstm_viz.reading import code_models, finder, matchlines, spans, tracking
from lstm_viz.reading.clamp import ClampEffect, clamp_effect
from lstm_viz.reading.generate import generate
from lstm_viz.reading.reader import TextRun, prefix_state, run_text
from lstm_viz.server.cache import ByteLRU, held_bytes
from lstm_viz.tasks import TaskModel

READING_CACHE_BYTES = 512 * 2**20
"""Memory the server gives the code page's computations; the largest, the held-out corpus read by the code model
(its c and h at 60,000 characters), takes 59 MB."""
_cache: ByteLRU[object] = ByteLRU(READING_CACHE_BYTES, held_bytes)
F = TypeVar("F", bound=Callable)


def _kept(fn: F) -> F:
    """``fn`` made once per server for each of its arguments, kept in the code page's byte-bounded cache."""

    @functools.wraps(fn)
    def kept(*args: object) -> object:
        return _cache.get_or_make((fn.__name__, *args), lambda: fn(*args))

    return kept  # type: ignore[return-value]


def is_kept(name: str, *args: object) -> bool:
    """Whether the function ``name``'s value for ``args`` is made already (the page then shows no spinner)."""
    return (name, *args) in _cache


@_kept
def model(name: str) -> TaskModel:
    """The character model ``name`` (a key of ``code_models.MODELS``), loaded once per server."""
    return code_models.load(name)


@_kept
def findings(name: str) -> list[finder.CellFinding]:
    """Every hypothesis's best cell of model ``name`` on the held-out text, clearest first."""
    return code_models.findings(name)


@_kept
def corpus(name: str) -> code_models.MatchCorpus:
    """The held-out corpus read by model ``name``: its states, searched by select-and-match."""
    return code_models.match_corpus(model(name))


@_kept
def corpus_tracks() -> tuple[dict[str, Tensor], Tensor]:
    """The held-out corpus's tracks and every character's region (the same for every model)."""
    tracks = code_models.corpus_tracks()
    return tracks, code_models.corpus_regions(tracks)


@_kept
def corpus_kinds() -> dict[str, np.ndarray]:
    """Running counts of the held-out corpus's docstring, string and comment characters (to group matches)."""
    return matchlines.kind_counts(corpus_tracks()[0])


@_kept
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


@_kept
def baseline(name: str, state: str) -> spans.Baseline:
    """Where each unit of ``state`` of model ``name`` usually sits on held-out code (select and match's yardstick)."""
    return spans.Baseline.of(corpus(name).states[state])


@_kept
def unit_r(name: str) -> dict[str, Tensor]:
    """Pearson's r of every unit of model ``name`` with every track on held-out code, per state."""
    return code_models.unit_correlations(corpus(name), corpus_tracks()[0])


@_kept
def headline(name: str, track: str) -> code_models.Headline:
    """Where the finder's cell for ``track`` is on over held-out code, and the window that shows it."""
    finding = next(f for f in findings(name) if f.track == track)
    tracks, where = corpus_tracks()
    return code_models.headline_of(finding, corpus(name), tracks, where)


@_kept
def file_tracks(index: int) -> tracking.Tracks:
    """The tracks of held-out file ``index``, computed on the whole file (a window's tokens need its start)."""
    return tracking.tracks(code_models.corpus.analysis().texts[index])


@_kept
def run(name: str, text: str, file_index: int | None = None, skip: int = 0) -> TextRun:
    """Model ``name`` reading ``text``; a window of held-out file ``file_index`` from ``skip`` is read as in its file.

    Its tracks are the file's, and it starts from the state ``nn.LSTM`` has after the file's first ``skip``
    characters, so a cell shows what it shows inside the file, not at a file's start.
    """
    if file_index is None:
        return run_text(model(name), text)
    tracks = file_tracks(file_index).window(skip, skip + len(text))
    before = code_models.corpus.analysis().texts[file_index][:skip]
    return run_text(model(name), text, tracks=tracks, hx=prefix_state(model(name), before))


@_kept
def clamped(name: str, text: str, kind: str, unit: int, track: str, where: tuple = ()) -> tuple[CellClamp, ClampEffect]:
    """The clamp of ``unit`` (``kind``: zero or mean) and what it costs inside and outside ``track``."""
    m, r = model(name), run(name, text, *where)
    clamp = code_models.clamp_for(kind, unit, corpus(name).c_mean)
    return clamp, clamp_effect(m.lstm, m.head, r.x, r.ids, r.tracks[track], clamp, r.hx)


@_kept
def generated(name: str, prime: str, length: int, temperature: float, seed: int) -> str:
    """``prime`` and the ``length`` characters model ``name`` writes after it (sampled at ``temperature``)."""
    m = model(name)
    ids = m.task.encode(prime).long()
    out = generate(m.lstm, m.head, ids, length, temperature, seed, m.task.input_size)
    return m.decode(ids) + m.decode(out)
