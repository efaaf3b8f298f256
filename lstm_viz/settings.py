"""What the controls hold: defaults, presets, and the links that carry a run (pure; no Streamlit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from lstm_viz import tasks
from lstm_viz.build import DRAWS
from lstm_viz.config import (
    DTYPES,
    INITIAL_STATES,
    INPUT_KINDS,
    MAX_BATCH,
    MAX_LAYERS,
    MAX_SEED,
    MAX_SEQ_LEN,
    MAX_SIZE,
    LSTMConfig,
)
from lstm_viz.edits import MAX_SCALE, MIN_SCALE, Edits
from lstm_viz.edits import PRESETS as EDIT_PRESETS
from lstm_viz.engine import GATES
from lstm_viz.figures.views import PALETTES
from lstm_viz.run import RunSpec, check_spec
from lstm_viz.sources import WEIGHT_SOURCES, FileSource, ModelSource, RandomSource, TaskSource
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
"""The sizes and input of random weights (``model=random``): one layer, 16 units, 40 steps of steps and
impulses, so the cell state visibly takes up and holds each change."""

PRESETS: dict[str, dict[str, Any]] = {
    "random weights: gate dynamics": {**DEFAULTS, "model": "random"},
    "the tutorial (2, 3, 4, 5, proj 3)": {
        **DEFAULTS,
        "model": "random",
        "draw": "tutorial",
        "batch_first": True,
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
        "model": "random",
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
    ("batch", "batch B", "Batch size: sequences run side by side (1-32)."),
    ("seq_len", "length T", "Sequence length: time steps per sequence (1-512)."),
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

MODEL_WORDS = {
    "random": "random weights drawn from the seed (what an untrained LSTM does: noise)",
    "file": "your own trained nn.LSTM from a checkpoint file",
}
"""The model choices besides the trained tasks (each task is a model choice of its own, by its name)."""


def model_options() -> tuple[str, ...]:
    """Every choice of the ``model`` control: each trained task by name, then random weights, then a file."""
    return (*tasks.names(), *MODEL_WORDS)


DEFAULT_MODEL = "brackets"
"""What the app opens on: a shipped trained model whose memory a person can name (the bracket depth)."""
MODEL_DEFAULTS: dict[str, Any] = dict(
    model=DEFAULT_MODEL,
    draw="explorer",
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
"""The model-source and weight-experiment controls: the shipped bracket-depth model and no edits by default."""
VIEW_DEFAULTS: dict[str, Any] = dict(colours="viridis")
VIEW_FLAGS = ("slide", "controls", "figure")
"""URL flags of the slide view (``slide=1``), the teacher link (``controls=hidden``) and the one-figure view
(``figure=<chart key>``, e.g. ``heat_f``); not controls."""
BOUND_DEFAULTS: dict[str, Any] = {**DEFAULTS, **MODEL_DEFAULTS, **VIEW_DEFAULTS}
"""Every URL-bound control and its default: what a link must say to reproduce a run."""
TASK_BATCH = 4
"""Sequences a task's model is shown on by default."""
HIDDEN_OPTIONS = ("task", *(str(h) for h in HIDDEN_CHOICES))
FORGET_CHOICES = ("task", "-2", "-1", "0", "+1", "+2", "+3")
SIZE_KEYS = ("input_size", "hidden_size", "proj_size", "num_layers", "bidirectional", "bias", "batch_first")


def is_task(model: str) -> bool:
    """Whether a ``model`` choice names a trained task."""
    return model in tasks.names()


def model_defaults(model: str) -> dict[str, Any]:
    """Every URL-bound control's default when ``model`` is chosen: a task opens inside its trained range.

    The batch and the sequence length follow the model (a task's own length); every other default is shared.
    """
    if not is_task(model):
        return {**BOUND_DEFAULTS, "model": model}
    return {**BOUND_DEFAULTS, "model": model, "batch": TASK_BATCH, "seq_len": tasks.get(model).seq_len}


def task_preset(name: str) -> dict[str, Any]:
    """The settings that show task ``name``'s shipped model on a few of its own sequences."""
    return model_defaults(name)


for _name in tasks.names():
    PRESETS[f"trained: {tasks.get(_name).title}"] = task_preset(_name)


def _url_value(value: Any) -> str:
    """A control's value as its URL-bound widget writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def href(page_path: str, values: dict[str, Any], flags: dict[str, str] | None = None) -> str:
    """A relative link that opens ``page_path`` with exactly ``values`` (the model's defaults left out).

    Settings the model does not use (a task's sizes) are left out too: they would not apply, and a link without a
    model that names a size opens random weights. ``flags`` (the view flags and the time step) are kept as they are.
    """
    values = dict(values)
    if any(float(values.get(f"scale_{g}", 1.0)) != 1.0 for g in GATES):
        # The factors apply only with their checkbox ticked (unticked, the page does not draw them).
        values["edit_scales"] = True
    model = values.get("model", DEFAULT_MODEL)
    defaults = {**model_defaults(model), "model": DEFAULT_MODEL}
    unused = unused_keys(model)
    params = {k: _url_value(v) for k, v in values.items() if k in defaults and k not in unused and v != defaults[k]}
    params |= flags or {}
    query = urlencode(params)
    return f"./{page_path}" + (f"?{query}" if query else "")


def choices() -> dict[str, tuple[str, ...]]:
    """The options of every URL-bound choice control, by its key."""
    return {
        **{key: tuple(options) for key, _, options, _ in CHOICE_CONTROLS},
        "model": model_options(),
        "draw": DRAWS,
        "weights": tuple(WEIGHT_SOURCES),
        "train_hidden": HIDDEN_OPTIONS,
        "init_forget": FORGET_CHOICES,
        "edit_preset": tuple(EDIT_PRESETS),
        "colours": tuple(PALETTES),
    }


INT_RANGES: dict[str, tuple[int, int]] = {
    "batch": (1, MAX_BATCH),
    "seq_len": (1, MAX_SEQ_LEN),
    "input_size": (1, MAX_SIZE),
    "hidden_size": (1, MAX_SIZE),
    "proj_size": (0, MAX_SIZE - 1),
    "num_layers": (1, MAX_LAYERS),
    "seed": (0, MAX_SEED),
    "train_seed": (0, MAX_SEED),
}
"""What a link may say for each whole-number setting: the hosting limits of ``lstm_viz.config``."""
MAX_SHOWN_VALUE = 40
"""Characters of a link's unreadable value quoted back in the message (the rest is cut)."""


def _read_int(raw: str, low: int, high: int) -> int:
    # Digits only, and few of them, before int(): '1e400', 'inf', '7.9' and a 310-digit seed never reach it.
    text = raw.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"not a whole number (allowed: {low} to {high})")
    if len(digits) > len(str(high)) + 1:
        raise ValueError(f"out of range (allowed: {low} to {high})")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"out of range (allowed: {low} to {high})")
    return value


def _read_float(raw: str, low: float, high: float) -> float:
    text = raw.strip()
    if len(text) > 24:
        raise ValueError(f"not a number between {low:g} and {high:g}")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"not a number (allowed: {low:g} to {high:g})") from None
    if not low <= value <= high:  # also refuses nan and inf
        raise ValueError(f"out of range (allowed: {low:g} to {high:g})")
    return value


def read_value(key: str, raw: str) -> Any:
    """One URL-bound setting read from its text in a link, as the app (not a widget) reads it.

    Raises:
        ValueError: saying why the text is not a value of ``key``, with the allowed range or choices.
    """
    default = BOUND_DEFAULTS[key]
    if isinstance(default, bool):
        value = {"true": True, "false": False}.get(raw.strip().lower())
        if value is None:
            raise ValueError("not true or false")
        return value
    if isinstance(default, int):
        return _read_int(raw, *INT_RANGES[key])
    if isinstance(default, float):
        return _read_float(raw, MIN_SCALE, MAX_SCALE)
    options = choices()[key]
    if raw not in options:
        shown = ", ".join(options)
        raise ValueError(f"not one of {shown}")
    return raw


RANDOM_WEIGHT_KEYS = (
    "input_size",
    "hidden_size",
    "proj_size",
    "num_layers",
    "bidirectional",
    "bias",
    "input_kind",
    "initial_state",
    "draw",
)
"""Settings only random weights take in full: a link that sets one and names no model was made for random weights
(every link made before the app opened on a trained model), and opens them."""
TASK_KEYS = ("weights", "train_hidden", "train_seed", "init_forget")
"""Settings only a trained task takes: which weights, and a live training's size, seed and forget bias."""


def unused_keys(model: str) -> tuple[str, ...]:
    """The settings ``model`` decides itself or has no use for: a link that sets them is not followed there.

    A task fixes its sizes, layout and input; a file its sizes (its input and layout are the viewer's); random
    weights have no task weights to choose.
    """
    if is_task(model):
        return (*RANDOM_WEIGHT_KEYS, "batch_first")
    if model == "file":
        return (*RANDOM_WEIGHT_KEYS[:6], "draw", *TASK_KEYS)
    return TASK_KEYS


def legacy_params(params: Mapping[str, str]) -> dict[str, str]:
    """A link's query parameters as today's app reads them, naming the model the link was made for.

    ``model=task&task=brackets`` (the links of earlier versions) and ``task=brackets`` alone both open the
    bracket-depth model; a link without a model that sets a size of random weights (``hidden_size=8``) was made
    when the app opened on random weights, and opens them (``model=random``).
    """
    out = dict(params)
    task = out.pop("task", None)
    if task is not None and out.get("model", "task") == "task":
        out["model"] = task
    if "model" not in out and any(key in out for key in RANDOM_WEIGHT_KEYS):
        out["model"] = "random"
    return out


MAX_PAGE_VALUE_CHARS = 1000
"""The longest value a page's own setting (``code_prime=...``) may have in a link."""
MAX_EXACT_NUMBER = 2**53
"""Beyond this a number is no longer exact in the browser: a widget bound to it would fail on it."""


def page_value_problem(raw: str) -> str | None:
    """Why a link's value for one of a page's own settings (not in the table) cannot be given to its widget.

    The page's widgets parse their own values; what would break them instead of being refused is refused
    here: a value too long, or a number that is not finite or not exact (``1e400``, ``nan``, a 30-digit number).
    """
    if len(raw) > MAX_PAGE_VALUE_CHARS:
        return f"longer than {MAX_PAGE_VALUE_CHARS:,} characters"
    try:
        number = float(raw)
    except ValueError:
        return None
    if not abs(number) <= MAX_EXACT_NUMBER:  # also refuses nan
        return f"not a usable number (allowed: finite, at most {MAX_EXACT_NUMBER:,} in size)"
    return None


def quoted(raw: str) -> str:
    """A link's value as it may be quoted back in a message: cut to ``MAX_SHOWN_VALUE`` characters."""
    return raw if len(raw) <= MAX_SHOWN_VALUE else raw[:MAX_SHOWN_VALUE] + "…"


def url_values(params: Mapping[str, str]) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """Every URL-bound control's value read from a URL's query parameters, by the app's own parser.

    The one route from a link to the controls' values: the teacher view runs on them directly, and the
    sidebar's widgets are given only the values read here (the rest are taken out of the URL first), so no
    widget ever parses a link's text.

    Args:
        params: The query parameters (``st.query_params``): text values by key.

    Returns:
        The values by key (``BOUND_DEFAULTS``'s keys and types; the chosen model's default where the URL says
        nothing), and, for each value that could not be read, ``(key, value as quoted, why and what is
        allowed)`` (it keeps its default).
    """
    params = legacy_params(params)
    problems: list[tuple[str, str, str]] = []
    read: dict[str, Any] = {}
    for key in BOUND_DEFAULTS:
        raw = params.get(key)
        if raw is None:
            continue
        try:
            read[key] = read_value(key, raw)
        except ValueError as err:
            problems.append((key, quoted(raw), str(err)))
    model = read.get("model", DEFAULT_MODEL)
    defaults = model_defaults(model)
    for key in unused_keys(model):
        if key in read and read[key] != defaults[key]:
            # A value this model does not take: said, not silently dropped (the run is not what the link says).
            problems.append((key, quoted(params[key]), _unused_words(model)))
            del read[key]
    values = {**defaults, **read}
    return values, problems


def _unused_words(model: str) -> str:
    """Why a link's setting does not apply to ``model``, and which model takes it."""
    if is_task(model):
        return f"the trained model {model} fixes its sizes and input; random weights (model=random) take this"
    if model == "file":
        return "an uploaded model fixes its own sizes; random weights (model=random) take this"
    return "only a trained task takes this (model=<task>)"


def source_from_values(values: Mapping[str, Any], file: FileSource | None = None) -> ModelSource:
    """The model source the controls' values name: a task's model, an uploaded file's LSTM, or random weights.

    Args:
        values: The controls' values by key (``url_values`` or the sidebar's).
        file: The uploaded LSTM when the model is ``"file"`` (None until one is uploaded: random weights).

    Raises:
        ValueError: for a live training outside its limits.
    """
    model = values["model"]
    if is_task(model):
        if values["weights"] == "shipped":
            return TaskSource(model)
        hidden, forget = values["train_hidden"], values["init_forget"]
        return TaskSource(
            model,
            values["weights"],
            0 if hidden == "task" else int(hidden),
            int(values["train_seed"]),
            None if forget == "task" else float(forget),
        )
    if model == "file" and file is not None:
        return file
    return RandomSource(values.get("draw", "explorer") if model == "random" else "explorer")


def edits_from(values: Mapping[str, Any]) -> Edits:
    """The weight experiments the controls' values name (the scales apply only with their box ticked).

    Raises:
        ValueError: for a preset or scale outside its limits.
    """
    scales = tuple(float(values[f"scale_{g}"]) for g in GATES) if values["edit_scales"] else (1.0,) * len(GATES)
    return Edits(values["edit_preset"], scales)


def spec_from_values(
    values: Mapping[str, Any], file: FileSource | None = None, data: str | None = None
) -> tuple[RunSpec, ModelSource]:
    """The run that the controls' values describe: the one route from settings to a ``RunSpec``.

    The sidebar and a teacher link both come here, so the same settings make the same (cached) run.

    Args:
        values: Every URL-bound control's value by key.
        file: The uploaded LSTM when ``values["model"] == "file"``.
        data: Digest of the user's own input sequences, or None for generated ones.

    Returns:
        The spec, and its model source (what it fixes, for the controls to state).

    Raises:
        ValueError: naming the setting and its limit when the combination cannot run.
        LookupError: when an upload is no longer on the server.
    """
    source = source_from_values(values, file)
    # The settings the source fixes are its own, whatever the controls say: one cache entry per real run.
    config = LSTMConfig(**{**{k: values[k] for k in DEFAULTS}, **source.fixed()})
    spec = RunSpec(config, source, edits_from(values), data)
    check_spec(spec)
    return spec, source
