"""The explorer in a notebook: ``show(lstm, x)`` and ``show_text(model, text)`` return the figures the app draws."""

from lstm_viz.notebook.figure import NOTEBOOK_WIDTH, ViewFigure
from lstm_viz.notebook.language import LANGUAGES
from lstm_viz.notebook.show import VIEWS, show, show_text

__all__ = ["LANGUAGES", "NOTEBOOK_WIDTH", "VIEWS", "ViewFigure", "show", "show_text"]
