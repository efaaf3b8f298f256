"""Finished figures shared server-wide: built once per run, view and colours, for every session (pure)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import plotly.graph_objects as go

from lstm_viz.figures.views import SharedFigure

FIGURE_CACHE_SIZE = 1024
"""Finished figures kept server-wide: a class looking at the same run shares them."""


class FigureCache:
    """A thread-safe least-recently-used store of ``SharedFigure`` by what decides them.

    Args:
        size: How many figures it keeps.
    """

    def __init__(self, size: int = FIGURE_CACHE_SIZE) -> None:
        """An empty cache of at most ``size`` figures."""
        self.size = size
        self._items: OrderedDict[Hashable, SharedFigure] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], go.Figure]) -> SharedFigure:
        """The figure stored under ``key``, built (outside the lock) and stored when missing."""
        with self._lock:
            figure = self._items.get(key)
            if figure is not None:
                self._items.move_to_end(key)
                return figure
        figure = SharedFigure(build())
        with self._lock:
            self._items[key] = figure
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return figure

    def __len__(self) -> int:
        """How many figures are kept now."""
        return len(self._items)
