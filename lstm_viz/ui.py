"""The one Streamlit helper module: shared controls -> config, the cached run, record pickers, chart display."""

from __future__ import annotations

import functools
import html
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import streamlit as st
import torch
from streamlit.runtime.pages_manager import PagesManager

from lstm_viz import tasks, uploads
from lstm_viz.config import LSTMConfig
from lstm_viz.edits import PRESETS as EDIT_PRESETS
from lstm_viz.edits import Edits
from lstm_viz.engine import GATES
from lstm_viz.export import (
    MAX_GIF_FRAMES,
    ExportBusy,
    ExportUnavailable,
    config_summary,
    figure_filename,
    figure_png,
    figure_svg,
    figures_html,
    figures_zip,
    find_chromium,
    gates_gif,
    gates_mp4,
    rebuild_script,
    trace_csv_zip,
    trace_npz,
)
from lstm_viz.figures import (
    PALETTES,
    SLIDE_TITLE_CHARS,
    SLIDE_TITLE_CHARS_FULL,
    SharedFigure,
    direction_label,
    for_slides,
    loss_curve_figure,
    recolour,
    unit_pages,
)
from lstm_viz.inputs import embed_tokens, parse_sequence, parse_token_ids, parse_typed, random_token_ids
from lstm_viz.run import WEIGHT_SOURCES, FileSource, Run, RunSpec, TaskSource, check_spec, run
from lstm_viz.settings import (
    BOUND_DEFAULTS,
    CHOICE_CONTROLS,
    DEFAULTS,
    FLAG_CONTROLS,
    FORGET_CHOICES,
    HIDDEN_OPTIONS,
    MODEL_KINDS,
    NUMBER_CONTROLS,
    PRESETS,
    SIZE_KEYS,
    VIEW_FLAGS,
    config_words,
    href,
    task_preset,
    url_values,
)
from lstm_viz.tasks.jobs import Job, trainer
from lstm_viz.trace import LayerTrace
from lstm_viz.weights import MAX_FILE_BYTES, check_file_size

# Many sessions share a server's few cores and these matrices are small: one thread per forward avoids
# the oversubscription that made a 40-step run take 300 ms instead of 1 ms under load.
torch.set_num_threads(1)

log = logging.getLogger("lstm_viz.ui")
if os.environ.get("LSTM_EXPLORER_LOG"):
    # Lets the browser tests see which reruns were full and which were fragment-only.
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler())

_RUN, _FIGURES, _EXPORT, _VIEW = "_current_run", "_page_figures", "_export_ready", "_view_mode"
_URL_SETTINGS, _CHART_KEYS, _SHARE_ASKED = "_url_settings", "_chart_keys", "_share_asked"
LAST_GOOD = "_last_good_config"
RUNS_KEPT = 24
"""Runs kept server-wide (each a few MB at most); a class shares one."""
ERROR = "_config_error"


_FILE, _FILE_ID, _FILE_ERROR = "_model_file", "_model_file_id", "_model_file_error"
_DATA, _DATA_KEY, _DATA_ERROR = "_own_input", "_own_input_key", "_own_input_error"


def settings_href(page_path: str, values: dict[str, Any]) -> str:
    """A relative link that opens ``page_path`` with exactly ``values`` (defaults left out of the URL).

    Links, not buttons that set session state: Streamlit 1.67 leaves a programmatically set value of a
    URL-bound widget out of the URL until that widget has been touched, so a button would show a run that
    the copied link does not reproduce. A link is its own URL: shareable, and opened as a fresh session.
    """
    # A teacher's or slide view stays one after a click.
    return href(page_path, values, {k: st.query_params[k] for k in VIEW_FLAGS if k in st.query_params})


def _setting(key: str) -> Any:
    """One URL-bound control's value: its widget's, the link's in the teacher view, else the default."""
    if key in st.session_state:
        return st.session_state[key]
    return (st.session_state.get(_URL_SETTINGS) or {}).get(key, BOUND_DEFAULTS[key])


def current_settings() -> dict[str, Any]:
    """Every URL-bound control's value in this session (the link's in the teacher view; else the default)."""
    return {k: _setting(k) for k in BOUND_DEFAULTS}


def link_button(label: str, href: str, help: str = "", primary: bool = False, container: Any = None) -> None:
    """A link styled as a button (``page_style`` defines the look)."""
    (container or st).markdown(_link_html(label, href, help, primary), unsafe_allow_html=True)


def link_row(links: list[tuple[str, str, str, bool]], container: Any = None) -> None:
    """Links styled as buttons side by side, wrapping on narrow screens: one element, however many links.

    Args:
        links: ``(label, href, help, primary)`` for each link.
        container: Where to draw the row (default: the main area).
    """
    items = "".join(_link_html(*link) for link in links)
    (container or st).markdown(f'<div class="lstm-links">{items}</div>', unsafe_allow_html=True)


def task_links(prefix: str = "", current: str | None = None) -> None:
    """One link per trained task, to the Trained tasks page showing it; ``current``'s link is highlighted.

    Args:
        prefix: Words before each task's title (e.g. ``"Show: "``).
        current: The task shown now, or None.
    """
    link_row(
        [
            (
                f"{prefix}{tasks.get(name).title}",
                settings_href("tasks", task_preset(name)),
                tasks.get(name).story,
                name == current,
            )
            for name in tasks.names()
        ]
    )


def _link_html(label: str, href: str, help: str, primary: bool) -> str:
    kind = "lstm-link primary" if primary else "lstm-link"
    tip = f' title="{html.escape(help)}"' if help else ""
    return f'<a class="{kind}" href="{html.escape(href)}" target="_self"{tip}>{html.escape(label)}</a>'


def page_style() -> None:
    """The app's few CSS rules, served inline (nothing fetched from another host), in one element per run.

    Link buttons, and the view's chrome: the sidebar and Streamlit's header hidden in the teacher, slide and
    one-figure views, larger text on a slide, only the chart in the one-figure view.
    """
    st.html(
        "<style>"
        + _view_rules()
        + "a.lstm-link{display:block;text-align:center;padding:0.45rem 0.6rem;border:1px solid #d0d3da;"
        "border-radius:0.5rem;text-decoration:none;color:inherit;font-size:0.9rem;line-height:1.3;}"
        "a.lstm-link:hover{border-color:#ff4b4b;color:#ff4b4b;}"
        "a.lstm-link.primary{background:#ff4b4b;border-color:#ff4b4b;color:white;}"
        ".lstm-links{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:0.5rem;margin-bottom:0.75rem;}"
        "</style>"
    )


@dataclass(frozen=True)
class ModelChoice:
    """What the model controls chose: a task, a file, or (neither) random weights.

    ``fixed`` holds the controls the model decides (shown with its values, disabled).
    """

    task: TaskSource | None = None
    file: FileSource | None = None
    fixed: dict[str, Any] | None = None
    caption: str = ""
    error: str | None = None


@st.dialog("Presets: each one a link that reproduces its run")
def _presets_dialog(page_path: str) -> None:
    for name, values in PRESETS.items():
        link_button(name, settings_href(page_path, values))


def _model_controls(sb: Any, page_path: str) -> ModelChoice:
    """The model-source controls: random weights, a trained task, or an uploaded file."""
    # No format_func on bound widgets: the URL carries an option's label, so labels are the ids.
    kind = sb.radio(
        "model",
        list(MODEL_KINDS),
        captions=list(MODEL_KINDS.values()),
        key="model",
        bind="query-params",
        horizontal=True,
        help="Random weights drawn from the seed, an LSTM trained on a task whose memory a person can name, "
        "or your own trained nn.LSTM from a checkpoint file.",
    )
    if kind == "file":
        return _file_controls(sb, page_path)
    if kind != "task":
        return ModelChoice()
    name = sb.selectbox(
        "task",
        tasks.names(),
        key="task",
        bind="query-params",
        help="; ".join(f"{n}: {tasks.get(n).title}" for n in tasks.names()),
    )
    weights = sb.selectbox(
        "weights",
        WEIGHT_SOURCES,
        key="weights",
        bind="query-params",
        help="shipped: trained by scripts/make_task_weights.py, in the repo. trained here: a live training on "
        "this server, shared by everyone who asks for the same one. untrained: the initial weights, for contrast.",
    )
    task = tasks.get(name)
    if weights == "shipped":
        return _task_model({"task": name, "weights": weights})
    cols = sb.columns(3)
    hidden = cols[0].selectbox(
        "H",
        HIDDEN_OPTIONS,
        key="train_hidden",
        bind="query-params",
        help=f"Hidden size of the model to train ('task': {task.hidden_size}).",
    )
    seed = cols[1].number_input(
        "training seed", value=0, step=1, key="train_seed", bind="query-params", help="Seeds weights and batches."
    )
    forget = cols[2].selectbox(
        "forget bias",
        FORGET_CHOICES,
        key="init_forget",
        bind="query-params",
        help=f"Initial forget-gate bias ('task': {task.forget_bias:+g}). The memory tasks need about +2 to learn "
        "at all (Jozefowicz et al. 2015).",
    )
    return _task_model(
        {"task": name, "weights": weights, "train_hidden": hidden, "train_seed": seed, "init_forget": forget}
    )


def _task_model(values: dict[str, Any]) -> ModelChoice:
    """A task's model from the task controls' values (the sidebar's, or the URL's in the teacher view)."""
    if values["weights"] == "shipped":
        return _task_choice(TaskSource(values["task"]))
    try:
        hidden, forget = values["train_hidden"], values["init_forget"]
        hidden_size = 0 if hidden == "task" else int(hidden)
        bias = None if forget == "task" else float(forget)
        return _task_choice(TaskSource(values["task"], values["weights"], hidden_size, int(values["train_seed"]), bias))
    except ValueError as err:
        return ModelChoice(error=str(err))


def _task_choice(source: TaskSource) -> ModelChoice:
    """A task's model: every size, the layout and the input are the task's."""
    task = tasks.get(source.task)
    if source.weights == "shipped":
        hidden = tasks.shipped_info(source.task)["hidden_size"]
    else:
        hidden = source.train_key().hidden_size
    fixed = dict(
        input_size=task.input_size,
        hidden_size=hidden,
        proj_size=0,
        num_layers=1,
        bidirectional=False,
        bias=True,
        batch_first=True,
        input_kind="the task's sequences",
        initial_state="zeros",
    )
    call = f"nn.LSTM({task.input_size}, {hidden}, batch_first=True)"
    caption = f"The task's model: `{call}`; batch, steps, seed (of the sequences) and dtype apply."
    return ModelChoice(task=source, fixed=fixed, caption=caption)


def _file_controls(sb: Any, page_path: str) -> ModelChoice:
    """An upload that makes a checkpoint's LSTM the model every page shows, with a picker for several."""
    back = settings_href(page_path, {**current_settings(), "model": "random"})
    upload = sb.file_uploader(
        "checkpoint (.pt, .pth, .bin, .safetensors)",
        key="model_file",
        help=f"A state_dict or checkpoint holding an nn.LSTM, at most {MAX_FILE_BYTES // 2**20} MB. Read with "
        "torch.load(weights_only=True): nothing in the file runs.",
    )
    if upload is not None and st.session_state.get(_FILE_ID) != upload.file_id:
        st.session_state[_FILE_ID] = upload.file_id
        try:
            check_file_size(upload.size)
            st.session_state[_FILE] = uploads.add_model_file(upload.getvalue(), upload.name)
            st.session_state[_FILE_ERROR] = None
        except ValueError as err:
            st.session_state[_FILE_ERROR] = f"{upload.name}: {err}"
    if st.session_state.get(_FILE_ERROR):
        sb.error(st.session_state[_FILE_ERROR], icon=":material/block:")
    item = st.session_state.get(_FILE)
    if item is None:
        sb.info(
            "Upload a checkpoint to see its LSTM. A link cannot carry a file: whoever opens a shared link "
            "uploads it again; until then random weights are shown.",
            icon=":material/upload_file:",
        )
        link_button("back to random weights", back, container=sb)
        return ModelChoice()
    prefixes = [f.prefix for f in item.found]
    prefix = sb.selectbox(
        "LSTM in the file",
        prefixes,
        format_func=lambda p: f"{p or '(top level)'}: {item.lstm(p).call}",
        key=f"file_lstm_{item.digest[:12]}",
        disabled=len(prefixes) == 1,
    )
    found = item.lstm(prefix)
    fixed = dict(
        input_size=found.input_size,
        hidden_size=found.hidden_size,
        proj_size=found.proj_size,
        num_layers=found.num_layers,
        bidirectional=found.bidirectional,
        bias=found.bias,
    )
    notes = [f"`{found.call}` from {item.filename}"]
    if found.converted:
        notes.append(f"stored as {found.file_dtype}, widened exactly to {found.dtype}")
    if found.others:
        notes.append(f"{len(found.others)} other tensors beside it")
    notes.append("a link cannot carry the file: share it with the file")
    link_button("back to random weights", back, container=sb)
    return ModelChoice(file=FileSource(item.digest, prefix, item.filename), fixed=fixed, caption="; ".join(notes) + ".")


INPUT_SOURCES = ("generated", "your file", "typed numbers", "token ids")


def _input_controls(sb: Any, input_size: int, file: FileSource | None) -> tuple[str | None, str | None]:
    """Where the sequences come from: generated, a CSV/NPY upload, typed numbers, or token ids.

    Token ids go through the checkpoint's embedding. Returns the digest of the user's input (None: generated)
    and an error; a bad input keeps the last valid one on screen, its message beside the control.
    """
    has_embedding = file is not None and file.found().embedding_name() is not None
    options = list(INPUT_SOURCES if has_embedding else INPUT_SOURCES[:3])
    how = sb.radio(
        "sequences",
        options,
        key="input_source",
        horizontal=True,
        help="Your own sequences are not carried by a link (a URL cannot hold a file).",
    )
    if how == "generated":
        return None, None
    key, make = None, None
    if how == "your file":
        up = sb.file_uploader(
            f"sequence: CSV of T rows x {input_size} columns, or NPY [T, {input_size}] / [B, T, {input_size}]",
            type=["csv", "txt", "npy"],
            key="input_file",
        )
        if up is not None:
            key = ("file", up.file_id, input_size)
            make = lambda: (parse_sequence(up.getvalue(), up.name, input_size), up.name, None)  # noqa: E731
    elif how == "typed numbers":
        text = sb.text_area(
            f"one step per line, {input_size} number(s) each",
            key="input_text",
            placeholder="\n".join([", ".join(["0.5"] * input_size)] * 3),
        )
        if text.strip():
            key = ("typed", text, input_size)
            make = lambda: (parse_typed(text, input_size), "typed numbers", None)  # noqa: E731
    else:
        # The weight is copied out of the file's tensors, so only when token ids are what the user feeds.
        embedding = file.found().embedding_weight()
        vocab = embedding.shape[0]
        text = sb.text_area(
            f"token ids 0..{vocab - 1}, one sequence per line (empty: random ids)",
            key="input_ids",
            placeholder="3, 14, 15, 92, 65",
        )
        config_seed = st.session_state.get("seed", DEFAULTS["seed"])
        steps = st.session_state.get("seq_len", DEFAULTS["seq_len"])
        batch = st.session_state.get("batch", DEFAULTS["batch"])
        key = ("ids", text, vocab, config_seed, steps, batch)

        def make() -> tuple[torch.Tensor, str, list[list[str]]]:
            if text.strip():
                ids = parse_token_ids(text, vocab)
            else:
                ids = random_token_ids(vocab, int(steps), int(batch), int(config_seed))
            labels = [[str(k) for k in row] for row in ids.tolist()]
            return embed_tokens(ids, embedding), "token ids through the embedding", labels

    if key is not None and key != st.session_state.get(_DATA_KEY):
        st.session_state[_DATA_KEY] = key
        try:
            st.session_state[_DATA] = uploads.add_input(*make()).digest
            st.session_state[_DATA_ERROR] = None
        except (ValueError, TypeError) as err:
            st.session_state[_DATA_ERROR] = str(err)
    if st.session_state.get(_DATA_ERROR):
        sb.error(f"Not applied: {st.session_state[_DATA_ERROR]}. Still showing the last valid input.")
    digest = st.session_state.get(_DATA)
    if digest is None:
        return None, None
    try:
        x = uploads.store().get(digest).x
    except LookupError as err:
        return None, str(err)
    if x.shape[-1] != input_size:
        return None, f"your input has {x.shape[-1]} values per step, and this LSTM takes {input_size}"
    return digest, None


def _edit_controls(sb: Any) -> tuple[Edits, str | None]:
    """The weight-experiment controls: a preset and a scale on each gate's pre-activation."""
    sb.subheader("Weight experiments")
    preset = sb.selectbox(
        "preset",
        list(EDIT_PRESETS),
        key="edit_preset",
        bind="query-params",
        help="Applied to the same copy of the weights that the hand-written forward and nn.LSTM both run.",
    )
    if preset != "none":
        sb.caption(EDIT_PRESETS[preset])
    # The four scales appear when asked for: four inputs fewer on every run of every student's page.
    scaled = sb.checkbox(
        "scale each gate's pre-activation",
        key="edit_scales",
        bind="query-params",
        help="Multiply a gate's pre-activation (its rows of W_ih, W_hh, b_ih, b_hh) by a factor. Unticked: "
        "no scaling, whatever the factors were.",
    )
    scales: tuple[Any, ...] = (1.0,) * len(GATES)
    if scaled:
        cols = sb.columns(2)
        scales = tuple(
            cols[n % 2].number_input(
                f"× {gate}",
                value=1.0,
                step=0.25,
                key=f"scale_{gate}",
                bind="query-params",
                help=f"Multiply gate {gate}'s pre-activation (its rows of W_ih, W_hh, b_ih, b_hh) by this.",
            )
            for n, gate in enumerate(GATES)
        )
    try:
        return Edits(preset, tuple(float(s) for s in scales)), None
    except ValueError as err:
        return Edits(), str(err)


def run_controls(page_path: str = "") -> RunSpec:
    """Sidebar controls for the model source, ``LSTMConfig`` and weight edits, each bound to the URL.

    An invalid combination shows its message beside the controls and returns the last valid spec.

    Args:
        page_path: The URL path of the page shown, for the preset links.
    """
    if view_mode().teacher:
        return _url_spec()
    sb = st.sidebar
    sb.header("LSTM settings")
    # Dialogs, not expanders: their contents run only when opened, not on every run of every session.
    if sb.button("Presets: links to share…", key="_presets_open", icon=":material/link:", width="stretch"):
        _presets_dialog(page_path)
    choice = _model_controls(sb, page_path)
    fixed = choice.fixed or {}
    values: dict[str, Any] = {}
    cols = sb.columns(2)
    for n, (key, label, help_text) in enumerate(NUMBER_CONTROLS):
        if key in fixed:
            # The model decides this size: show its value, not the random-weights setting kept in the URL.
            st.session_state[f"_fixed_{key}"] = fixed[key]
            values[key] = cols[n % 2].number_input(label, step=1, key=f"_fixed_{key}", disabled=True)
            continue
        # No min/max on the widget: out-of-range values, also typed into the URL, must reach
        # validation so the user gets a message rather than a silent reset.
        values[key] = cols[n % 2].number_input(
            label, value=DEFAULTS[key], step=1, key=key, bind="query-params", help=help_text
        )
    for key, label, help_text in FLAG_CONTROLS:
        if key in fixed:
            st.session_state[f"_fixed_{key}"] = fixed[key]
            values[key] = sb.checkbox(label, key=f"_fixed_{key}", disabled=True)
            continue
        values[key] = sb.checkbox(label, value=DEFAULTS[key], key=key, bind="query-params", help=help_text)
    for key, label, options, help_text in CHOICE_CONTROLS:
        if key in fixed:
            values[key] = DEFAULTS[key]
            sb.selectbox(label, [fixed[key]], key=f"_fixed_{key}_{fixed[key]}", disabled=True)
            continue
        values[key] = sb.selectbox(
            label,
            options,
            index=options.index(DEFAULTS[key]),
            key=key,
            bind="query-params",
            help=help_text,
        )
    if choice.caption:
        sb.caption(choice.caption)
    data, data_error = (None, None) if choice.task else _input_controls(sb, values["input_size"], choice.file)
    edits, edit_error = _edit_controls(sb)
    return _settle(values, choice, edits, data, choice.error or data_error or edit_error, sb)


def _url_spec() -> RunSpec:
    """The teacher view's run, read from the link itself: no controls are drawn (the sidebar is hidden anyway).

    A class opening one teacher link then pays for no sidebar widgets on any run. Values the link gets
    wrong are named at the top of the page; the run keeps their defaults, as the controls would.
    """
    values, unread = url_values(st.query_params.to_dict())
    st.session_state[_URL_SETTINGS] = values
    if unread:
        st.warning(f"This link has values the app cannot read: {', '.join(unread)}. They keep their defaults.")
    choice = _task_model(values) if values["model"] == "task" else ModelChoice()
    fixed = choice.fixed or {}
    # As in the sidebar: the sizes a task fixes are its own, its choices the defaults.
    config = {k: DEFAULTS[k] if k in fixed else values[k] for k in DEFAULTS}
    scales = tuple(values[f"scale_{g}"] for g in GATES) if values["edit_scales"] else (1.0,) * len(GATES)
    try:
        edits, error = Edits(values["edit_preset"], scales), choice.error
    except ValueError as err:
        edits, error = Edits(), str(err)
    return _settle(config, choice, edits, None, error, None)


def _settle(
    values: dict[str, Any], choice: ModelChoice, edits: Edits, data: str | None, error: str | None, sb: Any
) -> RunSpec:
    """The spec the controls (or the link) describe, or the last valid one with the reason beside ``sb``.

    Without ``sb`` (the teacher view) the reason is shown on the page, above the last valid run.
    """
    spec = None
    if error is None:
        try:
            values = {**values, **{k: v for k, v in (choice.fixed or {}).items() if k in SIZE_KEYS}}
            spec = RunSpec(LSTMConfig(**values), choice.task, edits, choice.file, data)
            check_spec(spec)
        except ValueError as err:
            error = str(err)
    if error is not None:
        st.session_state[ERROR] = error
        if sb is not None:
            sb.error(f"Not applied: {error}. Still showing the last valid run.", icon=":material/warning:")
        return st.session_state.get(LAST_GOOD) or RunSpec(LSTMConfig(**DEFAULTS))
    st.session_state[ERROR] = None
    st.session_state[LAST_GOOD] = spec
    return spec


@functools.lru_cache(maxsize=RUNS_KEPT)
def cached_run(spec: RunSpec | LSTMConfig) -> Run:
    """The run for ``spec``, computed once and shared read-only by every session.

    A plain dictionary lookup in front of ``st.cache_resource``, whose key hashing was a few percent of every
    page run; the resource cache behind it computes a run once however many sessions ask at the same moment.
    """
    return _computed_run(spec)


@st.cache_resource(max_entries=RUNS_KEPT, show_spinner="Running the LSTM…")
def _computed_run(spec: RunSpec | LSTMConfig) -> Run:
    return run(spec)


def current_run() -> Run:
    """The run of the settings in the sidebar (the last valid ones if the current ones are not).

    A live training that has not finished shows its progress and stops the page until it has.
    """
    spec = st.session_state.get("spec") or RunSpec(LSTMConfig(**DEFAULTS))
    log.info("full page run")
    if st.session_state.get(ERROR):
        st.warning(
            f"Your settings were not applied ({st.session_state[ERROR]}). The page shows the last valid run.",
            icon=":material/warning:",
        )
    if spec.task is not None and spec.task.weights == "trained here":
        try:
            job = trainer().submit(spec.task.train_key())
        except RuntimeError as err:
            st.error(f"No live training now: {err}. Showing the shipped weights.", icon=":material/hourglass:")
            spec = RunSpec(spec.config, TaskSource(spec.task.task), spec.edits)
        else:
            if job.state != "done":
                training_progress(job)
                st.stop()
    try:
        r = cached_run(spec)
    except (LookupError, ValueError) as err:
        st.error(f"This run cannot be shown: {err}. Showing the default run instead.", icon=":material/error:")
        r = cached_run(RunSpec(LSTMConfig(**DEFAULTS)))
    st.session_state[_RUN] = r
    if r.task is not None and r.task.outside:
        run_note(
            "warning",
            f"Outside the trained range: {r.task.outside}. Allowed, but accuracy falls here "
            f"({r.task.metric_here:.3f} against {r.task.metric:.3f} at the trained length).",
            icon=":material/warning:",
        )
    return r


def training_progress(job: Job) -> None:
    """A live training's queue position or progress bar and loss curve, refreshed until it ends."""
    task = tasks.get(job.key.task)

    @st.fragment(run_every=0.5)
    def _watch() -> None:
        if job.state == "done":
            st.rerun()
        if job.state == "failed":
            st.error(f"The training failed: {job.error}", icon=":material/error:")
            return
        k = job.key
        st.subheader(f"Training {task.title}: H {k.hidden_size}, seed {k.seed}, forget bias {k.forget_bias:+g}")
        if job.state == "queued":
            ahead = trainer().position(job)
            st.info(
                f"Queued: {ahead} training(s) ahead of this one. One model trains at a time on this server, and "
                "everyone who asks for this same training shares it.",
                icon=":material/hourglass:",
            )
            st.progress(0.0, text="waiting for the trainer")
            return
        st.progress(job.step / max(job.steps, 1), text=f"Adam step {job.step} of {job.steps}")
        losses = list(job.losses)
        if losses:
            title = f"Training loss of {task.title} so far (step {len(losses)} of {job.steps})"
            show_chart(loss_curve_figure(losses, title), key="live_loss")

    _watch()


@dataclass(frozen=True)
class Selection:
    """Which layer-direction, batch item and window of units a page shows."""

    record: LayerTrace
    batch_item: int
    units: tuple[int, int]


def record_controls(r: Run, key: str, units_of: str = "hidden") -> Selection:
    """Pickers for layer, direction, batch item and (for wide layers) a page of units, in one row.

    Only what has a choice gets a picker; the rest is named in one caption ("layer 0 · forward · ..."), so a
    one-layer run shows no disabled controls (and a class's server sends a few elements, not nine).

    Args:
        r: The run shown.
        key: Prefix keeping each page's pickers apart.
        units_of: ``"hidden"`` to page over H units, ``"out"`` over H_out features.
    """
    cfg = r.config
    n_units = cfg.hidden_size if units_of == "hidden" else cfg.out_size
    row = st.container(horizontal=True, vertical_alignment="bottom")
    fixed = []
    layer, reverse, batch_item = 0, False, 0
    if cfg.num_layers > 1:
        layer = row.selectbox("layer", range(cfg.num_layers), key=f"{key}_layer", width=PICKER_WIDTH)
    else:
        fixed.append("layer 0")
    if cfg.bidirectional:
        reverse = row.selectbox(
            "direction", [False, True], format_func=direction_label, key=f"{key}_dir", width=PICKER_WIDTH
        )
    else:
        fixed.append("forward")
    if cfg.batch > 1:
        batch_item = row.selectbox("batch item", range(cfg.batch), key=f"{key}_batch", width=PICKER_WIDTH)
    else:
        fixed.append("batch item 0")
    if len(unit_pages(n_units)) > 1:
        window = unit_window(n_units, "units shown", f"{key}_units", row)
    else:
        window = (0, n_units)
        fixed.append(f"all {n_units} units")
    if fixed:
        row.caption(" · ".join(fixed))
    return Selection(r.trace.layer(layer, reverse=reverse), batch_item, window)


PICKER_WIDTH = 180
"""Pixels for a picker in a row: wide enough for "0–63 of 512", narrow enough for four in a row."""


def unit_window(n_units: int, label: str, key: str, container: Any = st) -> tuple[int, int]:
    """A picker for which page of ``MAX_UNITS_SHOWN`` units the heatmaps show (disabled when one page)."""
    pages = unit_pages(n_units)
    return container.selectbox(
        label,
        pages,
        format_func=lambda p: f"{p[0]}–{p[1] - 1} of {n_units}",
        # The size in the key: a new size starts on its first page instead of a page that no longer exists.
        key=f"{key}_{n_units}",
        disabled=len(pages) == 1,
        width=PICKER_WIDTH,
    )


FIGURE_VIEW_HEIGHT = 640
"""Pixels of the one figure shown alone: most of a projected 1080p screen."""
FIGURE_CACHE_SIZE = 1024
"""Finished figures kept server-wide: a class looking at the same run and step shares them."""
_figure_cache: OrderedDict[tuple, go.Figure] = OrderedDict()
_figure_lock = threading.Lock()


def show_chart(fig: go.Figure | Callable[[], go.Figure], key: str, cache: tuple | None = None, **kwargs: Any) -> Any:
    """Draw a figure in the chosen colours, slide-styled in the slide view, and list it for the page's exports.

    Its camera button saves a PNG at 3x, named after the figure and the run.

    Args:
        fig: The figure, or a function that builds it (called only when ``cache`` misses).
        key: The chart's key on the page (also its name in exported files).
        cache: What decides the figure (the run's spec and the builder's arguments): given, the finished
            figure is built once server-wide and shared read-only by every session that shows the same.
        **kwargs: Passed to ``st.plotly_chart`` (e.g. ``on_select``).
    """
    mode = view_mode()
    # Keys in drawing order, each once (a fragment's reruns draw its charts again).
    st.session_state.setdefault(_CHART_KEYS, {})[key] = None
    if mode.figure is not None and key != mode.figure:
        # The one-figure view: the page's other charts are neither built nor sent.
        return None
    palette = PALETTES.get(_setting("colours"), PALETTES["viridis"])
    r = st.session_state.get(_RUN)
    slide = mode.slide and r is not None
    alone = mode.figure is not None

    def finish() -> go.Figure:
        built = fig() if callable(fig) else fig
        recolour(built, palette)
        if slide:
            for_slides(built, config_words(r.spec), SLIDE_TITLE_CHARS_FULL if alone else SLIDE_TITLE_CHARS)
        if alone:
            built.update_layout(height=FIGURE_VIEW_HEIGHT)
        return built

    if cache is None:
        figure = finish()
    else:
        full_key = (*cache, key, palette.name, slide, alone)
        with _figure_lock:
            figure = _figure_cache.get(full_key)
            if figure is not None:
                _figure_cache.move_to_end(full_key)
        if figure is None:
            figure = SharedFigure(finish())
            with _figure_lock:
                _figure_cache[full_key] = figure
                while len(_figure_cache) > FIGURE_CACHE_SIZE:
                    _figure_cache.popitem(last=False)
    st.session_state.setdefault(_FIGURES, {})[key] = figure
    name = figure_filename(key, run_summary(r), "png").removesuffix(".png") if r is not None else f"lstm_{key}"
    config = {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "scale": 3, "filename": name},
    }
    return st.plotly_chart(figure, key=key, config=config, width="stretch", **kwargs)


def run_summary(r: Run) -> str:
    """The run in a file name: sizes, dtype, input or task, seed, edits."""
    return _summary(r.spec, r.config)


@functools.lru_cache(maxsize=256)
def _summary(spec: RunSpec, config: LSTMConfig) -> str:
    # Every chart of every page run names its PNG after the run: made once per run, not per chart.
    return config_summary(config, spec.task.task if spec.task else None, spec.edits.active)


def require_app() -> None:
    """Run the page inside ``app.py``, whatever the first request of a fresh server was.

    With a ``pages/`` folder beside the entry script, Streamlit 1.67 starts in its legacy multipage mode
    until some run calls ``st.navigation``: a shared deep link (``/gates?seed=3``) opened first would run this
    page alone, without the app's controls. The page then switches that mode off and reruns; the rerun goes
    through ``app.py`` to this page with the link's query parameters.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def start_page() -> None:
    """Forget the previous page's figures (each page lists its own for the exports); read the view flags once."""
    st.session_state[_FIGURES] = {}
    st.session_state[_CHART_KEYS] = {}
    st.session_state[_VIEW] = _read_view_mode()


def check_figure_view() -> None:
    """After the page's charts: in the one-figure view, say so when the page has no chart of that name."""
    mode = view_mode()
    keys = list(st.session_state.get(_CHART_KEYS) or {})
    if mode.figure is not None and mode.figure not in keys:
        st.error(
            f"This page has no figure named {mode.figure!r}. Its figures: {', '.join(keys) or 'none'}.",
            icon=":material/error:",
        )


def export_panel(page_path: str = "") -> None:
    """The page's exports, after its figures: images, a ZIP, a GIF, an offline HTML and the run's data.

    One figure as PNG (3x) or SVG, all of them as a ZIP, an animated GIF of the gates, an offline interactive
    HTML, and every tensor of the run with a script that rebuilds it with plain PyTorch.

    Images are drawn server-side by one kept-alive kaleido (one export at a time server-wide, with a
    progress bar); without Chromium the page says so and each chart's camera button still saves a PNG.
    """
    r: Run | None = st.session_state.get(_RUN)
    if r is None or view_mode().teacher:
        return
    # A dialog, not an expander: its contents run only when it is open, not on every run of every session.
    if st.button("Export for slides and notebooks…", key=f"_export_open_{page_path}", icon=":material/download:"):
        _export_dialog(page_path)


@st.dialog("Export for slides and notebooks", width="large")
def _export_dialog(page_path: str) -> None:
    """The export choices for the page's figures and the run (see ``export_panel``)."""
    figures: dict[str, go.Figure] = st.session_state.get(_FIGURES) or {}
    r: Run | None = st.session_state.get(_RUN)
    if r is None:
        return
    summary = run_summary(r)
    images_ok = find_chromium() is not None
    if not images_ok:
        st.info(
            "No Chromium on this server, so images cannot be drawn here; each chart's camera button still "
            "saves a PNG at 3x, and the HTML and data below work.",
            icon=":material/info:",
        )
    if figures:
        cols = st.columns([3, 1, 1, 2])
        key = cols[0].selectbox(
            "figure",
            list(figures),
            format_func=lambda k: figures[k].layout.title.text or k,
            key=f"_export_fig_{page_path}",
        )
        for col, fmt in ((cols[1], "png"), (cols[2], "svg")):
            if col.button(
                f"{fmt.upper()}{' 3x' if fmt == 'png' else ''}", key=f"_export_{fmt}", disabled=not images_ok
            ):
                _prepare(fmt, figure_filename(key, summary, fmt), lambda fmt=fmt: _image(figures[key], fmt))
        if cols[3].button(f"all {len(figures)} figures: ZIP of PNG + SVG", key="_export_zip", disabled=not images_ok):
            items = list(figures.items())
            _prepare("zip", f"lstm_figures_{summary}.zip", lambda progress: figures_zip(items, summary, progress))
    rec = r.trace.layer(0)
    steps = min(rec.steps, MAX_GIF_FRAMES)
    cols = st.columns(2)
    for col, (kind, make, words) in zip(
        cols,
        (
            ("gif", gates_gif, "GIF"),
            ("mp4", gates_mp4, "MP4 (H.264, 2x, for slides)"),
        ),
        strict=True,
    ):
        if col.button(
            f"{words}: the gates over {steps} steps (layer 0, batch item 0)",
            key=f"_export_{kind}",
            disabled=not images_ok,
            help="One frame per step: every gate's bars above the cell-state heatmap, its cursor moving.",
        ):
            _prepare(
                kind,
                figure_filename("gates_over_time", summary, kind),
                lambda progress, make=make: make(
                    rec,
                    batch_item=0,
                    steps=range(steps),
                    step_labels=r.labels(0),
                    highlight=r.highlight,
                    progress=progress,
                ),
            )
    ready = st.session_state.get(_EXPORT)
    if ready and ready[0] == summary:
        _, file_name, data = ready
        st.download_button(
            f"download {file_name}", data, file_name=file_name, key="_export_download", icon=":material/download:"
        )
    cols = st.columns(4)
    title = f"LSTM Explorer: {r.source}"
    cols[0].download_button(
        "interactive HTML (offline)",
        lambda: figures_html(list(figures.items()), title, config_words(r.spec)),
        file_name=f"lstm_page_{summary}.html",
        mime="text/html",
        key="_export_html",
        on_click="ignore",
        disabled=not figures,
    )
    npz = f"lstm_run_{summary}.npz"
    cols[1].download_button(
        "every tensor: NPZ",
        lambda: trace_npz(r.trace, r.built.input),
        file_name=npz,
        key="_export_npz",
        on_click="ignore",
    )
    cols[2].download_button(
        "one CSV per tensor: ZIP",
        lambda: trace_csv_zip(r.trace, r.built.input),
        file_name=f"lstm_run_{summary}_csv.zip",
        key="_export_csv",
        on_click="ignore",
    )
    cols[3].download_button(
        "script: rebuild with nn.LSTM",
        lambda: rebuild_script(npz, config_words(r.spec)),
        file_name="rebuild_lstm.py",
        mime="text/x-python",
        key="_export_script",
        on_click="ignore",
    )


def _image(fig: go.Figure, fmt: str) -> bytes:
    return figure_png(fig) if fmt == "png" else figure_svg(fig)


def _prepare(kind: str, file_name: str, make: Any) -> None:
    """Make an export with a progress bar and keep it for the download button (one export at a time)."""
    bar = st.progress(0.0, text=f"drawing {file_name}…")

    def progress(done: int, total: int, what: str) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"{what} ({done} of {total})")

    try:
        data = make(progress) if kind in ("zip", "gif", "mp4") else make()
    except (ExportUnavailable, ExportBusy, ValueError) as err:
        bar.empty()
        st.error(f"Not exported: {err}", icon=":material/error:")
        return
    bar.empty()
    r = st.session_state.get(_RUN)
    st.session_state[_EXPORT] = (run_summary(r), file_name, data)


@dataclass(frozen=True)
class ViewMode:
    """How the page is being shown: a projected slide, the controls hidden, or one figure alone.

    ``figure`` is the key of the one chart shown alone (full width, tall), or None for all of them.
    """

    slide: bool
    teacher: bool
    figure: str | None = None


def view_mode() -> ViewMode:
    """The view flags of the URL: ``slide=1`` (slide view) and ``controls=hidden`` (teacher link).

    Read once per run by ``start_page`` (every chart asks); before it, read from the URL.
    """
    return st.session_state.get(_VIEW) or _read_view_mode()


def _read_view_mode() -> ViewMode:
    slide = st.query_params.get("slide") == "1"
    figure = st.query_params.get("figure") or None
    hidden = slide or figure is not None or st.query_params.get("controls") == "hidden"
    return ViewMode(slide=slide, teacher=hidden, figure=figure)


def view_controls() -> None:
    """The sidebar's view section: colour scales (in the URL) and the links to share this run.

    Nothing in the teacher view: its colours come from the link, and its sidebar is hidden.
    """
    if view_mode().teacher:
        return
    sb = st.sidebar
    sb.selectbox(
        "colours",
        list(PALETTES),
        key="colours",
        bind="query-params",
        help="; ".join(f"{p.name}: {p.words}" for p in PALETTES.values()) + ". Ranges stay fixed by meaning.",
    )
    share_help = (
        "Every setting lives in the page URL: copy the link to share this exact run, seed included. "
        "A live training is redone (or found) by whoever opens the link."
    )
    if sb.button("Share this run…", key="_share_open", icon=":material/share:", width="stretch", help=share_help):
        # Opened by ``share_dialog_if_asked`` after the page has drawn: the dialog lists its charts.
        st.session_state[_SHARE_ASKED] = True


def share_dialog_if_asked(page_path: str) -> None:
    """Open the Share dialog if its button was clicked in this run (call it after the page's charts)."""
    if st.session_state.pop(_SHARE_ASKED, False):
        _share_dialog(page_path)


@st.dialog("Share this run", width="large")
def _share_dialog(page_path: str) -> None:
    href = settings_href(page_path, current_settings())
    base = (st.context.url or "").rstrip("/")
    root = base[: -len(page_path)].rstrip("/") if page_path and base.endswith(page_path) else base
    link = f"{root}/{href.removeprefix('./')}"
    joiner = "&" if "?" in link else "?"
    spec = st.session_state.get("spec")
    if spec is not None and (spec.file is not None or spec.data is not None):
        st.warning(
            "A link cannot carry an uploaded file or your own input: whoever opens it uploads them again "
            "(until then random weights and generated sequences are shown). Every other setting is in it.",
            icon=":material/link_off:",
        )
    st.caption("This page and run, seed included:")
    st.code(link, language=None, wrap_lines=True)
    st.caption("Teacher link: the same with the controls hidden, for projecting:")
    st.code(f"{link}{joiner}controls=hidden", language=None, wrap_lines=True)
    st.caption("Slide view: large fonts, white, titles that state the run:")
    st.code(f"{link}{joiner}slide=1", language=None, wrap_lines=True)
    figures = st.session_state.get(_FIGURES) or {}
    if figures:
        key = st.selectbox(
            "One figure alone, full width and tall, controls hidden (add &slide=1 for the slide style):",
            list(figures),
            format_func=lambda k: figures[k].layout.title.text or k,
            key="_share_figure",
        )
        st.code(f"{link}{joiner}figure={key}", language=None, wrap_lines=True)
    link_button("open the slide view", f"{href}{'&' if '?' in href else '?'}slide=1")


def _view_rules() -> str:
    mode = view_mode()
    rules = []
    if mode.teacher:
        rules.append(
            '[data-testid="stSidebar"],[data-testid="stSidebarCollapsedControl"],[data-testid="stHeader"],'
            '[data-testid="stToolbar"],[data-testid="stDecoration"]{display:none !important;}'
        )
    if mode.figure is not None:
        # Only the chart (and any message that the link was not honoured) stays: titles, captions and pickers
        # are hidden here; notes about the run are not drawn at all (``run_note``).
        rules.append(
            '[data-testid="stMain"] [data-testid="stElementContainer"]'
            ':not(:has(.js-plotly-plot)):not(:has([data-testid="stAlert"])){display:none !important;}'
            # A chart that sits in a column takes the whole width.
            '[data-testid="stMain"] [data-testid="stColumn"]:not(:has(.js-plotly-plot)){display:none !important;}'
            '[data-testid="stMain"] [data-testid="stColumn"]{width:100% !important;flex:1 1 100% !important;}'
        )
    if mode.slide:
        rules.append(
            '[data-testid="stMain"]{background:white;}'
            '[data-testid="stMainBlockContainer"]{max-width:100%;padding-top:1.5rem;}'
            '[data-testid="stMarkdownContainer"] p,[data-testid="stMarkdownContainer"] li{font-size:1.35rem;}'
            "h1{font-size:2.6rem !important;}"
        )
    return "".join(rules)


def verdict_banner(r: Run) -> None:
    """The green (or red) 'matches nn.LSTM' verdict with the measured error (a red one shows in every view)."""
    c = r.comparison
    text = f"**{c.verdict}**"
    if c.allclose:
        run_note("success", text, icon=":material/check_circle:")
    else:
        st.error(text, icon=":material/error:")


def run_note(kind: str, text: str, icon: str) -> None:
    """A note about the run shown (a task's finding, the trained range, the verdict) as an ``st.<kind>`` alert.

    Left out of the one-figure view, which shows its figure alone; messages saying that a link was not
    honoured as written (unreadable values, a run that cannot be shown) are drawn directly and stay.

    Args:
        kind: ``"info"``, ``"success"`` or ``"warning"``.
        text: Markdown.
        icon: A ``:material/...:`` icon.
    """
    if view_mode().figure is None:
        {"info": st.info, "success": st.success, "warning": st.warning}[kind](text, icon=icon)
