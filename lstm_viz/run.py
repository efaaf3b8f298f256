"""One explorer run: build the LSTM from a config, trace it, and compare it with ``nn.LSTM``."""

from __future__ import annotations

import time
from dataclasses import dataclass

from lstm_viz.build import Built, build
from lstm_viz.config import LSTMConfig
from lstm_viz.reference import Comparison, compare
from lstm_viz.trace import LSTMTrace, trace


@dataclass(frozen=True)
class Run:
    """Everything a page shows for one config; read-only, shared between sessions by the cache."""

    config: LSTMConfig
    built: Built
    trace: LSTMTrace
    comparison: Comparison
    trace_ms: float
    reference_ms: float


def run(config: LSTMConfig) -> Run:
    """Build, trace and compare one config, timing the hand-written and the official forward."""
    built = build(config)
    start = time.perf_counter()
    tr = trace(built.lstm, built.input, built.hx)
    mid = time.perf_counter()
    comparison = compare(built.lstm, built.input, built.hx, tr)
    end = time.perf_counter()
    return Run(config, built, tr, comparison, (mid - start) * 1e3, (end - mid) * 1e3)
