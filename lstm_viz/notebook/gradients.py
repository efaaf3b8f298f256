"""The Gradient flow view: how far back a loss's gradient reaches in the LSTM, beside a plain tanh RNN's."""

from __future__ import annotations

import plotly.graph_objects as go

from lstm_viz.figures.gradients import gradient_heatmap_figure, reach_figure
from lstm_viz.gradient_flow import GradientFlow, gradient_flow
from lstm_viz.i18n import msg
from lstm_viz.losses import LOSSES
from lstm_viz.notebook.compose import compose
from lstm_viz.notebook.picks import Pick
from lstm_viz.notebook.subject import Subject
from lstm_viz.tasks import shipped_info
from lstm_viz.tasks.losses import TASK_LOSS
from lstm_viz.tasks.rnn import RNNTaskModel, has_shipped_rnn, pretrained_rnn
from lstm_viz.words import gradients as words

RNN_SEED = 0
"""Seed of the untrained plain RNN drawn beside an LSTM that has no trained one."""
HEAT_PX = 240


def _opponent(s: Subject) -> tuple[RNNTaskModel | None, words.Runners]:
    """The RNN the LSTM races, and how each runner was made: a shipped task model races the task's shipped RNN."""
    if s.model is None:
        return None, words.Runners("your", "untrained")
    name = s.model.task.name
    trained = int(s.model.info.get("steps", 0)) > 0
    if has_shipped_rnn(name) and s.model.info == shipped_info(name):
        return pretrained_rnn(name), words.Runners("trained", "trained")
    return None, words.Runners(words.runner(trained), "untrained")


def flow_of(s: Subject, loss: str, unit: int | None) -> tuple[GradientFlow, words.Runners]:
    """One loss backpropagated by hand through the LSTM and the RNN beside it, and how each runner was made.

    Raises:
        ValueError: for a loss that is not one of ``LOSSES`` (or the task's own, on a task's own sequences), or an
            output feature the output does not have.
    """
    choices = [*LOSSES, TASK_LOSS]
    if loss not in choices:
        raise ValueError(msg("loss={loss!r} is not one of {choices}", loss=loss, choices=", ".join(map(repr, choices))))
    if loss == TASK_LOSS and (s.model is None or s.batch is None):
        raise ValueError(
            msg(
                "loss='task' is a trained task's own loss on its targets: give a task's model and no x, "
                "e.g. show(lstm_viz.tasks.pretrained('brackets'), view='gradients', loss='task')"
            )
        )
    features = (2 if s.lstm.bidirectional else 1) * (s.lstm.proj_size or s.lstm.hidden_size)
    if unit is not None and not 0 <= unit < features:
        raise ValueError(
            msg(
                "unit={unit}: the loss reads an output feature, 0..{last} (None for all of them)",
                unit=unit,
                last=features - 1,
            )
        )
    rnn, who = _opponent(s)
    flow = gradient_flow(
        s.lstm,
        s.x,
        s.hx,
        loss,
        None if loss == TASK_LOSS else unit,
        RNN_SEED,
        task=s.model if loss == TASK_LOSS else None,
        batch=s.batch if loss == TASK_LOSS else None,
        rnn_model=rnn,
    )
    return flow, who


def gradients_view(s: Subject, p: Pick, loss: str, unit: int | None, lang: str) -> go.Figure:
    """The Gradient flow page's charts composed, one under another on one time axis.

    First the norms race, then log10 |dL/dc_t| and |dL/dh_t| of the LSTM and |dL/dh_t| of the RNN, units by steps.

    The race: per-step norms of the LSTM's dL/dc_t and dL/dh_t, the plain RNN's dL/dh_t and the product of the
    forget gates after each step, on a log axis; where the page's verdict (``lstm_viz.words.gradients.verdict``)
    finds the LSTM's cell gradient outliving the RNN's at the step farthest from the loss, the gap is marked, as
    on the page, and the titles are the page's. A shipped task model races its task's shipped RNN (trained by one
    recipe); anything else races an untrained RNN of its sizes. The page's forget-bias shift, saturation and state
    trajectories are left out.

    Args:
        s: The LSTM and its input.
        p: The layer-direction, batch item and units drawn.
        loss: ``"last"`` (the last step's output), ``"every"`` (every step's), or ``"task"`` (a task's own loss).
        unit: The output feature the loss reads, or None for all of them.
        lang: The language of the words added here.
    """
    flow, who = flow_of(s, loss, unit)
    rec = p.record
    layer, reverse, b = rec.layer, rec.reverse, p.batch_item
    lg = flow.grads.layer(layer, reverse)
    labels = s.labels[b] if s.labels is not None else None
    reach = flow.reach(layer, reverse, b)
    verdict = words.verdict(reach, who, lang)
    title = words.norms_title(who, layer, reverse, b, lang=lang)
    norms = reach_figure(reach, title, labels, mark_gap=verdict.gap, lang=lang)
    detail = words.heat_detail(layer, reverse, b, lang=lang)
    heat = []
    for which, grad in (("c", lg.dc), ("h", lg.dh), ("rnn", flow.rnn.layer_dh(layer, reverse))):
        name, title = words.heat_title(which, who, lang)
        heat.append(
            gradient_heatmap_figure(grad[b], name, title, p.units, labels, height=HEAT_PX, detail=detail, lang=lang)
        )
    return compose([[norms], *([h] for h in heat)], words.view_title(flow.loss, lang))
