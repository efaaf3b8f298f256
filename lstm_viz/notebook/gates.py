"""The Gates view: every gate and state over time in the app's aligned figure, its cursor played in the browser."""

from __future__ import annotations

import plotly.graph_objects as go
import torch

from lstm_viz.figures import gates_over_time_figure
from lstm_viz.notebook.picks import Pick
from lstm_viz.notebook.subject import Subject
from lstm_viz.tasks import TaskModel
from lstm_viz.tasks.explain import FINDER_BATCH, FINDER_SEED
from lstm_viz.tasks.units import unit_scores
from lstm_viz.trace import trace


def gates_view(s: Subject, p: Pick, lang: str = "en") -> go.Figure:
    """The Gates page's figure: rows ``x, i, f, g, o, c, m, h`` over time, the values at the cursor beside them.

    A task's model has the unit that carries its memory outlined (layer 0 forward, as in the app); ``p.unit`` is
    framed. Clicks do nothing in a notebook, so the hover does not offer them. Its words are in ``lang``.
    """
    highlight: tuple[int, ...] = ()
    if s.model is not None and (p.record.layer, p.record.reverse) == (0, False):
        highlight = memory_units(s.model)
    labels = s.labels[p.batch_item] if s.labels is not None else None
    return gates_over_time_figure(
        p.record,
        p.batch_item,
        p.units,
        cursor=p.t,
        step_labels=labels,
        highlight=highlight,
        clickable=False,
        picked=p.unit,
        lang=lang,
    )


def memory_units(model: TaskModel) -> tuple[int, ...]:
    """The unit whose state follows the task's latent variable best, measured as the app's unit finder does.

    On ``FINDER_BATCH`` fresh sequences (tens of milliseconds for the small tasks). Character models have no one
    memory unit: their cells follow tracks of the text (``show_text``), so none is outlined.
    """
    if model.task.encode is not None or model.lstm.num_layers != 1:
        return ()
    fresh = model.batch(FINDER_BATCH, FINDER_SEED)
    with torch.no_grad():
        rec = trace(model.lstm, fresh.x.to(model.dtype)).layer(0)
    return (unit_scores(rec, fresh.latent)[0].unit,)
