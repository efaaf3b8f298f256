"""Worst-case memory of one server process at the hosting limits: every server-wide cache full, then the peaks.

Fills, in one process as a server worker holds them, each budget with the largest items the limits allow:

- the run cache (``RUN_CACHE_BYTES``) with the largest run (``run_bytes``): 4 layers x 2 directions of 512
  units on 512 inputs, float64, at ``MAX_RECORDED_VALUES``; the figure cache is counted at its cap;
- the gradient cache (``GRADIENT_CACHE_BYTES``) with that run's Gradient flow;
- the upload store (``MAX_STORED_BYTES``) with distinct checkpoints (2-layer bidirectional 512-unit LSTMs in
  float16, widened to float32 when read);

then, with everything full, takes the transient peaks: reading the largest CSV and NPY inputs, a 64 MB
checkpoint, an NPZ export of the largest run and one more largest run with its Gradient flow. It prints the
resident memory (RSS, from /proc) after each step and the peak (``ru_maxrss``), beside the sum of the caps.

    .venv/bin/python benchmarks/bench_memory.py            # the whole measurement, a few minutes
    .venv/bin/python benchmarks/bench_memory.py --quick    # one run per cache, a smoke test of the script
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lstm_viz.config import MAX_RECORDED_VALUES, LSTMConfig  # noqa: E402
from lstm_viz.export.data import trace_npz  # noqa: E402
from lstm_viz.inputs import parse_sequence  # noqa: E402
from lstm_viz.run import run  # noqa: E402
from lstm_viz.server import uploads  # noqa: E402 - after the path line above
from lstm_viz.server.cache import ByteLRU, object_bytes, run_bytes  # noqa: E402
from lstm_viz.server.gradients import GRADIENT_CACHE_BYTES, flow_for, gradient_cache  # noqa: E402

MB = 2**20
LARGEST = dict(input_size=512, hidden_size=512, num_layers=4, bidirectional=True, batch=1, seq_len=162, dtype="float64")
"""The run with the most bytes under the limits (measured among the shapes at MAX_RECORDED_VALUES: 214 MB)."""


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(what: str, start: float) -> None:
    gc.collect()
    print(f"{what:<58} RSS {rss_mb():7.0f} MB   peak {peak_mb():7.0f} MB   ({time.perf_counter() - start:5.1f} s)")


def cache_caps() -> dict[str, int]:
    """The server-wide budgets, read from where the app defines them (the UI's when it is importable)."""
    caps = {"uploads": uploads.MAX_STORED_BYTES, "gradients": GRADIENT_CACHE_BYTES}
    try:
        from lstm_viz.ui.runs import RUN_CACHE_BYTES

        caps["runs"] = RUN_CACHE_BYTES
    except ImportError:
        caps["runs"] = 1024 * MB
    try:
        from lstm_viz.server.figures import FIGURE_CACHE_BYTES

        caps["figures"] = FIGURE_CACHE_BYTES
    except ImportError:
        caps["figures"] = 256 * MB
    return caps


def checkpoint(seed: int, layers: int = 2) -> bytes:
    """A bidirectional LSTM of 512 units on 512 inputs in float16, random weights.

    2 layers are a 21 MB file (42 MB once read), 4 layers (the largest allowed) a 46 MB file (92 MB once read).
    """
    gen = torch.Generator().manual_seed(seed)
    lstm = nn.LSTM(512, 512, num_layers=layers, bidirectional=True, device="meta")
    state = {k: (torch.rand(v.shape, generator=gen) * 0.1).half() for k, v in lstm.state_dict().items()}
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one item per cache (a smoke test, not the figure)")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the app's workers run
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    caps = cache_caps()
    print(
        "budgets: "
        + ", ".join(f"{k} {v / MB:.0f} MB" for k, v in caps.items())
        + f"; sum {sum(caps.values()) / MB:.0f} MB"
    )
    start = time.perf_counter()
    import plotly.graph_objects  # noqa: F401 - what a worker has imported besides the library
    import streamlit  # noqa: F401

    report("after imports (torch, streamlit, plotly, lstm_viz)", start)

    config = LSTMConfig(**LARGEST)
    assert config.recorded_values <= MAX_RECORDED_VALUES
    runs: ByteLRU = ByteLRU(caps["runs"], run_bytes)
    first = run(config)
    one = run_bytes(first)
    print(f"one largest run: {one / MB:.1f} MB ({config.recorded_values:,} recorded values)")
    runs.put(config, first)
    seed = 1
    while not args.quick and len(runs) * one + one <= caps["runs"]:
        cfg = config.replace(seed=seed)
        runs.put(cfg, run(cfg))
        seed += 1
    report(f"run cache full: {len(runs)} runs, {runs.nbytes / MB:.0f} MB", start)

    flow = flow_for(first, "last", None)
    print(f"its Gradient flow: {object_bytes(flow) / MB:.1f} MB")
    del flow
    report(f"gradient cache: {gradient_cache().nbytes / MB:.0f} MB", start)

    store = uploads.store()
    k = 0
    while store.nbytes + 44 * MB <= uploads.MAX_STORED_BYTES and not (args.quick and k):
        uploads.add_model_file(checkpoint(k), f"model{k}.pt")
        k += 1
    report(f"upload store full: {len(store)} files, {store.nbytes / MB:.0f} MB", start)
    held = rss_mb()

    csv = "\n".join(",".join(f"{v:.17g}" for v in row) for row in np.random.default_rng(0).random((512, 512)))
    parse_sequence(csv.encode(), "big.csv", 512)
    buf = io.BytesIO()
    np.save(buf, np.random.default_rng(0).random((32, 512, 512)))
    parse_sequence(buf.getvalue(), "big.npy", 512)
    report("peak of the largest CSV (512 x 512) and NPY (64 MB) inputs", start)
    uploads.add_model_file(checkpoint(999, layers=4), "largest.pt")
    report("peak of reading the largest checkpoint (46 MB, 92 MB as modules)", start)

    class Queue:  # the export slot itself is measured in bench_export; only the bytes matter here
        def job(self):
            import contextlib

            return contextlib.nullcontext()

    npz = trace_npz(first.trace, first.built.input, renderer_=Queue())
    print(f"NPZ of the largest run: {len(npz) / MB:.0f} MB")
    del npz
    report("peak of an NPZ export of the largest run", start)
    extra = run(config.replace(seed=10_000))
    flow_for(extra, "every", None)
    report("peak of one more largest run and its Gradient flow", start)
    del extra

    figures = caps["figures"]
    worst = peak_mb() + figures / MB
    print()
    print(f"held with every cache full: RSS {held:.0f} MB (+ the figure cache's {figures / MB:.0f} MB cap when full)")
    print(f"worst case of one server process: peak {peak_mb():.0f} MB + figures {figures / MB:.0f} MB = {worst:.0f} MB")


if __name__ == "__main__":
    main()
