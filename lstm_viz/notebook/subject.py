"""What ``show`` was given: an ``nn.LSTM`` (or a task's model), its input and state, checked against each other."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from lstm_viz.tasks import Batch, TaskModel

TASK_SEQUENCES = 1
"""Sequences of a task's own input drawn when ``show`` is given a task's model without ``x``."""
TASK_SEED = 0
"""Seed of those sequences (the app's default run draws the same)."""

_NOT_AN_LSTM = {
    nn.GRU: "a GRU has no cell state c and no output gate: there is no LSTM to draw",
    nn.RNN: "a plain RNN has no gates and no cell state: there is no LSTM to draw",
    nn.LSTMCell: (
        "an nn.LSTMCell computes one step; copy its weights into nn.LSTM(input_size, hidden_size) "
        "(weight_ih -> weight_ih_l0, ...) to see every step"
    ),
    nn.GRUCell: "a GRU cell has no cell state c and no output gate: there is no LSTM to draw",
    nn.RNNCell: "a plain RNN cell has no gates: there is no LSTM to draw",
}


@dataclass(frozen=True)
class Subject:
    """An LSTM and what it reads, checked: ``lstm(x, hx)`` would run.

    Attributes:
        lstm: The module drawn.
        x: Its input, as ``nn.LSTM`` takes it.
        hx: ``(h_0, c_0)``, or None for zeros.
        model: The task's model when one was passed (its read-out, its task), else None.
        batch: The task's own sequences when ``x`` was drawn from the task, else None.
        labels: The input symbol of every step ``[B][T]`` (a task's symbols), or None.

    Shapes: ``x`` [T, B, I], [B, T, I] with batch_first, [T, I] unbatched; ``hx`` ([D*L, B, H_out], [D*L, B, H]).
    """

    lstm: nn.LSTM
    x: Tensor
    hx: tuple[Tensor, Tensor] | None
    model: TaskModel | None = None
    batch: Batch | None = None
    labels: list[list[str]] | None = None

    @property
    def batched(self) -> bool:
        """Whether ``x`` has a batch dimension."""
        return self.x.dim() == 3

    def describe(self) -> str:
        """The module and its input in words, for an export's caption."""
        what = f"the {self.model.task.name} task's model, " if self.model is not None else ""
        start = "h_0, c_0 given" if self.hx is not None else "h_0, c_0 zeros"
        return f"{what}{self.lstm!r} on x {list(self.x.shape)} {str(self.x.dtype).removeprefix('torch.')}, {start}"


def as_lstm(obj: object) -> tuple[nn.LSTM, TaskModel | None]:
    """The ``nn.LSTM`` to draw from what was passed: the module itself, or a task model's ``.lstm``.

    Raises:
        TypeError: for anything else, naming it, why it is not drawn, and where an LSTM inside it is.
    """
    if isinstance(obj, TaskModel):
        return obj.lstm, obj
    if isinstance(obj, nn.LSTM):
        return obj, None
    for kind, why in _NOT_AN_LSTM.items():
        if isinstance(obj, kind):
            raise TypeError(f"show() draws an nn.LSTM; it was given {obj!r}, an nn.{kind.__name__}: {why}")
    if isinstance(obj, nn.Module):
        inside = [name for name, m in obj.named_modules() if isinstance(m, nn.LSTM) and name]
        where = (
            f"it holds {'an nn.LSTM' if len(inside) == 1 else 'nn.LSTMs'} at "
            + ", ".join(f"model.{name}" for name in inside)
            + f": pass that one, e.g. show(model.{inside[0]}, x)"
            if inside
            else "it holds no nn.LSTM"
        )
        raise TypeError(f"show() draws an nn.LSTM; it was given a {type(obj).__name__} module: {where}")
    raise TypeError(
        f"show() draws an nn.LSTM or a trained task's model (lstm_viz.tasks.pretrained(name)); "
        f"it was given {type(obj).__name__}"
    )


def _shape(t: Tensor) -> str:
    return f"[{', '.join(map(str, t.shape))}]"


def _expected_x(lstm: nn.LSTM) -> str:
    layout = "[B, T, {I}] (batch_first=True)" if lstm.batch_first else "[T, B, {I}] (batch_first=False)"
    return layout.format(I=lstm.input_size) + f" or [T, {lstm.input_size}] unbatched"


def check_input(lstm: nn.LSTM, x: object) -> Tensor:
    """``x`` if ``lstm`` reads it.

    Raises:
        TypeError: for something that is not a tensor (a PackedSequence, a NumPy array).
        ValueError: for a tensor of the wrong rank, width, dtype or device, or with no steps, saying what was
            expected.
    """
    if isinstance(x, PackedSequence):
        raise TypeError(
            "x is a PackedSequence: the views show every step of every sequence, so pass the padded tensor "
            "(torch.nn.utils.rnn.pad_packed_sequence(x)[0])"
        )
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor shaped {_expected_x(lstm)}; it was given {type(x).__name__}")
    if x.dim() not in (2, 3):
        raise ValueError(f"x has shape {_shape(x)} ({x.dim()}-D); this LSTM takes {_expected_x(lstm)}")
    if x.shape[-1] != lstm.input_size:
        hint = ""
        if x.dim() == 3 and lstm.input_size in tuple(x.shape[:2]):
            hint = f"; its dimension {tuple(x.shape[:2]).index(lstm.input_size)} has {lstm.input_size}: is x permuted?"
        raise ValueError(
            f"x has {x.shape[-1]} features per step (shape {_shape(x)}), and this LSTM takes "
            f"input_size={lstm.input_size}: {_expected_x(lstm)}{hint}"
        )
    if 0 in x.shape:
        raise ValueError(f"x has shape {_shape(x)}: there is no step to draw")
    weight = lstm.weight_ih_l0
    if not x.is_floating_point():
        raise ValueError(
            f"x holds {str(x.dtype).removeprefix('torch.')} values: nn.LSTM reads float features "
            f"(token ids become one-hot rows: torch.nn.functional.one_hot(ids, {lstm.input_size}).float())"
        )
    if x.dtype != weight.dtype:
        raise ValueError(
            f"x is {str(x.dtype).removeprefix('torch.')} and the LSTM's weights are "
            f"{str(weight.dtype).removeprefix('torch.')}: pass x.to({weight.dtype}) or call lstm.to({x.dtype})"
        )
    if x.device != weight.device:
        raise ValueError(f"x is on {x.device} and the LSTM on {weight.device}: move one to the other")
    return x


def check_state(lstm: nn.LSTM, x: Tensor, hx: object) -> tuple[Tensor, Tensor] | None:
    """``hx`` if ``lstm(x, hx)`` takes it, checked with the mistakes the tutorial invites named.

    Raises:
        TypeError: for something other than a pair of tensors.
        ValueError: for states of the wrong rank, batch, size, dtype or device, or an input that reads batch-first
            against the LSTM's ``batch_first``.
    """
    if hx is None:
        return None
    if not isinstance(hx, (tuple, list)) or len(hx) != 2 or not all(isinstance(s, Tensor) for s in hx):
        raise TypeError(f"hx is (h_0, c_0), two tensors, as nn.LSTM takes it; it was given {type(hx).__name__}")
    h0, c0 = hx
    n = lstm.num_layers * (2 if lstm.bidirectional else 1)
    out = lstm.proj_size or lstm.hidden_size
    batched = x.dim() == 3
    if batched:
        b_dim = 0 if lstm.batch_first else 1
        batch = x.shape[b_dim]
        for name, s, width in (("h_0", h0, out), ("c_0", c0, lstm.hidden_size)):
            if s.dim() == 2:
                raise ValueError(
                    f"{name} has shape {_shape(s)}: for a batched x nn.LSTM takes {name} as "
                    f"[num_layers * directions, B, {width}] = [{n}, {batch}, {width}]; a tutorial-style [B, {width}] "
                    f"state needs {name[0]}0.unsqueeze(0)"
                )
        state_batch = h0.shape[1] if h0.dim() == 3 else None
        other = x.shape[1 - b_dim]
        if state_batch is not None and state_batch != batch and other == state_batch:
            layout = "[T, B, I]" if not lstm.batch_first else "[B, T, I]"
            raise ValueError(
                f"x has shape {_shape(x)}: with batch_first={lstm.batch_first} nn.LSTM reads it as {layout}, a batch "
                f"of {batch}, but h_0 has a batch of {state_batch}: x is laid out "
                f"{'batch-first' if not lstm.batch_first else 'time-first'}. Create the LSTM with "
                f"batch_first={not lstm.batch_first}, or pass x.transpose(0, 1)"
            )
        wants = {"h_0": (n, batch, out), "c_0": (n, batch, lstm.hidden_size)}
    else:
        for name, s in (("h_0", h0), ("c_0", c0)):
            if s.dim() == 3:
                raise ValueError(
                    f"x is unbatched, {_shape(x)} = [T, I], but {name} is 3-D, {_shape(s)}: give {name} without "
                    f"its batch ([{n}, ...]), or give x a batch: x.unsqueeze({0 if lstm.batch_first else 1})"
                )
        wants = {"h_0": (n, out), "c_0": (n, lstm.hidden_size)}
    sizes = "proj_size" if lstm.proj_size else "hidden_size"
    for (name, want), s in zip(wants.items(), (h0, c0), strict=True):
        if tuple(s.shape) != want:
            width = sizes if name == "h_0" else "hidden_size"
            laid = "num_layers * directions, B, " if batched else "num_layers * directions, "
            raise ValueError(
                f"{name} has shape {_shape(s)}; this LSTM takes [{', '.join(map(str, want))}] ([{laid}{width}])"
            )
        if s.dtype != x.dtype or s.device != x.device:
            raise ValueError(
                f"{name} is {str(s.dtype).removeprefix('torch.')} on {s.device}, and x is "
                f"{str(x.dtype).removeprefix('torch.')} on {x.device}: give them the same dtype and device"
            )
    return h0, c0


def _symbols(model: TaskModel, x: Tensor, batch_first: bool) -> list[list[str]] | None:
    """A task's symbol of every step when ``x`` is one-hot over the task's symbols, else None. Shapes: -> [B][T]."""
    symbols = model.task.symbols
    if x.shape[-1] != len(symbols):
        return None
    xb = x if x.dim() == 3 else x.unsqueeze(0 if batch_first else 1)
    xb = xb if batch_first else xb.transpose(0, 1)  # [B, T, I]
    one_hot = bool(((xb == 0) | (xb == 1)).all()) and bool((xb.sum(-1) == 1).all())
    if not one_hot:
        return None
    return [[symbols[k] for k in row] for row in xb.argmax(-1).tolist()]


def subject(obj: object, x: object = None, hx: object = None) -> Subject:
    """Check what ``show`` was given and put it together; a task's model without ``x`` reads its own sequences.

    Raises:
        TypeError: for a module that is not an LSTM, or an input or state that is not a tensor.
        ValueError: for an input or state that the LSTM does not take, saying what it takes.
    """
    lstm, model = as_lstm(obj)
    if x is None:
        if model is None:
            raise TypeError(
                f"show(lstm, x): give the input x that the LSTM reads, shaped {_expected_x(lstm)}, "
                f"e.g. torch.randn(2, 3, {lstm.input_size})"
            )
        batch = model.batch(TASK_SEQUENCES, TASK_SEED)
        x = batch.x.to(model.dtype)
        return Subject(lstm, x, check_state(lstm, x, hx), model, batch, model.task.labels(batch.tokens))
    x = check_input(lstm, x)
    with torch.no_grad():
        labels = _symbols(model, x, lstm.batch_first) if model is not None else None
    return Subject(lstm, x, check_state(lstm, x, hx), model, None, labels)
