"""A trained task's own loss on its LSTM's output, by hand: the chain rule through the task's read-out head."""

from __future__ import annotations

import torch
from torch import Tensor

from lstm_viz.i18n import N_, msg
from lstm_viz.losses import Loss
from lstm_viz.tasks.base import Batch
from lstm_viz.tasks.model import TaskModel
from lstm_viz.trace import LSTMTrace

TASK_LOSS = "task"
"""The kind of ``task_loss_grad``'s loss: a trained task model's own training loss, where one is shown."""
TASK_LOSS_WORDS = N_("the task's own loss: its training loss of the read-out head(h_t) on the sequences on screen")
"""``TASK_LOSS`` in English words, for a loss picker (``i18n.t(lang, TASK_LOSS_WORDS)`` in another language)."""


def task_loss_grad(trace_or_output: LSTMTrace | Tensor, model: TaskModel, batch: Batch) -> Loss:
    """The value and dL/d(output) of a task's training loss, by hand: the chain rule through the read-out.

    The loss is the one the task trains with (``model.task.loss``) on the outputs ``z_t = head(h_t) = W h_t + b``
    at the steps the task's mask counts, N of them:

    - cross-entropy over classes: ``L = -(1/N) Σ log softmax(z_t)[target_t]``, so
      ``dL/dz_t = (softmax(z_t) - onehot(target_t)) · w_t / N``;
    - mean squared error (a regression task, one output): ``L = (1/N) Σ (z_t - target_t)²``, so
      ``dL/dz_t = 2 (z_t - target_t) · w_t / N``;

    with ``w_t`` = 1 on counted steps and 0 elsewhere, and then ``dL/dh_t = dL/dz_t · W`` (the head is linear).
    Computed in the output's dtype (the head's weights cast to it); no autograd.

    Args:
        trace_or_output: The task LSTM's forward record, or its output alone (batch-major [B, T, H], as a task's
            ``batch_first`` LSTM returns it, e.g. a plain RNN's output read by the same head).
        model: The task model whose ``head`` reads h and whose ``task`` says which loss and mask.
        batch: The sequences the output was computed from (their ``target`` and ``mask``).

    Returns:
        The loss (kind ``TASK_LOSS``): its value, ``grad_output`` laid out like the output, and its words.

    Raises:
        ValueError: when the output's batch, steps or features do not fit the batch or the head, or the mask
            counts no step.

    Shapes:
        output [B, T, H] (a trace in any layout, batched); ``batch.target``, ``batch.mask`` [B, T];
        ``model.head.weight`` [n_out, H] -> ``grad_output`` like the output.
    """
    if isinstance(trace_or_output, LSTMTrace):
        if not trace_or_output.batched:
            raise ValueError(msg("a task loss reads a batch of sequences: the trace is unbatched"))
        output = trace_or_output.output
        h = trace_or_output.time_major(output).transpose(0, 1)  # [B, T, H], a view
    else:
        output = h = trace_or_output
    task = model.task
    weight = model.head.weight.detach().to(h.dtype)  # [n_out, H]
    bias = None if model.head.bias is None else model.head.bias.detach().to(h.dtype)  # [n_out]
    mask, target = batch.mask, batch.target  # [B, T] each
    if h.dim() != 3 or h.shape[:2] != mask.shape or h.shape[-1] != weight.shape[1]:
        raise ValueError(
            msg(
                "the output has shape {shape}; the task's batch is {batch} (batch, steps) and its read-out takes "
                "{features} features",
                shape=tuple(h.shape),
                batch=tuple(mask.shape),
                features=weight.shape[1],
            )
        )
    count = int(mask.sum())
    if count == 0:
        raise ValueError(msg("the task's mask counts no step: the loss is undefined"))
    with torch.no_grad():  # not inference_mode: the gradient may be handed to autograd, as in the tests
        z = torch.nn.functional.linear(h, weight, bias)  # [B, T, n_out]
        w = mask.to(h.dtype).unsqueeze(-1) / count  # [B, T, 1]: each counted step's share of the mean
        if task.regression:
            err = z[..., :1] - target.to(h.dtype).unsqueeze(-1)  # [B, T, 1]
            value = float((err.squeeze(-1)[mask] ** 2).mean())
            dz = torch.zeros_like(z)
            dz[..., :1] = 2 * err * w
            words = msg("mean squared error of head(h_t) against the target")
        else:
            classes = target.long().clamp(0, z.shape[-1] - 1)  # unmasked steps may hold any id
            logp = torch.log_softmax(z, dim=-1)  # [B, T, n_out]
            picked = logp.gather(-1, classes.unsqueeze(-1)).squeeze(-1)  # [B, T]
            value = float(-picked[mask].mean())
            onehot = torch.nn.functional.one_hot(classes, z.shape[-1]).to(h.dtype)  # [B, T, n_out]
            dz = (logp.exp() - onehot) * w  # softmax minus one-hot, on counted steps
            words = msg("cross-entropy of softmax(head(h_t)) against the target class")
        dh = dz @ weight  # [B, T, H]
        grad = torch.zeros_like(output)
        if isinstance(trace_or_output, LSTMTrace):
            trace_or_output.time_major(grad).transpose(0, 1).copy_(dh)  # a view: writes grad in the trace's layout
        else:
            grad.copy_(dh)
    if count == mask.numel():
        steps = msg("every step")
    elif count == 1:
        steps = msg("the {count} step it scores", count=count)
    else:
        steps = msg("the {count} steps it scores", count=count)
    description = msg(
        "L = the {task} task's training loss: {words}, averaged over {steps} of the batch",
        task=task.name,
        words=words,
        steps=steps,
    )
    return Loss(TASK_LOSS, None, value, grad, description)
