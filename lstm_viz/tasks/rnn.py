"""A plain tanh RNN trained on a task like the task's LSTM: same H, seed, batches, steps and learning rate."""

from __future__ import annotations

import copy
import functools
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from lstm_viz.i18n import msg
from lstm_viz.tasks import code_train, corpus
from lstm_viz.tasks.base import Batch, Task
from lstm_viz.tasks.definitions import TASKS
from lstm_viz.tasks.store import WEIGHTS_DIR
from lstm_viz.tasks.train import CLIP, Progress, fit_batches, one_thread

LOSS_DIGITS = 4
"""Significant digits of the loss curve stored with shipped RNN weights (the curve is drawn, not recomputed)."""


@dataclass
class RNNTaskModel:
    """A task's plain ``nn.RNN`` (tanh, batch_first), its read-out, and where the weights came from.

    Attributes:
        task: The task it solves.
        rnn: ``nn.RNN(task.input_size, H, nonlinearity="tanh", batch_first=True)``, eval mode.
        head: ``nn.Linear(H, task.n_out)`` applied to ``h`` at every step.
        info: Provenance and measured quality (network, seed, steps, recipe, metric, loss curve, ...).
    """

    task: Task
    rnn: nn.RNN
    head: nn.Linear
    info: dict = field(default_factory=dict)

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the RNN's weights."""
        return self.rnn.weight_ih_l0.dtype

    def batch(self, batch: int, seed: int, seq_len: int | None = None) -> Batch:
        """Fresh sequences of the task; the same ``seed`` gives the same batch as the task's LSTM model gets."""
        gen = torch.Generator().manual_seed(seed)
        return self.task.sample(batch, seq_len or self.task.seq_len, gen)

    def outputs(self, x: Tensor) -> Tensor:
        """Read-out outputs. Shapes: [B, T, I] -> [B, T, n_out]."""
        with torch.no_grad():
            h, _ = self.rnn(x.to(self.dtype))
            return self.head(h.to(self.head.weight.dtype))

    def evaluate(self, seed: int = 10_000, seq_len: int | None = None) -> float:
        """The task metric on ``task.eval_batch`` fresh sequences: the very sequences the task's LSTM is scored on."""
        b = self.batch(self.task.eval_batch, seed, seq_len)
        return self.task.score(self.outputs(b.x), b)


def init_rnn(task: Task, hidden_size: int, seed: int) -> RNNTaskModel:
    """An untrained RNN model: PyTorch's default init, U(-1/sqrt(H), 1/sqrt(H)), from a private generator.

    Drawn like ``lstm_viz.tasks.init_model`` draws the LSTM (its parameters in order, then the read-out's); an
    RNN has no forget gate, so no forget bias. The same arguments give bit-identical weights in any process.
    """
    gen = torch.Generator().manual_seed(seed)
    rnn = nn.RNN(task.input_size, hidden_size, nonlinearity="tanh", batch_first=True, device="meta")
    rnn = rnn.to_empty(device="cpu")
    head = nn.Linear(hidden_size, task.n_out, device="meta").to_empty(device="cpu")
    bound = 1.0 / math.sqrt(hidden_size)
    with torch.no_grad():
        for p in [*rnn.parameters(), *head.parameters()]:
            p.copy_(torch.rand(p.shape, generator=gen) * 2 * bound - bound)
    info = {
        "network": "rnn",
        "nonlinearity": "tanh",
        "task": task.name,
        "hidden_size": hidden_size,
        "seed": seed,
        "steps": 0,
    }
    return RNNTaskModel(task, rnn.eval(), head.eval(), info)


def train_rnn(
    task: Task,
    hidden_size: int | None = None,
    seed: int = 0,
    steps: int | None = None,
    progress: Progress | None = None,
) -> RNNTaskModel:
    """Train a plain RNN on ``task`` with the recipe its LSTM trains with, and measure it like the LSTM.

    The shared tasks go through ``lstm_viz.tasks.train.fit_batches``, the very loop that trains their LSTM
    (Adam at the task's learning rate, the same batches from the same seed, the same clip). `code` streams its
    corpus like ``code_train.fit``: the same chunks, state carried between them, the same learning-rate schedule.
    Runs on one torch thread, so the weights are bit-identical per seed on one CPU kernel family.

    Args:
        task: What to learn.
        hidden_size: H; default the task's.
        seed: Seeds the initial weights and every training batch.
        steps: Adam steps; default ``task.train_steps`` (a live training's).
        progress: Called after each step with ``(step, steps, loss)``.

    Returns:
        The trained model (eval mode); ``info`` holds the recipe, the loss curve, the metric and the seconds.

    Raises:
        ValueError: for a task with its own training loop other than `code`'s.
    """
    hidden_size = hidden_size or task.hidden_size
    steps = task.train_steps if steps is None else steps
    if task.fit is not None and task.fit is not code_train.fit:
        raise ValueError(
            msg("no plain-RNN training is written for the {task} task's own training loop", task=task.name)
        )
    model = init_rnn(task, hidden_size, seed)
    with one_thread():
        start = time.perf_counter()
        if task.fit is None:
            losses = fit_batches(task, model.rnn, model.head, seed, steps, progress)
            model.info.update(batch_size=task.batch_size, seq_len=task.seq_len, lr=task.lr)
        else:
            losses = _fit_streams(model, steps, progress)
        model.info.update(optimizer="Adam", clip=CLIP, steps=steps, losses=losses)
        model.info["metric"] = model.evaluate()
        model.info["seconds"] = round(time.perf_counter() - start, 3)
    return model


def _fit_streams(model: RNNTaskModel, steps: int, progress: Progress | None) -> list[float]:
    """`code`'s training loop (``code_train.fit``) for the RNN: the same chunks, carried state and schedule."""
    streams, split = code_train.training_streams()
    rnn, head = model.rnn.train(), model.head.train()
    params = [*rnn.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=code_train.LR)
    losses: list[float] = []
    state = None
    for k in range(steps):
        if streams.restarts(k):
            state = None
        x_ids, y = streams.chunk_ids(k)
        x = torch.nn.functional.one_hot(x_ids, corpus.VOCAB).to(torch.float32)  # [S, CHUNK, V]
        h, h_n = rnn(x, state)  # h [S, CHUNK, H]
        state = h_n.detach()
        loss = torch.nn.functional.cross_entropy(head(h).reshape(-1, corpus.VOCAB), y.reshape(-1))
        for group in opt.param_groups:
            group["lr"] = code_train.learning_rate(k)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, code_train.CLIP)
        opt.step()
        losses.append(loss.item())
        if progress is not None:
            progress(k + 1, steps, losses[-1])
    rnn.eval()
    head.eval()
    model.info.update(
        corpus_digest=split.digest,
        streams=code_train.STREAMS,
        chunk=code_train.CHUNK,
        lr=code_train.LR,
        schedule=f"warm-up {code_train.WARMUP}, halved every {code_train.DECAY_EVERY} from {code_train.DECAY_FROM}",
    )
    return losses


# --- shipped RNN weights -----------------------------------------------------------------------------------


def rnn_weights_path(task: Task) -> Path:
    """Where the shipped RNN of ``task`` lives, beside the task's LSTM weights."""
    return WEIGHTS_DIR / f"{task.name}_rnn.safetensors"


def save_rnn(model: RNNTaskModel, path: Path) -> None:
    """Write the RNN (``rnn.*``) and read-out (``head.*``) tensors with ``model.info`` as JSON metadata.

    The loss curve is stored to ``LOSS_DIGITS`` significant digits (a 12,000-step curve in full would weigh
    as much as the weights); everything else as it is.
    """
    tensors = {f"rnn.{k}": v.detach().contiguous() for k, v in model.rnn.state_dict().items()}
    tensors |= {f"head.{k}": v.detach().contiguous() for k, v in model.head.state_dict().items()}
    info = dict(model.info)
    info["losses"] = [float(f"{x:.{LOSS_DIGITS}g}") for x in info.get("losses", [])]
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={"info": json.dumps(info, sort_keys=True)})


def load_rnn(task: Task, path: Path) -> RNNTaskModel:
    """Read a model saved by ``save_rnn``; its size comes from the stored info, its weights from the tensors."""
    with safe_open(str(path), framework="pt") as f:
        info = json.loads(f.metadata()["info"])
    tensors = load_file(str(path))
    model = init_rnn(task, int(info["hidden_size"]), int(info["seed"]))
    with torch.no_grad():
        model.rnn.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("rnn.")})
        model.head.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("head.")})
    model.info = info
    return model


def has_shipped_rnn(name: str) -> bool:
    """Whether the repository ships a trained RNN for task ``name``."""
    return name in TASKS and rnn_weights_path(TASKS[name]).is_file()


@functools.cache
def _shipped(name: str) -> RNNTaskModel:
    return load_rnn(TASKS[name], rnn_weights_path(TASKS[name]))


def pretrained_rnn(name: str) -> RNNTaskModel:
    """The shipped plain RNN of task ``name``, trained like its shipped LSTM (a copy: edits never leak).

    Raises:
        LookupError: when no RNN is shipped for the task.
    """
    if not has_shipped_rnn(name):
        raise LookupError(msg("no trained plain RNN is shipped for the task {name!r}", name=name))
    return copy.deepcopy(_shipped(name))


def shipped_rnn_info(name: str) -> dict:
    """What the shipped RNN of task ``name`` says of itself: recipe, seed, steps, metric, loss curve."""
    if not has_shipped_rnn(name):
        raise LookupError(msg("no trained plain RNN is shipped for the task {name!r}", name=name))
    return dict(_shipped(name).info)
