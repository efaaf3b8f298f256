"""The Gradient flow view: how far back a loss's gradient reaches in the LSTM, beside a plain tanh RNN's."""

from __future__ import annotations

import plotly.graph_objects as go

from lstm_viz.analysis import forget_product, orders_apart, step_norms
from lstm_viz.figures import direction_label, gradient_heatmap_figure, gradient_norms_figure
from lstm_viz.gradient_flow import GradientFlow, gradient_flow
from lstm_viz.losses import LOSSES
from lstm_viz.notebook.compose import compose
from lstm_viz.notebook.language import say
from lstm_viz.notebook.picks import Pick
from lstm_viz.notebook.subject import Subject
from lstm_viz.tasks import shipped_info
from lstm_viz.tasks.losses import TASK_LOSS
from lstm_viz.tasks.rnn import RNNTaskModel, has_shipped_rnn, pretrained_rnn

VISIBLE_ORDERS = 3
"""The LSTM's cell gradient visibly outlives the RNN's when it is this many powers of ten larger (as on the page)."""
RNN_SEED = 0
"""Seed of the untrained plain RNN drawn beside an LSTM that has no trained one."""
HEAT_PX = 240


def _opponent(s: Subject) -> tuple[RNNTaskModel | None, str, str]:
    """The RNN the LSTM races, and the words for each: a shipped task model races the task's shipped RNN."""
    if s.model is None:
        return None, "your", "untrained"
    name = s.model.task.name
    trained = int(s.model.info.get("steps", 0)) > 0
    if has_shipped_rnn(name) and s.model.info == shipped_info(name):
        return pretrained_rnn(name), "trained", "trained"
    return None, "trained" if trained else "untrained", "untrained"


def flow_of(s: Subject, loss: str, unit: int | None) -> tuple[GradientFlow, str, str]:
    """One loss backpropagated by hand through the LSTM and the RNN beside it, and the two runners in words.

    Raises:
        ValueError: for a loss that is not one of ``LOSSES`` (or the task's own, on a task's own sequences), or an
            output feature the output does not have.
    """
    choices = [*LOSSES, TASK_LOSS]
    if loss not in choices:
        raise ValueError(f"loss={loss!r} is not one of {', '.join(map(repr, choices))}")
    if loss == TASK_LOSS and (s.model is None or s.batch is None):
        raise ValueError(
            "loss='task' is a trained task's own loss on its targets: give a task's model and no x, "
            "e.g. show(lstm_viz.tasks.pretrained('brackets'), view='gradients', loss='task')"
        )
    features = (2 if s.lstm.bidirectional else 1) * (s.lstm.proj_size or s.lstm.hidden_size)
    if unit is not None and not 0 <= unit < features:
        raise ValueError(f"unit={unit}: the loss reads an output feature, 0..{features - 1} (None for all of them)")
    rnn, lstm_word, rnn_word = _opponent(s)
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
    return flow, lstm_word, rnn_word


def gradients_view(s: Subject, p: Pick, loss: str, unit: int | None, lang: str) -> go.Figure:
    """The Gradient flow page's charts composed, one under another on one time axis.

    First the norms race, then log10 |dL/dc_t| and |dL/dh_t| of the LSTM and |dL/dh_t| of the RNN, units by steps.

    The race: per-step norms of the LSTM's dL/dc_t and dL/dh_t, the plain RNN's dL/dh_t and the product of the
    forget gates after each step, on a log axis; where the LSTM's cell gradient is ``VISIBLE_ORDERS`` or more
    powers of ten above the RNN's at the step farthest from the loss, the gap is marked. A shipped task model
    races its task's shipped RNN (trained by one recipe); anything else races an untrained RNN of its sizes. The
    page's forget-bias shift, saturation and state trajectories are left out.

    Args:
        s: The LSTM and its input.
        p: The layer-direction, batch item and units drawn.
        loss: ``"last"`` (the last step's output), ``"every"`` (every step's), or ``"task"`` (a task's own loss).
        unit: The output feature the loss reads, or None for all of them.
        lang: The language of the words added here.
    """
    flow, lstm_word, rnn_word = flow_of(s, loss, unit)
    rec = p.record
    layer, reverse, b = rec.layer, rec.reverse, p.batch_item
    lg = flow.grads.layer(layer, reverse)
    rnn_dh = flow.rnn.layer_dh(layer, reverse)
    labels = s.labels[b] if s.labels is not None else None
    where = f"layer {layer} {direction_label(reverse)}, batch item {b}"
    series = {
        "LSTM ‖dL/dc_t‖": step_norms(lg.dc, b),
        "LSTM ‖dL/dh_t‖": step_norms(lg.dh, b),
        "RNN ‖dL/dh_t‖": step_norms(rnn_dh, b),
        "forget product f_(t+1)···f_T (mean over units)": forget_product(rec)[b].mean(dim=1),
    }
    far = rec.steps - 1 if reverse else 0
    apart = orders_apart(series["LSTM ‖dL/dc_t‖"], series["RNN ‖dL/dh_t‖"], far)
    norms = gradient_norms_figure(
        series,
        f"How far back the gradient reaches: {lstm_word} LSTM vs {rnn_word} plain RNN, {where}",
        labels,
        gap=(far, "LSTM ‖dL/dc_t‖", "RNN ‖dL/dh_t‖") if apart >= VISIBLE_ORDERS else None,
    )
    heat = [
        gradient_heatmap_figure(grad[b], name, f"{what}: log10 |{name}|", p.units, labels, height=HEAT_PX, detail=where)
        for name, grad, what in (
            ("dL/dc_t", lg.dc, "LSTM cell state"),
            ("dL/dh_t", lg.dh, "LSTM hidden state"),
            ("dL/dh_t", rnn_dh, f"RNN hidden state ({rnn_word})"),
        )
    ]
    title = f"<b>{say('Gradient flow', lang)}</b>: {flow.loss.description}; L = {flow.loss.value:.4g}"
    return compose([[norms], *([h] for h in heat)], title)
