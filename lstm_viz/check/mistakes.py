"""Known mistakes applied to a reference forward: what a learner's function returns when it makes each one.

``forward(data, Mistake())`` is the LSTM itself (tested equal to ``nn.LSTM``); each other ``Mistake`` changes
one thing a learner gets wrong (the gate order, a bias, a squashing function, the state carried to the next
step, the time order, the layout of the input, the projection, what is returned). The diagnosis runs each on
the cases and keeps those that reproduce the learner's tensors exactly.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass

import torch
from torch import Tensor

from lstm_viz.check.cases import CaseData
from lstm_viz.check.words import together
from lstm_viz.i18n import msg

GATES = ("i", "f", "g", "o")
PYTORCH_ORDER = (0, 1, 2, 3)
KNOWN_ORDERS = {
    ("i", "o", "f", "g"): msg("ONNX's order (i, o, f, c)"),
    ("i", "g", "f", "o"): msg("the order of TensorFlow 1's LSTMCell (i, j, f, o)"),
    ("i", "f", "o", "g"): msg("Caffe's order"),
}
"""Gate orders other libraries use, named when a learner's function turns out to use one."""
ACTS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "none": lambda x: x}


@dataclass(frozen=True)
class Mistake:
    """One way (or two) of getting the forward wrong; the defaults are the LSTM itself.

    Attributes:
        id: The diagnosis id (``gate_order``, ``bias``, ...), ``""`` for the LSTM itself.
        detail: What exactly, in words ("b_hh left out"): an ``i18n.Message`` (a gate order is symbols alone).
        order: For each gate (i, f, g, o), the block of ``weight_ih``/``bias_ih`` rows it is read from.
        b_ih: How many times ``b_ih`` is added (0, 1 or 2); ``b_hh`` likewise.
        acts: The squashing function of each gate (i, f, g, o).
        cell: What squashes ``c`` in ``m = o * cell(c)``.
        carry_h: ``h`` passed on to the next step (False: every step reads ``h0``); ``carry_c`` likewise.
        init: ``"given"``, ``"zeros"`` (the initial states ignored) or ``"swapped"`` (read as ``(c0, h0)``).
        reverse: ``""``, ``"time"`` (steps run from T-1 down, output stored at t) or ``"order"`` (stored in
            the order the steps ran).
        time_major: ``""``, or the input read as [T, B, I] with the output laid out ``"tb"`` or ``"bt"``.
        skip: ``""``, ``"first"`` or ``"last"``: a step the loop never runs (its output left unwritten).
        proj: ``""``, ``"output_m"`` (the output holds m, before W_hr) or ``"h_n_m"`` (h_n returned as m).
        swap_returns: ``(c_n, h_n)`` returned instead of ``(h_n, c_n)``.
    """

    id: str = ""
    detail: str = ""
    order: tuple[int, int, int, int] = PYTORCH_ORDER
    b_ih: int = 1
    b_hh: int = 1
    acts: tuple[str, str, str, str] = ("sigmoid", "sigmoid", "tanh", "sigmoid")
    cell: str = "tanh"
    carry_h: bool = True
    carry_c: bool = True
    init: str = "given"
    reverse: str = ""
    time_major: str = ""
    skip: str = ""
    proj: str = ""
    swap_returns: bool = False

    def family(self) -> str:
        """The diagnosis id, which is also the family a second mistake must come from another of."""
        return self.id


def order_words(order: tuple[int, int, int, int]) -> tuple[str, ...]:
    """The gate each block of ``weight_ih`` is used as: ``order`` (i, f, g, o -> block) read backwards."""
    names = [""] * 4
    for gate, block in zip(GATES, order, strict=True):
        names[block] = gate
    return tuple(names)


@dataclass(frozen=True)
class Prediction:
    """What a function with a mistake returns on a case; NaN marks output steps it never writes.

    Shapes: ``output`` [B, T, features]; ``h_n`` and ``c_n`` [B, features].
    """

    output: Tensor
    h_n: Tensor
    c_n: Tensor


def forward(data: CaseData, m: Mistake) -> Prediction | None:
    """Run the LSTM of ``data`` with mistake ``m`` in float64; None when the mistake cannot run on this case.

    Shapes: follows ``data.inputs`` (``inp`` [B, T, I], ``h0`` [B, H_out], ``c0`` [B, H]).
    """
    inp = {k: v.double() for k, v in data.inputs.items()}
    x, h0, c0 = inp["inp"], inp["h0"], inp["c0"]
    w_ih, w_hh, b_ih, b_hh = inp["w_ih"], inp["w_hh"], inp["b_ih"], inp["b_hh"]
    w_hr = inp.get("w_hr")
    if m.time_major:
        if x.shape[0] != x.shape[1]:
            return None  # read as [T, B, I], the states' batch no longer fits
        x = x.transpose(0, 1)  # the learner's "batch" is our time axis
    if m.init == "zeros":
        h0, c0 = torch.zeros_like(h0), torch.zeros_like(c0)
    elif m.init == "swapped":
        if h0.shape != c0.shape:
            return None
        h0, c0 = c0, h0
    if m.proj and w_hr is None:
        return None
    batch, steps, _ = x.shape
    hidden = w_ih.shape[0] // 4
    blocks = lambda t: t.split(hidden, dim=-1)  # noqa: E731 - the four gate blocks of a [B, 4H] tensor
    bias = m.b_ih * b_ih + m.b_hh * b_hh  # [4H]
    out_m = m.proj == "output_m"
    features = hidden if (w_hr is None or out_m) else w_hr.shape[0]
    output = torch.full((batch, steps, features), math.nan, dtype=torch.float64)
    order = list(range(steps - 1, -1, -1)) if m.reverse else list(range(steps))
    if m.skip == "first":
        order = order[1:]
    elif m.skip == "last":
        order = order[:-1]
    h_prev, c_prev = h0, c0
    mm = h = h0
    c = c0
    for k, t in enumerate(order):
        pre = blocks(x[:, t] @ w_ih.T + h_prev @ w_hh.T + bias)  # 4 x [B, H]
        i, f, g, o = (ACTS[act](pre[block]) for act, block in zip(m.acts, m.order, strict=True))
        c = f * c_prev + i * g
        mm = o * ACTS[m.cell](c)  # [B, H]
        h = mm if w_hr is None else mm @ w_hr.T  # [B, H_out]
        output[:, k if m.reverse == "order" else t] = mm if out_m else h
        h_prev = h if m.carry_h else h0
        c_prev = c if m.carry_c else c0
    h_n = mm if m.proj == "h_n_m" else h
    if m.time_major == "tb":
        output = output.transpose(0, 1)
    if m.swap_returns:
        h_n, c = c, h_n
    return Prediction(output, h_n, c)


def _singles() -> list[Mistake]:
    """Every single mistake the diagnosis knows."""
    out = []
    for perm in itertools.permutations(range(4)):
        if perm != PYTORCH_ORDER:
            out.append(Mistake("gate_order", ", ".join(order_words(perm)), order=perm))
    for b_ih, b_hh, words in (
        (1, 0, msg("b_hh left out")),
        (0, 1, msg("b_ih left out")),
        (2, 0, msg("b_ih used twice, b_hh left out")),
        (0, 2, msg("b_hh used twice, b_ih left out")),
        (0, 0, msg("no bias at all")),
        (2, 1, msg("b_ih added twice")),
        (1, 2, msg("b_hh added twice")),
    ):
        out.append(Mistake("bias", words, b_ih=b_ih, b_hh=b_hh))
    default = Mistake().acts
    for k, gate in enumerate(GATES):
        wrong = "sigmoid" if default[k] == "tanh" else "tanh"
        acts = tuple(wrong if j == k else a for j, a in enumerate(default))
        detail = msg("{gate} squashed with {wrong} instead of {right}", gate=gate, wrong=wrong, right=default[k])
        out.append(Mistake("activation", detail, acts=acts))
    out.append(Mistake("activation", msg("h = o * c, without tanh"), cell="none"))
    out.append(Mistake("activation", msg("h = o * sigmoid(c), not o * tanh(c)"), cell="sigmoid"))
    out.append(Mistake("state_not_carried", msg("h is not passed to the next step"), carry_h=False))
    out.append(Mistake("state_not_carried", msg("c is not passed to the next step"), carry_c=False))
    neither = msg("neither h nor c is passed to the next step")
    out.append(Mistake("state_not_carried", neither, carry_h=False, carry_c=False))
    out.append(Mistake("initial_state", msg("the initial states are ignored (zeros used)"), init="zeros"))
    out.append(Mistake("initial_state", msg("initial_states read as (c0, h0)"), init="swapped"))
    out.append(Mistake("returns_swapped", msg("(c, h) returned instead of (h, c)"), swap_returns=True))
    out.append(Mistake("reversed_time", msg("steps run from T-1 down to 0"), reverse="time"))
    stored = msg("steps run from T-1 down to 0, output stored in that order")
    out.append(Mistake("reversed_time", stored, reverse="order"))
    out.append(Mistake("time_major", msg("input read as [T, B, I], output laid out [B, T, ...]"), time_major="bt"))
    out.append(Mistake("time_major", msg("input read as [T, B, I], output laid out [T, B, ...]"), time_major="tb"))
    out.append(Mistake("steps_missed", msg("the loop never runs step 0"), skip="first"))
    out.append(Mistake("steps_missed", msg("the loop never runs the last step"), skip="last"))
    out.append(Mistake("projection", msg("the output holds m_t, before W_hr"), proj="output_m"))
    out.append(Mistake("projection", msg("h_n returned before W_hr (m_T)"), proj="h_n_m"))
    return out


SINGLES: tuple[Mistake, ...] = tuple(_singles())
"""Every single mistake, each a one-field change of the LSTM."""


def combine(a: Mistake, b: Mistake) -> Mistake:
    """Two mistakes of different families at once (``a``'s fields, then ``b``'s changes over them)."""
    base = Mistake()
    changes = {
        f.name: getattr(b, f.name)
        for f in dataclasses.fields(Mistake)
        if f.name not in ("id", "detail") and getattr(b, f.name) != getattr(base, f.name)
    }
    return dataclasses.replace(a, **changes, detail=together([a.detail, b.detail]))


def pairs() -> list[tuple[Mistake, Mistake]]:
    """Every two single mistakes of different families (for a function that makes two)."""
    return [(a, b) for a, b in itertools.combinations(SINGLES, 2) if a.family() != b.family()]
