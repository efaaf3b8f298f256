"""The Cells that read code page's computations with a spinner while one is made (``lstm_viz.server.reading``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from lstm_viz.server import reading

SPINNERS = {
    "findings": "Ranking every cell against every track…",
    "corpus": "Reading the held-out corpus once for this server…",
    "clamped": "Clamping the cell in both forwards…",
    "generated": "Writing…",
}
"""What the page says while one of the slow computations is made for the first time on this server."""


def __getattr__(name: str) -> Callable[..., Any]:
    """``reading.<name>``, shown with its spinner (when it has one and its value is not made yet)."""
    fn = getattr(reading, name)
    words = SPINNERS.get(name)
    if words is None:
        return fn

    def with_spinner(*args: Any) -> Any:
        if reading.is_kept(name, *args):
            return fn(*args)
        with st.spinner(words):
            return fn(*args)

    return with_spinner
