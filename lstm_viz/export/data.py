"""A run's numbers as files: an NPZ of every recorded tensor, a ZIP of CSVs, and a script that rebuilds it.

``trace_npz`` and ``trace_csv_zip`` each run inside one of the server's export slots (``renderer().job()``, the
queue every image, ZIP, GIF and MP4 waits in), so a class downloading at once cannot take every core.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import torch
from torch import Tensor

from lstm_viz.export.images import FigureRenderer, renderer
from lstm_viz.i18n import DEFAULT, Message, msg, t
from lstm_viz.params import param_name
from lstm_viz.trace import LayerTrace, LSTMTrace

RECORDED = ("i", "f", "g", "o", "c", "m", "h", "x")
"""What each layer-direction record holds, as saved under ``l{layer}[_reverse]/{name}``."""
PARAM_KINDS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
META = "meta"
"""The NPZ key of a JSON text with ``nn.LSTM``'s arguments and the input's layout."""
MAX_CSV_VALUES = 8_000_000
"""The most numbers a CSV ZIP is written with: text costs about 1 s of CPU per 1.5 million of them, and an
export holds one of the server's export slots. The largest run the hosting limits allow has 29 million (61 s
of CPU measured on a loaded 2-core server); its NPZ holds the same numbers in 8 s."""

_DIMS = {
    "input": None,  # depends on batch_first and batching, see _input_dims
    "output": None,
    "h0": ("state", "batch", "feature"),
    "c0": ("state", "batch", "unit"),
    "h_n": ("state", "batch", "feature"),
    "c_n": ("state", "batch", "unit"),
}


def record_key(rec: LayerTrace, name: str) -> str:
    """The NPZ key of one recorded tensor, e.g. ``l0/c`` or ``l1_reverse/i``."""
    return f"l{rec.layer}{'_reverse' if rec.reverse else ''}/{name}"


def _np(t: Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def _initial_states(tr: LSTMTrace) -> tuple[Tensor, Tensor]:
    """The ``(h_0, c_0)`` the trace started from, laid out like ``nn.LSTM``'s ``hx`` (zeros where hx was omitted).

    Shapes: -> [D*L, B, H_out], [D*L, B, H] ([D*L, H_out], [D*L, H] unbatched).
    """
    h0 = torch.stack([rec.h0 for rec in tr.layers])  # [D*L, B, H_out]
    c0 = torch.stack([rec.c0 for rec in tr.layers])  # [D*L, B, H]
    if not tr.batched:
        h0, c0 = h0.squeeze(1), c0.squeeze(1)
    return h0, c0


def lstm_arguments(tr: LSTMTrace) -> dict:
    """``nn.LSTM``'s constructor arguments, the dtype and the input's layout, read back from a trace."""
    first = tr.layers[0]
    w = first.weights
    return dict(
        input_size=int(w.weight_ih.shape[1]),
        hidden_size=w.hidden_size,
        num_layers=tr.num_layers,
        bias=w.bias_ih is not None,
        batch_first=tr.batch_first,
        bidirectional=tr.bidirectional,
        proj_size=int(w.weight_hr.shape[0]) if w.weight_hr is not None else 0,
        dtype=str(w.weight_ih.dtype).removeprefix("torch."),
        batched=tr.batched,
    )


def trace_arrays(tr: LSTMTrace, input: Tensor, words: str = "") -> dict[str, np.ndarray]:
    """Every tensor of a run as NumPy arrays: parameters, input, initial state, outputs and every record.

    Keys: the parameters under PyTorch's names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...; a ready
    ``state_dict``), ``input`` (as fed to ``nn.LSTM``), ``h0``/``c0`` (zeros where ``hx`` was omitted, which
    ``nn.LSTM`` treats the same), ``output``/``h_n``/``c_n``, ``l{k}[_reverse]/{i,f,g,o,c,m,h,x}``
    (batch-major [B, T, ...], as ``LayerTrace`` holds them) and ``meta`` (JSON: ``lstm_arguments``, and the run in
    words under ``run``).

    Args:
        tr: The trace.
        input: The input the trace was called with (its layout is what ``nn.LSTM`` takes).
        words: The run in words (``Run.describe()``: its model's source, batch, steps, seed), kept in ``meta``.
    """
    arrays: dict[str, np.ndarray] = {}
    for rec in tr.layers:
        w = rec.weights
        for kind, value in zip(PARAM_KINDS, (w.weight_ih, w.weight_hh, w.bias_ih, w.bias_hh, w.weight_hr), strict=True):
            if value is not None:
                arrays[param_name(kind, rec.layer, rec.reverse)] = _np(value)
    h0, c0 = _initial_states(tr)
    arrays.update(input=_np(input), h0=_np(h0), c0=_np(c0), output=_np(tr.output), h_n=_np(tr.h_n), c_n=_np(tr.c_n))
    for rec in tr.layers:
        for name in RECORDED:
            arrays[record_key(rec, name)] = _np(getattr(rec, name))
    arrays[META] = np.array(json.dumps({**lstm_arguments(tr), **({"run": words} if words else {})}))
    return arrays


def trace_values(tr: LSTMTrace, input: Tensor) -> int:
    """How many numbers ``trace_arrays`` holds, from shapes alone (nothing is copied)."""
    params = sum(
        t.numel()
        for rec in tr.layers
        for t in (rec.weights.weight_ih, rec.weights.weight_hh, rec.weights.bias_ih, rec.weights.bias_hh)
        + (rec.weights.weight_hr,)
        if t is not None
    )
    records = sum(getattr(rec, name).numel() for rec in tr.layers for name in RECORDED)
    states = sum(rec.h0.numel() + rec.c0.numel() for rec in tr.layers)
    return params + records + states + input.numel() + tr.output.numel() + tr.h_n.numel() + tr.c_n.numel()


def csv_refusal(tr: LSTMTrace, input: Tensor) -> Message | None:
    """Why ``trace_csv_zip`` would refuse this run (more than ``MAX_CSV_VALUES`` numbers), or None."""
    values = trace_values(tr, input)
    if values <= MAX_CSV_VALUES:
        return None
    return msg(
        "this run holds {values:,} numbers, above the limit of {limit:,} for a CSV export (text is slow to write "
        "and the server makes one export at a time): download the NPZ, which holds every one of them",
        values=values,
        limit=MAX_CSV_VALUES,
    )


def trace_npz(tr: LSTMTrace, input: Tensor, renderer_: FigureRenderer | None = None, words: str = "") -> bytes:
    """``trace_arrays`` as a compressed NPZ file (``numpy.load`` reads it without pickle), in an export slot.

    ``words`` name the run in its ``meta`` (``Run.describe()``).

    Raises:
        ExportBusy: the server's export slots stayed taken.
    """
    with (renderer_ or renderer()).job():
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **trace_arrays(tr, input, words))
        return buffer.getvalue()


def _dims(key: str, ndim: int, meta: dict) -> tuple[str, ...]:
    """Names of an array's axes, for CSV headers."""
    if key in ("input", "output"):
        if not meta["batched"]:
            return ("step", "feature")
        return ("batch", "step", "feature") if meta["batch_first"] else ("step", "batch", "feature")
    if "/" in key:
        return ("batch", "step", "unit" if key[-1] in "ifgocm" else "feature")
    if key in _DIMS and _DIMS[key] is not None:
        dims = _DIMS[key]
        return dims if ndim == 3 else (dims[0], dims[2])
    return ("row", "column")[:ndim] if ndim <= 2 else tuple(f"dim{k}" for k in range(ndim))


def array_csv(key: str, array: np.ndarray, meta: dict) -> str:
    """One array as CSV: a column per index of the leading axes, then one column per entry of the last axis.

    A 1-D array is one column ``value`` with its index.
    """
    dims = _dims(key, array.ndim, meta)
    if array.ndim == 1:
        array = array[:, None]
        dims = (dims[0], "value")
    lead = array.shape[:-1]
    header = list(dims[:-1]) + [f"{dims[-1]}_{k}" for k in range(array.shape[-1])]
    index = np.indices(lead).reshape(len(lead), -1).T  # [rows, leading axes]
    values = array.reshape(-1, array.shape[-1])
    fmt = "%.9g" if array.dtype == np.float32 else "%.17g"
    out = io.StringIO()
    out.write(",".join(header) + "\n")
    body = np.concatenate([index.astype(values.dtype), values], axis=1) if len(lead) else values
    np.savetxt(out, body, delimiter=",", fmt=["%d"] * len(lead) + [fmt] * array.shape[-1])
    return out.getvalue()


def trace_csv_zip(tr: LSTMTrace, input: Tensor, renderer_: FigureRenderer | None = None, words: str = "") -> bytes:
    """A ZIP with one CSV per tensor of ``trace_arrays`` (``l0/c`` becomes ``l0/c.csv``) and ``meta.json``.

    Made in one of the server's export slots, like an image export.

    Raises:
        ValueError: for a run of more than ``MAX_CSV_VALUES`` numbers (``csv_refusal`` says so beforehand).
        ExportBusy: the server's export slots stayed taken.
    """
    refusal = csv_refusal(tr, input)
    if refusal is not None:
        raise ValueError(refusal)
    with (renderer_ or renderer()).job():
        arrays = trace_arrays(tr, input, words)
        meta = json.loads(str(arrays.pop(META)))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("meta.json", json.dumps(meta, indent=2))
            for key in list(arrays):
                zf.writestr(f"{key}.csv", array_csv(key, arrays.pop(key), meta))  # each array freed once written
        return buffer.getvalue()


REBUILD_TEMPLATE = '''"""{docstring}
"""

import json
import sys

import numpy as np
import torch
from torch import nn

data = np.load(sys.argv[1] if len(sys.argv) > 1 else "{npz}")
meta = json.loads(str(data["meta"]))
dtype = getattr(torch, meta["dtype"])
T = lambda key: torch.from_numpy(data[key])  # noqa: E731

# 1. nn.LSTM with the file's weights, on the file's input and initial state.
lstm = nn.LSTM(
    meta["input_size"], meta["hidden_size"], num_layers=meta["num_layers"], bias=meta["bias"],
    batch_first=meta["batch_first"], bidirectional=meta["bidirectional"], proj_size=meta["proj_size"], dtype=dtype,
).eval()
lstm.load_state_dict({{name: T(name) for name, _ in lstm.named_parameters()}})
with torch.no_grad():
    output, (h_n, c_n) = lstm(T("input"), (T("h0"), T("c0")))
# float32: nn.LSTM may pick oneDNN, whose other summation order rounds ~1e-7 apart from the file's loop.
tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)
for name, got in (("output", output), ("h_n", h_n), ("c_n", c_n)):
    assert torch.allclose(got, T(name), **tol), f"{output_differs}"
# The equations below run in float64 from the start: float32 records sit within float32 rounding of them.
tol = dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)

# 2. The LSTM equations, step by step in float64, against every recorded gate and state.
D = 2 if meta["bidirectional"] else 1
x = T("input").double()
h0, c0 = T("h0").double(), T("c0").double()
if not meta["batched"]:
    x = x.unsqueeze(0 if meta["batch_first"] else 1)
    h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
if meta["batch_first"]:
    x = x.transpose(0, 1)  # [T, B, I]
steps = x.shape[0]
layer_in = x
for layer in range(meta["num_layers"]):
    outs = []
    for d in range(D):
        sfx = f"_l{{layer}}" + ("_reverse" if d else "")
        P = lambda kind: T(kind + sfx).double()  # noqa: E731
        h, c = h0[layer * D + d], c0[layer * D + d]  # [B, H_out], [B, H]
        rec = {{n: T(f"l{{layer}}{{'_reverse' if d else ''}}/{{n}}").double() for n in "ifgocmh"}}  # [B, T, ...]
        hs = [None] * steps
        for t in (reversed(range(steps)) if d else range(steps)):
            pre = layer_in[t] @ P("weight_ih").T + h @ P("weight_hh").T
            if meta["bias"]:
                pre = pre + P("bias_ih") + P("bias_hh")
            i, f, g, o = pre.chunk(4, dim=-1)
            i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
            c = f * c + i * g
            m = o * c.tanh()
            h = m @ P("weight_hr").T if meta["proj_size"] else m
            for n, v in zip("ifgocmh", (i, f, g, o, c, m, h)):
                assert torch.allclose(v, rec[n][:, t], **tol), f"{record_differs}"
            hs[t] = h
        outs.append(torch.stack(hs))  # [T, B, H_out]
    layer_in = torch.cat(outs, dim=-1)
print(f"{reproduced}")
'''


def rebuild_script(npz_name: str, summary: str, script_name: str = "rebuild_lstm.py", *, lang: str = DEFAULT) -> str:
    """A short Python script that rebuilds a run from its NPZ with plain PyTorch and checks it.

    It builds ``nn.LSTM`` with the file's arguments and weights, runs it on the file's input and ``(h0, c0)``
    and compares ``output, h_n, c_n``; then recomputes every gate and state with the LSTM equations in float64
    and compares each recorded one. It exits with an ``AssertionError`` naming the first difference.

    Args:
        npz_name: The NPZ's file name, the script's default argument.
        summary: Words for the run, put in the script's docstring.
        script_name: The script's own file name, for its usage line.
        lang: The language of what the script says to a person (its docstring, what it prints and its
            assertions' messages); its code and comments are the same in every language.
    """
    docstring = t(
        lang,
        "Rebuild an LSTM Explorer run with plain PyTorch from {npz} and check it against the file.\n\n"
        "The run: {summary}.\nNeeds only numpy and torch: python {script} [path/to/{npz}]",
        npz=npz_name,
        summary=summary,
        script=script_name,
    )
    # The script's messages are f-strings: each placeholder is filled with the script's own expression.
    said = dict(
        output_differs=t(lang, "nn.LSTM's {name} differs from the file", name="{name}"),
        record_differs=t(
            lang, "layer {layer} dir {d} step {t}: {n} differs", layer="{layer}", d="{d}", t="{t}", n="{n}"
        ),
        reproduced=t(
            lang, "OK: nn.LSTM and the LSTM equations reproduce all {n} arrays of the file", n="{len(data.files)}"
        ),
    )
    return REBUILD_TEMPLATE.format(docstring=docstring, npz=npz_name, **{k: _in_quotes(v) for k, v in said.items()})


def _in_quotes(text: str) -> str:
    """``text`` safe inside a double-quoted Python string (a translation could hold a quote or a backslash)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')
