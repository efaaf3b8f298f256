"""A task's model: an ``nn.LSTM`` (batch_first) and a linear read-out, initialised bit-identically per seed."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from lstm_viz.tasks.base import Batch, Task


@dataclass
class TaskModel:
    """A task's ``nn.LSTM``, the read-out that turns its ``h`` into answers, and where the weights came from.

    Attributes:
        task: The task it solves.
        lstm: ``nn.LSTM(task.input_size, H, batch_first=True)``, eval mode.
        head: ``nn.Linear(H, task.n_out)`` applied to ``h`` at every step.
        info: Provenance and measured quality (seed, steps, metric, seconds, ...), as stored in the weights file.
    """

    task: Task
    lstm: nn.LSTM
    head: nn.Linear
    info: dict = field(default_factory=dict)

    def sample(self, batch: int, seed: int, seq_len: int | None = None) -> tuple[Tensor, Tensor]:
        """Fresh sequences of the task for this model.

        Returns:
            ``(x, latent)``: input shaped for ``self.lstm`` (batch_first, its dtype) and the latent variable.

        Shapes: ``x`` [B, T, I]; ``latent`` [B, T].
        """
        b = self.batch(batch, seed, seq_len)
        return b.x.to(self.dtype), b.latent

    def batch(self, batch: int, seed: int, seq_len: int | None = None) -> Batch:
        """Fresh sequences with tokens, targets and masks; the same ``seed`` gives the same batch."""
        gen = torch.Generator().manual_seed(seed)
        return self.task.sample(batch, seq_len or self.task.seq_len, gen)

    def encode(self, text: str) -> Tensor:
        """One-hot input of a text for ``self.lstm`` (a character task: `code`), unknown characters as its fallback.

        Shapes: -> [1, len(text), I] (batch_first, the LSTM's dtype).

        Raises:
            ValueError: for a task that does not read characters.
        """
        if self.task.encode is None:
            raise ValueError(f"the {self.task.name} task does not read text")
        ids = self.task.encode(text).long()
        return torch.nn.functional.one_hot(ids, self.task.input_size).to(self.dtype).unsqueeze(0)

    def decode(self, ids: Tensor | list[int]) -> str:
        """The text of symbol ids (the inverse of ``encode`` for characters in the vocabulary)."""
        chars = self.task.chars or self.task.symbols
        return "".join(chars[int(k)] for k in ids)

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the LSTM's weights."""
        return self.lstm.weight_ih_l0.dtype

    def outputs(self, x: Tensor, lstm: nn.LSTM | None = None) -> Tensor:
        """Read-out outputs of the model (or of an edited copy of its LSTM). Shapes: [B, T, I] -> [B, T, n_out]."""
        lstm = lstm or self.lstm
        with torch.no_grad():
            h, _ = lstm(x.to(lstm.weight_ih_l0.dtype))
            return self.head(h.to(self.head.weight.dtype))

    def evaluate(self, lstm: nn.LSTM | None = None, seed: int = 10_000, seq_len: int | None = None) -> float:
        """The task metric on ``task.eval_batch`` fresh sequences (seeds 10,000+ are never trained on)."""
        b = self.batch(self.task.eval_batch, seed, seq_len)
        return self.task.score(self.outputs(b.x, lstm), b)


def init_model(task: Task, hidden_size: int, seed: int, forget_bias: float | None = None) -> TaskModel:
    """An untrained model: PyTorch's default init from a private generator, then the forget-gate bias set.

    Every parameter is drawn from U(-1/sqrt(H), 1/sqrt(H)); then ``b_if`` = ``forget_bias`` and ``b_hf`` = 0,
    so the pair adds up to it.

    The same arguments give bit-identical weights in any process, and torch's global RNG is not touched.
    """
    forget_bias = task.forget_bias if forget_bias is None else forget_bias
    gen = torch.Generator().manual_seed(seed)
    lstm = nn.LSTM(task.input_size, hidden_size, batch_first=True, device="meta").to_empty(device="cpu")
    head = nn.Linear(hidden_size, task.n_out, device="meta").to_empty(device="cpu")
    bound = 1.0 / math.sqrt(hidden_size)
    with torch.no_grad():
        for p in [*lstm.parameters(), *head.parameters()]:
            p.copy_(torch.rand(p.shape, generator=gen) * 2 * bound - bound)
        lstm.bias_ih_l0[hidden_size : 2 * hidden_size] = forget_bias
        lstm.bias_hh_l0[hidden_size : 2 * hidden_size] = 0.0
    info = {"task": task.name, "hidden_size": hidden_size, "seed": seed, "forget_bias": forget_bias, "steps": 0}
    return TaskModel(task, lstm.eval(), head.eval(), info)
