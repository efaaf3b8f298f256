"""What ``show`` was given: an ``nn.LSTM`` (or a task's model), its input and state, checked against each other."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from lstm_viz.i18n import DEFAULT, N_, Message, msg, t
from lstm_viz.tasks import Batch, TaskModel

TASK_SEQUENCES = 1
"""Sequences of a task's own input drawn when ``show`` is given a task's model without ``x``."""
TASK_SEED = 0
"""Seed of those sequences (the app's default run draws the same)."""

_NOT_AN_LSTM = {
    nn.GRU: N_("a GRU has no cell state c and no output gate: there is no LSTM to draw"),
    nn.RNN: N_("a plain RNN has no gates and no cell state: there is no LSTM to draw"),
    nn.LSTMCell: N_(
        "an nn.LSTMCell computes one step; copy its weights into nn.LSTM(input_size, hidden_size) "
        "(weight_ih -> weight_ih_l0, ...) to see every step"
    ),
    nn.GRUCell: N_("a GRU cell has no cell state c and no output gate: there is no LSTM to draw"),
    nn.RNNCell: N_("a plain RNN cell has no gates: there is no LSTM to draw"),
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

    def describe(self, lang: str = DEFAULT) -> str:
        """The module and its input in words (in ``lang``), for an export's caption."""
        values = dict(module=repr(self.lstm), shape=list(self.x.shape), dtype=_dtype(self.x))
        if self.model is not None:
            values["task"] = self.model.task.name
            if self.hx is not None:
                return t(lang, "the {task} task's model, {module} on x {shape} {dtype}, h_0, c_0 given", **values)
            return t(lang, "the {task} task's model, {module} on x {shape} {dtype}, h_0, c_0 zeros", **values)
        if self.hx is not None:
            return t(lang, "{module} on x {shape} {dtype}, h_0, c_0 given", **values)
        return t(lang, "{module} on x {shape} {dtype}, h_0, c_0 zeros", **values)


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
            raise TypeError(
                msg(
                    "show() draws an nn.LSTM; it was given {module}, an nn.{kind}: {why}",
                    module=repr(obj),
                    kind=kind.__name__,
                    why=msg(why),
                )
            )
    if isinstance(obj, nn.Module):
        values = dict(kind=type(obj).__name__)
        inside = [name for name, m in obj.named_modules() if isinstance(m, nn.LSTM) and name]
        if not inside:
            raise TypeError(msg("show() draws an nn.LSTM; it was given a {kind} module: it holds no nn.LSTM", **values))
        values.update(at=", ".join(f"model.{name}" for name in inside), first=inside[0])
        if len(inside) == 1:
            raise TypeError(
                msg(
                    "show() draws an nn.LSTM; it was given a {kind} module: it holds an nn.LSTM at {at}: pass that "
                    "one, e.g. show(model.{first}, x)",
                    **values,
                )
            )
        raise TypeError(
            msg(
                "show() draws an nn.LSTM; it was given a {kind} module: it holds nn.LSTMs at {at}: pass that one, "
                "e.g. show(model.{first}, x)",
                **values,
            )
        )
    raise TypeError(
        msg(
            "show() draws an nn.LSTM or a trained task's model (lstm_viz.tasks.pretrained(name)); it was given {kind}",
            kind=type(obj).__name__,
        )
    )


def _shape(x: Tensor) -> str:
    return f"[{', '.join(map(str, x.shape))}]"


def _dtype(x: Tensor) -> str:
    return str(x.dtype).removeprefix("torch.")


def _expected_x(lstm: nn.LSTM) -> Message:
    """The input ``lstm`` takes, in words (a ``Message``, said in the language of the sentence holding it)."""
    if lstm.batch_first:
        return msg("[B, T, {size}] (batch_first=True) or [T, {size}] unbatched", size=lstm.input_size)
    return msg("[T, B, {size}] (batch_first=False) or [T, {size}] unbatched", size=lstm.input_size)


def check_input(lstm: nn.LSTM, x: object) -> Tensor:
    """``x`` if ``lstm`` reads it.

    Raises:
        TypeError: for something that is not a tensor (a PackedSequence, a NumPy array).
        ValueError: for a tensor of the wrong rank, width, dtype or device, or with no steps, saying what was
            expected.
    """
    if isinstance(x, PackedSequence):
        raise TypeError(
            msg(
                "x is a PackedSequence: the views show every step of every sequence, so pass the padded tensor "
                "(torch.nn.utils.rnn.pad_packed_sequence(x)[0])"
            )
        )
    expected = _expected_x(lstm)
    if not isinstance(x, Tensor):
        raise TypeError(
            msg(
                "x must be a torch.Tensor shaped {expected}; it was given {kind}",
                expected=expected,
                kind=type(x).__name__,
            )
        )
    if x.dim() not in (2, 3):
        raise ValueError(
            msg(
                "x has shape {shape} ({rank}-D); this LSTM takes {expected}",
                shape=_shape(x),
                rank=x.dim(),
                expected=expected,
            )
        )
    if x.shape[-1] != lstm.input_size:
        values = dict(features=x.shape[-1], shape=_shape(x), size=lstm.input_size, expected=expected)
        if x.dim() == 3 and lstm.input_size in tuple(x.shape[:2]):
            raise ValueError(
                msg(
                    "x has {features} features per step (shape {shape}), and this LSTM takes input_size={size}: "
                    "{expected}; its dimension {dim} has {size}: is x permuted?",
                    dim=tuple(x.shape[:2]).index(lstm.input_size),
                    **values,
                )
            )
        raise ValueError(
            msg(
                "x has {features} features per step (shape {shape}), and this LSTM takes input_size={size}: {expected}",
                **values,
            )
        )
    if 0 in x.shape:
        raise ValueError(msg("x has shape {shape}: there is no step to draw", shape=_shape(x)))
    weight = lstm.weight_ih_l0
    if not x.is_floating_point():
        raise ValueError(
            msg(
                "x holds {dtype} values: nn.LSTM reads float features (token ids become one-hot rows: "
                "torch.nn.functional.one_hot(ids, {size}).float())",
                dtype=_dtype(x),
                size=lstm.input_size,
            )
        )
    if x.dtype != weight.dtype:
        raise ValueError(
            msg(
                "x is {dtype} and the LSTM's weights are {weights}: pass x.to({weight_dtype}) or call "
                "lstm.to({x_dtype})",
                dtype=_dtype(x),
                weights=_dtype(weight),
                weight_dtype=str(weight.dtype),
                x_dtype=str(x.dtype),
            )
        )
    if x.device != weight.device:
        raise ValueError(
            msg(
                "x is on {x_device} and the LSTM on {device}: move one to the other",
                x_device=str(x.device),
                device=str(weight.device),
            )
        )
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
        raise TypeError(
            msg("hx is (h_0, c_0), two tensors, as nn.LSTM takes it; it was given {kind}", kind=type(hx).__name__)
        )
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
                    msg(
                        "{name} has shape {shape}: for a batched x nn.LSTM takes {name} as "
                        "[num_layers * directions, B, {width}] = [{n}, {batch}, {width}]; a tutorial-style "
                        "[B, {width}] state needs {letter}0.unsqueeze(0)",
                        name=name,
                        shape=_shape(s),
                        width=width,
                        n=n,
                        batch=batch,
                        letter=name[0],
                    )
                )
        state_batch = h0.shape[1] if h0.dim() == 3 else None
        other = x.shape[1 - b_dim]
        if state_batch is not None and state_batch != batch and other == state_batch:
            values = dict(shape=_shape(x), batch=batch, state_batch=state_batch)
            if lstm.batch_first:
                raise ValueError(
                    msg(
                        "x has shape {shape}: with batch_first=True nn.LSTM reads it as [B, T, I], a batch of "
                        "{batch}, but h_0 has a batch of {state_batch}: x is laid out time-first. Create the LSTM "
                        "with batch_first=False, or pass x.transpose(0, 1)",
                        **values,
                    )
                )
            raise ValueError(
                msg(
                    "x has shape {shape}: with batch_first=False nn.LSTM reads it as [T, B, I], a batch of {batch}, "
                    "but h_0 has a batch of {state_batch}: x is laid out batch-first. Create the LSTM with "
                    "batch_first=True, or pass x.transpose(0, 1)",
                    **values,
                )
            )
        wants = {"h_0": (n, batch, out), "c_0": (n, batch, lstm.hidden_size)}
    else:
        for name, s in (("h_0", h0), ("c_0", c0)):
            if s.dim() == 3:
                raise ValueError(
                    msg(
                        "x is unbatched, {shape} = [T, I], but {name} is 3-D, {state_shape}: give {name} without its "
                        "batch ([{n}, ...]), or give x a batch: x.unsqueeze({dim})",
                        shape=_shape(x),
                        name=name,
                        state_shape=_shape(s),
                        n=n,
                        dim=0 if lstm.batch_first else 1,
                    )
                )
        wants = {"h_0": (n, out), "c_0": (n, lstm.hidden_size)}
    sizes = "proj_size" if lstm.proj_size else "hidden_size"
    for (name, want), s in zip(wants.items(), (h0, c0), strict=True):
        if tuple(s.shape) != want:
            width = sizes if name == "h_0" else "hidden_size"
            laid = "num_layers * directions, B, " if batched else "num_layers * directions, "
            # Code, not words: PyTorch's sizes and names, the same in every language.
            takes, layout = f"[{', '.join(map(str, want))}]", f"[{laid}{width}]"
            raise ValueError(
                msg(
                    "{name} has shape {shape}; this LSTM takes {want} ({layout})",
                    name=name,
                    shape=_shape(s),
                    want=takes,
                    layout=layout,
                )
            )
        if s.dtype != x.dtype or s.device != x.device:
            raise ValueError(
                msg(
                    "{name} is {dtype} on {device}, and x is {x_dtype} on {x_device}: give them the same dtype and "
                    "device",
                    name=name,
                    dtype=_dtype(s),
                    device=str(s.device),
                    x_dtype=_dtype(x),
                    x_device=str(x.device),
                )
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
                msg(
                    "show(lstm, x): give the input x that the LSTM reads, shaped {expected}, e.g. "
                    "torch.randn(2, 3, {size})",
                    expected=_expected_x(lstm),
                    size=lstm.input_size,
                )
            )
        batch = model.batch(TASK_SEQUENCES, TASK_SEED)
        x = batch.x.to(model.dtype)
        return Subject(lstm, x, check_state(lstm, x, hx), model, batch, model.task.labels(batch.tokens))
    x = check_input(lstm, x)
    with torch.no_grad():
        labels = _symbols(model, x, lstm.batch_first) if model is not None else None
    return Subject(lstm, x, check_state(lstm, x, hx), model, None, labels)
