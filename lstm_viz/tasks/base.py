"""What a built-in task is: its symbols, its latent variable, how it samples sequences and scores a model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

from lstm_viz.i18n import t


@dataclass(frozen=True)
class Batch:
    """Sequences of one task with everything known about them.

    Shapes: ``tokens`` [B, T] symbol ids; ``x`` [B, T, I] float32 (the ``batch_first`` input of the task's
    ``nn.LSTM``); ``latent`` [B, T] float64, the variable a person can name; ``target`` [B, T] (class ids, or
    float values for a regression task); ``mask`` [B, T] bool, the steps the loss and the metric count.
    """

    tokens: Tensor
    x: Tensor
    latent: Tensor
    target: Tensor
    mask: Tensor


@dataclass(frozen=True)
class Task:
    """A small sequence problem whose solution needs a memory a person can name.

    The words (``title``, ``story``, ``latent_name``, ``metric_name``, the phases' names) are English catalogue
    ids, marked where the tasks are defined; ``title_in(lang)`` and its siblings say them in another language.

    Attributes:
        name: Short id used in URLs and file names (``"brackets"``).
        title: Words for a menu (``"bracket depth"``).
        story: One paragraph saying what the network must do and what to look for.
        symbols: Label of each token id, used on time axes.
        latent_name: What the latent variable is (``"nesting depth"``).
        input_size: I of the task's ``nn.LSTM``.
        n_out: Outputs of the read-out layer (classes, or 1 for regression).
        regression: Mean squared error on one output instead of cross-entropy over classes.
        metric_name: What the metric measures (``"per-step accuracy"``).
        higher_is_better: False for a loss-like metric (nats per character).
        target_metric: The value the shipped weights must reach (at least, or at most for a loss).
        hidden_size: Default H.
        seq_len: T trained on; longer sequences are outside the trained range.
        forget_bias: Initial forget-gate bias (Jozefowicz et al. 2015: +1..+2 helps long memories).
        train_steps: Adam steps of a live training at the default size.
        batch_size: Sequences per training step.
        lr: Adam learning rate.
        sample: ``(batch, seq_len, generator) -> Batch``.
        phases: Named boolean masks [B, T] of a batch (``"at the marker"``) that gate stories compare.
        trained_range: ``(batch) -> str | None``: why a batch lies outside the trained range (an
            ``i18n.Message``, English as a ``str``), or None.
        eval_batch: Sequences scored for the metric.
        shipped_steps: Adam steps of the shipped weights (more than a live training for the text model).
        min_steps: The shortest sequence the task can pose.
        fit: A task's own training loop ``(task, H, seed, steps, forget_bias, progress) -> TaskModel``, or None
            for the shared one (fresh batches from ``sample``); the text of `code` is streamed, not sampled.
        chars: The character each symbol id stands for, for a character model (``decode``/``encode``).
        encode: ``(text) -> ids`` [T] of a character model, characters outside its vocabulary mapped to its
            stated fallback.
    """

    name: str
    title: str
    story: str
    symbols: tuple[str, ...]
    latent_name: str
    input_size: int
    n_out: int
    regression: bool
    metric_name: str
    higher_is_better: bool
    target_metric: float
    hidden_size: int
    seq_len: int
    forget_bias: float
    train_steps: int
    batch_size: int
    lr: float
    sample: Callable[[int, int, torch.Generator], Batch] = field(repr=False)
    phases: Callable[[Batch], dict[str, Tensor]] = field(repr=False)
    trained_range: Callable[[Batch], str | None] = field(repr=False)
    eval_batch: int = 256
    shipped_steps: int = 0
    min_steps: int = 1
    fit: Callable[..., object] | None = field(default=None, repr=False)
    chars: tuple[str, ...] | None = field(default=None, repr=False)
    encode: Callable[[str], Tensor] | None = field(default=None, repr=False)

    def title_in(self, lang: str) -> str:
        """The title in ``lang`` (``"bracket depth"``, ``"括号深度"``)."""
        return t(lang, self.title)

    def story_in(self, lang: str) -> str:
        """The story (Markdown) in ``lang``."""
        return t(lang, self.story)

    def latent_name_in(self, lang: str) -> str:
        """What the latent variable is, in ``lang`` (``"nesting depth"``)."""
        return t(lang, self.latent_name)

    def metric_name_in(self, lang: str) -> str:
        """What the metric measures, in ``lang``, with its definition in brackets where it has one."""
        return t(lang, self.metric_name)

    def metric_parts_in(self, lang: str) -> tuple[str, str]:
        """The metric's name and its definition (the part in brackets, ``""`` if none) in ``lang``.

        ``("per-step accuracy", "|prediction − depth| < 0.5")``; Chinese writes the brackets full-width.
        """
        words = self.metric_name_in(lang)
        for opening, closing in ((" (", ")"), ("（", "）")):
            name, found, detail = words.partition(opening)
            if found:
                return name, detail.removesuffix(closing)
        return words, ""

    def phase_in(self, phase: str, lang: str) -> str:
        """The name of one of the task's phases (a key of ``phases(batch)``, ``"at the marker"``) in ``lang``."""
        return t(lang, phase)

    @property
    def full_steps(self) -> int:
        """Adam steps the shipped weights were trained for."""
        return self.shipped_steps or self.train_steps

    def labels(self, tokens: Tensor) -> list[list[str]]:
        """The symbol of every step, ``[B][T]`` strings, for time axes."""
        return [[self.symbols[int(k)] for k in row] for row in tokens]

    def score(self, outputs: Tensor, batch: Batch) -> float:
        """The task's metric of read-out outputs on a batch (masked steps only).

        Shapes: ``outputs`` [B, T, n_out].
        """
        mask = batch.mask
        if self.regression:
            pred = outputs[..., 0][mask]
            return float(((pred - batch.target[mask]).abs() < 0.5).double().mean())
        if not self.higher_is_better:
            logp = torch.log_softmax(outputs[mask].double(), dim=-1)  # [N, n_out]
            return float(-logp.gather(1, batch.target[mask].view(-1, 1)).mean())
        return float((outputs[mask].argmax(-1) == batch.target[mask]).double().mean())

    def loss(self, outputs: Tensor, batch: Batch) -> Tensor:
        """The training loss on masked steps. Shapes: ``outputs`` [B, T, n_out]."""
        mask = batch.mask
        if self.regression:
            return torch.nn.functional.mse_loss(outputs[..., 0][mask], batch.target[mask])
        return torch.nn.functional.cross_entropy(outputs[mask], batch.target[mask])

    def reached(self, value: float) -> bool:
        """Whether a metric value meets ``target_metric``."""
        return value >= self.target_metric if self.higher_is_better else value <= self.target_metric


def one_hot(tokens: Tensor, size: int) -> Tensor:
    """One-hot float32 input of token ids. Shapes: [B, T] -> [B, T, size]."""
    return torch.nn.functional.one_hot(tokens, size).to(torch.float32)
