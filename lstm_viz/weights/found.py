"""Finding every ``nn.LSTM`` among a checkpoint's tensors by PyTorch's names, checking it, and rebuilding it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from lstm_viz.config import MAX_LAYERS, MAX_SIZE
from lstm_viz.i18n import Message, msg
from lstm_viz.params import param_name
from lstm_viz.weights.files import (
    MAX_LSTMS,
    MAX_NAME_CHARS,
    MAX_TENSORS,
    long_name_message,
    lstm_count_message,
    short_error,
)

WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "network", "module")
"""Keys under which checkpoint dicts commonly keep the model's state_dict (names below are shown relative)."""

KINDS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
"""The parameter kinds of ``nn.LSTM``, in the order it registers them."""

_MAX_NESTING = 64  # deeper containers than any real checkpoint has are not searched
MAX_NODES = 4_000_000
"""Containers and entries a checkpoint's object may have, each visited once (shared containers once in all)."""
MAX_TENSOR_BYTES = 2 * 64 * 2**20
"""What all of a file's tensors together may hold, counted as if each were materialised (numel x item size),
so shared or overlapping views of one storage cannot make a small file stand for a huge model."""
MAX_LSTM_BYTES = 2 * 64 * 2**20
"""The built modules of one file together (float16 files are widened to float32, so twice a 64 MB file)."""


def find_lstms(obj: object) -> list[FoundLSTM]:
    """Every ``nn.LSTM`` among the tensors of a checkpoint object, checked and rebuilt, in file order.

    Everything is checked from names, shapes and storage sizes before any value is read: the object is walked
    as a graph (each container once, within ``MAX_NODES``, ``MAX_TENSORS``, ``MAX_NAME_CHARS``), tensors must be
    real CPU tensors no larger than their storage (no expanded or overlapping views), all of them together
    within ``MAX_TENSOR_BYTES``, at most ``MAX_LSTMS`` LSTMs within the size limits and ``MAX_LSTM_BYTES``;
    only then are the LSTMs' values scanned for NaN/inf and the modules built.

    Raises:
        ValueError: when there are no tensors or no LSTM, or an LSTM's tensors are inconsistent, not finite
            or beyond the explorer's limits, or the file is beyond any of the limits above.
    """
    tensors, rest, source_key = _collect_tensors(obj)
    if not tensors and not rest:
        raise ValueError(
            msg(
                "the file holds no tensors at all: expected a state_dict, e.g. saved with "
                "torch.save(model.state_dict(), 'model.pt')"
            )
        )
    everything = tensors | rest
    for name, t in everything.items():
        _check_real(name, t)
    # The wrapper's names were shortened only where no other name became equal, so both sets can be searched.
    groups, not_lstm = _group_lstm_tensors(everything)
    if not groups:
        raise ValueError(_no_lstm_message(everything, not_lstm))
    if len(groups) > MAX_LSTMS:
        raise ValueError(lstm_count_message(len(groups)))
    specs = [_check_group(prefix, group) for prefix, group in groups.items()]
    for spec in specs:
        _check_limits(spec)
    _check_storage(everything)
    _check_built_bytes(specs)
    for spec in specs:
        _check_finite(spec)
    shared = _FileTensors(tensors, {spec.input_size for spec in specs})
    found = [_build(spec, source_key, shared) for spec in specs]
    shared.keep_only({f.embedding_name() for f in found} - {None})
    return found


def _check_real(name: str, t: Tensor) -> None:
    """Refuse a tensor with no real values behind it on the CPU (meta, or on another device)."""
    if t.is_meta or t.device.type != "cpu":
        raise ValueError(
            msg(
                "tensor {name!r} is a {device} tensor with no values in the file (a meta or device tensor): save the "
                "model's real weights, e.g. torch.save(model.state_dict(), 'model.pt')",
                name=name,
                device=t.device.type,
            )
        )


def _storage_values(t: Tensor) -> int:
    """How many values of ``t``'s dtype its storage really holds."""
    return t.untyped_storage().nbytes() // max(t.element_size(), 1)


def _check_storage(tensors: dict[str, Tensor]) -> None:
    """Refuse views that claim more values than their storage holds, and files whose tensors claim too much.

    A stride-0 (expanded) or overlapping view has more elements than the storage under it; many views of one
    storage each fit it but together stand for more than the file holds. Both would be materialised as their
    full size when read, so both are refused here from sizes alone, before any value is read.
    """
    total = 0
    for name, tensor in tensors.items():
        if tensor.layout != torch.strided:
            continue  # sparse and other layouts are refused where they would be read (LSTM, embedding)
        held = _storage_values(tensor)
        if tensor.numel() > held:
            raise ValueError(
                msg(
                    "tensor {name!r} of shape {shape} claims {values:,} values over a storage of only {held:,}: "
                    "expanded (stride-0) or overlapping views are not read here, since they would take that much "
                    "memory; save real tensors, e.g. t.contiguous().clone()",
                    name=name,
                    shape=_shape(tensor),
                    values=tensor.numel(),
                    held=held,
                )
            )
        total += tensor.numel() * tensor.element_size()
        if total > MAX_TENSOR_BYTES:
            raise ValueError(
                msg(
                    "this file's tensors stand for more than {limit} when read, above the limit of {limit} (each "
                    "view of a shared storage counts in full): save only the LSTM's tensors, each as its own tensor",
                    limit=_mb(MAX_TENSOR_BYTES),
                )
            )


def _check_built_bytes(specs: list[_Spec]) -> None:
    total = 0
    for spec in specs:
        itemsize = 8 if any(t.dtype == torch.float64 for t in spec.tensors.values()) else 4
        total += sum(t.numel() for t in spec.tensors.values()) * itemsize
    if total > MAX_LSTM_BYTES:
        raise ValueError(
            msg(
                "the LSTMs in this file would take {size} as modules, above the limit of {limit} for one file",
                size=_mb(total),
                limit=_mb(MAX_LSTM_BYTES),
            )
        )


def _mb(nbytes: int) -> str:
    return f"{nbytes / 2**20:,.1f} MB" if nbytes % 2**20 else f"{nbytes // 2**20:,} MB"


class _FileTensors:
    """What a file's LSTMs share: the shapes of the model's tensors and the few that could be an embedding.

    One per file, however many LSTMs it holds. Only 2-D float ``*.weight`` tensors without a ``.bias`` beside
    them, as wide as one of the file's LSTMs' inputs and finite, are kept (copied out of the file's storages,
    so nothing else of the file stays in memory); every other tensor is kept only as its shape.
    """

    def __init__(self, tensors: dict[str, Tensor], input_sizes: set[int]) -> None:
        self.shapes: dict[str, tuple[int, ...]] = {k: tuple(t.shape) for k, t in tensors.items()}
        self.candidates: dict[str, Tensor] = {}
        for name, t in tensors.items():
            module = name.removesuffix(".weight")
            if not (name == "weight" or name.endswith(".weight")) or f"{module}.bias" in tensors:
                continue
            if t.layout != torch.strided or t.dim() != 2 or t.shape[1] not in input_sizes or t.shape[0] < 2:
                continue
            if not t.is_floating_point() or not _finite(t).all():
                continue
            self.candidates[name] = t.detach().clone()
        self.converted: dict[tuple[str, torch.dtype], Tensor] = {}

    def weight(self, name: str, dtype: torch.dtype) -> Tensor:
        """The candidate ``name`` in ``dtype``, converted once (while the file is read) and then shared, read-only."""
        key = (name, dtype)
        if key not in self.converted:
            t = self.candidates[name]
            self.converted[key] = t if t.dtype == dtype else t.to(dtype)
        return self.converted[key]

    def keep_only(self, names: set[str]) -> None:
        """Drop every candidate but the embeddings chosen, which are kept only as their LSTMs read them."""
        self.converted = {k: t for k, t in self.converted.items() if k[0] in names}
        self.candidates = {}

    def tensors(self) -> list[Tensor]:
        """Every tensor kept, for counting memory."""
        return list(self.converted.values())


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
    _shared: _FileTensors = field(repr=False)  # one per file, shared by its LSTMs
    _embedding: str | None = field(default=None, repr=False)

    @property
    def others(self) -> dict[str, tuple[int, ...]]:
        """The shape of every other tensor of the model's state_dict (not optimizer state), by name."""
        own = set(self.parameter_names().values())
        return {k: v for k, v in self._shared.shapes.items() if k not in own}

    def kept_tensors(self) -> list[Tensor]:
        """Every tensor this LSTM keeps in memory: its parameters and the file's shared embedding candidates."""
        return [*(p.detach() for p in self.lstm.parameters()), *self._shared.tensors()]

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
        return self._embedding

    def embedding_weight(self) -> Tensor | None:
        """An ``nn.Embedding``-like weight beside the LSTM whose rows feed it: token id -> input vector.

        Found among ``others``: a finite 2-D float ``X.weight`` of shape [V, input_size] (V >= 2) with no
        ``X.bias`` beside it (an ``nn.Linear`` has one), preferring names that say embedding (``emb``,
        ``wte``, ``encoder.weight`` as in PyTorch's word language model) and then the one nearest the LSTM.

        The tensor is made once and shared by every caller: read it, do not write to it.

        Shapes: -> [V, I] in the LSTM's dtype, or None when the file holds no such tensor.
        """
        if self._embedding is None:
            return None
        return self._shared.weight(self._embedding, getattr(torch, self.dtype))


def _collect_tensors(obj: object) -> tuple[dict[str, Tensor], dict[str, Tensor], str]:
    """The model's tensors by dotted name, the checkpoint's other tensors, and the wrapper key of the model's.

    With ``{"model": state_dict, "optimizer": ..., "epoch": 3}`` the model's names lose their ``model.``, so a
    prefix reads ``encoder.rnn`` as in the model, ``source_key`` is ``"model"`` and the optimizer's tensors
    are the second dict. Without a single such wrapper every tensor is the model's, under its full path.
    """
    flat = _walk(obj)
    if isinstance(obj, Mapping) and not any(isinstance(v, Tensor) for v in obj.values()):
        holders = [k for k in WRAPPER_KEYS if k in obj and any(n.startswith(f"{k}.") for n in flat)]
        if len(holders) == 1:
            key = holders[0]
            model = {n[len(key) + 1 :]: t for n, t in flat.items() if n.startswith(f"{key}.")}
            rest = {n: t for n, t in flat.items() if not n.startswith(f"{key}.")}
            if not model.keys() & rest.keys():  # shortening must not make two names equal
                return model, rest, key
    return flat, {}, ""


def _walk(obj: object) -> dict[str, Tensor]:
    """Every tensor reachable from ``obj`` by its dotted path, walking containers as a graph, within budgets.

    A container reached again (``x = [x, x]`` forty times is 41 lists but 2^40 paths) is not entered again:
    its tensors keep the first path that reached them. Entries are counted against ``MAX_NODES``, tensors
    against ``MAX_TENSORS`` and every path against ``MAX_NAME_CHARS`` as they are met.
    """
    out: dict[str, Tensor] = {}
    entered: set[int] = set()
    stack: list[tuple[object, str, int]] = [(obj, "", 0)]
    nodes = 0
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, Tensor):
            out[path] = node
            if len(out) > MAX_TENSORS:
                raise ValueError(
                    msg("this file holds more than {limit:,} tensors, the limit per file", limit=MAX_TENSORS)
                )
            continue
        if depth >= _MAX_NESTING or id(node) in entered:
            continue
        entered.add(id(node))
        items = node.items() if isinstance(node, Mapping) else enumerate(node)
        children = []
        for key, value in items:
            nodes += 1
            if nodes > MAX_NODES:
                raise ValueError(
                    msg(
                        "this file's object has more than {limit:,} entries, the limit: save only the model's "
                        "state_dict, e.g. torch.save(model.state_dict(), 'model.pt')",
                        limit=MAX_NODES,
                    )
                )
            if isinstance(value, (Tensor, Mapping, list, tuple)):
                name = f"{path}.{key}" if path else str(key)
                if len(name) > MAX_NAME_CHARS:
                    raise ValueError(long_name_message(name))
                children.append((value, name, depth + 1))
        stack.extend(reversed(children))  # popped in file order
    return out


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


def _group_lstm_tensors(
    tensors: dict[str, Tensor],
) -> tuple[dict[str, dict[str, tuple[str, Tensor]]], list[Message]]:
    """Tensors with LSTM parameter names grouped by prefix; groups shaped like nn.GRU/nn.RNN are set aside."""
    groups: dict[str, dict[str, tuple[str, Tensor]]] = {}
    for name, t in tensors.items():
        parsed = _lstm_name(name)
        if parsed is not None:
            prefix, kind, layer, reverse = parsed
            groups.setdefault(prefix, {})[param_name(kind, layer, reverse)] = (name, t)
    not_lstm = []
    for prefix, group in list(groups.items()):
        other = _other_recurrent_kind(group)
        if other:
            not_lstm.append(_module_at(other, prefix))
            del groups[prefix]
    return groups, not_lstm


def _lstm_name(name: str) -> tuple[str, str, int, bool] | None:
    """``(prefix, kind, layer, reverse)`` of an ``nn.LSTM`` parameter name at any prefix, or None (no regex)."""
    prefix, dot, last = name.rpartition(".")
    if dot and not prefix:
        return None
    reverse = last.endswith("_reverse")
    kind, sep, layer = last.removesuffix("_reverse").rpartition("_l")
    if not sep or kind not in KINDS or not (0 < len(layer) <= 6 and layer.isascii() and layer.isdigit()):
        return None
    return prefix, kind, int(layer), reverse


def _other_recurrent_kind(group: dict[str, tuple[str, Tensor]]) -> Message | None:
    """Which other recurrent module the shapes say (an LSTM's weight_hh has 4x as many rows as columns), or None."""
    if "weight_hr_l0" in group or "weight_hh_l0" not in group:
        return None
    shape = tuple(group["weight_hh_l0"][1].shape)
    if len(shape) != 2 or shape[1] == 0:
        return None
    if shape[0] == 3 * shape[1]:
        return msg("an nn.GRU (3 gate blocks)")
    if shape[0] == shape[1]:
        return msg("an nn.RNN (1 block)")
    return None


def _lstm_at(prefix: str) -> Message:
    """The LSTM at a prefix in words: "the LSTM at 'encoder.rnn'" or "the LSTM at the top level"."""
    return msg("the LSTM at '{prefix}'", prefix=prefix) if prefix else msg("the LSTM at the top level")


def _module_at(module: Message, prefix: str) -> Message:
    """Another recurrent module at a prefix: "an nn.GRU (3 gate blocks) at 'enc'"."""
    if prefix:
        return msg("{module} at '{prefix}'", module=module, prefix=prefix)
    return msg("{module} at the top level", module=module)


def _listed(items: list[Message]) -> Message:
    """Items one after another as a sentence lists them ("a, b, c")."""
    words = items[-1]
    for item in reversed(items[:-1]):
        words = msg("{first}, {rest}", first=item, rest=words)
    return words


def _no_lstm_message(tensors: dict[str, Tensor], not_lstm: list[Message]) -> Message:
    if not_lstm:
        return msg(
            "this file holds no nn.LSTM, but {modules}: the explorer shows LSTMs, whose weight_hh has 4 gate blocks "
            "(input, forget, cell, output), 4 x hidden_size rows",
            modules=_listed(not_lstm),
        )
    names = list(tensors)
    values = dict(count=len(names), names=", ".join(names[:4]))
    if len(names) > 4:
        return msg(
            "no LSTM found in this file: none of its {count} tensors ({names} and {more} more) has an nn.LSTM "
            "parameter name such as weight_ih_l0, weight_hh_l0, bias_ih_l0 (after any prefix like 'encoder.rnn.')",
            more=len(names) - 4,
            **values,
        )
    return msg(
        "no LSTM found in this file: none of its {count} tensors ({names}) has an nn.LSTM parameter name such as "
        "weight_ih_l0, weight_hh_l0, bias_ih_l0 (after any prefix like 'encoder.rnn.')",
        **values,
    )


def _shape(t: Tensor) -> str:
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _check_group(prefix: str, group: dict[str, tuple[str, Tensor]]) -> _Spec:
    """Infer the sizes from names and shapes and check every tensor against them; refuse on any mismatch."""
    where = _lstm_at(prefix)

    def fail(problem: Message) -> ValueError:
        return ValueError(msg("{lstm}: {problem}", lstm=where, problem=problem))

    for key, (_name, tensor) in group.items():
        if tensor.layout != torch.strided or tensor.is_quantized or not tensor.is_floating_point():
            raise fail(
                msg(
                    "{key} holds {dtype} values; an LSTM's weights must be real floating-point numbers (float32, "
                    "float64, or float16/bfloat16/float8, widened to float32)",
                    key=key,
                    dtype=str(tensor.dtype).removeprefix("torch."),
                )
            )
        expected_dim = 1 if key.startswith("bias") else 2
        if tensor.dim() != expected_dim:
            if expected_dim == 1:
                raise fail(msg("{key} has shape {shape} but it must be a vector (1-D)", key=key, shape=_shape(tensor)))
            raise fail(msg("{key} has shape {shape} but it must be a matrix (2-D)", key=key, shape=_shape(tensor)))
    layers = sorted({int(k.rsplit("_l", 1)[1].removesuffix("_reverse")) for k in group})
    num_layers = layers[-1] + 1
    if num_layers > MAX_LAYERS:
        raise ValueError(_limit_message(prefix, "num_layers", num_layers, MAX_LAYERS))
    for k in range(num_layers):
        for kind in ("weight_ih", "weight_hh"):
            if param_name(kind, k) not in group:
                present = ", ".join(sorted(group)[:6])
                raise fail(
                    msg(
                        "{name} is missing (found {present}): every layer 0..{last} needs weight_ih and weight_hh",
                        name=param_name(kind, k),
                        present=present,
                        last=num_layers - 1,
                    )
                )
    bidirectional = any(k.endswith("_reverse") for k in group)
    bias = any(k.startswith("bias") for k in group)
    proj = any(k.startswith("weight_hr") for k in group)
    directions = (False, True) if bidirectional else (False,)
    for k in range(num_layers):
        for reverse in directions:
            needed = ["weight_ih", "weight_hh"] + ["bias_ih", "bias_hh"] * bias + ["weight_hr"] * proj
            for kind in needed:
                name = param_name(kind, k, reverse)
                if name not in group:
                    if kind in ("bias_ih", "bias_hh"):
                        raise fail(
                            msg(
                                "{name} is missing: other layers or directions have biases, so every one must have "
                                "bias_ih and bias_hh",
                                name=name,
                            )
                        )
                    if kind == "weight_hr":
                        raise fail(
                            msg(
                                "{name} is missing: other layers or directions have a projection weight_hr, so every "
                                "one must",
                                name=name,
                            )
                        )
                    raise fail(
                        msg(
                            "{name} is missing: the LSTM is bidirectional (it has _reverse tensors), so every layer "
                            "needs both",
                            name=name,
                        )
                    )

    def get(kind: str, k: int = 0, reverse: bool = False) -> Tensor:
        return group[param_name(kind, k, reverse)][1]

    gate_rows = get("weight_hh").shape[0]
    if gate_rows == 0 or gate_rows % 4:
        raise fail(
            msg(
                "weight_hh_l0 has shape {shape}: its rows must be 4 x hidden_size (the input, forget, cell and output "
                "gate blocks), and {rows} is not a positive multiple of 4",
                shape=_shape(get("weight_hh")),
                rows=gate_rows,
            )
        )
    hidden = gate_rows // 4
    proj_size = get("weight_hr").shape[0] if proj else 0
    if proj and not 0 < proj_size < hidden:
        raise fail(
            msg(
                "weight_hr_l0 has shape {shape}: a projection maps the {hidden} hidden units to fewer features, so "
                "its rows (proj_size) must be between 1 and {most}",
                shape=_shape(get("weight_hr")),
                hidden=hidden,
                most=hidden - 1,
            )
        )
    out = proj_size or hidden
    input_size = get("weight_ih").shape[1]
    if input_size == 0:
        raise fail(msg("weight_ih_l0 has 0 columns: the input size must be at least 1"))
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
                    values = dict(
                        name=param_name(kind, k, reverse),
                        shape=_shape(t),
                        expected=f"[{', '.join(map(str, shape))}]",
                        sizes=_sizes(input_size, hidden, num_layers, n_dir, proj_size),
                    )
                    if kind == "weight_ih" and k:
                        raise fail(
                            msg(
                                "{name} has shape {shape}, expected {expected} for {sizes} (layer {layer} reads "
                                "layer {previous}'s {directions} x {out} outputs)",
                                layer=k,
                                previous=k - 1,
                                directions=n_dir,
                                out=out,
                                **values,
                            )
                        )
                    raise fail(msg("{name} has shape {shape}, expected {expected} for {sizes}", **values))
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


def _check_finite(spec: _Spec) -> None:
    """Refuse NaN or infinite weights (read only after every size was checked)."""
    for key, t in spec.tensors.items():
        finite = _finite(t)
        if not finite.all():
            values = dict(lstm=_lstm_at(spec.prefix), key=key, bad=int((~finite).sum()), total=t.numel())
            if (t.float() if t.dtype != torch.float64 else t).isnan().any():
                raise ValueError(
                    msg(
                        "{lstm}: {key} contains NaN values ({bad} of {total}); a trained LSTM's weights are finite "
                        "numbers, so the training probably diverged before this was saved",
                        **values,
                    )
                )
            raise ValueError(
                msg(
                    "{lstm}: {key} contains infinite values ({bad} of {total}); a trained LSTM's weights are finite "
                    "numbers, so the training probably diverged before this was saved",
                    **values,
                )
            )


def _finite(t: Tensor) -> Tensor:
    """``isfinite`` for every float dtype (float8 has no kernel for it; widening to float32 is exact)."""
    return torch.isfinite(t if t.dtype in (torch.float32, torch.float64) else t.float())


def _sizes(input_size: int, hidden: int, layers: int, directions: int, proj: int) -> Message:
    # proj_size=P is code, the same in every language; "bidirectional" is a word, so two whole phrases.
    values = dict(input=input_size, hidden=hidden, layers=layers, proj=f", proj_size={proj}" if proj else "")
    if directions == 2:
        return msg(
            "input_size={input}, hidden_size={hidden} (from weight_hh_l0's rows / 4), num_layers={layers}, "
            "bidirectional{proj}",
            **values,
        )
    return msg(
        "input_size={input}, hidden_size={hidden} (from weight_hh_l0's rows / 4), num_layers={layers}{proj}", **values
    )


def _check_limits(spec: _Spec) -> None:
    for name, value, limit in (
        ("input_size", spec.input_size, MAX_SIZE),
        ("hidden_size", spec.hidden_size, MAX_SIZE),
        ("num_layers", spec.num_layers, MAX_LAYERS),
    ):
        if value > limit:
            raise ValueError(_limit_message(spec.prefix, name, value, limit))


def _limit_message(prefix: str, name: str, value: int, limit: int) -> Message:
    return msg(
        "{lstm} has {name} = {value}, above the explorer's limit of {limit} (input and hidden sizes up to {size}, up "
        "to {layers} layers), so it cannot be shown here",
        lstm=_lstm_at(prefix),
        name=name,
        value=value,
        limit=limit,
        size=MAX_SIZE,
        layers=MAX_LAYERS,
    )


def _build(spec: _Spec, source_key: str, shared: _FileTensors) -> FoundLSTM:
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
            msg("{lstm} could not be built from the file ({error})", lstm=_lstm_at(spec.prefix), error=short_error(e))
        ) from None
    embedding = _find_embedding(spec, shared)
    if embedding is not None:
        shared.weight(embedding, dtype)  # made now, while the file is read: later calls only look it up
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
        _shared=shared,
        _embedding=embedding,
    )


_EMBEDDING_HINTS = ("emb", "wte", "tok", "word", "lookup", "encoder.weight")


def _find_embedding(spec: _Spec, shared: _FileTensors) -> str | None:
    own = set(spec.names.values())
    candidates = []
    for name, t in shared.candidates.items():
        if name in own or t.shape[1] != spec.input_size:
            continue
        hinted = any(h in name.lower() for h in _EMBEDDING_HINTS)
        common = len(_common_prefix(name.split("."), spec.prefix.split(".") if spec.prefix else []))
        candidates.append((not hinted, -common, name))
    return min(candidates)[2] if candidates else None


def _common_prefix(a: list[str], b: list[str]) -> list[str]:
    out = []
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        out.append(x)
    return out
