"""``lstm_viz.show`` in a notebook: its time after import at the tutorial's sizes, and the default task's figure.

Measured in one run, side by side:

1. ``import lstm_viz`` and the first ``show`` in fresh processes (what a notebook's first cell pays), medians;
2. every view at the tutorial's sizes (B=2, T=3, I=4, H=5; plain and with ``proj_size=3``), warm, medians over
   interleaved rounds, beside the app's own builder for the Gates view (trace + figure) as the baseline: the
   ratio is what the notebook layer (checks, picks, palette, class) adds;
3. the app's default run (the trained ``brackets`` task, 4 sequences of 40 steps): ``show``'s Gates figure against
   the Gates page's figure of the same run, their build time and JSON size (``fig.to_json()``), and the bytes a
   notebook stores for it (Plotly's ``plotly_mimetype+notebook`` bundle, JSON and HTML).

Run: .venv/bin/python benchmarks/bench_notebook.py [--rounds 9] [--cold 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import plotly.io as pio  # noqa: E402
import torch  # noqa: E402
from plotly.offline import get_plotlyjs  # noqa: E402
from torch import nn  # noqa: E402

import lstm_viz  # noqa: E402
from lstm_viz.config import LSTMConfig  # noqa: E402
from lstm_viz.figures import gates_over_time_figure  # noqa: E402
from lstm_viz.notebook import VIEWS, show  # noqa: E402
from lstm_viz.notebook.gates import memory_units  # noqa: E402
from lstm_viz.run import RunSpec, run  # noqa: E402
from lstm_viz.settings import DEFAULT_MODEL, model_defaults  # noqa: E402
from lstm_viz.sources import TaskSource  # noqa: E402

COLD = """
import time
start = time.perf_counter()
import lstm_viz, torch
imported = time.perf_counter()
torch.manual_seed(0)
lstm = torch.nn.LSTM(4, 5, batch_first=True)
fig = lstm_viz.show(lstm, torch.randn(2, 3, 4))
print(imported - start, time.perf_counter() - imported)
"""


def _seconds(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _cold(times: int) -> tuple[float, float]:
    """Medians of ``import lstm_viz`` and of the first ``show`` after it, each in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [
        tuple(
            map(
                float,
                subprocess.run(
                    [sys.executable, "-c", COLD], env=env, capture_output=True, text=True, check=True
                ).stdout.split(),
            )
        )
        for _ in range(times)
    ]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def _tutorial(proj_size: int) -> tuple[nn.LSTM, torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    torch.manual_seed(0)
    lstm = nn.LSTM(4, 5, batch_first=True, proj_size=proj_size)
    return lstm, torch.randn(2, 3, 4), (torch.randn(1, 2, proj_size or 5), torch.randn(1, 2, 5))


def _notebook_bytes(fig) -> tuple[int, int]:
    """Bytes a notebook stores for ``fig``, and the plotly.js it stores once.

    Plotly's default notebook renderers store a figure twice (its JSON bundle and its HTML), and write plotly.js
    into the notebook with its first figure.
    """
    fig_dict = fig.to_dict()
    bundle = {
        **pio.renderers["plotly_mimetype"].to_mimebundle(dict(fig_dict)),
        **pio.renderers["notebook"].to_mimebundle(dict(fig_dict)),
    }
    return sum(len(json.dumps(v)) for v in bundle.values()), len(get_plotlyjs())


def main(rounds: int, cold: int) -> None:
    print("load:", os.getloadavg(), "(1, 5, 15 min) on", os.cpu_count(), "cores;", f"torch {torch.__version__}")
    imported, first = _cold(cold)
    print(f"\nfresh process, median of {cold}: import lstm_viz {imported:.2f} s, then the first show {first:.2f} s")

    cases: dict[str, Callable[[], object]] = {}
    for proj in (0, 3):
        lstm, x, hx = _tutorial(proj)
        name = "projection" if proj else "plain"
        cases[f"app builder, gates ({name})"] = lambda lstm=lstm, x=x, hx=hx: gates_over_time_figure(
            lstm_viz.trace(lstm, x, hx).layer(0), clickable=False
        )
        for view in VIEWS:
            cases[f"show {view} ({name})"] = lambda lstm=lstm, x=x, hx=hx, view=view: show(lstm, x, hx, view=view)
    for work in cases.values():  # warm: lazy imports, Plotly's validators
        work()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, work in cases.items():
            samples[name].append(_seconds(work))
    print(f"\ntutorial sizes (B=2, T=3, I=4, H=5), warm, median of {rounds} interleaved rounds:")
    for proj in ("plain", "projection"):
        base = statistics.median(samples[f"app builder, gates ({proj})"])
        print(f"  app builder, gates ({proj}): {base * 1e3:7.1f} ms")
        for view in VIEWS:
            ms = statistics.median(samples[f"show {view} ({proj})"])
            note = f"  ({ms / base:.2f}x the app's builder)" if view == "gates" else ""
            print(f"  show {view:<10} ({proj}): {ms * 1e3:7.1f} ms{note}")

    values = model_defaults(DEFAULT_MODEL)
    config = LSTMConfig(**{k: v for k, v in values.items() if k in LSTMConfig.__dataclass_fields__})
    r = run(RunSpec(config, TaskSource(DEFAULT_MODEL)))
    model = lstm_viz.tasks.pretrained(DEFAULT_MODEL)
    rec = r.trace.layer(0)
    highlight = r.highlight

    def page() -> object:
        return gates_over_time_figure(rec, 0, None, 0, r.labels(0), highlight, height=590)

    def notebook() -> object:
        return show(model, r.built.input)

    page(), notebook(), memory_units(model)
    built = {"page": [], "show": [], "finder": []}
    for _ in range(rounds):
        built["page"].append(_seconds(page))
        built["show"].append(_seconds(notebook))
        built["finder"].append(_seconds(lambda: memory_units(model)))
    app_fig, nb_fig = page(), notebook()
    app_json, nb_json = len(app_fig.to_json()), len(nb_fig.to_json())
    print(
        f"\nthe app's default run ({DEFAULT_MODEL}, batch {config.batch}, {config.seq_len} steps), median of {rounds}:"
    )
    print(
        f"  Gates page's figure (from the run's trace): {statistics.median(built['page']) * 1e3:7.1f} ms, "
        f"JSON {app_json / 1024:6.1f} KB"
    )
    print(
        f"  show(model, x) (trace, finder, figure):     {statistics.median(built['show']) * 1e3:7.1f} ms, "
        f"JSON {nb_json / 1024:6.1f} KB ({nb_json / app_json:.2f}x the page's)"
    )
    print(f"    of which the memory-unit finder:          {statistics.median(built['finder']) * 1e3:7.1f} ms")
    stored, plotly_js = _notebook_bytes(nb_fig)
    print(f"  stored in a notebook (plotly_mimetype+notebook bundle): {stored / 1024:.1f} KB per figure, and")
    print(f"  plotly.js, written once per notebook by Plotly's notebook renderer: {plotly_js / 2**20:.1f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--cold", type=int, default=3)
    args = parser.parse_args()
    main(args.rounds, args.cold)
