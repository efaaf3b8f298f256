"""The Gradient flow page's computation: one loss backpropagated by hand through the LSTM and a plain RNN beside it."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

from torch import Tensor, nn

from lstm_viz.analysis import forget_product, orders_apart, step_norms
from lstm_viz.backward import Gradients, backward
from lstm_viz.i18n import msg
from lstm_viz.losses import Loss, loss_grad, output_loss_grad
from lstm_viz.rnn_backward import RNNGradients, rnn_backward, rnn_like
from lstm_viz.tasks.losses import TASK_LOSS, task_loss_grad
from lstm_viz.trace import LSTMTrace, trace

if TYPE_CHECKING:
    from lstm_viz.tasks.base import Batch
    from lstm_viz.tasks.model import TaskModel
    from lstm_viz.tasks.rnn import RNNTaskModel


@dataclass(frozen=True)
class GradientFlow:
    """One loss backpropagated through the LSTM by hand and through a plain tanh RNN beside it.

    ``rnn_loss`` is the RNN's value of the task's loss (``TASK_LOSS`` only).
    """

    trace: LSTMTrace
    grads: Gradients
    loss: Loss
    rnn: RNNGradients
    rnn_loss: float | None = None

    def reach(self, layer: int = 0, reverse: bool = False, batch_item: int = 0) -> Reach:
        """How far back each gradient reaches in one layer-direction and batch item, measured (see ``Reach``)."""
        rec = self.trace.layer(layer, reverse)
        dc = step_norms(self.grads.layer(layer, reverse).dc, batch_item)
        rnn_dh = step_norms(self.rnn.layer_dh(layer, reverse), batch_item)
        far = rec.steps - 1 if reverse else 0
        return Reach(
            lstm_dc=dc,
            lstm_dh=step_norms(self.grads.layer(layer, reverse).dh, batch_item),
            rnn_dh=rnn_dh,
            forget_product=forget_product(rec)[batch_item].mean(dim=1),
            far=far,
            reverse=reverse,
            apart=orders_apart(dc, rnn_dh, far),
            forget_mean=float(rec.f[batch_item].mean()),
        )


@dataclass(frozen=True)
class Reach:
    """The race on one layer-direction and batch item: per-step gradient norms and the gap at the far step.

    Attributes:
        lstm_dc: ‖dL/dc_t‖ of the LSTM at each step.
        lstm_dh: ‖dL/dh_t‖ of the LSTM at each step.
        rnn_dh: ‖dL/dh_t‖ of the plain RNN at each step.
        forget_product: The product of the forget gates after each step, f_(t+1)···f_T, averaged over units.
        far: The step farthest from a loss at the end: t = 0, or the last step in the reverse direction.
        reverse: Whether the record is the reverse direction's.
        apart: log10(‖dL/dc_far‖ / ‖dL/dh_far‖), the LSTM's cell gradient against the RNN's (positive where
            the LSTM's is larger; an exact zero counts as 1e-30).
        forget_mean: The mean forget gate of the batch item, over every unit and step.

    Shapes:
        each per-step series [T].
    """

    lstm_dc: Tensor
    lstm_dh: Tensor
    rnn_dh: Tensor
    forget_product: Tensor
    far: int
    reverse: bool
    apart: float
    forget_mean: float

    @property
    def lstm_far(self) -> float:
        """The LSTM's ‖dL/dc‖ at the far step."""
        return float(self.lstm_dc[self.far])

    @property
    def rnn_far(self) -> float:
        """The RNN's ‖dL/dh‖ at the far step."""
        return float(self.rnn_dh[self.far])


def gradient_flow(
    lstm: nn.LSTM,
    input: Tensor,
    hx: tuple[Tensor, Tensor] | None,
    kind: str,
    unit: int | None,
    seed: int,
    task: TaskModel | None = None,
    batch: Batch | None = None,
    rnn_model: RNNTaskModel | None = None,
) -> GradientFlow:
    """Trace ``lstm``, backpropagate one loss by hand, and do the same for a plain tanh RNN.

    The RNN is ``rnn_model.rnn`` when given (a task's RNN, trained like its LSTM or untrained), else
    ``rnn_like(lstm, seed)``, untrained. It reads the same input (cast to the input's dtype) and starts from the
    LSTM's h0 when it has one of its width (no projection), else from zeros. For one of ``LOSSES`` its loss
    reads the same steps and output unit (clipped to its features). For ``TASK_LOSS`` (``task`` and ``batch``
    given) the LSTM's h goes through ``task``'s read-out and the RNN's through ``rnn_model``'s own (or, without
    one, through ``task``'s: it fits, the RNN has the LSTM's H and no projection), each into the task's loss on
    ``batch``; ``rnn_loss`` is then the RNN's loss value.

    Raises:
        ValueError: for ``TASK_LOSS`` without a task model and its batch, or an output the head cannot read.

    Shapes:
        input and hx as ``lstm`` takes them; ``batch`` the sequences of ``input`` ([B, T] targets and mask).
    """
    tr = trace(lstm, input, hx)
    if rnn_model is None:
        rnn = rnn_like(lstm, seed)
    else:
        rnn = rnn_model.rnn if rnn_model.dtype == input.dtype else copy.deepcopy(rnn_model.rnn).to(input.dtype)
    h0 = hx[0] if hx is not None and not lstm.proj_size else None
    if kind == TASK_LOSS:
        if task is None or batch is None:
            raise ValueError(msg("the task's loss needs the task model and the batch on screen"))
        loss = task_loss_grad(tr, task, batch)
        reader = rnn_model if rnn_model is not None else task
        rnn_losses: list[float] = []

        def rnn_grad(out: Tensor) -> Tensor:
            tm = out if lstm.batch_first else out.transpose(0, 1)  # [B, T, H], as the task's head reads it
            rnn_task = task_loss_grad(tm, reader, batch)
            rnn_losses.append(rnn_task.value)
            return rnn_task.grad_output if lstm.batch_first else rnn_task.grad_output.transpose(0, 1)

        rnn_grads = rnn_backward(rnn, input, rnn_grad, h0)
        return GradientFlow(tr, backward(tr, loss.grad_output), loss, rnn_grads, rnn_losses[0])
    loss = loss_grad(tr, kind, unit)
    grads = backward(tr, loss.grad_output)
    dirs = 2 if lstm.bidirectional else 1
    rnn_out = input.new_zeros(*input.shape[:-1], dirs * lstm.hidden_size)  # the RNN's output, by shape
    rnn_grad_output = output_loss_grad(rnn_out, kind, unit, lstm.batch_first, input.dim() == 3)
    return GradientFlow(tr, grads, loss, rnn_backward(rnn, input, rnn_grad_output, h0))
