"""Name the mistake: reproduce the learner's tensors with a known mistake, or read it from the exception and shapes.

A diagnosis is never a guess from one number: a mistake is named when the reference forward with that mistake
applied (``mistakes.forward``) gives the learner's output, h_n and c_n on every case that returned, or when the
learner's exception is the very one a function with that mistake raises on the same case (or, failing that,
when the exception's sizes and the cases that raise point to it alone).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from lstm_viz.check import mistakes
from lstm_viz.check.cases import CaseSpec, case_data
from lstm_viz.check.compare import CaseResult, ErrorInfo
from lstm_viz.check.runner import UNREADABLE
from lstm_viz.check.words import either
from lstm_viz.i18n import DEFAULT, N_, Message, msg, say, t

LSTM_EQUATIONS = (
    r"i_t = \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi})",
    r"f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf})",
    r"g_t = \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg})",
    r"o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho})",
    r"c_t = f_t \odot c_{t-1} + i_t \odot g_t",
    Message(
        r"h_t = o_t \odot \tanh(c_t) \quad(\text{{{words} }} h_t = W_{{hr}}(o_t \odot \tanh(c_t)))",
        words=msg(r"with proj\_size:"),
    ),
)
"""nn.LSTM's equations, as its documentation writes them. An equation with words is a ``Message`` whose LaTeX is
no catalogue entry (its braces are LaTeX's) and whose words are one, filled into its ``\text{}``."""
GATE_ORDER_CONVENTION = msg(
    "weight_ih_l0 stacks the four gates' blocks by rows, [W_ii | W_if | W_ig | W_io] (4H × I), and weight_hh_l0, "
    "bias_ih_l0 and bias_hh_l0 alike: rows 0 to H−1 are the input gate i, H to 2H−1 the forget gate f, 2H to 3H−1 "
    "the cell candidate g, 3H to 4H−1 the output gate o, so torch.chunk(4) gives i, f, g, o."
)
PROJ_CONVENTION = msg(
    "With proj_size = P, weight_hr_l0 is [P, H]: h_t = W_hr m_t has P features and is both the output and the state "
    "the next step reads (so weight_hh_l0 is [4H, P] and h_0, h_n are [B, P]); the cell state c stays H wide."
)
CONTRACT = "lstm_forward(inp, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None) -> output, (h_n, c_n)"


@dataclass(frozen=True)
class Explanation:
    """What the page, the notebook and the terminal say about one diagnosis id.

    ``sentence`` is the catalogue's template (marked with ``N_``; placeholders filled per diagnosis), the
    equations are LaTeX (those with words are ``Message``s), and ``convention`` is a ``Message``.
    """

    sentence: str
    equations: tuple[str, ...]
    convention: str


EXPLANATIONS: dict[str, Explanation] = {
    "gate_order": Explanation(
        N_(
            "Your function reads the four gate blocks of the weights in the order {detail}; PyTorch stacks them as "
            "i, f, g, o."
        ),
        LSTM_EQUATIONS[:4],
        GATE_ORDER_CONVENTION,
    ),
    "bias": Explanation(
        N_("Your function adds the biases wrongly ({detail}): nn.LSTM adds b_ih and b_hh, each once, to every gate."),
        (r"\hat{z}_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}", *LSTM_EQUATIONS[:1]),
        msg(
            "nn.LSTM has two bias vectors, bias_ih_l0 and bias_hh_l0, each of 4H numbers in the gate order i, f, g, "
            "o; both are added (only their sum matters to the forward, so a trained model needs both)."
        ),
    ),
    "activation": Explanation(
        N_("Your function squashes something with the wrong function: {detail}."),
        LSTM_EQUATIONS,
        msg(
            "The gates i, f and o use the sigmoid (0 to 1: a fraction let through), the cell candidate g uses tanh "
            "(−1 to 1: a value to write), and h_t = o_t ⊙ tanh(c_t)."
        ),
    ),
    "state_not_carried": Explanation(
        N_("Your function does not carry the state from step to step: {detail}."),
        LSTM_EQUATIONS[4:],
        msg("nn.LSTM's loop passes h_t and c_t on to step t+1; initial_states = (h_0, c_0) feed step 0 only."),
    ),
    "initial_state": Explanation(
        N_("Your function does not start from the initial states it is given: {detail}."),
        (r"h_{-1} = h_0,\; c_{-1} = c_0 \quad (\text{initial\_states} = (h_0, c_0))", LSTM_EQUATIONS[4]),
        msg(
            "nn.LSTM takes hx = (h_0, c_0), h first; the tutorial passes initial_states = (h0, c0). Without hx, both "
            "are zeros."
        ),
    ),
    "returns_swapped": Explanation(
        N_("Your function returns the final states as (c, h); nn.LSTM returns (h_n, c_n)."),
        (r"\text{output}, (h_n, c_n) = \text{lstm}(x, (h_0, c_0))",),
        msg("nn.LSTM returns output, (h_n, c_n): h first, then c, in the order hx goes in."),
    ),
    "reversed_time": Explanation(
        N_("Your function runs through time backwards: {detail}; a one-directional nn.LSTM runs t = 0, 1, …, T−1."),
        (
            Message(
                r"h_t, c_t = \text{{{cell}}}(x_t, h_{{t-1}}, c_{{t-1}}),\quad t = 0, 1, \ldots, T-1",
                cell=msg("cell"),
            ),
        ),
        msg(
            "Only bidirectional=True adds a pass from T−1 down to 0, with its own *_reverse weights; its outputs fill "
            "the second half of the output's features."
        ),
    ),
    "time_major": Explanation(
        N_(
            "Your function reads the input as [T, B, I], time first ({detail}); the tutorial passes it batch-first, "
            "[B, T, I]."
        ),
        (r"x_t = \text{inp}[:, t, :] \quad (\text{batch\_first: inp} \in \mathbb{R}^{B \times T \times I})",),
        msg(
            "nn.LSTM's default layout is [T, B, I]; with batch_first=True, as in the tutorial, input and output are "
            "[B, T, ·], while h_0, c_0, h_n and c_n stay [num_layers, B, ·]."
        ),
    ),
    "steps_missed": Explanation(
        N_(
            "Your function leaves steps of the output unwritten ({detail}): they keep whatever the buffer held, and "
            "the tutorial's torch.randn buffer shows through."
        ),
        (
            Message(
                r"\text{{output}}[:, t, :] = h_t \quad \text{{{words} }} t = 0, \ldots, T-1,\qquad h_n = h_{{T-1}}",
                words=msg("for every"),
            ),
        ),
        msg("nn.LSTM's output holds h_t of every step t, and h_n is the h of the last step."),
    ),
    "output_size": Explanation(
        N_(
            "Your function sizes the projected output by H = {H} where it needs P = {P}: with proj_size, h_t and the "
            "output have P features."
        ),
        (r"h_t = W_{hr} m_t \in \mathbb{R}^{P},\qquad \text{output} \in \mathbb{R}^{B \times T \times P}",),
        msg(
            "With proj_size = P, weight_hr_l0 is [P, H]: h_t = W_hr m_t has P features and is both the output and the "
            "state the next step reads (so weight_hh_l0 is [4H, P] and h_0, h_n are [B, P]); the cell state c stays "
            "H wide. The copy published online resets output_size = h_size after the projection branch."
        ),
    ),
    "hidden_size_rows": Explanation(
        N_(
            "Your function takes the hidden size as w_ih.shape[0] = {rows}, which is 4H: the four gates are stacked "
            "in its rows, so H = w_ih.shape[0] // 4 = {H}."
        ),
        (r"W_{ih} \in \mathbb{R}^{4H \times I},\qquad H = \text{w\_ih.shape[0]} / 4",),
        GATE_ORDER_CONVENTION,
    ),
    "projection": Explanation(
        N_("Your function applies the projection W_hr in the wrong place: {detail}."),
        (
            r"m_t = o_t \odot \tanh(c_t),\qquad h_t = W_{hr} m_t",
            Message(r"h_{{t-1}} \text{{ {words} }} W_{{hr}} m_{{t-1}}", words=msg("in the next step is")),
        ),
        PROJ_CONVENTION,
    ),
    "signature": Explanation(
        N_("Your function cannot be called the way the tutorial calls it: {detail}."),
        (r"\text{lstm\_forward}(\text{inp}, (h_0, c_0), W_{ih}, W_{hh}, b_{ih}, b_{hh}[, W_{hr}])",),
        msg(
            "The tutorial's contract: {contract}; inp is [B, T, I], h0 [B, H or P], c0 [B, H].",
            contract=CONTRACT,
        ),
    ),
    "return_value": Explanation(
        "{detail}",
        (r"\text{return output}, (h_n, c_n)",),
        msg("output is [B, T, H or P], h_n [B, H or P] and c_n [B, H], as the tutorial's own function returns them."),
    ),
    "unknown": Explanation(
        N_(
            "No mistake the checker knows reproduces what your function returned: compare your step with nn.LSTM's "
            "equations and values below."
        ),
        LSTM_EQUATIONS,
        GATE_ORDER_CONVENTION,
    ),
}
"""Every LSTM diagnosis: its sentence (placeholders ``{detail}``, ``{H}``, ``{P}``, ``{rows}``), the right
equations in LaTeX, and the PyTorch convention it missed."""
VARIANTS = {
    "gate_order": N_(
        "Your function reads the four gate blocks of the weights in the order {detail} ({known}); PyTorch stacks "
        "them as i, f, g, o."
    ),
    "unknown": N_(
        "No mistake the checker knows reproduces what your function returned (it raised {error} on every case that "
        "ran): compare your step with nn.LSTM's equations and values below."
    ),
}
"""The sentence of a diagnosis that knows one thing more: the library a gate order comes from, the exception."""
RUN_PROBLEMS = ("time_limit", "memory_limit", "printed_too_much", "process_ended", "no_function", "module_error")
"""Ids of what stopped a check before the LSTM could be judged (said with their detail, no equation)."""


@dataclass(frozen=True)
class Diagnosis:
    """A named mistake: its id (English whatever the language), what exactly, and why this is it.

    ``detail``, ``sentence``, ``convention`` and ``evidence`` are ``i18n.Message``s (English ``str``s; ``say`` them
    in another language) or, where a learner's or Python's own words are shown, plain ``str``s.
    """

    id: str
    detail: str
    sentence: str
    equations: tuple[str, ...] = ()
    convention: str = ""
    evidence: str = ""


def explained(
    mistake_id: str, detail: str, evidence: str, spec: CaseSpec | None = None, error: str | None = None
) -> Diagnosis:
    """A diagnosis with its catalogue sentence, equations and convention filled in.

    Args:
        mistake_id: The diagnosis id.
        detail: What exactly (a ``Message``, or a learner's or Python's own words).
        evidence: Why this is it.
        spec: The case whose sizes the sentence names.
        error: For ``unknown``: the exception every case that ran raised.
    """
    if mistake_id not in EXPLANATIONS:
        return Diagnosis(mistake_id, detail, detail, evidence=evidence)
    ex = EXPLANATIONS[mistake_id]
    fields: dict[str, object] = {"detail": detail, "H": "H", "P": "P", "rows": "4H"}
    if spec is not None:
        fields |= {"H": str(spec.hidden_size), "P": str(spec.proj_size), "rows": str(4 * spec.hidden_size)}
    template = ex.sentence
    if mistake_id == "gate_order" and (known := mistakes.KNOWN_ORDERS.get(tuple(str(detail).split(", ")))):
        template, fields["known"] = VARIANTS["gate_order"], known
    elif mistake_id == "unknown" and error:
        template, fields["error"] = VARIANTS["unknown"], error
    return Diagnosis(mistake_id, detail, Message(template, **fields), ex.equations, ex.convention, evidence)


# --- Reproducing returned tensors --------------------------------------------------------------------------------

MATCH_RTOL = 1e-4
MATCH_ATOL = 1e-5
"""Reproduced 'exactly': float32 rounding over a few steps, far below what any two mistakes differ by."""


def _close(yours: Tensor | None, predicted: Tensor) -> bool:
    """Whether the learner's tensor is the predicted one (NaN in ``predicted``: a step never written, any value)."""
    if yours is None:
        return False
    if yours.dim() == predicted.dim() + 1 and yours.shape[0] == 1:
        yours = yours[0]
    if tuple(yours.shape) != tuple(predicted.shape) or not yours.dtype.is_floating_point:
        return False
    known = ~torch.isnan(predicted)
    a, b = yours.double()[known], predicted[known]
    return bool(torch.isfinite(a).all() and ((a - b).abs() <= MATCH_ATOL + MATCH_RTOL * b.abs()).all())


@functools.lru_cache(maxsize=8192)
def _predict(spec: CaseSpec, mistake: mistakes.Mistake) -> mistakes.Prediction | None:
    return mistakes.forward(case_data(spec), mistake)


def _reproduces(mistake: mistakes.Mistake, results: list[CaseResult]) -> bool:
    for r in results:
        pred = _predict(r.spec, mistake)
        got = r.returned
        if pred is None or got is None:
            return False
        if not (_close(got.output, pred.output) and _close(got.h_n, pred.h_n) and _close(got.c_n, pred.c_n)):
            return False
    return True


def _cost(r: CaseResult) -> int:
    return r.spec.batch * r.spec.seq_len * r.spec.hidden_size


def reproduce(results: list[CaseResult], pairs: bool = True) -> list[tuple[mistakes.Mistake, ...]]:
    """The known mistakes (one, else two at once) that give exactly what the function returned on every case.

    Args:
        results: The cases (those that returned tensors, matching or not, are compared).
        pairs: Try two mistakes at once when no single one fits.

    Returns:
        Each explanation as the single mistakes it is made of.
    """
    returned = sorted((r for r in results if r.returned is not None and r.returned.output is not None), key=_cost)
    if not any(r.status == "differs" for r in returned):
        return []
    found = [(m,) for m in mistakes.SINGLES if _reproduces(m, returned)]
    if found or not pairs:
        return found
    # Cheapest case first: nearly every pair already fails there, so the rest run for a handful.
    return [(a, b) for a, b in mistakes.pairs() if _reproduces(mistakes.combine(a, b), returned)]


def _steps_left(results: list[CaseResult]) -> list[Diagnosis]:
    """Steps of the output that are wrong while h_n, c_n and every other step are right: never written."""
    found = []
    for r in results:
        out, h, c = (r.tensor(n) for n in ("output", "h_n", "c_n"))
        if r.status != "differs" or out is None or out.excess is None or not (h and h.ok and c and c.ok):
            continue
        bad = (out.excess > 1).any(dim=-1)  # [B, T]
        per_step = bad.all(dim=0)  # a step left unwritten is wrong for every batch item
        if per_step.any() and bool((bad == per_step.unsqueeze(0)).all()):
            steps = [int(t) for t in per_step.nonzero().flatten()]
            found.append((r.spec, steps))
    if not found:
        return []
    spec, steps = found[0]
    words = ", ".join(map(str, steps))
    if len(steps) > 1:
        detail = msg("steps {steps} of {T}", steps=words, T=spec.seq_len)
    else:
        detail = msg("step {steps} of {T}", steps=words, T=spec.seq_len)
    evidence = msg(
        "h_n and c_n match nn.LSTM in {case} but the output differs at step {steps} only.", case=spec.title, steps=words
    )
    return [explained("steps_missed", detail, evidence)]


# --- Exceptions ---------------------------------------------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parent / "examples"
RAISING_EXAMPLES = {
    "output_size": "output_size.py",
    "hidden_size_rows": "hidden_size_rows.py",
    "time_major": "time_major.py",
    "projection": "projection.py",
    "initial_state": "initial_state.py",
}
"""Our own learner-style functions with a mistake that raises: a learner's identical exception names the mistake."""


@functools.cache
def _example_function(file: str):
    from lstm_viz.check.source import definitions_only

    namespace: dict = {"__name__": "lstm_viz_check_example"}
    code = definitions_only((EXAMPLES / file).read_text(encoding="utf-8"))
    exec(compile(code, str(EXAMPLES / file), "exec"), namespace)  # noqa: S102 - the project's own example file
    return namespace["lstm_forward"]


@functools.lru_cache(maxsize=256)
def _example_outcome(mistake_id: str, spec: CaseSpec) -> tuple:
    """What our example with ``mistake_id`` does on ``spec``: ``("raised", type, message)`` or ``("returned", out)``."""
    fn = _example_function(RAISING_EXAMPLES[mistake_id])
    data = case_data(spec)
    args = [data.inputs[k].clone() for k in ("inp", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh")]
    call = [args[0], (args[1], args[2]), *args[3:]]
    if spec.projected:
        call.append(data.inputs["w_hr"].clone())
    try:
        output, (h_n, c_n) = fn(*call)
    except Exception as err:  # noqa: BLE001 - whatever it raises is what we compare
        return ("raised", type(err).__name__, str(err))
    return ("returned", output.detach().double(), h_n.detach().double(), c_n.detach().double())


def _example_consistent(mistake_id: str, results: list[CaseResult]) -> bool:
    """Whether our example with this mistake raises the learner's very exceptions and returns their very tensors."""
    compared = [r for r in results if r.status in ("match", "differs", "raised")]
    if not any(r.status == "raised" for r in compared):
        return False
    for r in compared:
        outcome = _example_outcome(mistake_id, r.spec)
        if outcome[0] == "raised":
            if r.status != "raised" or r.error is None or (r.error.type, r.error.message) != outcome[1:]:
                return False
        else:
            got = r.returned
            if got is None or not all(
                _close(y, p) for y, p in zip((got.output, got.h_n, got.c_n), outcome[1:], strict=True)
            ):
                return False
    return True


NUMBER = re.compile(r"(?<![\w.])(\d+)(?![\w.])")


EMPTY_SLICE = N_("an empty slice")


def size_names(n: int, spec: CaseSpec) -> list[str]:
    """What a number in a message can be in this case: ``B``, ``T``, ``I``, ``H``, ``P``, ``4H`` or an empty slice."""
    names = [k for k, v in spec.sizes().items() if v == n]
    if n == 4 * spec.hidden_size:
        names.append("4H")
    if spec.projected and n == 4 * spec.proj_size and "4H" not in names:
        names.append("4P")
    if n == 0:
        names.append(EMPTY_SLICE)
    return names


def annotate(message: str, spec: CaseSpec, lang: str = DEFAULT) -> str:
    """The message with each size named for this case: ``(5)`` -> ``(5 = H)``, ``[2, 3]`` -> ``[2 = B, 3 = T or P]``.

    Only numbers inside ``()`` or ``[]`` or in ``AxB`` products are sizes; "dimension 1" is left alone. The
    message is Python's (or the learner's) and stays as it is; the names added are said in ``lang``.
    """

    def named(n: int) -> str:
        names = [t(lang, name) if name == EMPTY_SLICE else name for name in size_names(n, spec)]
        return f"{n} = {say(either(names), lang)}" if names else str(n)

    def group(match: re.Match) -> str:
        body = NUMBER.sub(lambda k: named(int(k.group(1))), match.group(0)[1:-1])
        return match.group(0)[0] + body + match.group(0)[-1]

    text = re.sub(r"\([\d, ]+\)|\[[\d, ]+\]", group, message)
    return re.sub(r"\b(\d+)x(\d+)\b", lambda m: f"({named(int(m.group(1)))})×({named(int(m.group(2)))})", text)


def _numbers(message: str) -> set[int]:
    found = set()
    for part in re.findall(r"\([\d, ]+\)|\[[\d, ]+\]|\b\d+x\d+\b", message):
        found |= {int(n) for n in re.findall(r"\d+", part)}
    return found


THEN = N_("{sentence} {then}")
"""Two sentences one after the other (Chinese puts no space after a full stop)."""


def explain_error(error: ErrorInfo, spec: CaseSpec, lang: str = DEFAULT) -> str:
    """An exception in the LSTM's terms: where, the message with its sizes named, and what each size is here.

    The exception's type and message are Python's (or the learner's) and stay as they are; the rest is in ``lang``.
    """
    where = error.where
    sizes = ", ".join(f"{k} = {v}" for k, v in spec.sizes().items()) + f", 4H = {4 * spec.hidden_size}"
    # Python's (or the learner's) message as it is, its sizes named; ours only where the message could not be read.
    if error.message == UNREADABLE:
        message = "<" + t(lang, "the message could not be turned into text") + ">"
    else:
        message = annotate(error.message, spec, lang)
    values = {"error": error.type, "case": spec.title, "sizes": sizes, "message": message}
    if where and where.get("text"):
        sentence = t(
            lang,
            "Your function raised {error} at line {line} (`{code}`) on {case} ({sizes}): “{message}”.",
            line=where["line"],
            code=where["text"],
            **values,
        )
    else:
        sentence = t(lang, "Your function raised {error} on {case} ({sizes}): “{message}”.", **values)
    hint = _error_hint(error, spec)
    return t(lang, THEN, sentence=sentence, then=hint) if hint else sentence


def _error_hint(error: ErrorInfo, spec: CaseSpec) -> str:
    """One sentence on what kind of shape problem the message describes, in the tutorial's tensors (a Message)."""
    text = error.message
    if "can't allocate memory" in text or error.type == "MemoryError":
        return msg("It asked for more memory than the check allows; the cases here are a few KB.")
    if "mat1 and mat2 shapes cannot be multiplied" in text or "batch2 tensor" in text or "batch1" in text:
        return msg(
            "A matrix product got operands whose inner sizes differ: W_ih is [4H, I] and multiplies x_t of I "
            "features; W_hh is [4H, H_out] and multiplies h_(t−1) of H_out features (H_out = P with a projection)."
        )
    if "must match the size of tensor" in text:
        return msg(
            "Two tensors of different sizes were combined elementwise: every gate and c_t are [B, H]; h_t is "
            "[B, P] with a projection."
        )
    if "expanded size" in text or "shape mismatch" in text:
        return msg("A value was written into a slice of another size: each step's output slice is [B, H_out].")
    if "out of bounds" in text or "out of range" in text:
        return msg("An index ran past a tensor's end: the steps are 0 … T−1 and the units 0 … H−1.")
    if error.type == "TypeError" and not error.frames:
        return msg("The tutorial calls {contract}.", contract=CONTRACT)
    return ""


SIGNATURE_WORDS = ("positional argument", "required positional", "unexpected keyword", "multiple values")


def _exception_diagnoses(results: list[CaseResult], found: set[str]) -> list[Diagnosis]:
    """Diagnoses read from the exceptions: our own mistaken examples raising the very same, else the sizes."""
    raised = [r for r in results if r.status == "raised" and r.error is not None]
    if not raised:
        return []
    out: list[Diagnosis] = []

    def add(mistake_id: str, detail: str, evidence: str, spec: CaseSpec) -> None:
        if mistake_id not in found:
            found.add(mistake_id)
            out.append(explained(mistake_id, detail, evidence, spec))

    for r in raised:
        err, spec = r.error, r.spec
        if err.type == "TypeError" and not err.frames and any(w in err.message for w in SIGNATURE_WORDS):
            add("signature", err.message, msg("{case} raised it before your code ran a line.", case=spec.title), spec)
    for mistake_id in RAISING_EXAMPLES:
        if _example_consistent(mistake_id, results):
            spec = raised[0].spec
            add(
                mistake_id,
                _raising_detail(mistake_id, spec),
                msg(
                    "A function with this mistake raises your very {error} and returns your very tensors on every "
                    "case.",
                    error=raised[0].error.type,
                ),
                spec,
            )
    explained_already = bool(found)
    for mistake_id, detail, evidence, spec in _rules(raised, results):
        # Without another explanation every rule may speak; beside one, only those no wrong number can cause.
        if not explained_already or mistake_id in ("output_size", "hidden_size_rows"):
            add(mistake_id, detail, evidence, spec)
    return out


def _raising_detail(mistake_id: str, spec: CaseSpec) -> str:
    return {
        "output_size": _buffer_words(spec),
        "hidden_size_rows": msg("w_ih.shape[0] = {rows} used as H", rows=4 * spec.hidden_size),
        "time_major": msg("input read as [T, B, I]"),
        "projection": msg("the next step reads m_t, the h before W_hr, so W_hh [4H, P] meets H features"),
        "initial_state": msg("initial_states read as (c0, h0)"),
    }[mistake_id]


def _buffer_words(spec: CaseSpec) -> str:
    return msg("the output buffer has H = {H} features, not P = {P}", H=spec.hidden_size, P=spec.proj_size)


def _rules(raised: list[CaseResult], results: list[CaseResult]) -> list[tuple[str, str, str, CaseSpec]]:
    """Mistakes the pattern of exceptions points to when no example raised the same message."""
    out = []
    projected_only = all(r.spec.projected for r in raised) and any(
        not r.spec.projected and r.status in ("match", "differs") for r in results
    )
    for r in raised:
        spec, nums, line = r.spec, _numbers(r.error.message), (r.error.where or {}).get("text", "")
        if 4 * spec.hidden_size in nums or (0 in nums and spec.hidden_size in nums):
            out.append(
                (
                    "hidden_size_rows",
                    msg("a size of {rows} (4H) or an empty gate slice in the error", rows=4 * spec.hidden_size),
                    msg(
                        "{case} raised with 4H or an empty slice where H = {H} belongs.",
                        case=spec.title,
                        H=spec.hidden_size,
                    ),
                    spec,
                )
            )
        elif projected_only and {spec.hidden_size, spec.proj_size} <= nums:
            if "output" in line:
                out.append(
                    (
                        "output_size",
                        _buffer_words(spec),
                        msg("Only the projected cases raise, on a line that writes the output, with sizes H and P."),
                        spec,
                    )
                )
            else:
                out.append(
                    (
                        "projection",
                        msg("H and P features meet where only one fits"),
                        msg("Only the projected cases raise, with sizes H and P in the error."),
                        spec,
                    )
                )
        elif (
            spec.batch != spec.seq_len
            and {spec.batch, spec.seq_len} <= nums
            and any(r2.spec.batch == r2.spec.seq_len and r2.status in ("match", "differs") for r2 in results)
        ):
            out.append(
                (
                    "time_major",
                    msg("input read as [T, B, I]"),
                    msg("Cases with B ≠ T raise with B and T in the error; the case with B = T runs."),
                    spec,
                )
            )
    return out


# --- Everything ---------------------------------------------------------------------------------------------------


def diagnose(results: list[CaseResult]) -> list[Diagnosis]:
    """Every diagnosis for a check's case results (none when every case that ran matched)."""
    if not any(r.failed for r in results):
        return []
    out: list[Diagnosis] = []
    found: set[str] = set()
    reproduced = reproduce(results)
    by_id: dict[str, list[mistakes.Mistake]] = {}
    for explanation in reproduced:
        for m in explanation:
            by_id.setdefault(m.id, []).append(m)
    returned = [r for r in results if r.returned is not None and r.returned.output is not None]
    together = any(len(e) > 1 for e in reproduced)
    for mistake_id, ms in by_id.items():
        spec = next((r.spec for r in returned if r.status == "differs"), returned[0].spec)
        detail = either(dict.fromkeys(m.detail for m in ms))
        if together:
            evidence = msg(
                "The reference forward with these two mistakes gives exactly your tensors on all {n} cases that "
                "returned.",
                n=len(returned),
            )
        else:
            evidence = msg(
                "The reference forward with this mistake gives exactly your tensors on all {n} cases that returned.",
                n=len(returned),
            )
        out.append(explained(mistake_id, detail, evidence, spec))
        found.add(mistake_id)
    if not out:
        for d in _steps_left(results):
            out.append(d)
            found.add(d.id)
    out += _exception_diagnoses(results, found)
    out += _shape_diagnoses(results, found)
    if not out:
        detail, error = "", None
        raised = [r for r in results if r.status == "raised" and r.error is not None]
        if raised and not returned:
            error = raised[0].error.type
            detail = msg(" (it raised {error} on every case that ran)", error=error)
        evidence = msg("Nothing the checker knows gives your numbers or your error.")
        out.append(explained("unknown", detail, evidence, error=error))
    return out


def _shape_diagnoses(results: list[CaseResult], found: set[str]) -> list[Diagnosis]:
    """``return_value`` when what came back is not ``output, (h_n, c_n)``."""
    for r in results:
        if r.returned is not None and r.returned.problem and "return_value" not in found:
            found.add("return_value")
            return [explained("return_value", r.returned.problem, msg("On {case}.", case=r.spec.title), r.spec)]
    return []


def ids(diagnoses: Iterable[Diagnosis]) -> list[str]:
    """The ids of some diagnoses, in order."""
    return [d.id for d in diagnoses]
