"""The tutorial's own function and learner-style copies of it with a classic mistake, for the page's load buttons."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent / "examples"
SEED = "seed"
CLASSICS = {
    "output_size": "The copy published online: output_size = h_size after the projection branch",
    "hidden_size_rows": "The other published copy: h_size = w_ih.shape[0], without // 4",
    "gate_order": "The gate blocks read in another library's order",
    "bias": "One of the two biases left out",
    "activation": "The tanh on the cell state left out",
    "state_not_carried": "Every step reads the initial h",
    "initial_state": "initial_states unpacked the other way round",
    "returns_swapped": "The final states returned the other way round",
    "reversed_time": "The loop runs backwards through time",
    "steps_missed": "An off-by-one in the loop over time",
    "time_major": "The input read time-first, as nn.LSTM's default layout",
    "projection": "The projection applied to the output only",
    "unknown": "A cell update no classic mistake explains",
}
"""Each example file (``examples/<name>.py``) and what the page calls it; the first is the page's default."""


def example_code(name: str) -> str:
    """The code of the tutorial (``"seed"``) or of one classic mistake, as a learner would paste it."""
    if name != SEED and name not in CLASSICS:
        raise KeyError(f"there is no example called {name!r}")
    text = (EXAMPLES / f"{name}.py").read_text(encoding="utf-8")
    # The files' first lines tell this project's linters to leave a learner's style alone: not the learner's code.
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith(("# ruff:", "# fmt:")):
        lines.pop(0)
    return "".join(lines)
