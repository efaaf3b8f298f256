"""Time lstm_viz.trace against nn.LSTM and the tutorial's tiled-bmm loop, side by side in one process.

Run: ``.venv/bin/python benchmarks/bench_engine.py``. Each repeat times every candidate once, in turn, so
drift in the machine's speed hits all of them alike; the table shows medians. nn.LSTM runs in eval mode
under ``torch.no_grad()``; in float32 without a projection PyTorch hands it to oneDNN, otherwise (float64,
or ``proj_size > 0``) it runs its generic per-step loop, which is the fair yardstick for a Python loop.

Columns: nn.LSTM under ``no_grad`` (the yardstick), nn.LSTM under ``inference_mode`` (what ``trace`` runs
under, for a like-for-like view), ``trace``, the tutorial's loop, their ratios, the bytes the trace holds
against ``itemsize * L * D * T * B * (6H + P)``, and the trace's largest |difference| from nn.LSTM's output.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tutorial_loop import lstm_forward  # noqa: E402

from lstm_viz import trace  # noqa: E402


@dataclass(frozen=True)
class Shape:
    """One benchmarked LSTM: batch, time, input, hidden, projection, layers, bidirectional."""

    batch: int
    steps: int
    inputs: int
    hidden: int
    proj: int = 0
    layers: int = 1
    bidirectional: bool = False
    repeats: int = 7

    @property
    def label(self) -> str:
        """E.g. ``(8,256,64,256)`` or ``(8,256,64,128) L2 bi``."""
        sizes = [self.batch, self.steps, self.inputs, self.hidden] + ([self.proj] if self.proj else [])
        text = "(" + ",".join(map(str, sizes)) + ")"
        if self.layers > 1:
            text += f" L{self.layers}"
        if self.bidirectional:
            text += " bi"
        return text

    def lstm(self, dtype: torch.dtype) -> nn.LSTM:
        """The benchmarked ``nn.LSTM``, its weights drawn after ``torch.manual_seed(0)``."""
        torch.manual_seed(0)
        return nn.LSTM(
            self.inputs,
            self.hidden,
            num_layers=self.layers,
            bidirectional=self.bidirectional,
            proj_size=self.proj,
            dtype=dtype,
        )

    @property
    def tutorial_applies(self) -> bool:
        """The tutorial's loop is single-layer and unidirectional."""
        return self.layers == 1 and not self.bidirectional


SHAPES = [
    Shape(2, 3, 4, 5, repeats=201),
    Shape(4, 50, 16, 32, repeats=61),
    Shape(8, 256, 64, 256, repeats=21),
    Shape(16, 512, 128, 256, 64, repeats=11),
    Shape(8, 256, 64, 128, layers=2, bidirectional=True, repeats=21),
]
DTYPES = (torch.float32, torch.float64)


def make(shape: Shape, dtype: torch.dtype):
    """The seeded module, its time-major input and hx, and the tutorial's batch-major copies."""
    lstm = shape.lstm(dtype).eval()
    x = torch.randn(shape.steps, shape.batch, shape.inputs, dtype=dtype)  # [T, B, I]
    dirs = 2 if shape.bidirectional else 1
    h0 = torch.randn(shape.layers * dirs, shape.batch, shape.proj or shape.hidden, dtype=dtype)
    c0 = torch.randn(shape.layers * dirs, shape.batch, shape.hidden, dtype=dtype)
    return lstm, x, (h0, c0)


def candidates(shape: Shape, lstm: nn.LSTM, x: torch.Tensor, hx):
    """Name -> zero-argument callable returning the output [T, B, D*H_out] (time-major)."""

    def run_nn_lstm():
        with torch.no_grad():
            return lstm(x, hx)[0]

    def run_nn_lstm_inference():
        with torch.inference_mode():
            return lstm(x, hx)[0]

    def run_trace():
        return trace(lstm, x, hx).output

    runs = {"nn.LSTM": run_nn_lstm, "nn.LSTM inf": run_nn_lstm_inference, "trace": run_trace}
    if shape.tutorial_applies:
        x_bt = x.transpose(0, 1).contiguous()  # [B, T, I], the tutorial's layout, made outside the timing
        w = {k: getattr(lstm, f"{k}_l0").detach() for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        w_hr = lstm.weight_hr_l0.detach() if shape.proj else None
        h0, c0 = hx[0][0], hx[1][0]

        def run_tutorial():
            with torch.no_grad():
                out, _ = lstm_forward(x_bt, (h0, c0), w["weight_ih"], w["weight_hh"], w["bias_ih"], w["bias_hh"], w_hr)
            return out.transpose(0, 1)

        runs["tutorial"] = run_tutorial
    return runs


def measure(shape: Shape, dtype: torch.dtype) -> dict:
    """Medians (ms) of interleaved repeats, the trace's bytes, and each candidate's max |diff| to nn.LSTM."""
    lstm, x, hx = make(shape, dtype)
    runs = candidates(shape, lstm, x, hx)
    reference = runs["nn.LSTM"]()
    diffs = {name: (run() - reference).abs().max().item() for name, run in runs.items()}  # also warms up
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(shape.repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - start) * 1e3)
    tr = trace(lstm, x, hx)
    dirs = 2 if shape.bidirectional else 1
    itemsize = torch.empty(0, dtype=dtype).element_size()
    formula = itemsize * shape.layers * dirs * shape.steps * shape.batch * (6 * shape.hidden + shape.proj)
    return {
        "ms": {name: statistics.median(t) for name, t in times.items()},
        "nbytes": tr.nbytes,
        "formula": formula,
        "diffs": diffs,
    }


def main() -> None:
    """Measure every shape in both dtypes, print the table, then the targets."""
    started = time.perf_counter()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, oneDNN {torch.backends.mkldnn.is_available()}"
    )
    head = (
        f"{'shape (B,T,I,H[,P])':<22} {'dtype':<8} {'nn.LSTM ms':>10} {'nn inf ms':>9} {'trace ms':>9} "
        f"{'tutorial ms':>11} {'trace/nn':>8} {'tr/nn inf':>9} {'tut/trace':>9} {'trace bytes':>12} "
        f"{'formula':>12} {'max|diff|':>9}"
    )
    print(head)
    print("-" * len(head))
    results = {}
    for shape in SHAPES:
        for dtype in DTYPES:
            r = measure(shape, dtype)
            results[(shape, dtype)] = r
            ms = r["ms"]
            tut = ms.get("tutorial")
            tut_text = f"{tut:.3f}" if tut else "-"
            tut_ratio = f"{tut / ms['trace']:.1f}" if tut else "-"
            print(
                f"{shape.label:<22} {str(dtype).removeprefix('torch.'):<8} {ms['nn.LSTM']:>10.3f} "
                f"{ms['nn.LSTM inf']:>9.3f} {ms['trace']:>9.3f} {tut_text:>11} "
                f"{ms['trace'] / ms['nn.LSTM']:>8.2f} {ms['trace'] / ms['nn.LSTM inf']:>9.2f} {tut_ratio:>9} "
                f"{r['nbytes']:>12,} {r['formula']:>12,} {r['diffs']['trace']:>9.1e}",
                flush=True,
            )

    print()
    print("Targets")
    generic = [
        (s, d) for (s, d) in results if d == torch.float64 or s.proj > 0
    ]  # where nn.LSTM runs PyTorch's generic loop
    for s, d in generic:
        ratio = results[(s, d)]["ms"]["trace"] / results[(s, d)]["ms"]["nn.LSTM"]
        verdict = "ok" if ratio <= 1.1 else "MISSED"
        print(f"  trace/nn.LSTM (generic loop) {s.label} {str(d)[6:]}: {ratio:.2f}x  (target <= 1.1x) {verdict}")
    key = (SHAPES[2], torch.float32)
    speedup = results[key]["ms"]["tutorial"] / results[key]["ms"]["trace"]
    verdict = "ok" if speedup >= 10 else "MISSED"
    print(f"  tutorial/trace {SHAPES[2].label} float32: {speedup:.1f}x  (target >= 10x) {verdict}")
    for s in SHAPES:
        if s.proj == 0:
            r = results[(s, torch.float32)]["ms"]
            print(f"  nn.LSTM(oneDNN)/trace {s.label} float32: {r['nn.LSTM'] / r['trace']:.2f}")
    overhead = max(r["nbytes"] / r["formula"] - 1 for r in results.values())
    print(
        f"  trace.nbytes vs itemsize*L*D*T*B*(6H+P): at most {overhead:.1%} over "
        "(m and h pad each step to 64 bytes so BLAS rounds as in ATen's loop)"
    )
    worst = {
        name: max(r["diffs"].get(name, 0.0) for r in results.values() if name in r["diffs"])
        for name in ("trace", "tutorial")
    }
    print(f"  worst max|diff| to nn.LSTM: trace {worst['trace']:.1e}, tutorial {worst['tutorial']:.1e}")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
