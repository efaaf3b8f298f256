"""LSTM Explorer: a hand-written ``nn.LSTM`` forward that records every gate and state, and its views."""

import sys

from lstm_viz import check, tasks
from lstm_viz.backward import Gradients, backward
from lstm_viz.build import Built, build
from lstm_viz.config import LSTMConfig
from lstm_viz.losses import loss_grad
from lstm_viz.notebook import show, show_text
from lstm_viz.params import ParamRow, parameter_table
from lstm_viz.reference import Comparison, compare
from lstm_viz.tasks.losses import task_loss_grad
from lstm_viz.trace import LayerTrace, LSTMTrace, StepTerms, trace
from lstm_viz.weights import FoundLSTM, load_lstms

__all__ = [
    "Built",
    "Comparison",
    "Gradients",
    "FoundLSTM",
    "LSTMConfig",
    "LSTMTrace",
    "LayerTrace",
    "ParamRow",
    "StepTerms",
    "backward",
    "build",
    "check",
    "compare",
    "load_lstms",
    "loss_grad",
    "parameter_table",
    "show",
    "show_text",
    "task_loss_grad",
    "tasks",
    "trace",
]

# The README's ``lstm_viz.cells`` (tracks of Python text and the unit finder) now lives in ``lstm_viz.reading``.
from lstm_viz import reading as _reading  # noqa: E402 - after the package's own names

sys.modules[f"{__name__}.cells"] = _reading
cells = _reading
