"""The Parameters view: one weight matrix by PyTorch's name, split into its gate blocks i, f, g, o."""

from __future__ import annotations

import plotly.graph_objects as go
from torch import nn

from lstm_viz.figures import weight_figure
from lstm_viz.i18n import msg
from lstm_viz.params import suffix

KINDS = ("ih", "hh", "hr")


def weight_name(lstm: nn.LSTM, weight: str, layer: int, reverse: bool) -> str:
    """PyTorch's name of the matrix to draw: ``weight`` is ``"ih"``, ``"hh"``, ``"hr"`` or a full name.

    Raises:
        ValueError: for a matrix this LSTM does not have, listing the ones it has.
    """
    have = [name for name, _ in lstm.named_parameters() if name.startswith("weight")]
    name = weight if weight.startswith("weight_") else f"weight_{weight}_l{layer}{suffix(reverse)}"
    if name not in have:
        if "_hr" in name and not lstm.proj_size:
            raise ValueError(
                msg(
                    "weight={weight!r} names {name}, which this LSTM does not have: it has no projection "
                    "(proj_size=0); its weights: {have}",
                    weight=weight,
                    name=name,
                    have=have,
                )
            )
        raise ValueError(
            msg(
                "weight={weight!r} names {name}, which this LSTM does not have; its weights: {have}",
                weight=weight,
                name=name,
                have=have,
            )
        )
    return name


def parameters_view(lstm: nn.LSTM, weight: str, layer: int, reverse: bool, lang: str = "en") -> go.Figure:
    """The Parameters page's weight chart: one matrix as a heatmap, a 4H-row one split into its gate blocks.

    The page's parameter table is ``lstm_viz.parameter_table(lstm)``. Its words are in ``lang``.
    """
    name = weight_name(lstm, weight, layer, reverse)
    fig = weight_figure(getattr(lstm, name).detach(), name, lang=lang)
    # The gate blocks' row labels are wider than the builder's margin; Streamlit's chart theme widens it in the
    # app, a notebook draws the figure as it is. (Reported: the builder could set automargin itself.)
    return fig.update_yaxes(automargin=True)
