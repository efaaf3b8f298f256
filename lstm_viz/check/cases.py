"""The cases a learner's forward is checked on: the tutorial's two, then a ladder that catches what they miss.

Every case is an app run: its tensors come from ``lstm_viz.build.build`` (the tutorial's draw, or the explorer's
with zero initial states), so a link opens One step on exactly the case that failed.
"""

from __future__ import annotations

import copy
import functools
import warnings
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lstm_viz.build import build
from lstm_viz.config import LSTMConfig
from lstm_viz.i18n import msg


@dataclass(frozen=True)
class CaseSpec:
    """One case: sizes, dtype, initial state and the seed its tensors are drawn from.

    Attributes:
        name: A short id (``"tutorial"``), used in frames and reports.
        title: What a person calls it ("the tutorial's case"): an ``i18n.Message``, said in the reader's language.
        catches: One sentence: what this case catches that the others miss (a ``Message`` too).
        initial: ``"random"`` (h0, c0 drawn as the tutorial does) or ``"zeros"`` (nn.LSTM's default).
    """

    name: str
    title: str
    catches: str
    batch: int
    seq_len: int
    input_size: int
    hidden_size: int
    proj_size: int = 0
    dtype: str = "float32"
    initial: str = "random"
    seed: int = 0

    @property
    def draw(self) -> str:
        """How ``build`` draws it: the tutorial's draw always gives hx; zero states need the explorer's draw."""
        return "tutorial" if self.initial == "random" else "explorer"

    @property
    def projected(self) -> bool:
        """Whether the case has ``proj_size > 0`` (and so passes ``w_hr``)."""
        return self.proj_size > 0

    @property
    def out_size(self) -> int:
        """H_out: P with a projection, else H."""
        return self.proj_size or self.hidden_size

    def config(self) -> LSTMConfig:
        """The app's config of this case (one layer, batch_first, random input)."""
        return LSTMConfig(
            input_size=self.input_size,
            hidden_size=self.hidden_size,
            proj_size=self.proj_size,
            batch_first=True,
            batch=self.batch,
            seq_len=self.seq_len,
            input_kind="random",
            initial_state=self.initial,
            dtype=self.dtype,
            seed=self.seed,
        )

    def sizes(self) -> dict[str, int]:
        """The case's sizes by their letters: B, T, I, H and (projected) P."""
        sizes = {"B": self.batch, "T": self.seq_len, "I": self.input_size, "H": self.hidden_size}
        if self.proj_size:
            sizes["P"] = self.proj_size
        return sizes

    def size_words(self) -> str:
        """``B 2, T 3, I 4, H 5, P 3, float32`` (the title says when the initial states are zeros)."""
        return ", ".join(f"{k} {v}" for k, v in self.sizes().items()) + f", {self.dtype}"

    def link_values(self) -> dict[str, object]:
        """The settings that make this case an app run (merge over ``settings.model_defaults("random")``)."""
        return {
            "model": "random",
            "draw": self.draw,
            "batch": self.batch,
            "seq_len": self.seq_len,
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "proj_size": self.proj_size,
            "batch_first": True,
            "seed": self.seed,
            "dtype": self.dtype,
            "input_kind": "random",
            "initial_state": self.initial,
        }


CASES: tuple[CaseSpec, ...] = (
    CaseSpec(
        "tutorial",
        msg("the tutorial's case"),
        msg("The tutorial's own test_lstm_impl: a small batch, random initial states."),
        2,
        3,
        4,
        5,
        seed=0,
    ),
    CaseSpec(
        "tutorial_proj",
        msg("the tutorial's projected case"),
        msg("The tutorial's own test_lstmp_impl: proj_size = 3, so h_t has P features and W_hh has P columns."),
        2,
        3,
        4,
        5,
        proj_size=3,
        seed=1,
    ),
    CaseSpec(
        "batch_one",
        msg("one sequence"),
        msg("B = 1: a squeeze() without a dimension, or a batch size written into the code, shows here."),
        1,
        3,
        4,
        5,
        seed=2,
    ),
    CaseSpec(
        "one_step",
        msg("one step"),
        msg("T = 1: a loop that skips the first or the last step has nothing else to hide behind."),
        2,
        1,
        4,
        5,
        seed=3,
    ),
    CaseSpec(
        "long",
        msg("a longer sequence"),
        msg("T = 12: a length written into the code, or a state that drifts step by step."),
        2,
        12,
        4,
        5,
        seed=1,
    ),
    CaseSpec(
        "zero_state",
        msg("zero initial states"),
        msg("nn.LSTM's default h0 = c0 = 0: a function that ignores or swaps the initial states passes here only."),
        2,
        4,
        4,
        5,
        initial="zeros",
        seed=5,
    ),
    CaseSpec(
        "square",
        msg("as many sequences as steps"),
        msg("B = T: an input read as [T, B, I] runs without an error here and gives wrong numbers."),
        3,
        3,
        4,
        5,
        seed=6,
    ),
    CaseSpec(
        "distinct",
        msg("every size different"),
        msg("B, T, I and H all differ (I < H), so a wrong size or a transposed weight block cannot fit by chance."),
        2,
        5,
        3,
        7,
        seed=7,
    ),
    CaseSpec(
        "distinct_proj",
        msg("every size different, projected"),
        msg("P = 4 differs from B, T, I and H, so the projection's shapes cannot fit by chance."),
        2,
        5,
        3,
        7,
        proj_size=4,
        seed=8,
    ),
    CaseSpec(
        "float64",
        msg("float64"),
        msg("float64 shows rounding to float32 somewhere in the function (the verdict is at float64's tolerance)."),
        2,
        3,
        4,
        5,
        dtype="float64",
        seed=9,
    ),
)
"""Every case, in the order they run: the tutorial's two first (their verdicts come back first)."""
SEED_CASES = ("tutorial", "tutorial_proj")


def case(name: str) -> CaseSpec:
    """The case called ``name``."""
    for spec in CASES:
        if spec.name == name:
            return spec
    raise KeyError(f"there is no case called {name!r}")


@dataclass(frozen=True)
class CaseData:
    """A case's module, the inputs the learner's function gets, and ``nn.LSTM``'s answer.

    Shapes: ``inputs``: ``inp`` [B, T, I], ``h0`` [B, H_out], ``c0`` [B, H], ``w_ih`` [4H, I], ``w_hh`` [4H, H_out],
    ``b_ih``/``b_hh`` [4H], ``w_hr`` [P, H] when projected; ``output`` [B, T, H_out]; ``h_n`` [B, H_out];
    ``c_n`` [B, H]; ``exact`` holds nn.LSTM's float64 answer on the same numbers (output, h_n, c_n).
    """

    spec: CaseSpec
    lstm: nn.LSTM
    inputs: dict[str, Tensor]
    hx: tuple[Tensor, Tensor] | None
    output: Tensor
    h_n: Tensor
    c_n: Tensor
    exact: dict[str, Tensor]


@functools.cache
def case_data(spec: CaseSpec) -> CaseData:
    """Build a case and run ``nn.LSTM`` on it (once per process; the tensors are shared read-only)."""
    built = build(spec.config(), draw=spec.draw)
    lstm = built.lstm
    x = built.input  # [B, T, I]
    if built.hx is None:
        h0 = x.new_zeros(spec.batch, spec.out_size)
        c0 = x.new_zeros(spec.batch, spec.hidden_size)
    else:
        h0, c0 = built.hx[0][0], built.hx[1][0]  # [B, H_out], [B, H]
    inputs = {
        "inp": x,
        "h0": h0,
        "c0": c0,
        "w_ih": lstm.weight_ih_l0.detach(),
        "w_hh": lstm.weight_hh_l0.detach(),
        "b_ih": lstm.bias_ih_l0.detach(),
        "b_hh": lstm.bias_hh_l0.detach(),
    }
    if spec.projected:
        inputs["w_hr"] = lstm.weight_hr_l0.detach()
    with torch.no_grad(), warnings.catch_warnings():
        # nn.LSTM with proj_size falls back from oneDNN to its own loop and says so on every call.
        warnings.simplefilter("ignore", UserWarning)
        output, (h_n, c_n) = lstm(x, built.hx)
        # The same numbers through nn.LSTM in float64: the exact answer float32 rounding is measured against.
        wide = copy.deepcopy(lstm).double()
        hx64 = None if built.hx is None else (built.hx[0].double(), built.hx[1].double())
        out64, (h64, c64) = wide(x.double(), hx64)
    exact = {"output": out64, "h_n": h64[0], "c_n": c64[0]}
    return CaseData(spec, lstm, inputs, built.hx, output, h_n[0], c_n[0], exact)
