"""Server-side export time: kaleido reloading its tab after every render (stock) against every 32 (the app's).

Both renderers run side by side in one process, interleaved round by round, so the host's noise hits both alike:
one warm render of each figure kind of the gates animation (the step bars at 2x, a heatmap at 2x), then a whole
animation (``gates_mp4`` over ``--steps`` steps of the app's default run). Prints the median seconds of each and
the ratio stock / app.

Needs Debian's Chromium (``/usr/bin/chromium``).
Run: .venv/bin/python benchmarks/bench_export.py [--rounds 3] [--steps 12]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_viz import build, trace  # noqa: E402
from lstm_viz.config import LSTMConfig  # noqa: E402
from lstm_viz.export.animation import gates_mp4  # noqa: E402
from lstm_viz.export.images import DEFAULT_WIDTH, RELOAD_EVERY, FigureRenderer, layout_size  # noqa: E402
from lstm_viz.figures import state_heatmap_figure, step_bars_figure  # noqa: E402
from lstm_viz.settings import DEFAULTS  # noqa: E402


def _seconds(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main(rounds: int, steps: int) -> None:
    """Time ``rounds`` interleaved rounds of each case with both renderers and print medians and ratios."""
    built = build(LSTMConfig(**DEFAULTS))
    rec = trace(built.lstm, built.input, built.hx).layer(0)
    bars, heat = step_bars_figure(rec, 3), state_heatmap_figure(rec, "c", cursor=3)
    renderers = {"stock (reload every render)": FigureRenderer(reload_every=1), "app": FigureRenderer()}

    def render(r: FigureRenderer, fig: object, repeats: int = 5) -> None:
        _, height = layout_size(fig)
        with r.job():
            for _ in range(repeats):
                r.render(fig, "png", DEFAULT_WIDTH, height, 2)

    cases: dict[str, Callable[[FigureRenderer], object]] = {
        "step bars, 5 renders at 2x": lambda r: render(r, bars),
        "heatmap, 5 renders at 2x": lambda r: render(r, heat),
        f"MP4 of {steps} steps": lambda r: gates_mp4(rec, steps=range(steps), renderer_=r),
    }
    times = {(case, name): [] for case in cases for name in renderers}
    try:
        for r in renderers.values():
            render(r, bars, repeats=1)  # start each Chromium outside the timings
        for _ in range(rounds):
            for case, work in cases.items():
                for name, r in renderers.items():
                    times[case, name].append(_seconds(lambda r=r, work=work: work(r)))
    finally:
        for r in renderers.values():
            r.close()
    stock, app = renderers
    print(f"kaleido tab reloads: {stock} vs {app} (every {RELOAD_EVERY}); median of {rounds} rounds, seconds")
    print(f"  {'case':<30}{'stock':>8}{'app':>8}{'stock/app':>11}")
    for case in cases:
        a, b = statistics.median(times[case, stock]), statistics.median(times[case, app])
        print(f"  {case:<30}{a:>8.2f}{b:>8.2f}{a / b:>10.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=12, help="steps of the timed MP4 (the default run has 40)")
    args = parser.parse_args()
    main(args.rounds, args.steps)
