"""Cells that read code: tracks of Python text, the unit finder, a model reading a text, match, clamp, writing.

The former ``lstm_viz.cells`` (tracks and the finder) is this package: ``import lstm_viz.cells`` still works.
"""

from lstm_viz.analysis import correlations
from lstm_viz.reading.finder import CellFinding, corpus_states, find_cells, find_in_corpus, text_tracks
from lstm_viz.reading.tracking import TAB, TARGET_TRACKS, TRACKS, TrackInfo, Tracks, indentation, tracks

__all__ = [
    "TAB",
    "TARGET_TRACKS",
    "TRACKS",
    "CellFinding",
    "TrackInfo",
    "Tracks",
    "corpus_states",
    "correlations",
    "find_cells",
    "find_in_corpus",
    "indentation",
    "text_tracks",
    "tracks",
]
