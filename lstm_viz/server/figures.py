"""Finished figures shared server-wide: built once per run, view and colours for every session, within a budget."""

from __future__ import annotations

from collections.abc import Callable, Hashable

import plotly.graph_objects as go

from lstm_viz.figures.views import SharedFigure
from lstm_viz.server.cache import ByteLRU

FIGURE_CACHE_BYTES = 256 * 2**20
"""Memory the server gives finished figures: a class looking at the same runs shares them."""


def dict_bytes(node: object) -> int:
    """About the bytes a figure's dict holds: its texts (base64 arrays included) and 8 per other value.

    Walks dicts and lists iteratively (a figure is deep, never cyclic).
    """
    total, stack = 0, [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            total += 64
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            total += 8 * len(item)
            stack.extend(x for x in item if isinstance(x, (dict, list, tuple, str)))
        elif isinstance(item, str):
            total += len(item)
        else:
            total += 8
    return total


class FigureCache:
    """A thread-safe store of ``SharedFigure`` by what decides them, least recently used dropped first.

    Args:
        max_bytes: The most bytes (``dict_bytes`` of their dicts) the kept figures take together.
    """

    def __init__(self, max_bytes: int = FIGURE_CACHE_BYTES) -> None:
        """An empty cache."""
        self._items: ByteLRU[SharedFigure] = ByteLRU(max_bytes, lambda f: dict_bytes(f.to_dict()))

    def get(self, key: Hashable, build: Callable[[], go.Figure]) -> SharedFigure:
        """The figure kept under ``key``, built once (however many sessions ask at once) when missing."""
        return self._items.get_or_make(key, lambda: SharedFigure(build()))

    @property
    def nbytes(self) -> int:
        """The bytes the kept figures take now."""
        return self._items.nbytes

    def __len__(self) -> int:
        """How many figures are kept now."""
        return len(self._items)
