"""PyTorch's LSTM parameter names and shapes, read from a module and described in plain words."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from lstm_viz.engine import DirectionWeights


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
    description: str

    @property
    def numel(self) -> int:
        """How many numbers the parameter holds."""
        n = 1
        for s in self.shape:
            n *= s
        return n


def _describe(kind: str, layer: int, reverse: bool, shape: tuple[int, ...], lstm: nn.LSTM) -> str:
    hidden, proj = lstm.hidden_size, lstm.proj_size
    dirs = 2 if lstm.bidirectional else 1
    where = f"layer {layer}, {'reverse' if reverse else 'forward'} direction"
    gate_rows = (
        f"rows 0-{hidden - 1} feed the input gate i, {hidden}-{2 * hidden - 1} the forget gate f, "
        f"{2 * hidden}-{3 * hidden - 1} the cell candidate g, {3 * hidden}-{4 * hidden - 1} the output gate o"
    )
    if kind == "weight_ih":
        if layer == 0:
            cols = f"{shape[1]} columns, one per input feature (input_size)"
        else:
            width = proj if proj else hidden
            cols = f"{shape[1]} columns: layer {layer - 1}'s output" + (
                f", forward and reverse concatenated ({dirs} x {width})" if dirs == 2 else ""
            )
        return f"Input-to-hidden weights W_i* for {where}: {gate_rows}; {cols}."
    if kind == "weight_hh":
        if proj:
            cols = (
                f"{shape[1]} columns because with proj_size={proj} the recurrent state h_(t-1) "
                f"is the projected {proj}-vector, not the {hidden}-unit cell output"
            )
        else:
            cols = f"{shape[1]} columns, one per hidden unit of h_(t-1)"
        return f"Hidden-to-hidden weights W_h* for {where}: {gate_rows}; {cols}."
    if kind == "bias_ih":
        return f"Input-side bias b_i* for {where}, {4 * hidden} values in i, f, g, o blocks of {hidden}."
    if kind == "bias_hh":
        return (
            f"Recurrent-side bias b_h* for {where}, {4 * hidden} values in i, f, g, o blocks of {hidden}; "
            "only b_i* + b_h* matters, PyTorch keeps both for cuDNN compatibility."
        )
    return (
        f"Projection W_hr for {where}: maps the {hidden}-unit m_t = o_t * tanh(c_t) down to the "
        f"{proj}-unit h_t at every step (no bias)."
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
