"""Where a run's model comes from: random weights, a task's model, an uploaded file's LSTM, each one source.

Every source answers the same few questions: what it fixes (sizes, input), its model and inputs for a config, its
explanation when it has one, its words for titles and its slug for file names. Nothing outside this module asks
which kind of source it holds.
"""

from __future__ import annotations

import copy
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from lstm_viz import tasks
from lstm_viz.build import DRAWS, Built, build, generated_inputs, text_symbols
from lstm_viz.config import LSTMConfig
from lstm_viz.i18n import Message, msg
from lstm_viz.server import uploads
from lstm_viz.tasks.explain import TaskView, explain
from lstm_viz.tasks.jobs import TrainKey, trainer
from lstm_viz.tasks.model import TaskModel, init_model
from lstm_viz.weights import FoundLSTM

WEIGHT_SOURCES = ("shipped", "trained here", "untrained")
"""Where a task's weights come from: the file in the repo, a live training on this server, or the initial draw."""

Labels = tuple[tuple[str, ...], ...] | None
"""The input symbol of every step of every sequence, ``[B][T]``, or None where inputs are not symbols."""


@dataclass(frozen=True)
class Drawn:
    """What a source gives a run: its model (unedited), the input and initial state, and the steps' symbols.

    Attributes:
        config: The config as run: the source's own sizes (and input settings) in place of the controls'.
        built: The ``nn.LSTM`` (eval mode, the config's dtype), its input and hx.
        labels: Each step's input symbol, or None.
        model: The task's model behind the LSTM, for its explanation; None for other sources.
    """

    config: LSTMConfig
    built: Built
    labels: Labels = None
    model: Any = None


@dataclass(frozen=True)
class Recipe:
    """How a model's weights came to be, as far as the app knows: what a fair comparison must share with it.

    Attributes:
        how: ``"shipped"`` (trained by ``scripts/make_task_weights.py``), ``"trained here"`` (a live training),
            ``"untrained"`` (an initial draw: random weights, a task's untrained model) or ``"unknown"`` (an upload).
        task: The task it was trained (or drawn) for, or None.
        key: The training's task, H, seed and forget bias, where the app made it.
    """

    how: str
    task: str | None = None
    key: TrainKey | None = None


class ModelSource(ABC):
    """Where a run's model comes from; a frozen, hashable value, part of the run's cache key.

    Attributes:
        choice: The ``model`` setting that names the source (a task's name, ``"random"``, ``"file"``).
        linkable: Whether a link can carry it (an upload cannot: whoever opens the link uploads it again).
    """

    choice: str
    linkable: ClassVar[bool] = True

    @abstractmethod
    def fixed(self) -> dict[str, Any]:
        """The settings this source decides itself, by ``LSTMConfig`` field (its sizes; a task's input).

        Raises:
            LookupError: when what the source reads is no longer on the server (an upload).
        """

    @abstractmethod
    def fixed_words(self) -> str:
        """What it fixes in one sentence (Markdown), stated once instead of as disabled controls; may be empty.

        A ``Message`` when not empty: English as a ``str``, ``i18n.say`` gives it in the reader's language.
        """

    @abstractmethod
    def draw(self, config: LSTMConfig) -> Drawn:
        """Its ``nn.LSTM`` and the inputs it is fed for ``config`` (whose fixed settings it replaces).

        Raises:
            ValueError: when ``config`` asks for something this model cannot run.
            LookupError: when its model is not available (an unfinished training, a dropped upload).
        """

    def explain(self, lstm: nn.LSTM, drawn: Drawn) -> TaskView | None:
        """What the run shows beyond the LSTM (a task's finding and memory unit), or None."""
        return None

    @abstractmethod
    def describe(self) -> Message:
        """The source in a sentence's words, for notes, captions, slide and export titles (``i18n.say`` it)."""

    @abstractmethod
    def slug(self) -> str:
        """The source in a file name: letters, digits, ``-`` and ``.`` only (may be empty)."""

    def check(self, config: LSTMConfig) -> None:  # noqa: B027 - most sources take any config
        """Refuse, before anything runs, a config this source cannot run (default: anything goes).

        Raises:
            ValueError: naming the setting and its limit.
        """

    def training(self) -> TrainKey | None:
        """The live training this source's model waits for, or None (it is ready)."""
        return None

    @abstractmethod
    def recipe(self) -> Recipe:
        """How its weights came to be (Gradient flow races them against a network made the same way)."""

    def ready_fallback(self) -> ModelSource:
        """The source to show when this one's training cannot run (default: itself)."""
        return self


@dataclass(frozen=True)
class RandomSource(ModelSource):
    """Random weights drawn from the run's seed: what an LSTM computes before any training.

    Attributes:
        draw_kind: ``"explorer"`` (the explorer's own draw of weights, input and hx) or ``"tutorial"`` (exactly
            the tutorial's code after ``torch.manual_seed(seed)``; ``lstm_viz.build.tutorial_build``).
    """

    draw_kind: str = "explorer"
    choice: ClassVar[str] = "random"

    def __post_init__(self) -> None:
        if self.draw_kind not in DRAWS:
            raise ValueError(
                msg("draw = {value!r} is not one of {options}", value=self.draw_kind, options=", ".join(DRAWS))
            )

    def fixed(self) -> dict[str, Any]:
        """Nothing but, for the tutorial's draw, its input (normal noise) and its initial state (given)."""
        return dict(input_kind="random", initial_state="random") if self.draw_kind == "tutorial" else {}

    def fixed_words(self) -> str:
        """For the tutorial's draw, what it draws and in which order."""
        if self.draw_kind != "tutorial":
            return ""
        return msg(
            "Drawn as the tutorial's code does after `torch.manual_seed(seed)`: `torch.randn(B, T, I)`, then "
            "`c0`, then `h0`, then `nn.LSTM`'s own initialisation, so a notebook seeded alike holds the same tensors."
        )

    def draw(self, config: LSTMConfig) -> Drawn:
        """The weights, input and hx drawn from ``config.seed``; a ``text`` input's characters as symbols."""
        config = config.replace(**self.fixed())
        return Drawn(config, build(config, self.draw_kind), _text_labels(config))

    def describe(self) -> Message:
        """'random weights' (the seed is the run's, stated with it), or that they are the tutorial's draw."""
        if self.draw_kind == "tutorial":
            return msg("random weights drawn as the tutorial's code draws them")
        return msg("random weights")

    def slug(self) -> str:
        """``tutorial`` for the tutorial's draw; empty for the explorer's (random runs' file names as they were)."""
        return "" if self.draw_kind == "explorer" else "tutorial"

    def recipe(self) -> Recipe:
        """An initial draw, no training."""
        return Recipe("untrained")


@dataclass(frozen=True)
class TaskSource(ModelSource):
    """A built-in task's model as the source of a run, on the task's own sequences.

    Attributes:
        task: The task's name (``lstm_viz.tasks.names()``).
        weights: One of ``WEIGHT_SOURCES``.
        hidden_size: H of a live or untrained model; 0 means the task's default (the shipped size).
        seed: Seed of a live training or of the untrained draw.
        forget_bias: Initial forget-gate bias of a live or untrained model; None means the task's.
    """

    task: str
    weights: str = "shipped"
    hidden_size: int = 0
    seed: int = 0
    forget_bias: float | None = None

    def __post_init__(self) -> None:
        tasks.get(self.task)
        if self.weights not in WEIGHT_SOURCES:
            raise ValueError(
                msg("weights {value!r} is not one of {options}", value=self.weights, options=", ".join(WEIGHT_SOURCES))
            )
        if self.weights != "shipped":
            self.train_key()

    @property
    def choice(self) -> str:  # type: ignore[override] - the task's name is its model choice
        """The task's name."""
        return self.task

    def train_key(self) -> TrainKey:
        """The training this source names (validated: sizes, seed and bias within their limits)."""
        task = tasks.get(self.task)
        bias = task.forget_bias if self.forget_bias is None else self.forget_bias
        return TrainKey(self.task, self.hidden_size or task.hidden_size, self.seed, float(bias))

    def fixed(self) -> dict[str, Any]:
        """The task model's sizes and layout, and the task's own input (its sequences, zero initial state)."""
        task = tasks.get(self.task)
        hidden = (
            tasks.shipped_info(self.task)["hidden_size"] if self.weights == "shipped" else self.train_key().hidden_size
        )
        return dict(
            input_size=task.input_size,
            hidden_size=hidden,
            proj_size=0,
            num_layers=1,
            bidirectional=False,
            bias=True,
            batch_first=True,
            input_kind="step",
            initial_state="zeros",
        )

    def fixed_words(self) -> str:
        """The task's ``nn.LSTM`` call, and what still applies."""
        sizes = self.fixed()
        return msg(
            "The task fixes the model, `nn.LSTM({input}, {hidden}, batch_first=True)`, and its input (the task's own "
            "sequences, zero initial state); batch, steps, seed and dtype apply.",
            input=sizes["input_size"],
            hidden=sizes["hidden_size"],
        )

    def model(self) -> TaskModel:
        """The model this source names, unedited.

        Raises:
            LookupError: for a live training that has not finished (submit it with ``trainer()`` first).
        """
        if self.weights == "shipped":
            return tasks.pretrained(self.task)
        key = self.train_key()
        if self.weights == "untrained":
            return init_model(tasks.get(key.task), key.hidden_size, key.seed, key.forget_bias)
        job = trainer().get(key)
        if job is None or job.model is None:
            raise LookupError(
                msg(
                    "the training of {task} (H {hidden}, seed {seed}, forget bias {bias:+g}) has not finished",
                    task=msg(tasks.get(key.task).title),
                    hidden=key.hidden_size,
                    seed=key.seed,
                    bias=key.forget_bias,
                )
            )
        return job.model

    def draw(self, config: LSTMConfig, model: TaskModel | None = None) -> Drawn:
        """The task's model on ``config.batch`` of its own sequences of ``config.seq_len`` steps from ``config.seed``.

        Args:
            config: The run's settings; the sizes and input are the task's.
            model: The model to use instead of looking it up (a live training the caller holds).
        """
        model = model or self.model()
        lstm = model.lstm
        config = config.replace(**{**self.fixed(), "hidden_size": lstm.hidden_size})
        dtype = getattr(torch, config.dtype)
        shown = model.batch(config.batch, config.seed, config.seq_len)
        if lstm.weight_ih_l0.dtype != dtype:
            lstm = copy.deepcopy(lstm).to(dtype)  # a copy: a live training's model is shared by every session
        labels = tuple(tuple(row) for row in model.task.labels(shown.tokens))
        return Drawn(config, Built(lstm=lstm, input=shown.x.to(dtype), hx=None), labels, model)

    def explain(self, lstm: nn.LSTM, drawn: Drawn) -> TaskView:
        """The unit that carries the task's memory, what its gates do, and the metric of the model as run."""
        model: TaskModel = drawn.model
        shown = model.batch(drawn.config.batch, drawn.config.seed, drawn.config.seq_len)
        return explain(model, lstm, shown, drawn.config.seq_len)

    def check(self, config: LSTMConfig) -> None:
        """Refuse sequences shorter than the task can pose."""
        task = tasks.get(self.task)
        if config.seq_len < task.min_steps:
            raise ValueError(
                msg("{task} needs a sequence length of at least {steps}", task=msg(task.title), steps=task.min_steps)
            )

    def describe(self) -> Message:
        """Words for the source, e.g. 'trained task: bracket depth, shipped weights'."""
        title = msg(tasks.get(self.task).title)
        if self.weights == "shipped":
            return msg("trained task: {task}, shipped weights", task=title)
        k = self.train_key()
        values = dict(task=title, hidden=k.hidden_size, seed=k.seed, bias=k.forget_bias)
        if self.weights == "trained here":
            return msg(
                "trained task: {task}, trained on this server: H {hidden}, seed {seed}, initial forget bias {bias:+g}",
                **values,
            )
        return msg(
            "trained task: {task}, untrained (initial weights): H {hidden}, seed {seed}, initial forget bias {bias:+g}",
            **values,
        )

    def slug(self) -> str:
        """``task-brackets``, and for other weights than the shipped ones which (``-untrained-H8-s3-fb2``)."""
        if self.weights == "shipped":
            return f"task-{self.task}"
        k = self.train_key()
        which = "trained" if self.weights == "trained here" else "untrained"
        return f"task-{self.task}-{which}-H{k.hidden_size}-s{k.seed}-fb{k.forget_bias:+g}"

    def training(self) -> TrainKey | None:
        """The live training behind 'trained here' weights."""
        return self.train_key() if self.weights == "trained here" else None

    def recipe(self) -> Recipe:
        """Its weights' provenance; the training's key where the app made or drew them."""
        return Recipe(self.weights, self.task, None if self.weights == "shipped" else self.train_key())

    def ready_fallback(self) -> ModelSource:
        """The task's shipped weights."""
        return TaskSource(self.task)


@dataclass(frozen=True)
class FileSource(ModelSource):
    """One LSTM of an uploaded file, named by the file's digest and the LSTM's prefix inside it."""

    digest: str
    prefix: str
    filename: str
    choice: ClassVar[str] = "file"
    linkable: ClassVar[bool] = False

    def found(self) -> FoundLSTM:
        """The LSTM as read from the file.

        Raises:
            LookupError: when the server no longer holds the upload.
        """
        item = uploads.store().get(self.digest)
        if not isinstance(item, uploads.UploadedModel):
            raise LookupError(msg("the uploaded model is no longer on the server: upload it again"))
        return item.lstm(self.prefix)

    def fixed(self) -> dict[str, Any]:
        """The file's sizes; its input and layout are the viewer's."""
        found = self.found()
        return dict(
            input_size=found.input_size,
            hidden_size=found.hidden_size,
            proj_size=found.proj_size,
            num_layers=found.num_layers,
            bidirectional=found.bidirectional,
            bias=found.bias,
        )

    def fixed_words(self) -> str:
        """The ``nn.LSTM(...)`` call that rebuilds the file's LSTM."""
        return msg("The file fixes the model: `{call}`.", call=self.found().call)

    def draw(self, config: LSTMConfig) -> Drawn:
        """A copy of the file's LSTM in the config's dtype and layout, on generated input and hx."""
        found = self.found()
        config = config.replace(**self.fixed())
        dtype = getattr(torch, config.dtype)
        # A copy: the uploaded module is shared by every session, and batch_first is the viewer's choice.
        lstm = copy.deepcopy(found.lstm).to(dtype)
        lstm.batch_first = config.batch_first
        x, hx = generated_inputs(config)
        return Drawn(config, Built(lstm=lstm.eval(), input=x, hx=hx), _text_labels(config))

    def describe(self) -> Message:
        """Words for the source, e.g. 'uploaded tagger.pt, the LSTM at encoder.rnn'."""
        if self.prefix:
            return msg("uploaded {filename}, the LSTM at {prefix}", filename=self.filename, prefix=self.prefix)
        return msg("uploaded {filename}, the LSTM at the top level", filename=self.filename)

    def recipe(self) -> Recipe:
        """Trained elsewhere: how, the app cannot know."""
        return Recipe("unknown")

    def slug(self) -> str:
        """``file-tagger`` (the file's name without its extension), and the LSTM's prefix when it has one."""
        stem = re.sub(r"[^A-Za-z0-9.-]+", "-", self.filename.rsplit(".", 1)[0]).strip("-.") or "upload"
        prefix = re.sub(r"[^A-Za-z0-9.-]+", "-", self.prefix).strip("-.")
        return f"file-{stem}" + (f"-{prefix}" if prefix else "")


def _text_labels(config: LSTMConfig) -> Labels:
    """The characters of a ``text`` input as symbols; None for other inputs."""
    return tuple(tuple(row) for row in text_symbols(config)) if config.input_kind == "text" else None
