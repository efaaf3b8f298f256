"""What the controls hold: defaults, presets, and the links that carry a run (pure; no Streamlit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from lstm_viz import tasks
from lstm_viz.config import DTYPES, INITIAL_STATES, INPUT_KINDS
from lstm_viz.edits import PRESETS as EDIT_PRESETS
from lstm_viz.engine import GATES
from lstm_viz.figures.views import PALETTES
from lstm_viz.run import WEIGHT_SOURCES, RunSpec
from lstm_viz.tasks.jobs import HIDDEN_CHOICES

DEFAULTS: dict[str, Any] = dict(
    batch=2,
    seq_len=40,
    input_size=4,
    hidden_size=16,
    proj_size=0,
    num_layers=1,
    bidirectional=False,
    bias=True,
    batch_first=False,
    dtype="float32",
    seed=0,
    input_kind="step",
    initial_state="zeros",
)
"""The first run a newcomer sees: one layer, 16 units, 40 steps of steps and impulses, so the cell state
visibly takes up and holds each change."""

PRESETS: dict[str, dict[str, Any]] = {
    "gate dynamics (default)": DEFAULTS,
    "the tutorial (2, 3, 4, 5, proj 3)": {
        **DEFAULTS,
        "batch": 2,
        "seq_len": 3,
        "input_size": 4,
        "hidden_size": 5,
        "proj_size": 3,
        "input_kind": "random",
        "initial_state": "random",
    },
    "larger: 2 bidirectional layers": {
        **DEFAULTS,
        "batch": 8,
        "seq_len": 128,
        "input_size": 16,
        "hidden_size": 64,
        "proj_size": 16,
        "num_layers": 2,
        "bidirectional": True,
        "input_kind": "text",
    },
}

NUMBER_CONTROLS = (
    ("batch", "batch size B", "Sequences run side by side (1-32)."),
    ("seq_len", "sequence length T", "Time steps per sequence (1-512)."),
    ("input_size", "input size I", "Features per step, nn.LSTM's input_size (1-512)."),
    ("hidden_size", "hidden size H", "Cell units, nn.LSTM's hidden_size (1-512)."),
    ("proj_size", "projection size P (0 = none)", "nn.LSTM's proj_size: h_t = W_hr m_t; must be < H."),
    ("num_layers", "layers L", "Stacked LSTM layers, nn.LSTM's num_layers (1-4)."),
    ("seed", "seed", "Seeds the weights, the input and the initial state (0 to 2^31-1)."),
)
FLAG_CONTROLS = (
    ("bidirectional", "bidirectional", "Adds a reverse direction (the *_reverse parameters)."),
    ("bias", "bias", "Include b_ih and b_hh."),
    ("batch_first", "batch_first", "Input laid out [B, T, I] instead of [T, B, I]."),
)
CHOICE_CONTROLS = (
    ("input_kind", "input", INPUT_KINDS, "sine waves, normal noise, steps/impulses or one-hot text"),
    ("initial_state", "initial state (h0, c0)", INITIAL_STATES, "zeros = hx omitted; random = hx given"),
    ("dtype", "dtype", DTYPES, "float64 shows the difference to nn.LSTM is rounding"),
)

MODEL_KINDS = {
    "random": "weights drawn from the seed",
    "task": "an LSTM trained on a task",
    "file": "your own checkpoint",
}
MODEL_DEFAULTS: dict[str, Any] = dict(
    model="random",
    task=tasks.names()[0],
    weights="shipped",
    train_hidden="task",
    train_seed=0,
    init_forget="task",
    edit_preset="none",
    edit_scales=False,
    scale_i=1.0,
    scale_f=1.0,
    scale_g=1.0,
    scale_o=1.0,
)
"""The model-source and weight-experiment controls; a run with random weights and no edits by default."""
VIEW_DEFAULTS: dict[str, Any] = dict(colours="viridis")
VIEW_FLAGS = ("slide", "controls", "figure")
"""URL flags of the slide view (``slide=1``), the teacher link (``controls=hidden``) and the one-figure view
(``figure=<chart key>``, e.g. ``heat_f``); not controls."""
BOUND_DEFAULTS: dict[str, Any] = {**DEFAULTS, **MODEL_DEFAULTS, **VIEW_DEFAULTS}
"""Every URL-bound control and its default: what a link must say to reproduce a run."""
HIDDEN_OPTIONS = ("task", *(str(h) for h in HIDDEN_CHOICES))
FORGET_CHOICES = ("task", "-2", "-1", "0", "+1", "+2", "+3")
SIZE_KEYS = ("input_size", "hidden_size", "proj_size", "num_layers", "bidirectional", "bias", "batch_first")


def task_preset(name: str) -> dict[str, Any]:
    """The settings that show task ``name``'s shipped model on a few of its own sequences."""
    task = tasks.get(name)
    return {**BOUND_DEFAULTS, "model": "task", "task": name, "batch": 4, "seq_len": task.seq_len, "seed": 0}


for _name in tasks.names():
    PRESETS[f"trained: {tasks.get(_name).title}"] = task_preset(_name)


def _url_value(value: Any) -> str:
    """A control's value as its URL-bound widget writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def href(page_path: str, values: dict[str, Any], flags: dict[str, str] | None = None) -> str:
    """A relative link that opens ``page_path`` with exactly ``values`` (defaults left out of the URL).

    ``flags`` (the slide and teacher views' URL flags) are kept as they are.
    """
    values = dict(values)
    if any(float(values.get(f"scale_{g}", 1.0)) != 1.0 for g in GATES):
        # The factors apply only with their checkbox ticked (unticked, the page does not draw them).
        values["edit_scales"] = True
    params = {k: _url_value(v) for k, v in values.items() if k in BOUND_DEFAULTS and v != BOUND_DEFAULTS[k]}
    params |= flags or {}
    query = urlencode(params)
    return f"./{page_path}" + (f"?{query}" if query else "")


def config_words(spec: RunSpec) -> str:
    """The run in words for slide titles and file names: source, sizes, steps, dtype, seed, edits."""
    c = spec.config
    if spec.task is not None:
        what = f"task {spec.task.task} ({spec.task.weights})"
    else:
        what = f"random weights, input {c.input_size}, hidden {c.hidden_size}" + (
            f", proj {c.proj_size}" if c.proj_size else ""
        )
        what += f", {c.num_layers} layer{'s' if c.num_layers > 1 else ''}" + (
            ", bidirectional" if c.bidirectional else ""
        )
    words = f"{what}; batch {c.batch}, {c.seq_len} steps, {c.dtype}, seed {c.seed}"
    if spec.edits.active:
        words += f"; edited: {spec.edits.describe()}"
    return words


def choices() -> dict[str, tuple[str, ...]]:
    """The options of every URL-bound choice control, by its key."""
    return {
        **{key: tuple(options) for key, _, options, _ in CHOICE_CONTROLS},
        "model": tuple(MODEL_KINDS),
        "task": tuple(tasks.names()),
        "weights": tuple(WEIGHT_SOURCES),
        "train_hidden": HIDDEN_OPTIONS,
        "init_forget": FORGET_CHOICES,
        "edit_preset": tuple(EDIT_PRESETS),
        "colours": tuple(PALETTES),
    }


def url_values(params: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Every URL-bound control's value read from a URL's query parameters, as its widget would read it.

    For the teacher view, which draws no controls: a class opening one link pays for no sidebar widgets.

    Args:
        params: The query parameters (``st.query_params``): text values by key.

    Returns:
        The values by key (``BOUND_DEFAULTS``'s keys and types; the default where the URL says nothing), and
        ``"key=value"`` for each value that could not be read (it keeps its default, as a widget's would).
    """
    options = choices()
    values: dict[str, Any] = {}
    unread: list[str] = []
    for key, default in BOUND_DEFAULTS.items():
        raw = params.get(key)
        values[key] = default
        if raw is None:
            continue
        try:
            if isinstance(default, bool):
                value: Any = {"true": True, "false": False}[raw.lower()]
            elif isinstance(default, int):
                value = int(raw)
            elif isinstance(default, float):
                value = float(raw)
            elif raw in options.get(key, (raw,)):
                value = raw
            else:
                raise ValueError(raw)
        except (KeyError, ValueError):
            unread.append(f"{key}={raw}")
            continue
        values[key] = value
    return values, unread
