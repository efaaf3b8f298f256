"""Finding every ``nn.LSTM`` among a checkpoint's tensors by PyTorch's names, checking it, and rebuilding it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from lstm_viz.config import MAX_LAYERS, MAX_SIZE
from lstm_viz.params import param_name
from lstm_viz.weights.files import short_error

WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "network", "module")
"""Keys under which checkpoint dicts commonly keep the model's state_dict (names below are shown relative)."""

KINDS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
"""The parameter kinds of ``nn.LSTM``, in the order it registers them."""

_LSTM_NAME = re.compile(
    r"^(?:(?P<prefix>.+)\.)?(?P<kind>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(?P<layer>\d+)(?P<rev>_reverse)?$"
)
_MAX_NESTING = 64  # deeper containers than any real checkpoint has are not searched (no recursion blow-up)


def find_lstms(obj: object) -> list[FoundLSTM]:
    """Every ``nn.LSTM`` among the tensors of a checkpoint object, checked and rebuilt, in file order.

    Raises:
        ValueError: when there are no tensors or no LSTM, or an LSTM's tensors are inconsistent, not finite
            or beyond the explorer's limits.
    """
    tensors, rest, source_key = _collect_tensors(obj)
    if not tensors and not rest:
        raise ValueError(
            "the file holds no tensors at all: expected a state_dict, e.g. saved with "
            "torch.save(model.state_dict(), 'model.pt')"
        )
    # The wrapper's names were shortened only where no other name became equal, so both sets can be searched.
    groups, not_lstm = _group_lstm_tensors(tensors | rest)
    if not groups:
        raise ValueError(_no_lstm_message(tensors | rest, not_lstm))
    specs = [_check_group(prefix, group) for prefix, group in groups.items()]
    for spec in specs:
        _check_limits(spec)
    found = []
    for spec in specs:
        own = set(spec.names.values())
        others = {k: v for k, v in tensors.items() if k not in own}
        found.append(_build(spec, source_key, others))
    return found


@dataclass(frozen=True, eq=False)
class FoundLSTM:
    """One ``nn.LSTM`` read from a file: the module, the sizes inferred from its tensors, and what sat beside it.

    ``lstm`` is in eval mode and holds the file's tensors value for value; float16/bfloat16 tensors become
    float32 (exactly: every half value is a float32 value), and ``file_dtype`` records what the file held.
    ``batch_first`` and ``dropout`` are not stored in weights, so ``lstm`` has the defaults (False, 0.0).
    """

    prefix: str  # where the LSTM sat in the state_dict, e.g. "encoder.rnn"; "" for a bare nn.LSTM state_dict
    lstm: nn.LSTM
    input_size: int  # I
    hidden_size: int  # H
    num_layers: int  # L
    bidirectional: bool
    bias: bool
    proj_size: int  # P, 0 without a projection
    dtype: str  # the module's dtype: "float32" or "float64"
    file_dtype: str  # the dtype(s) the file stored, e.g. "float16" or "float32"
    source_key: str  # the checkpoint key holding the state_dict ("model", "state_dict", ...), "" when bare
    others: dict[str, tuple[int, ...]]  # every other tensor of the model's state_dict (not optimizer state)
    _other_tensors: dict[str, Tensor] = field(repr=False)

    @property
    def converted(self) -> bool:
        """Whether the file's tensors were widened (e.g. float16 -> float32) to build the module."""
        return self.file_dtype != self.dtype

    @property
    def call(self) -> str:
        """The ``nn.LSTM(...)`` call that rebuilds this module (arguments left at their defaults omitted)."""
        args = [str(self.input_size), str(self.hidden_size)]
        if self.num_layers != 1:
            args.append(f"num_layers={self.num_layers}")
        if not self.bias:
            args.append("bias=False")
        if self.bidirectional:
            args.append("bidirectional=True")
        if self.proj_size:
            args.append(f"proj_size={self.proj_size}")
        if self.dtype != "float32":
            args.append(f"dtype=torch.{self.dtype}")
        return f"nn.LSTM({', '.join(args)})"

    def parameter_names(self) -> dict[str, str]:
        """``nn.LSTM`` parameter name -> the tensor's name in the file (relative to ``source_key``)."""
        dot = f"{self.prefix}." if self.prefix else ""
        return {name: dot + name for name, _ in self.lstm.named_parameters()}

    def embedding_name(self) -> str | None:
        """The name of the tensor ``embedding_weight`` returns, or None when there is none."""
        return _find_embedding(self)

    def embedding_weight(self) -> Tensor | None:
        """An ``nn.Embedding``-like weight beside the LSTM whose rows feed it: token id -> input vector.

        Found among ``others``: a finite 2-D float ``X.weight`` of shape [V, input_size] (V >= 2) with no
        ``X.bias`` beside it (an ``nn.Linear`` has one), preferring names that say embedding (``emb``,
        ``wte``, ``encoder.weight`` as in PyTorch's word language model) and then the one nearest the LSTM.

        Shapes: -> [V, I] in the LSTM's dtype, or None when the file holds no such tensor.
        """
        name = _find_embedding(self)
        if name is None:
            return None
        return self._other_tensors[name].detach().to(getattr(torch, self.dtype)).clone()


def _collect_tensors(obj: object) -> tuple[dict[str, Tensor], dict[str, Tensor], str]:
    """The model's tensors by dotted name, the checkpoint's other tensors, and the wrapper key of the model's.

    With ``{"model": state_dict, "optimizer": ..., "epoch": 3}`` the model's names lose their ``model.``, so a
    prefix reads ``encoder.rnn`` as in the model, ``source_key`` is ``"model"`` and the optimizer's tensors
    are the second dict. Without a single such wrapper every tensor is the model's, under its full path.
    """
    flat: dict[str, Tensor] = {}
    _walk(obj, "", flat, 0)
    if isinstance(obj, Mapping) and not any(isinstance(v, Tensor) for v in obj.values()):
        holders = [k for k in WRAPPER_KEYS if k in obj and any(n.startswith(f"{k}.") for n in flat)]
        if len(holders) == 1:
            key = holders[0]
            model = {n[len(key) + 1 :]: t for n, t in flat.items() if n.startswith(f"{key}.")}
            rest = {n: t for n, t in flat.items() if not n.startswith(f"{key}.")}
            if not model.keys() & rest.keys():  # shortening must not make two names equal
                return model, rest, key
    return flat, {}, ""


def _walk(obj: object, path: str, out: dict[str, Tensor], depth: int) -> None:
    if isinstance(obj, Tensor):
        out[path] = obj
        return
    if depth >= _MAX_NESTING:
        return
    if isinstance(obj, Mapping):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    else:
        return
    for key, value in items:
        if isinstance(value, (Tensor, Mapping, list, tuple)):
            _walk(value, f"{path}.{key}" if path else str(key), out, depth + 1)


@dataclass
class _Spec:
    """One LSTM's checked sizes and its tensors by ``nn.LSTM`` name (file names in ``names``)."""

    prefix: str
    input_size: int
    hidden_size: int
    num_layers: int
    bidirectional: bool
    bias: bool
    proj_size: int
    tensors: dict[str, Tensor]
    names: dict[str, str]


def _group_lstm_tensors(tensors: dict[str, Tensor]) -> tuple[dict[str, dict[str, tuple[str, Tensor]]], list[str]]:
    """Tensors with LSTM parameter names grouped by prefix; groups shaped like nn.GRU/nn.RNN are set aside."""
    groups: dict[str, dict[str, tuple[str, Tensor]]] = {}
    for name, t in tensors.items():
        m = _LSTM_NAME.match(name)
        if m:
            key = param_name(m["kind"], int(m["layer"]), bool(m["rev"]))
            groups.setdefault(m["prefix"] or "", {})[key] = (name, t)
    not_lstm = []
    for prefix, group in list(groups.items()):
        other = _other_recurrent_kind(group)
        if other:
            not_lstm.append(f"{other} at {_where(prefix)}")
            del groups[prefix]
    return groups, not_lstm


def _other_recurrent_kind(group: dict[str, tuple[str, Tensor]]) -> str | None:
    """Which other recurrent module the shapes say (an LSTM's weight_hh has 4x as many rows as columns), or None."""
    if "weight_hr_l0" in group or "weight_hh_l0" not in group:
        return None
    shape = tuple(group["weight_hh_l0"][1].shape)
    if len(shape) != 2 or shape[1] == 0:
        return None
    if shape[0] == 3 * shape[1]:
        return "an nn.GRU (3 gate blocks)"
    if shape[0] == shape[1]:
        return "an nn.RNN (1 block)"
    return None


def _where(prefix: str) -> str:
    return f"'{prefix}'" if prefix else "the top level"


def _no_lstm_message(tensors: dict[str, Tensor], not_lstm: list[str]) -> str:
    if not_lstm:
        return (
            f"this file holds no nn.LSTM, but {', '.join(not_lstm)}: the explorer shows LSTMs, whose weight_hh "
            "has 4 gate blocks (input, forget, cell, output), 4 x hidden_size rows"
        )
    names = list(tensors)
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return (
        f"no LSTM found in this file: none of its {len(names)} tensors ({shown}) has an nn.LSTM parameter name "
        "such as weight_ih_l0, weight_hh_l0, bias_ih_l0 (after any prefix like 'encoder.rnn.')"
    )


def _shape(t: Tensor) -> str:
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _check_group(prefix: str, group: dict[str, tuple[str, Tensor]]) -> _Spec:
    """Infer the sizes from names and shapes and check every tensor against them; refuse on any mismatch."""
    where = f"the LSTM at {_where(prefix)}"

    def fail(text: str) -> ValueError:
        return ValueError(f"{where}: {text}")

    for key, (_name, t) in group.items():
        if t.layout != torch.strided or t.is_quantized or not t.is_floating_point():
            raise fail(
                f"{key} holds {str(t.dtype).removeprefix('torch.')} values; an LSTM's weights must be real "
                "floating-point numbers (float32, float64, or float16/bfloat16/float8, widened to float32)"
            )
        expected_dim = 1 if key.startswith("bias") else 2
        if t.dim() != expected_dim:
            raise fail(
                f"{key} has shape {_shape(t)} but it must be {'a vector' if expected_dim == 1 else 'a matrix'} "
                f"({expected_dim}-D)"
            )
    layers = sorted({int(k.split("_l")[1].removesuffix("_reverse")) for k in group})
    num_layers = layers[-1] + 1
    for k in range(num_layers):
        for kind in ("weight_ih", "weight_hh"):
            if param_name(kind, k) not in group:
                present = ", ".join(sorted(group)[:6])
                raise fail(
                    f"{param_name(kind, k)} is missing (found {present}): every layer 0..{num_layers - 1} needs "
                    "weight_ih and weight_hh"
                )
    bidirectional = any(k.endswith("_reverse") for k in group)
    bias = any(k.startswith("bias") for k in group)
    proj = any(k.startswith("weight_hr") for k in group)
    directions = (False, True) if bidirectional else (False,)
    for k in range(num_layers):
        for reverse in directions:
            needed = ["weight_ih", "weight_hh"] + ["bias_ih", "bias_hh"] * bias + ["weight_hr"] * proj
            for kind in needed:
                if param_name(kind, k, reverse) not in group:
                    why = {
                        "bias_ih": "other layers or directions have biases, so every one must have bias_ih and bias_hh",
                        "bias_hh": "other layers or directions have biases, so every one must have bias_ih and bias_hh",
                        "weight_hr": "other layers or directions have a projection weight_hr, so every one must",
                    }.get(kind, "the LSTM is bidirectional (it has _reverse tensors), so every layer needs both")
                    raise fail(f"{param_name(kind, k, reverse)} is missing: {why}")

    def get(kind: str, k: int = 0, reverse: bool = False) -> Tensor:
        return group[param_name(kind, k, reverse)][1]

    gate_rows = get("weight_hh").shape[0]
    if gate_rows == 0 or gate_rows % 4:
        raise fail(
            f"weight_hh_l0 has shape {_shape(get('weight_hh'))}: its rows must be 4 x hidden_size (the input, "
            f"forget, cell and output gate blocks), and {gate_rows} is not a positive multiple of 4"
        )
    hidden = gate_rows // 4
    proj_size = get("weight_hr").shape[0] if proj else 0
    if proj and not 0 < proj_size < hidden:
        raise fail(
            f"weight_hr_l0 has shape {_shape(get('weight_hr'))}: a projection maps the {hidden} hidden units to "
            f"fewer features, so its rows (proj_size) must be between 1 and {hidden - 1}"
        )
    out = proj_size or hidden
    input_size = get("weight_ih").shape[1]
    if input_size == 0:
        raise fail("weight_ih_l0 has 0 columns: the input size must be at least 1")
    n_dir = len(directions)
    for k in range(num_layers):
        for reverse in directions:
            width = input_size if k == 0 else n_dir * out
            expected = {"weight_ih": (4 * hidden, width), "weight_hh": (4 * hidden, out)}
            if bias:
                expected |= {"bias_ih": (4 * hidden,), "bias_hh": (4 * hidden,)}
            if proj:
                expected["weight_hr"] = (proj_size, hidden)
            for kind, shape in expected.items():
                t = get(kind, k, reverse)
                if tuple(t.shape) != shape:
                    raise fail(
                        f"{param_name(kind, k, reverse)} has shape {_shape(t)}, expected "
                        f"[{', '.join(map(str, shape))}] for {_sizes(input_size, hidden, num_layers, n_dir, proj_size)}"
                        + (
                            f" (layer {k} reads layer {k - 1}'s {n_dir} x {out} outputs)"
                            if kind == "weight_ih" and k
                            else ""
                        )
                    )
    for key, (_name, t) in group.items():
        finite = _finite(t)
        if not finite.all():
            bad = "NaN" if (t.float() if t.dtype != torch.float64 else t).isnan().any() else "infinite"
            raise fail(
                f"{key} contains {bad} values ({int((~finite).sum())} of {t.numel()}); a trained LSTM's "
                "weights are finite numbers, so the training probably diverged before this was saved"
            )
    return _Spec(
        prefix=prefix,
        input_size=input_size,
        hidden_size=hidden,
        num_layers=num_layers,
        bidirectional=bidirectional,
        bias=bias,
        proj_size=proj_size,
        tensors={k: t for k, (_n, t) in group.items()},
        names={k: n for k, (n, _t) in group.items()},
    )


def _finite(t: Tensor) -> Tensor:
    """``isfinite`` for every float dtype (float8 has no kernel for it; widening to float32 is exact)."""
    return torch.isfinite(t if t.dtype in (torch.float32, torch.float64) else t.float())


def _sizes(input_size: int, hidden: int, layers: int, directions: int, proj: int) -> str:
    text = f"input_size={input_size}, hidden_size={hidden} (from weight_hh_l0's rows / 4), num_layers={layers}"
    return text + (", bidirectional" if directions == 2 else "") + (f", proj_size={proj}" if proj else "")


def _check_limits(spec: _Spec) -> None:
    for name, value, limit in (
        ("input_size", spec.input_size, MAX_SIZE),
        ("hidden_size", spec.hidden_size, MAX_SIZE),
        ("num_layers", spec.num_layers, MAX_LAYERS),
    ):
        if value > limit:
            raise ValueError(
                f"the LSTM at {_where(spec.prefix)} has {name} = {value}, above the explorer's limit of {limit} "
                f"(input and hidden sizes up to {MAX_SIZE}, up to {MAX_LAYERS} layers), so it cannot be shown here"
            )


def _build(spec: _Spec, source_key: str, others: dict[str, Tensor]) -> FoundLSTM:
    file_dtypes = sorted({str(t.dtype).removeprefix("torch.") for t in spec.tensors.values()})
    dtype = torch.float64 if any(t.dtype == torch.float64 for t in spec.tensors.values()) else torch.float32
    lstm = nn.LSTM(
        spec.input_size,
        spec.hidden_size,
        num_layers=spec.num_layers,
        bias=spec.bias,
        bidirectional=spec.bidirectional,
        proj_size=spec.proj_size,
        dtype=dtype,
        device="meta",  # no memory and no random initialisation: every value comes from the file
    ).to_empty(device="cpu")
    state = {k: t.detach().to(device="cpu", dtype=dtype) for k, t in spec.tensors.items()}
    try:
        with torch.no_grad():
            lstm.load_state_dict(state, strict=True)
    except Exception as e:  # shapes were all checked above, so this only guards against the unforeseen
        raise ValueError(
            f"the LSTM at {_where(spec.prefix)} could not be built from the file ({short_error(e)})"
        ) from None
    return FoundLSTM(
        prefix=spec.prefix,
        lstm=lstm.eval(),
        input_size=spec.input_size,
        hidden_size=spec.hidden_size,
        num_layers=spec.num_layers,
        bidirectional=spec.bidirectional,
        bias=spec.bias,
        proj_size=spec.proj_size,
        dtype=str(dtype).removeprefix("torch."),
        file_dtype="+".join(file_dtypes),
        source_key=source_key,
        others={k: tuple(t.shape) for k, t in others.items()},
        _other_tensors=others,
    )


_EMBEDDING_HINTS = ("emb", "wte", "tok", "word", "lookup", "encoder.weight")


def _find_embedding(found: FoundLSTM) -> str | None:
    candidates = []
    for name, t in found._other_tensors.items():
        module = name.removesuffix(".weight")
        if not (name == "weight" or name.endswith(".weight")) or f"{module}.bias" in found._other_tensors:
            continue
        if t.dim() != 2 or t.shape[1] != found.input_size or t.shape[0] < 2 or not t.is_floating_point():
            continue
        if t.layout != torch.strided or not _finite(t).all():
            continue
        hinted = any(h in name.lower() for h in _EMBEDDING_HINTS)
        shared = len(_common_prefix(name.split("."), found.prefix.split(".") if found.prefix else []))
        candidates.append((not hinted, -shared, name))
    return min(candidates)[2] if candidates else None


def _common_prefix(a: list[str], b: list[str]) -> list[str]:
    out = []
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        out.append(x)
    return out
