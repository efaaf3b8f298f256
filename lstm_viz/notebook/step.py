"""The One-step view: the step and unit picked on a state's heatmap, and the cell there with its real values."""

from __future__ import annotations

import plotly.graph_objects as go

from lstm_viz.figures import cell_diagram_figure, click_grid_figure
from lstm_viz.i18n import t
from lstm_viz.notebook.compose import compose
from lstm_viz.notebook.picks import Pick

GRID_STATE = "i"
"""The heatmap above the cell: the page's first choice."""


def step_view(p: Pick, labels: list[str] | None, lang: str) -> go.Figure:
    """The One step page's charts composed: its heatmap with the step and unit marked, and the cell diagram.

    The diagram is the LSTM cell at step ``p.t`` and unit ``p.unit`` (default the window's first unit): each gate
    with its two pre-activation terms (from x_t and from h_(t-1)), its activation and value, the cell line
    c_(t-1) -> c_t and the output m_t = o * tanh(c_t). The page's equations in LaTeX are
    ``lstm_viz.step_equations.forward_equations(record, batch_item, t, unit)``. Every word is in ``lang``.
    """
    unit = p.units[0] if p.unit is None else p.unit
    # A notebook takes no clicks (``show`` picks the step and unit): the page's invitations to click are left out.
    grid = click_grid_figure(
        p.record, GRID_STATE, p.batch_item, p.units, (p.t, unit), labels, clickable=False, lang=lang
    )
    diagram = cell_diagram_figure(p.record.step_terms(p.t), p.record, p.batch_item, unit, lang=lang)
    title = t(lang, "<b>One step in numbers</b>: step t = {t}, unit j = {unit}", t=p.t, unit=unit)
    return compose([[grid], [diagram]], title)
