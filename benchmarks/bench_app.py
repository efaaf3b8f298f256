"""Server-side cost of the explorer's interactions, measured with Streamlit's AppTest in one process.

Prints, at the default config and the largest allowed ones: the time of a rerun after a control
changes, of a time-cursor move (and how many forwards it ran: it must be 0), and the bytes of figure
data each page sends. Medians over several repeats; machines here are shared and noisy.

Run: .venv/bin/python benchmarks/bench_app.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lstm_viz.ui as ui  # noqa: E402
from lstm_viz.config import LSTMConfig  # noqa: E402

APP = str(ROOT / "app.py")
PAGES = ["home", "gates", "compare", "step", "parameters"]
LARGEST = {
    "largest H, T, I (B 2, T 512, I 512, H 512)": dict(
        batch=2, seq_len=512, input_size=512, hidden_size=512, proj_size=0
    ),
    "largest B (B 32, T 512, H 36, P 18)": dict(batch=32, seq_len=512, hidden_size=36, proj_size=18),
    "deepest (4 bidirectional layers, B 4, T 192, H 96, P 48)": dict(
        batch=4, seq_len=192, hidden_size=96, proj_size=48, num_layers=4, bidirectional=True
    ),
}
REPEATS = 7

forward_calls = 0
_real_run = ui.runs.run


def _counting_run(config):
    global forward_calls
    forward_calls += 1
    return _real_run(config)


ui.runs.run = _counting_run


def open_page(page: str, query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    for k, v in {"model": "random", **query}.items():
        at.query_params[k] = str(v)
    at.run()
    if page != "home":
        at.switch_page(f"pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figure_bytes(at: AppTest) -> int:
    return sum(len(el.proto.spec) for el in at.get("plotly_chart"))


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def control_change_ms(query: dict) -> float:
    """Median time of the rerun after the seed changes (a new config: build, trace, compare, draw)."""
    at = open_page("gates", query)
    times = []
    for k in range(REPEATS):
        box = at.number_input(key="seed").set_value(1000 + k)
        times.append(timed(box.run))
    return statistics.median(times)


def cursor_move_ms(query: dict) -> tuple[float, int]:
    """Median time of a cursor step and the forwards it ran.

    AppTest reruns the whole page where the browser reruns only the cursor's fragment, so this is an
    upper bound of the fragment's time.
    """
    global forward_calls
    at = open_page("gates", query)
    forward_calls = 0
    times = []
    for _ in range(REPEATS):
        step = next(b for b in at.button if b.label == "step ▶")
        times.append(timed(step.click().run))
    return statistics.median(times), forward_calls


def main() -> None:
    configs = {"default": {}, **LARGEST}
    print(f"{'config':58s} {'control ms':>10s} {'cursor ms':>10s} {'fwd/cursor':>10s}  bytes per page")
    for name, query in configs.items():
        LSTMConfig(**{**ui.DEFAULTS, **query})  # fails loudly if a 'largest' config is not allowed
        ctrl = control_change_ms(query)
        cursor, forwards = cursor_move_ms(query)
        sizes = {page: figure_bytes(open_page(page, query)) for page in PAGES}
        size_text = ", ".join(f"{p} {b / 1e6:.2f} MB" for p, b in sizes.items())
        print(f"{name:58s} {ctrl:10.1f} {cursor:10.1f} {forwards:10d}  {size_text}")
    print("\ntargets: control rerun <= 150 ms at the default; cursor move <= 100 ms and 0 forwards;")
    print("figure data <= 2 MB per page at the largest configs")


if __name__ == "__main__":
    main()
