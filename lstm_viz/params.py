"""PyTorch's LSTM parameter names and shapes, read from a module and described in plain words."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from lstm_viz.engine import DirectionWeights
from lstm_viz.i18n import Message, msg


def suffix(reverse: bool) -> str:
    """The name suffix PyTorch gives a direction: ``""`` or ``"_reverse"``."""
    return "_reverse" if reverse else ""


def param_name(kind: str, layer: int, reverse: bool = False) -> str:
    """PyTorch's name for a parameter: ``param_name("weight_hh", 1, True)`` is ``weight_hh_l1_reverse``."""
    return f"{kind}_l{layer}{suffix(reverse)}"


def direction_weights(lstm: nn.LSTM, layer: int, reverse: bool = False) -> DirectionWeights:
    """Read one layer-direction's parameters from an ``nn.LSTM`` by their PyTorch names."""

    def get(kind: str):
        return getattr(lstm, param_name(kind, layer, reverse), None)

    return DirectionWeights(
        weight_ih=get("weight_ih").detach(),
        weight_hh=get("weight_hh").detach(),
        bias_ih=get("bias_ih").detach() if lstm.bias else None,
        bias_hh=get("bias_hh").detach() if lstm.bias else None,
        weight_hr=get("weight_hr").detach() if lstm.proj_size > 0 else None,
    )


@dataclass(frozen=True)
class ParamRow:
    """One row of the parameter table: a parameter's PyTorch name, shape and what it holds."""

    name: str
    shape: tuple[int, ...]
    description: str  # a ``Message``: English as a ``str``, ``i18n.say`` gives it in another language

    @property
    def numel(self) -> int:
        """How many numbers the parameter holds."""
        n = 1
        for s in self.shape:
            n *= s
        return n


def _describe(kind: str, layer: int, reverse: bool, shape: tuple[int, ...], lstm: nn.LSTM) -> Message:
    """What one parameter holds, in words (a ``Message``: ``i18n.say`` gives it in the reader's language).

    Each clause is a whole message of its own (where, which rows feed which gate, what the columns are), placed
    into the sentence by name, so a language may order them as it needs.
    """
    hidden, proj = lstm.hidden_size, lstm.proj_size
    dirs = 2 if lstm.bidirectional else 1
    if reverse:
        where = msg("layer {layer}, reverse direction", layer=layer)
    else:
        where = msg("layer {layer}, forward direction", layer=layer)
    gate_rows = msg(
        "rows 0-{i_end} feed the input gate i, {f_start}-{f_end} the forget gate f, {g_start}-{g_end} the cell "
        "candidate g, {o_start}-{o_end} the output gate o",
        i_end=hidden - 1,
        f_start=hidden,
        f_end=2 * hidden - 1,
        g_start=2 * hidden,
        g_end=3 * hidden - 1,
        o_start=3 * hidden,
        o_end=4 * hidden - 1,
    )
    if kind == "weight_ih":
        if layer == 0:
            cols = msg("{n} columns, one per input feature (input_size)", n=shape[1])
        elif dirs == 2:
            cols = msg(
                "{n} columns: layer {previous}'s output, forward and reverse concatenated ({dirs} x {width})",
                n=shape[1],
                previous=layer - 1,
                dirs=dirs,
                width=proj if proj else hidden,
            )
        else:
            cols = msg("{n} columns: layer {previous}'s output", n=shape[1], previous=layer - 1)
        return msg(
            "Input-to-hidden weights W_i* for {where}: {gate_rows}; {cols}.",
            where=where,
            gate_rows=gate_rows,
            cols=cols,
        )
    if kind == "weight_hh":
        if proj:
            cols = msg(
                "{n} columns because with proj_size={proj} the recurrent state h_(t-1) is the projected {proj}-vector, "
                "not the {hidden}-unit cell output",
                n=shape[1],
                proj=proj,
                hidden=hidden,
            )
        else:
            cols = msg("{n} columns, one per hidden unit of h_(t-1)", n=shape[1])
        return msg(
            "Hidden-to-hidden weights W_h* for {where}: {gate_rows}; {cols}.",
            where=where,
            gate_rows=gate_rows,
            cols=cols,
        )
    if kind == "bias_ih":
        return msg(
            "Input-side bias b_i* for {where}, {n} values in i, f, g, o blocks of {hidden}.",
            where=where,
            n=4 * hidden,
            hidden=hidden,
        )
    if kind == "bias_hh":
        return msg(
            "Recurrent-side bias b_h* for {where}, {n} values in i, f, g, o blocks of {hidden}; only b_i* + b_h* "
            "matters, PyTorch keeps both for cuDNN compatibility.",
            where=where,
            n=4 * hidden,
            hidden=hidden,
        )
    return msg(
        "Projection W_hr for {where}: maps the {hidden}-unit m_t = o_t * tanh(c_t) down to the {proj}-unit h_t at "
        "every step (no bias).",
        where=where,
        hidden=hidden,
        proj=proj,
    )


def parameter_table(lstm: nn.LSTM) -> list[ParamRow]:
    """Every parameter of ``lstm`` in ``named_parameters()`` order, with its shape and a description."""
    rows = []
    for name, p in lstm.named_parameters():
        kind, rest = name.rsplit("_l", 1)
        reverse = rest.endswith("_reverse")
        layer = int(rest.removesuffix("_reverse"))
        shape = tuple(p.shape)
        rows.append(ParamRow(name, shape, _describe(kind, layer, reverse, shape, lstm)))
    return rows
