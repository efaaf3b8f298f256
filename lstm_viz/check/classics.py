"""The tutorial's own function and learner-style copies of it with a classic mistake, for the page's load buttons."""

from __future__ import annotations

from pathlib import Path

from lstm_viz.i18n import N_

EXAMPLES = Path(__file__).resolve().parent / "examples"
SEED = "seed"
CLASSICS = {
    "output_size": N_("The copy published online: output_size = h_size after the projection branch"),
    "hidden_size_rows": N_("The other published copy: h_size = w_ih.shape[0], without // 4"),
    "gate_order": N_("The gate blocks read in another library's order"),
    "bias": N_("One of the two biases left out"),
    "activation": N_("The tanh on the cell state left out"),
    "state_not_carried": N_("Every step reads the initial h"),
    "initial_state": N_("initial_states unpacked the other way round"),
    "returns_swapped": N_("The final states returned the other way round"),
    "reversed_time": N_("The loop runs backwards through time"),
    "steps_missed": N_("An off-by-one in the loop over time"),
    "time_major": N_("The input read time-first, as nn.LSTM's default layout"),
    "projection": N_("The projection applied to the output only"),
    "unknown": N_("A cell update no classic mistake explains"),
}
"""Each example file (``examples/<name>.py``) and what the page calls it (English; ``t(lang, words)`` says it in
another language); the first is the page's default."""


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
