"""Every setting a link can carry, in one declarative table; links read and written from it; values -> a run.

One row per URL key (``Setting``): its kind, default, limits or options, label and help (whole sentences with
named placeholders, ready for a translation catalogue), the models it applies to and the page it belongs to.
Reading a link, writing a link, the sidebar's widgets and the limits quoted in help texts all come from it.
URL keys and option values (``model=brackets``) are identifiers, never translated. Pure: no Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from lstm_viz import tasks
from lstm_viz.build import DRAWS
from lstm_viz.config import DTYPES, INITIAL_STATES, INPUT_KINDS, LIMITS, MAX_SEED, LSTMConfig
from lstm_viz.edits import MAX_SCALE, MIN_SCALE, Edits
from lstm_viz.edits import PRESETS as EDIT_PRESETS
from lstm_viz.engine import GATES
from lstm_viz.figures.views import PALETTES
from lstm_viz.i18n import DEFAULT as DEFAULT_LANGUAGE
from lstm_viz.i18n import LANGUAGES, N_, msg, t
from lstm_viz.reading import code_models, spans, texts, tracking
from lstm_viz.reading.generate import MAX_CHARS, MAX_PRIME, TEMPERATURES
from lstm_viz.reading.reader import MAX_TEXT
from lstm_viz.run import RunSpec, check_spec
from lstm_viz.sources import WEIGHT_SOURCES, FileSource, ModelSource, RandomSource, TaskSource
from lstm_viz.tasks.jobs import HIDDEN_CHOICES

ALL, RANDOM, TASK, FILE = "all", "random", "task", "file"
"""The kinds of model a setting applies to (a row's ``models``)."""
GENERATED = frozenset({RANDOM, FILE})
"""Models fed generated sequences: random weights and an uploaded LSTM (a task feeds its own)."""
EVERY = frozenset({RANDOM, TASK, FILE})

HIDDEN_OPTIONS = ("task", *(str(h) for h in HIDDEN_CHOICES))
FORGET_CHOICES = ("task", "-2", "-1", "0", "+1", "+2", "+3")
DEFAULT_MODEL = "brackets"
"""What the app opens on: a shipped trained model whose memory a person can name (the bracket depth)."""
TASK_BATCH = 4
"""Sequences a task's model is shown on by default."""


def model_options() -> tuple[str, ...]:
    """Every choice of the ``model`` control: each trained task by name, then random weights, then a file."""
    return (*tasks.names(), RANDOM, FILE)


@dataclass(frozen=True)
class Setting:
    """One URL key: what it holds, its default and limits, its words, and where it applies.

    Attributes:
        key: The URL key (``hidden_size``), also the widget's key.
        kind: ``"int"``, ``"float"``, ``"bool"``, ``"choice"`` (a run's setting, bound to a widget), or
            ``"view"`` / ``"language"`` / ``"cursor"`` / ``"page"`` (read by the app or a page from the URL, not part
            of a run).
        default: The value when a link says nothing.
        label: The widget's label.
        help: The widget's help: a whole sentence, its limits as ``{low}`` and ``{high}`` placeholders.
        limits: ``(low, high)`` for numbers, written once in ``lstm_viz.config.LIMITS`` (or the edit scales', or
            ``lstm_viz.reading``'s for the code page); for a text, its length. ``high`` None: no upper limit.
        options: The choices of a ``choice``.
        models: The kinds of model it applies to (``RANDOM``, ``TASK``, ``FILE``); elsewhere a link's value is
            named as not taken.
        page: The page it belongs to (its URL path), or None for every page.
        option_words: Words for some of a choice's options, shown when that option is chosen.
    """

    key: str
    kind: str
    default: Any
    label: str = ""
    help: str = ""
    limits: tuple[float, float | None] | None = None
    options: tuple[str, ...] = ()
    models: frozenset[str] = EVERY
    page: str | None = None
    option_words: tuple[tuple[str, str], ...] = ()

    @property
    def bound(self) -> bool:
        """Whether it is one of a run's settings (a widget bound to the URL), not a view flag or a page's."""
        return self.kind in ("int", "float", "bool", "choice")

    def help_text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The help in ``lang`` with its limits in place (``{low}``, ``{high}``)."""
        low, high = self.limits or (None, None)
        return t(lang, self.help, low=_number_words(low), high=_number_words(high))

    def label_text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The label in ``lang`` (a PyTorch name such as ``batch_first`` stays as it is), its limits in place.

        A label quotes a limit as a number (``"characters (≤ {high:,})"``), unlike a help text's words for it.
        """
        if not self.label:
            return ""
        low, high = self.limits or (None, None)
        return t(lang, self.label, low=low, high=high)


def _number_words(value: float | None) -> str:
    """A limit as a help text quotes it: ``2147483647`` as ``2^31 − 1``, a scale as ``-5``."""
    if value is None:
        return ""
    if value == MAX_SEED:
        return "2^31 − 1"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _int(key: str, default: int, label: str, help: str, models: frozenset[str] = EVERY) -> Setting:
    return Setting(key, "int", default, label, help, LIMITS.get(key, LIMITS["seed"]), models=models)


def _choice(key: str, default: str, options: tuple[str, ...], label: str, help: str, models=EVERY) -> Setting:
    return Setting(key, "choice", default, label, help, options=tuple(options), models=models)


def _flag(key: str, default: bool, label: str, help: str, models: frozenset[str] = EVERY) -> Setting:
    return Setting(key, "bool", default, label, help, models=models)


CODE_PAGE = "code"
"""The Cells that read code page's URL path: its own settings' rows name it."""
TRACK_OPTIONS = tuple(tracking.TRACKS)


def _code(key: str, default: Any, label: str, help: str = "", **kw: Any) -> Setting:
    return Setting(key, "page", default, label, help, page=CODE_PAGE, **kw)


CODE_ROWS = (
    _code(
        "code_model",
        "code",
        N_("model"),
        options=tuple(code_models.MODELS),
        option_words=tuple(code_models.MODELS.items()),
    ),
    _code(
        "code_track",
        None,
        N_("cell that follows"),
        N_("Each hypothesis, clearest first:"),
        options=TRACK_OPTIONS,
    ),
    _code(
        "code_unit",
        code_models.FOUND,
        N_("unit"),
        N_("'found' is the finder's unit for the chosen hypothesis; or pick any unit."),
        options=(code_models.FOUND,),
    ),
    _code("code_state", None, N_("state"), options=tuple(code_models.STATES.values())),
    _code(
        "code_source",
        texts.HELD_OUT,
        N_("text"),
        options=tuple(texts.SOURCES),
        option_words=tuple(texts.SOURCES.items()),
    ),
    _code(
        "code_file",
        None,
        N_("held-out file (never trained on)"),
        N_("Opens where the cell above shows its track best (its first lines); pick any file and line."),
    ),
    _code("code_line", 1, N_("from line"), limits=(1, None)),
    _code(
        "code_text",
        'def area(r):\n    """The area of a circle."""\n    return 3.14159 * (r ** 2)  # pi r^2\n',
        N_("Python to read (at most {high:,} characters)"),
        limits=(1, MAX_TEXT),
    ),
    _code(
        "code_prime",
        "def ",
        N_("starts with"),
        N_("The text the model continues (it reads at most its first {high} characters)."),
        limits=(1, MAX_PRIME),
    ),
    _code(
        "code_temp",
        0.7,
        N_("temperature"),
        N_(
            "From {low} to {high}: near {low} the model almost always writes its likeliest character, at {high} "
            "nearly any character."
        ),
        limits=TEMPERATURES,
    ),
    _code("code_seed", 0, N_("seed"), limits=(0, None)),
    _code("code_len", 600, N_("characters (≤ {high:,})"), limits=(1, MAX_CHARS)),
    _code("code_more", (), N_("also show the cells that follow"), options=TRACK_OPTIONS),
    _code("code_bars", None, N_("tracks drawn as bars under the text"), options=TRACK_OPTIONS),
    _code("code_span", None, N_("span (start-stop), or drag across characters above")),
    _code("code_threshold", 0.5, N_("a cell is on beyond ±"), limits=spans.THRESHOLDS),
    _code(
        "code_clamp",
        "none",
        N_("clamp"),
        N_(
            "After every character the cell's memory c is set to the value, in the hand-written forward and in "
            "nn.LSTM stepped one character at a time: it keeps nothing from one character to the next."
        ),
        options=tuple(code_models.CLAMP_CHOICES),
    ),
)
"""The Cells that read code page's own settings (``kind="page"``): read by its widgets from the link, never a
run's settings, never in ``BOUND`` or ``LINK_FLAGS`` (``ui.link`` only refuses what would break a widget). A
default of None is decided by the page (the model's clearest track, its finding's state, the window that shows
it)."""


def page_settings(page: str) -> dict[str, Setting]:
    """A page's own settings (its rows of ``TABLE``) by URL key."""
    return {k: s for k, s in TABLE.items() if s.page == page and s.kind == "page"}


TABLE: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting(
            "model",
            "choice",
            DEFAULT_MODEL,
            N_("model"),
            N_(
                "A trained task (its memory has a name a person can check), random weights drawn from the seed "
                "(noise: what training starts from), or your own trained nn.LSTM from a checkpoint file."
            ),
            options=model_options(),
            option_words=(
                (RANDOM, N_("random weights drawn from the seed (what an untrained LSTM does: noise)")),
                (FILE, N_("your own trained nn.LSTM from a checkpoint file")),
            ),
        ),
        _choice(
            "draw",
            "explorer",
            DRAWS,
            N_("draw from the seed"),
            N_(
                "explorer: the input kind and initial state below. tutorial: exactly the tensors of the tutorial's "
                "code after torch.manual_seed(seed): torch.randn(B, T, I), then c0, then h0, then nn.LSTM's own "
                "initialisation."
            ),
            frozenset({RANDOM}),
        ),
        _choice(
            "weights",
            "shipped",
            WEIGHT_SOURCES,
            N_("weights"),
            N_(
                "shipped: trained by scripts/make_task_weights.py, in the repo. trained here: a live training on this "
                "server, shared by everyone who asks for the same one. untrained: the initial weights, for contrast."
            ),
            frozenset({TASK}),
        ),
        _choice(
            "train_hidden",
            "task",
            HIDDEN_OPTIONS,
            N_("H"),
            N_("The hidden size of the model to train ('task': the task's own)."),
            frozenset({TASK}),
        ),
        _choice(
            "init_forget",
            "task",
            FORGET_CHOICES,
            N_("forget bias"),
            N_(
                "The initial forget-gate bias ('task': the task's own). The memory tasks need about +2 to learn at all "
                "(Jozefowicz et al. 2015)."
            ),
            frozenset({TASK}),
        ),
        Setting(
            "train_seed",
            "int",
            0,
            N_("training seed"),
            N_("Seeds the weights and the batches of the training ({low} to {high})."),
            LIMITS["seed"],
            models=frozenset({TASK}),
        ),
        _int("batch", 2, N_("batch B"), N_("Batch size: the sequences run side by side ({low} to {high}).")),
        _int("seq_len", 40, N_("length T"), N_("Sequence length: the time steps of each sequence ({low} to {high}).")),
        _int(
            "input_size",
            4,
            N_("input size I"),
            N_("The features of each step, nn.LSTM's input_size ({low} to {high})."),
            frozenset({RANDOM}),
        ),
        _int(
            "hidden_size",
            16,
            N_("hidden size H"),
            N_("The cell units, nn.LSTM's hidden_size ({low} to {high})."),
            frozenset({RANDOM}),
        ),
        _int(
            "proj_size",
            0,
            N_("projection size P (0 = none)"),
            N_("nn.LSTM's proj_size: h_t = W_hr m_t has P features; it must be smaller than H ({low} to {high})."),
            frozenset({RANDOM}),
        ),
        _int(
            "num_layers",
            1,
            N_("layers L"),
            N_("Stacked LSTM layers, nn.LSTM's num_layers ({low} to {high})."),
            frozenset({RANDOM}),
        ),
        _int("seed", 0, N_("seed"), N_("Seeds the weights, the input and the initial state ({low} to {high}).")),
        _flag(
            "bidirectional",
            False,
            N_("bidirectional"),
            N_("Adds a reverse direction (the *_reverse parameters)."),
            frozenset({RANDOM}),
        ),
        _flag("bias", True, N_("bias"), N_("Includes b_ih and b_hh."), frozenset({RANDOM})),
        _flag(
            "batch_first", False, "batch_first", N_("Lays the input out as [B, T, I] instead of [T, B, I]."), GENERATED
        ),
        _choice(
            "input_kind",
            "step",
            INPUT_KINDS,
            N_("input"),
            N_("Sine waves, normal noise, steps and impulses, or the one-hot characters of a text."),
            GENERATED,
        ),
        _choice(
            "initial_state",
            "zeros",
            INITIAL_STATES,
            N_("initial state (h0, c0)"),
            N_("zeros: hx is omitted. random: hx is given, drawn from the seed."),
            GENERATED,
        ),
        _choice("dtype", "float32", DTYPES, "dtype", N_("float64 shows that the difference to nn.LSTM is rounding.")),
        _choice(
            "colours",
            "viridis",
            tuple(PALETTES),
            N_("colours"),
            N_(
                "The colour scales, all readable under the common colour blindnesses; the ranges stay fixed by meaning."
            ),
        ),
        _choice(
            "edit_preset",
            "none",
            tuple(EDIT_PRESETS),
            N_("weight experiment"),
            N_("Applied to the same copy of the weights that the hand-written forward and nn.LSTM both run."),
        ),
        _flag(
            "edit_scales",
            False,
            N_("scale each gate's pre-activation"),
            N_(
                "Multiplies a gate's pre-activation (its rows of W_ih, W_hh, b_ih, b_hh) by a factor. Unticked: no "
                "scaling, whatever the factors were."
            ),
        ),
        *(
            Setting(
                f"scale_{gate}",
                "float",
                1.0,
                f"× {gate}",
                N_(
                    "Multiplies this gate's pre-activation (its rows of W_ih, W_hh, b_ih, b_hh) by this factor ({low} "
                    "to {high})."
                ),
                (MIN_SCALE, MAX_SCALE),
            )
            for gate in GATES
        ),
        Setting(
            "lang",
            "language",
            None,
            N_("Language · 语言"),
            N_(
                "lang=en or lang=zh-CN: the language of every page, figure and export; without it, the browser's "
                "(any Chinese gives Simplified Chinese), else English."
            ),
            options=LANGUAGES,
        ),
        Setting(
            "slide", "view", None, help=N_("slide=1: the slide view (white, large fonts, titles that state the run).")
        ),
        Setting("controls", "view", None, help=N_("controls=hidden: the teacher link (no controls, for projecting).")),
        Setting("figure", "view", None, help=N_("figure=<chart key>: one figure alone, full width and tall.")),
        Setting("t", "cursor", None, help=N_("The time step a page opens at (0 to T − 1 of the run).")),
        Setting("unit", "cursor", None, help=N_("The unit picked with the step (one of the units shown).")),
        Setting("file", "upload", None, help=N_("The start of the digest of the checkpoint this session uploaded.")),
        *CODE_ROWS,
    )
}
"""Every URL key the app reads, in the sidebar's order. A page's own keys (``code_*``) are the page's rows."""

BOUND: tuple[Setting, ...] = tuple(s for s in TABLE.values() if s.bound)
"""A run's settings: every URL-bound control."""
VIEW_FLAGS = tuple(k for k, s in TABLE.items() if s.kind == "view")
"""URL flags of the slide view (``slide=1``), the teacher link (``controls=hidden``) and the one-figure view
(``figure=<chart key>``, e.g. ``heat_f``); not controls."""
CARRIED_FLAGS = (*VIEW_FLAGS, "lang")
"""What every link from a page keeps of the link that opened it: the view flags and the language."""
LINK_FLAGS = tuple(k for k, s in TABLE.items() if not s.bound and s.kind != "page")
"""Query parameters that are not a run's settings: the view flags, the time step and unit, the upload's name (a
page's own settings are not: its widgets read them, and ``page_value_problem`` refuses what would break one)."""
BOUND_DEFAULTS: dict[str, Any] = {s.key: s.default for s in BOUND}
"""Every URL-bound control and its default: what a link must say to reproduce a run."""
DEFAULTS: dict[str, Any] = {k: BOUND_DEFAULTS[k] for k in LSTMConfig.__dataclass_fields__ if k in BOUND_DEFAULTS}
"""The sizes and input of random weights (``model=random``): one layer, 16 units, 40 steps of steps and
impulses, so the cell state visibly takes up and holds each change."""
INT_RANGES: dict[str, tuple[int, int]] = {s.key: s.limits for s in BOUND if s.kind == "int"}  # type: ignore[misc]
"""What a link may say for each whole-number setting (the hosting limits of ``lstm_viz.config``)."""


MODEL_WORDS = dict(TABLE["model"].option_words)
"""The model choices besides the trained tasks, in words (each task is a model choice of its own, by its name)."""


def is_task(model: str) -> bool:
    """Whether a ``model`` choice names a trained task."""
    return model in tasks.names()


def model_kind(model: str) -> str:
    """``TASK``, ``RANDOM`` or ``FILE`` for a ``model`` choice."""
    return TASK if is_task(model) else model


def model_defaults(model: str) -> dict[str, Any]:
    """Every URL-bound control's default when ``model`` is chosen: a task opens inside its trained range.

    The batch and the sequence length follow the model (a task's own length); every other default is shared.
    """
    if not is_task(model):
        return {**BOUND_DEFAULTS, "model": model}
    return {**BOUND_DEFAULTS, "model": model, "batch": TASK_BATCH, "seq_len": tasks.get(model).seq_len}


def unused_keys(model: str) -> tuple[str, ...]:
    """The settings ``model`` decides itself or has no use for: a link that sets them is not followed there.

    A task fixes its sizes, layout and input; a file its sizes (its input and layout are the viewer's); random
    weights have no task weights to choose.
    """
    kind = model_kind(model)
    return tuple(s.key for s in BOUND if kind not in s.models)


RANDOM_WEIGHT_KEYS = tuple(s.key for s in BOUND if TASK not in s.models and RANDOM in s.models)
"""Settings only generated inputs take (random weights' sizes, input and draw): a link that sets one and names no
model was made for random weights (every link made before the app opened on a trained model), and opens them."""


def task_preset(name: str) -> dict[str, Any]:
    """The settings that show task ``name``'s shipped model on a few of its own sequences."""
    return model_defaults(name)


PRESETS: dict[str, dict[str, Any]] = {
    msg("random weights: gate dynamics"): model_defaults(RANDOM),
    msg("the tutorial (2, 3, 4, 5, proj 3)"): {
        **model_defaults(RANDOM),
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
    msg("larger: 2 bidirectional layers"): {
        **model_defaults(RANDOM),
        "batch": 8,
        "seq_len": 128,
        "input_size": 16,
        "hidden_size": 64,
        "proj_size": 16,
        "num_layers": 2,
        "bidirectional": True,
        "input_kind": "text",
    },
    **{msg("trained: {task}", task=msg(tasks.get(name).title)): task_preset(name) for name in tasks.names()},
}
"""Each preset (its name a ``Message``, said in the reader's language) and its settings; the presets dialog draws
each as a link that reproduces its run."""


def _url_value(value: Any) -> str:
    """A control's value as its URL-bound widget writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def href(page_path: str, values: Mapping[str, Any], flags: Mapping[str, str] | None = None) -> str:
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
    return {s.key: s.options for s in BOUND if s.kind == "choice"}


MAX_SHOWN_VALUE = 40
"""Characters of a link's unreadable value quoted back in the message (the rest is cut)."""


def _read_int(raw: str, low: int, high: int) -> int:
    # Digits only, and few of them, before int(): '1e400', 'inf', '7.9' and a 310-digit seed never reach it.
    text = raw.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(msg("not a whole number (allowed: {low} to {high})", low=low, high=high))
    if len(digits) > len(str(high)) + 1:
        raise ValueError(msg("out of range (allowed: {low} to {high})", low=low, high=high))
    value = int(text)
    if not low <= value <= high:
        raise ValueError(msg("out of range (allowed: {low} to {high})", low=low, high=high))
    return value


def _read_float(raw: str, low: float, high: float) -> float:
    text = raw.strip()
    if len(text) > 24:
        raise ValueError(msg("not a number (allowed: {low:g} to {high:g})", low=low, high=high))
    try:
        value = float(text)
    except ValueError:
        raise ValueError(msg("not a number (allowed: {low:g} to {high:g})", low=low, high=high)) from None
    if not low <= value <= high:  # also refuses nan and inf
        raise ValueError(msg("out of range (allowed: {low:g} to {high:g})", low=low, high=high))
    return value


def read_value(key: str, raw: str) -> Any:
    """One URL-bound setting read from its text in a link, as the app (not a widget) reads it.

    Raises:
        ValueError: saying why the text is not a value of ``key``, with the allowed range or choices.
    """
    setting = TABLE[key]
    if setting.kind == "bool":
        value = {"true": True, "false": False}.get(raw.strip().lower())
        if value is None:
            raise ValueError(msg("not true or false"))
        return value
    if setting.kind == "int":
        return _read_int(raw, *setting.limits)  # type: ignore[misc]
    if setting.kind == "float":
        return _read_float(raw, *setting.limits)  # type: ignore[misc]
    if raw not in setting.options:
        raise ValueError(msg("not one of {options}", options=", ".join(setting.options)))
    return raw


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
        out["model"] = RANDOM
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
        return msg("longer than {n:,} characters", n=MAX_PAGE_VALUE_CHARS)
    try:
        number = float(raw)
    except ValueError:
        return None
    if not abs(number) <= MAX_EXACT_NUMBER:  # also refuses nan
        return msg("not a usable number (allowed: finite, at most {n:,} in size)", n=MAX_EXACT_NUMBER)
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
        nothing), and, for each value that could not be read or that the model does not take, ``(key, value as
        quoted, why and what is allowed)`` (it keeps its default).
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
            problems.append((key, quoted(raw), err.args[0]))
    model = read.get("model", DEFAULT_MODEL)
    defaults = model_defaults(model)
    for key in unused_keys(model):
        if key in read and read[key] != defaults[key]:
            # A value this model does not take: said, not silently dropped (the run is not what the link says).
            problems.append((key, quoted(params[key]), _unused_words(model)))
            del read[key]
    values = {**defaults, **read}
    return values, problems


def language_problem() -> str:
    """Why a link's ``lang`` was not read: the languages there are."""
    return msg("one of {options}", options=", ".join(LANGUAGES))


def _unused_words(model: str) -> str:
    """Why a link's setting does not apply to ``model``, and which model takes it."""
    kind = model_kind(model)
    if kind == TASK:
        return msg(
            "the trained model {model} fixes its sizes and input; random weights (model=random) take this", model=model
        )
    if kind == FILE:
        return msg("an uploaded model fixes its own sizes; random weights (model=random) take this")
    return msg("only a trained task takes this (model=<task>)")


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
    if model == FILE and file is not None:
        return file
    return RandomSource(values.get("draw", "explorer") if model == RANDOM else "explorer")


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
