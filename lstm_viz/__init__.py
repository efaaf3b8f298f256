"""LSTM Explorer: a hand-written ``nn.LSTM`` forward that records every gate and state, and its views."""

from lstm_viz import tasks
from lstm_viz.build import Built, build
from lstm_viz.config import LSTMConfig
from lstm_viz.params import ParamRow, parameter_table
from lstm_viz.reference import Comparison, compare
from lstm_viz.trace import LayerTrace, LSTMTrace, StepTerms, trace

__all__ = [
    "Built",
    "Comparison",
    "LSTMConfig",
    "LSTMTrace",
    "LayerTrace",
    "ParamRow",
    "StepTerms",
    "build",
    "compare",
    "parameter_table",
    "tasks",
    "trace",
]
