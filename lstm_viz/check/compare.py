"""One case's verdict: the learner's output, h_n and c_n against nn.LSTM's, each at its dtype's tolerance."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import torch
from torch import Tensor

from lstm_viz.check.cases import CaseData, CaseSpec
from lstm_viz.i18n import DEFAULT, Message, msg, t


@dataclass(frozen=True)
class Tolerance:
    """How close is a match: ``|yours - nn.LSTM| <= atol + rtol * |nn.LSTM|`` everywhere, as ``torch.allclose``."""

    dtype: str
    rtol: float
    atol: float

    def words(self, lang: str = DEFAULT) -> str:
        """The rule in words, e.g. ``≤ 1e-08 + 1e-05·|nn.LSTM| (torch.allclose's defaults)``, in ``lang``."""
        if self.rtol:
            return t(
                lang, "≤ {atol:.0e} + {rtol:.0e}·|nn.LSTM| (torch.allclose's defaults)", atol=self.atol, rtol=self.rtol
            )
        return f"≤ {self.atol:.0e}"

    def short(self, lang: str = DEFAULT) -> str:
        """The rule in a table cell: ``allclose defaults`` or ``≤ 1e-10``, in ``lang``."""
        return t(lang, "allclose defaults") if (self.rtol, self.atol) == (1e-5, 1e-8) else self.words(lang)

    def excess(self, diff: Tensor, ref: Tensor) -> Tensor:
        """``diff`` over its allowance, elementwise (> 1 fails); NaN counts as failing. Shapes: same as ``diff``."""
        allowed = self.atol + self.rtol * ref.abs()
        return torch.nan_to_num(diff / allowed, nan=math.inf)


FLOAT32 = Tolerance("float32", 1e-5, 1e-8)
"""``torch.allclose``'s defaults, as the tutorial's own test uses them: float32 decides."""
FLOAT64 = Tolerance("float64", 0.0, 1e-10)
"""A float64 forward written out by hand matches nn.LSTM's to about 1e-15; 1e-10 leaves room for any order of sums."""
TOLERANCES = {"float32": FLOAT32, "float64": FLOAT64}
ROUNDING_FACTOR = 4.0
"""A float32 value that misses ``allclose``'s defaults is float32 rounding when it is as close to nn.LSTM's exact
(float64) answer as that tolerance plus nn.LSTM's own float32 error, times this margin. Measured on the tutorial's
function and a matmul one over 40 seeds of every case: the worst is 1.5; a real mistake is off by 10^3 or more."""
LOW_PRECISION = ("float32", "float16", "bfloat16")


@dataclass(frozen=True)
class ErrorInfo:
    """An exception from the learner's code, as plain data (its frames: the learner's lines, deepest last)."""

    type: str
    message: str
    frames: tuple[dict, ...] = ()

    @property
    def where(self) -> dict | None:
        """The deepest frame of the learner's code, or None."""
        return self.frames[-1] if self.frames else None

    @classmethod
    def from_header(cls, data: dict) -> ErrorInfo:
        """From a runner frame's ``error`` field (every field checked: it came from the child)."""
        frames = tuple(
            {
                "line": f.get("line") if isinstance(f.get("line"), int) else None,
                "text": str(f.get("text", ""))[:300],
                "function": str(f.get("function", ""))[:80],
            }
            for f in (data.get("frames") or [])[:12]
            if isinstance(f, dict)
        )
        return cls(str(data.get("type", "Exception"))[:80], str(data.get("message", ""))[:4000], frames)


@dataclass(frozen=True)
class Returned:
    """What the function returned, unpacked as ``output, (h_n, c_n)`` where it has that form.

    ``problem`` says (in a sentence, an ``i18n.Message``) why it does not, and ``described`` names what it was.
    """

    output: Tensor | None = None
    h_n: Tensor | None = None
    c_n: Tensor | None = None
    problem: str = ""
    described: str = ""
    numpy: bool = False


def _describe(node: dict, tensors: list[Tensor]) -> str:
    """What a returned value was, in Python's notation; the few words in it are ``Message``s (said per language)."""
    kind = node.get("kind")
    if kind == "tensor":
        tensor = tensors[node["index"]]
        return f"Tensor {list(tensor.shape)} {str(tensor.dtype).removeprefix('torch.')}"
    if kind == "unsent":
        return msg(
            "Tensor {shape} {dtype} (too large or of a dtype not compared)",
            shape=node.get("shape"),
            dtype=node.get("dtype"),
        )
    if kind in ("tuple", "list"):
        items = [_describe(item, tensors) for item in node.get("items", [])]
        # Python's own notation, not words: no catalogue entry, only the items it holds are translated.
        slots = ", ".join(f"{{item{k}}}" for k in range(len(items)))
        inner = Message(slots, **{f"item{k}": v for k, v in enumerate(items)}) if items else ""
        return Message("({inner})" if kind == "tuple" else "[{inner}]", inner=inner)
    if kind == "none":
        return "None"
    if "type" not in node:
        return msg("an object")
    named = re.fullmatch(r"(tuple|list) of (\d+)", str(node["type"]))
    if named:  # the runner's word for a container too long or too deep to send
        return msg("{kind} of {n}", kind=named.group(1), n=int(named.group(2)))
    return str(node["type"])[:80]


def returned_from(node: dict, tensors: list[Tensor]) -> Returned:
    """Unpack a runner's description of a return value (``runner._structure``) into ``Returned``."""
    described = _describe(node, tensors)

    def tensor(n: dict) -> Tensor | None:
        return tensors[n["index"]] if n.get("kind") == "tensor" else None

    numpy = bool(node.get("numpy"))
    items = node.get("items") if node.get("kind") in ("tuple", "list") else None
    if items is None or len(items) != 2:
        return Returned(
            problem=msg("It returned {value}; the tutorial's contract is output, (h_n, c_n).", value=described),
            described=described,
        )
    inner = items[1].get("items") if items[1].get("kind") in ("tuple", "list") else None
    output = tensor(items[0])
    if inner is None or len(inner) != 2:
        return Returned(
            output=output,
            problem=msg("It returned {value}; the second item should be the pair (h_n, c_n).", value=described),
            described=described,
        )
    h_n, c_n = tensor(inner[0]), tensor(inner[1])
    numpy = numpy or any(bool(n.get("numpy")) for n in (items[0], *inner))
    missing = [name for name, t in (("output", output), ("h_n", h_n), ("c_n", c_n)) if t is None]
    problem = (
        msg("It returned {value}: {names} is not a tensor.", value=described, names=", ".join(missing))
        if missing
        else ""
    )
    return Returned(output, h_n, c_n, problem, described, numpy)


@dataclass(frozen=True)
class TensorCheck:
    """One returned tensor against nn.LSTM's.

    Shapes: ``diff`` is |yours - nn.LSTM| in float64, the expected shape, when the shapes agree (else None).
    """

    name: str
    expected_shape: tuple[int, ...]
    shape: tuple[int, ...] | None
    dtype: str | None
    tolerance: Tolerance
    ok: bool
    max_diff: float | None = None
    diff: Tensor | None = None
    excess: Tensor | None = None
    note: str = ""
    problem: str = ""
    rounding: bool = False


def shape_words(shape: tuple[int, ...], spec: CaseSpec) -> str:
    """A shape with the case's letters beneath it, e.g. ``[2, 3, 5] (B, T, H)`` (ambiguous sizes: ``T or P``)."""
    letters = {**spec.sizes(), "4H": 4 * spec.hidden_size}
    names = []
    for n in shape:
        hits = [k for k, v in letters.items() if v == n]
        names.append(" or ".join(hits) if hits else "?")
    return f"{list(shape)} ({', '.join(names)})"


def check_tensor(
    name: str,
    yours: Tensor | None,
    ref: Tensor,
    spec: CaseSpec,
    tolerance: Tolerance | None = None,
    exact: Tensor | None = None,
) -> TensorCheck:
    """Compare one returned tensor with nn.LSTM's after casting both to float64 (``allclose`` refuses mixed dtypes).

    A float32 tensor returned in a float64 case (the tutorial's ``torch.randn`` output buffer is float32) is judged
    at float32's tolerance and noted, not failed.

    Args:
        name: ``output``, ``h_n`` or ``c_n``.
        yours: What the function returned, or None.
        ref: nn.LSTM's.
        spec: The case.
        tolerance: Overrides the case dtype's tolerance.
        exact: nn.LSTM's float64 answer on the same numbers: a float32 miss of ``allclose``'s defaults that is
            rounding alone (see ``ROUNDING_FACTOR``) is a note, not a failure.

    Shapes: ``yours`` as ``ref`` (``h_n``/``c_n`` may come back with nn.LSTM's leading 1).
    """
    expected = tuple(ref.shape)
    tol = tolerance or TOLERANCES[spec.dtype]
    if yours is None:
        problem = msg("{name} did not come back as a tensor.", name=name)
        return TensorCheck(name, expected, None, None, tol, False, problem=problem)
    shape, dtype = tuple(yours.shape), str(yours.dtype).removeprefix("torch.")
    note = ""
    if name != "output" and len(shape) == 3 and shape[0] == 1 and shape[1:] == expected:
        note = msg(
            "{name} came back {shape}, as nn.LSTM returns it; the tutorial's is [B, …].", name=name, shape=list(shape)
        )
        yours = yours[0]
    if tuple(yours.shape) != expected:
        return TensorCheck(
            name,
            expected,
            shape,
            dtype,
            tol,
            False,
            problem=msg(
                "{name} came back {shape}; nn.LSTM's is {expected}.",
                name=name,
                shape=shape_words(shape, spec),
                expected=shape_words(expected, spec),
            ),
        )
    if yours.dtype.is_complex or not (yours.dtype.is_floating_point):
        return TensorCheck(
            name,
            expected,
            shape,
            dtype,
            tol,
            False,
            problem=msg("{name} came back as {dtype}, not a floating type.", name=name, dtype=dtype),
        )
    if spec.dtype == "float64" and dtype in LOW_PRECISION:
        tol = FLOAT32
        note = msg(
            "{name} came back {dtype} in this float64 case (a buffer made with torch.randn or torch.zeros without "
            "dtype= is float32), so it is compared at float32's tolerance.",
            name=name,
            dtype=dtype,
        )
    diff = (yours.double() - ref.double()).abs()
    excess = tol.excess(diff, ref.double())
    ok = bool(excess.numel() == 0 or excess.max() <= 1)
    max_diff = float(torch.nan_to_num(diff, nan=math.inf).max()) if diff.numel() else 0.0
    rounding = False
    if not ok and tol is FLOAT32 and exact is not None:
        ref_error = (ref.double() - exact).abs()
        allowed = ROUNDING_FACTOR * (tol.atol + tol.rtol * exact.abs() + ref_error)
        error = (yours.double() - exact).abs()
        if bool(torch.isfinite(error).all() and (error <= allowed).all()):
            ok = rounding = True
            note = msg(
                "torch.allclose with its defaults says False for {name} ({times:.1f}× its allowance at worst), but "
                "that is float32 rounding: your values are as close to nn.LSTM's exact float64 answer as nn.LSTM's "
                "own float32 kernel is. A note, not a failure.",
                name=name,
                times=float(excess.max()),
            )
    return TensorCheck(name, expected, shape, dtype, tol, ok, max_diff, diff, excess, note, rounding=rounding)


STATUSES = ("match", "differs", "raised", "skipped", "stopped", "not_run")
"""A case's outcome: matched nn.LSTM; returned other numbers or shapes; raised; skipped (a projected case for a
function without ``w_hr``); stopped (the run ended while it ran); not run (the run ended before it)."""


@dataclass(frozen=True)
class CaseResult:
    """A case's verdict, with each tensor's comparison or the exception it raised."""

    spec: CaseSpec
    status: str
    tensors: tuple[TensorCheck, ...] = ()
    returned: Returned | None = None
    error: ErrorInfo | None = None
    notes: tuple[str, ...] = ()
    seconds: float | None = None
    precision_only: bool = field(default=False)

    @property
    def ok(self) -> bool:
        """Matched (a skipped case is neither a match nor a failure)."""
        return self.status == "match"

    @property
    def failed(self) -> bool:
        """Differs, raised, or was stopped or never run."""
        return self.status in ("differs", "raised", "stopped", "not_run")

    @property
    def max_diff(self) -> float | None:
        """The largest |yours - nn.LSTM| over the tensors compared, or None when none could be."""
        diffs = [t.max_diff for t in self.tensors if t.max_diff is not None]
        return max(diffs) if diffs else None

    @property
    def tolerance(self) -> Tolerance:
        """The case's stated tolerance (its dtype's)."""
        return TOLERANCES[self.spec.dtype]

    def tensor(self, name: str) -> TensorCheck | None:
        """The comparison of ``output``, ``h_n`` or ``c_n``."""
        return next((t for t in self.tensors if t.name == name), None)


def compare_case(data: CaseData, returned: Returned, seconds: float | None = None) -> CaseResult:
    """The verdict on one case from what the function returned (computed here, never by the child)."""
    spec = data.spec
    checks = tuple(
        check_tensor(name, getattr(returned, name), getattr(data, name), spec, exact=data.exact[name])
        for name in ("output", "h_n", "c_n")
    )
    notes = [t.note for t in checks if t.note]
    if returned.numpy:
        notes.append(msg("Some of it came back as NumPy arrays; they are compared as tensors."))
    ok = all(t.ok for t in checks) and not returned.problem
    precision_only = False
    if not ok and spec.dtype == "float64" and not returned.problem:
        # Within float32's tolerance but not float64's: rounded to float32 somewhere inside.
        loose = [check_tensor(t.name, getattr(returned, t.name), getattr(data, t.name), spec, FLOAT32) for t in checks]
        if all(t.ok for t in loose):
            checks = tuple(loose)
            precision_only = True
            notes.append(
                msg(
                    "Your function matches at float32's tolerance but not at float64's: it rounds to float32 "
                    "somewhere (a float32 buffer or state inside). float32 decides the verdict, so this is a note, "
                    "not a failure."
                )
            )
            ok = True
    return CaseResult(
        spec,
        "match" if ok else "differs",
        checks,
        returned,
        notes=tuple(notes),
        seconds=seconds,
        precision_only=precision_only,
    )
