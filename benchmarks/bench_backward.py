"""Time trace + the hand-written backward against autograd through nn.LSTM (forward + backward), side by side.

Run: ``.venv/bin/python benchmarks/bench_backward.py``. Each repeat times both candidates once, in turn, so
drift in the machine's speed (it may be shared) hits both alike; the table shows medians and their ratio.

Both compute the same gradients of one loss, ``(output * grad_output).sum() + (h_n * grad_h_n).sum() +
(c_n * grad_c_n).sum()``, for the input, h0, c0 and every parameter:

- ``autograd``: ``nn.LSTM`` in training mode on its generic CPU loop (oneDNN off, the loop ``trace`` mirrors),
  then ``torch.autograd.grad``; ``autograd (oneDNN)`` is PyTorch's default float32 kernel, for reference.
- ``by hand``: ``lstm_viz.trace`` (which records every gate and state) then ``lstm_viz.backward.backward``.

The last column is the largest |difference| between the two over every gradient.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import Shape  # noqa: E402  (one description of a benchmarked LSTM for both benchmarks)

from lstm_viz import trace  # noqa: E402
from lstm_viz.backward import backward  # noqa: E402

TARGET = Shape(8, 256, 64, 256, repeats=11)
SHAPES = [
    Shape(2, 3, 4, 5, repeats=101),
    Shape(4, 64, 16, 32, 8, layers=2, bidirectional=True, repeats=31),
    TARGET,
]
DTYPES = (torch.float64, torch.float32)


def make(shape: Shape, dtype: torch.dtype):
    """The seeded module (training mode: no dropout), its input, hx and the output gradients."""
    lstm = shape.lstm(dtype)
    dirs = 2 if shape.bidirectional else 1
    x = torch.randn(shape.steps, shape.batch, shape.inputs, dtype=dtype)  # [T, B, I]
    h0 = torch.randn(shape.layers * dirs, shape.batch, shape.proj or shape.hidden, dtype=dtype)
    c0 = torch.randn(shape.layers * dirs, shape.batch, shape.hidden, dtype=dtype)
    with torch.no_grad():
        out, (h_n, c_n) = lstm(x, (h0, c0))
    grads = (torch.randn_like(out), torch.randn_like(h_n), torch.randn_like(c_n))
    return lstm, x, (h0, c0), grads


def candidates(lstm: nn.LSTM, x: torch.Tensor, hx, grads) -> dict:
    """Name -> zero-argument callable returning [dx, dh0, dc0, *parameter gradients]."""
    params = list(lstm.parameters())

    def autograd(onednn: bool = False):
        def run():
            xs = x.detach().requires_grad_()
            h0, c0 = (s.detach().requires_grad_() for s in hx)
            with torch.backends.mkldnn.flags(enabled=onednn):
                out, (h_n, c_n) = lstm(xs, (h0, c0))
                return list(torch.autograd.grad((out, h_n, c_n), [xs, h0, c0, *params], grads))

        return run

    def by_hand():
        g = backward(trace(lstm, x, hx), *grads)
        return [g.input, g.h0, g.c0, *g.params.values()]

    runs = {"autograd": autograd(), "by hand": by_hand}
    if x.dtype == torch.float32 and lstm.proj_size == 0:
        runs["autograd (oneDNN)"] = autograd(onednn=True)
    return runs


def measure(shape: Shape, dtype: torch.dtype) -> dict:
    """Medians (ms) of interleaved repeats and the largest |difference| between the two gradient sets."""
    lstm, x, hx, grads = make(shape, dtype)
    runs = candidates(lstm, x, hx, grads)
    reference = runs["autograd"]()
    diff = max((a - b).abs().max().item() for a, b in zip(runs["by hand"](), reference, strict=True))
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(shape.repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - start) * 1e3)
    return {"ms": {name: statistics.median(t) for name, t in times.items()}, "diff": diff}


def main() -> None:
    """Measure every shape in both dtypes, print the table, then the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only-target", action="store_true", help="measure only (8, 256, 64, 256)")
    args = parser.parse_args()
    shapes = [TARGET] if args.only_target else SHAPES
    started = time.perf_counter()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    head = (
        f"{'shape (B,T,I,H[,P])':<26} {'dtype':<8} {'autograd ms':>11} {'by hand ms':>10} {'hand/auto':>9} "
        f"{'oneDNN ms':>9} {'max|diff|':>9}"
    )
    print(head)
    print("-" * len(head))
    results = {}
    for shape in shapes:
        for dtype in DTYPES:
            r = measure(shape, dtype)
            results[(shape, dtype)] = r
            ms = r["ms"]
            onednn = ms.get("autograd (oneDNN)")
            print(
                f"{shape.label:<26} {str(dtype).removeprefix('torch.'):<8} {ms['autograd']:>11.3f} "
                f"{ms['by hand']:>10.3f} {ms['by hand'] / ms['autograd']:>9.2f} "
                f"{f'{onednn:.3f}' if onednn else '-':>9} {r['diff']:>9.1e}",
                flush=True,
            )
    print()
    print("Target")
    for dtype in DTYPES:
        ms = results[(TARGET, dtype)]["ms"]
        ratio = ms["by hand"] / ms["autograd"]
        verdict = ("ok" if ratio <= 1.1 else "MISSED") if dtype == torch.float64 else "(reported)"
        print(
            f"  (trace + backward) / autograd {TARGET.label} {str(dtype)[6:]}: {ratio:.2f}x  "
            f"(target <= 1.1x in float64) {verdict}"
        )
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
