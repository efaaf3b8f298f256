"""The sidebar: what a student changes first (model, sizes, seed), the rest under "advanced"; -> ``RunSpec``."""

from __future__ import annotations

from typing import Any

import streamlit as st
import torch
from streamlit.runtime.state.session_state_proxy import get_session_state

from lstm_viz import tasks, uploads
from lstm_viz.build import DRAWS
from lstm_viz.edits import PRESETS as EDIT_PRESETS
from lstm_viz.engine import GATES
from lstm_viz.figures import PALETTES
from lstm_viz.inputs import MAX_TEXT_CHARS, embed_tokens, parse_sequence, parse_token_ids, parse_typed, random_token_ids
from lstm_viz.run import RunSpec
from lstm_viz.settings import (
    CHOICE_CONTROLS,
    FLAG_CONTROLS,
    FORGET_CHOICES,
    HIDDEN_OPTIONS,
    MODEL_WORDS,
    NUMBER_CONTROLS,
    PRESETS,
    is_task,
    legacy_params,
    model_defaults,
    model_options,
    page_value_problem,
    quoted,
    source_from_values,
    spec_from_values,
    url_values,
)
from lstm_viz.sources import FileSource
from lstm_viz.text import code, plain
from lstm_viz.ui.charts import URL_SETTINGS
from lstm_viz.ui.page import LINK_FLAGS, LINK_PROBLEMS, UPLOAD_KEY, link_button, settings_href, view_mode
from lstm_viz.ui.runs import ERROR, LAST_GOOD, default_spec
from lstm_viz.ui.share import SETTINGS, current_settings
from lstm_viz.weights import MAX_FILE_BYTES, check_file_size

_FILE, _FILE_ID, _FILE_ERROR = "_model_file", "_model_file_id", "_model_file_error"
_DATA, _DATA_KEY, _DATA_ERROR = "_own_input", "_own_input_key", "_own_input_error"
_LINK_READ = "_link_read"
INPUT_SOURCES = ("generated", "your file", "typed numbers", "token ids")
SHAPE_KEYS = ("batch", "seq_len", "seed")
"""The controls that apply to every model: how many sequences, how long, which draw."""
SHAPE_WIDTH = 70
"""Pixels of each of batch, length and seed: three in a row in the sidebar."""
OWN_MODEL_PAGES = frozenset({"code"})
"""URL paths of pages that run models of their own: the sidebar says its settings are the other pages'."""


def read_link() -> None:
    """Read the link that opened this session once, by the app's own parser, before any widget sees it.

    Values the app cannot read (``seed=1e400``, ``hidden_size=7.9``, ``colours=<a link>``) are named with their
    limits at the top of the page and taken out of the URL, so the widget bound to each starts from its default
    instead of failing inside Streamlit. Older spellings of a task (``model=task&task=brackets``, ``task=...``)
    become ``model=<task>``.
    """
    if st.session_state.get(_LINK_READ):
        return
    st.session_state[_LINK_READ] = True
    params = st.query_params.to_dict()
    values, problems = url_values(params)
    st.session_state[URL_SETTINGS] = values
    st.session_state[LINK_PROBLEMS] = problems
    # A page's own settings (code_cell=...) are its widgets' to read; only what would break them is refused.
    for key, raw in params.items():
        why = None if key in values or key in LINK_FLAGS or key == "task" else page_value_problem(raw)
        if why is not None:
            problems.append((key, quoted(raw), why))
    bad = {key for key, _, _ in problems}
    kept = {k: v for k, v in legacy_params(params).items() if k not in bad}
    if kept != params:
        st.query_params.from_dict(kept)
        # Bound widgets seed themselves from the query string the session opened with, not from
        # st.query_params: that copy must lose the unread values too (Streamlit 1.67's only way to say so).
        with get_session_state().query_params() as qp:
            qp.set_initial_query_params_from_current()


def run_controls(page_path: str = "") -> RunSpec:
    """The sidebar's settings, each bound to the URL, as the run they describe (the last valid one if not).

    An invalid combination shows its message beside the controls and returns the last valid spec. In the
    teacher view no controls are drawn: the run is read from the link by the same route.

    Args:
        page_path: The URL path of the page shown, for the preset links.
    """
    read_link()
    if view_mode().teacher:
        values = st.session_state[URL_SETTINGS]
        st.session_state[SETTINGS] = values
        return _settle(lambda: spec_from_values(values)[0], None)
    sb = st.sidebar
    sb.header("LSTM settings")
    if page_path in OWN_MODEL_PAGES:
        sb.info(
            "This page reads Python with its own character models, chosen on the page. The settings below are "
            "the other pages' run (kept in the link).",
            icon=":material/info:",
        )
    model = sb.selectbox(
        "model",
        model_options(),
        key="model",
        bind="query-params",
        on_change=_model_changed,
        help="A trained task (its memory has a name a person can check), random weights drawn from the seed "
        "(noise: what training starts from), or your own trained nn.LSTM from a checkpoint file.",
    )
    defaults = model_defaults(model)
    values: dict[str, Any] = {"model": model}
    file, file_error = None, None
    if is_task(model):
        values.update(_task_controls(sb, model))
    else:
        sb.caption(MODEL_WORDS[model])
        if model == "file":
            file, file_error = _file_controls(sb, page_path)
        if model == "random" or file is None:
            values.update(_size_controls(sb, defaults, draws=model == "random"))
    try:
        # What the model fixes, said once where the model is chosen (the sizes it decides are not drawn).
        words = source_from_values({**defaults, **values}, file).fixed_words()
    except (ValueError, LookupError):
        words = ""
    # A task's story and what it fixes in one caption: every element is a message on every run of every page.
    about = [tasks.get(model).story] if is_task(model) else []
    if words or about:
        sb.caption("\n\n".join([*about, words] if words else about))
    data, shape_words, data_error = None, None, None
    if not is_task(model):
        input_size = file.found().input_size if file is not None else values["input_size"]
        data, shape_words, data_error = _input_controls(sb, input_size, file)
    if shape_words is None:
        values.update(_shape_controls(sb, defaults))
    else:
        sb.caption(shape_words)
    values.update(_advanced_controls(sb, model, file, tutorial=values.get("draw") == "tutorial"))
    full = {**defaults, **values}
    st.session_state[SETTINGS] = full

    def spec() -> RunSpec:
        if file_error or data_error:
            raise ValueError(file_error or data_error)
        return spec_from_values(full, file, data)[0]

    made = _settle(spec, sb)
    # Dialogs, not expanders: their contents run only when opened, not on every run of every session.
    if sb.button("Presets: links to share…", key="_presets_open", icon=":material/link:", width="stretch"):
        _presets_dialog(page_path)
    return made


def _model_changed() -> None:
    """A new model opens inside its own range: a task's batch and length, random weights' defaults."""
    defaults = model_defaults(st.session_state["model"])
    for key in ("batch", "seq_len"):
        st.session_state[key] = defaults[key]


def _task_controls(sb: Any, model: str) -> dict[str, Any]:
    """Which weights of the task: shipped, trained here (with its size, seed and forget bias), untrained."""
    task = tasks.get(model)
    weights = sb.selectbox(
        "weights",
        ("shipped", "trained here", "untrained"),
        key="weights",
        bind="query-params",
        help="shipped: trained by scripts/make_task_weights.py, in the repo. trained here: a live training on "
        "this server, shared by everyone who asks for the same one. untrained: the initial weights, for contrast.",
    )
    values: dict[str, Any] = {"weights": weights}
    if weights == "shipped":
        return values
    # Two to a row: three selectboxes in the sidebar's width cut their value ("task" showed as "tasl").
    cols = sb.columns(2)
    values["train_hidden"] = cols[0].selectbox(
        "H",
        HIDDEN_OPTIONS,
        key="train_hidden",
        bind="query-params",
        help=f"Hidden size of the model to train ('task': {task.hidden_size}).",
    )
    values["init_forget"] = cols[1].selectbox(
        "forget bias",
        FORGET_CHOICES,
        key="init_forget",
        bind="query-params",
        help=f"Initial forget-gate bias ('task': {task.forget_bias:+g}). The memory tasks need about +2 to learn "
        "at all (Jozefowicz et al. 2015).",
    )
    values["train_seed"] = sb.number_input(
        "training seed", value=0, step=1, key="train_seed", bind="query-params", help="Seeds weights and batches."
    )
    return values


def _number(container: Any, key: str, defaults: dict[str, Any], width: int | str = "stretch") -> Any:
    label, help_text = next((lab, h) for k, lab, h in NUMBER_CONTROLS if k == key)
    # No min/max on the widget: out-of-range values must reach validation, which names the limit.
    return container.number_input(
        label, value=defaults[key], step=1, key=key, bind="query-params", help=help_text, width=width
    )


def _size_controls(sb: Any, defaults: dict[str, Any], draws: bool = True) -> dict[str, Any]:
    """Random weights' architecture: nn.LSTM's sizes, bidirectional, and how weights and input are drawn."""
    values: dict[str, Any] = {}
    if draws:
        values["draw"] = (
            # The options as they are (no format_func): a bound widget writes its shown label into the link.
            sb.segmented_control(
                "draw from the seed",
                DRAWS,
                default=defaults["draw"],
                required=True,
                key="draw",
                bind="query-params",
                help="explorer: the input kind and initial state below. tutorial: exactly the tensors of the "
                "tutorial's code after torch.manual_seed(seed): torch.randn(B, T, I), then c0, then h0, then "
                "nn.LSTM's own initialisation.",
            )
            or defaults["draw"]
        )
    cols = sb.columns(2)
    for n, key in enumerate(("input_size", "hidden_size", "proj_size", "num_layers")):
        values[key] = _number(cols[n % 2], key, defaults)
    label, help_text = next((lab, h) for k, lab, h in FLAG_CONTROLS if k == "bidirectional")
    values["bidirectional"] = sb.checkbox(
        label, value=defaults["bidirectional"], key="bidirectional", bind="query-params", help=help_text
    )
    if values.get("draw") != "tutorial":
        values["input_kind"] = _choice(sb, "input_kind", defaults)
    return values


def _shape_controls(sb: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    # One row container, not three columns: one block message instead of four, on every run of every page.
    row = sb.container(horizontal=True, gap="xsmall")
    return {key: _number(row, key, defaults, SHAPE_WIDTH) for key in SHAPE_KEYS}


def _choice(container: Any, key: str, defaults: dict[str, Any]) -> Any:
    label, options, help_text = next((lab, o, h) for k, lab, o, h in CHOICE_CONTROLS if k == key)
    return container.selectbox(
        label, options, index=options.index(defaults[key]), key=key, bind="query-params", help=help_text
    )


def _advanced_controls(sb: Any, model: str, file: FileSource | None, tutorial: bool = False) -> dict[str, Any]:
    """dtype, initial state, layout, bias, colours and the weight experiments, in one collapsed section.

    ``tutorial``: the tutorial's draw is chosen, which always gives an initial state (no choice drawn).
    """
    defaults = model_defaults(model)
    values: dict[str, Any] = {}
    box = sb.expander("Advanced settings", icon=":material/tune:")
    values["dtype"] = _choice(box, "dtype", defaults)
    if not is_task(model) and not tutorial:
        values["initial_state"] = _choice(box, "initial_state", defaults)
    if model == "random" or (model == "file" and file is not None):
        values["batch_first"] = _flag(box, "batch_first", defaults)
    if model == "random":
        values["bias"] = _flag(box, "bias", defaults)
    box.selectbox(
        "colours",
        list(PALETTES),
        key="colours",
        bind="query-params",
        help="; ".join(f"{p.name}: {p.words}" for p in PALETTES.values()) + ". Ranges stay fixed by meaning.",
    )
    values.update(_edit_controls(box))
    return values


def _flag(container: Any, key: str, defaults: dict[str, Any]) -> bool:
    label, help_text = next((lab, h) for k, lab, h in FLAG_CONTROLS if k == key)
    return container.checkbox(label, value=defaults[key], key=key, bind="query-params", help=help_text)


def _edit_controls(box: Any) -> dict[str, Any]:
    """The weight-experiment controls: a preset and a scale on each gate's pre-activation."""
    preset = box.selectbox(
        "weight experiment",
        list(EDIT_PRESETS),
        key="edit_preset",
        bind="query-params",
        help="Applied to the same copy of the weights that the hand-written forward and nn.LSTM both run.",
    )
    if preset != "none":
        box.caption(EDIT_PRESETS[preset])
    # The four scales appear when asked for: four inputs fewer on every run of every student's page.
    scaled = box.checkbox(
        "scale each gate's pre-activation",
        key="edit_scales",
        bind="query-params",
        help="Multiply a gate's pre-activation (its rows of W_ih, W_hh, b_ih, b_hh) by a factor. Unticked: "
        "no scaling, whatever the factors were.",
    )
    values: dict[str, Any] = {"edit_preset": preset, "edit_scales": scaled}
    if scaled:
        cols = box.columns(2)
        for n, gate in enumerate(GATES):
            values[f"scale_{gate}"] = cols[n % 2].number_input(
                f"× {gate}",
                value=1.0,
                step=0.25,
                key=f"scale_{gate}",
                bind="query-params",
                help=f"Multiply gate {gate}'s pre-activation (its rows of W_ih, W_hh, b_ih, b_hh) by this.",
            )
    return values


def _file_controls(sb: Any, page_path: str) -> tuple[FileSource | None, str | None]:
    """An upload that makes a checkpoint's LSTM the model every page shows, with a picker for several.

    Returns the chosen LSTM (None until a file holds one) and the reason the current file is refused.
    """
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
            # The name stays this session's: the same bytes uploaded by someone else keep their own name.
            st.session_state[_FILE] = uploads.add_model_file(upload.getvalue(), upload.name)
            st.session_state[_FILE_ERROR] = None
            # In the URL too: should this server process restart, the session's next one can say what was lost.
            st.query_params[UPLOAD_KEY] = st.session_state[_FILE].digest[:12]
        except ValueError as err:
            st.session_state[_FILE_ERROR] = f"{upload.name}: {err}"
    if st.session_state.get(_FILE_ERROR):
        sb.error(plain(st.session_state[_FILE_ERROR]), icon=":material/block:")
    held: uploads.ModelUpload | None = st.session_state.get(_FILE)
    item = None
    if held is not None:
        try:
            item = held.model()
        except LookupError:
            sb.warning(
                "Your checkpoint is no longer on this server (it was restarted, or the file was dropped to make "
                "room): upload it again.",
                icon=":material/cloud_off:",
            )
            st.session_state.pop(_FILE, None)
    lost = st.query_params.get(UPLOAD_KEY)
    if item is None and lost and st.session_state.get(_FILE_ID) is None:
        # The URL names an upload this session never made here: its server process restarted (or was another).
        sb.warning(
            f"The checkpoint this page showed ({code(lost)}…) is not on this server process: the one that held "
            "your session restarted (or the link was copied), and a link cannot carry a file. Upload it again; "
            "until then random weights are shown.",
            icon=":material/cloud_off:",
        )
    elif item is None:
        sb.info(
            "Upload a checkpoint to see its LSTM. A link cannot carry a file: whoever opens a shared link "
            "uploads it again; until then random weights are shown.",
            icon=":material/upload_file:",
        )
    if item is None:
        link_button("back to random weights", back, container=sb)
        return None, None
    filename = held.filename
    prefixes = [f.prefix for f in item.found]
    prefix = sb.selectbox(
        "LSTM in the file",
        prefixes,
        format_func=lambda p: f"{p or '(top level)'}: {item.lstm(p).call}",
        key=f"file_lstm_{item.digest[:12]}",
        disabled=len(prefixes) == 1,
    )
    found = item.lstm(prefix)
    notes = [f"from {filename}"]
    if found.converted:
        notes.append(f"stored as {found.file_dtype}, widened exactly to {found.dtype}")
    if found.others:
        notes.append(f"{len(found.others)} other tensors beside it")
    notes.append("a link cannot carry the file: share it with the file")
    sb.caption(plain("; ".join(notes) + "."))
    link_button("back to random weights", back, container=sb)
    return FileSource(item.digest, prefix, filename), None


def _input_controls(sb: Any, input_size: int, file: FileSource | None) -> tuple[str | None, str | None, str | None]:
    """Where the sequences come from: generated, a CSV/NPY upload, typed numbers, or (a file's) token ids.

    Token ids go through the checkpoint's embedding. A bad input keeps the last valid one on screen, its
    message beside the control.

    Returns:
        The digest of the user's input (None: generated), the input's shape in words when the input decides
        the batch and the length (so those controls are not drawn), and an error.
    """
    found = file.found() if file is not None else None
    has_embedding = found is not None and found.embedding_name() is not None
    options = list(INPUT_SOURCES if has_embedding else INPUT_SOURCES[:3])
    how = sb.radio(
        "sequences",
        options,
        key="input_source",
        horizontal=True,
        help="Your own sequences are not carried by a link (a URL cannot hold a file).",
    )
    if how == "generated":
        return None, None, None
    key, make = None, None
    if how == "your file":
        up = sb.file_uploader(
            f"sequence: CSV of T rows x {input_size} columns, or NPY [T, {input_size}] / [B, T, {input_size}]",
            type=["csv", "txt", "npy"],
            key="input_file",
        )
        if up is not None:
            key = ("file", up.file_id, input_size)
            # The upload as a file: read lazily, so the row and line limits stop it before it is all in memory.
            make = lambda: (parse_sequence(_rewound(up), up.name, input_size), up.name, None)  # noqa: E731
    elif how == "typed numbers":
        text = sb.text_area(
            f"one step per line, {input_size} number(s) each",
            key="input_text",
            max_chars=MAX_TEXT_CHARS,
            placeholder="\n".join([", ".join(["0.5"] * input_size)] * 3),
        )
        if text.strip():
            key = ("typed", text, input_size)
            make = lambda: (parse_typed(text, input_size), "typed numbers", None)  # noqa: E731
    else:
        # The weight is copied out of the file's tensors, so only when token ids are what the user feeds.
        embedding = found.embedding_weight()
        vocab = embedding.shape[0]
        text = sb.text_area(
            f"token ids 0..{vocab - 1}, one sequence per line (empty: random ids)",
            key="input_ids",
            max_chars=MAX_TEXT_CHARS,
            placeholder="3, 14, 15, 92, 65",
        )
        # Random ids (an empty box) take the batch, the length and the seed of the controls below.
        defaults = model_defaults("file")
        shape = tuple(int(st.session_state.get(k, defaults[k])) for k in ("seq_len", "batch", "seed"))
        key = ("ids", text, vocab, *(() if text.strip() else shape))

        def make() -> tuple[torch.Tensor, str, list[list[str]]]:
            ids = parse_token_ids(text, vocab) if text.strip() else random_token_ids(vocab, *shape)
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
        sb.error(f"Not applied: {plain(st.session_state[_DATA_ERROR])}. Still showing the last valid input.")
    digest = st.session_state.get(_DATA)
    if digest is None:
        return None, None, None
    try:
        x = uploads.store().get(digest).x
    except LookupError as err:
        return None, None, str(err)
    if x.shape[-1] != input_size:
        return None, None, f"your input has {x.shape[-1]} values per step, and this LSTM takes {input_size}"
    if how == "token ids" and not st.session_state.get("input_ids", "").strip():
        return digest, None, None
    batch, steps = (x.shape[0], x.shape[1]) if x.dim() == 3 else (1, x.shape[0])
    return digest, f"Your input decides the shape: batch {batch}, {steps} steps.", None


def _rewound(upload: Any) -> Any:
    upload.seek(0)
    return upload


def _settle(make: Any, sb: Any) -> RunSpec:
    """The spec ``make()`` returns, or the last valid one with the reason beside ``sb`` (or on the page).

    Without ``sb`` (the teacher view) the reason is shown on the page, above the last valid run.
    """
    try:
        spec = make()
    except (ValueError, LookupError) as err:
        error = str(err)
        st.session_state[ERROR] = error
        if sb is not None:
            sb.error(f"Not applied: {plain(error)}. Still showing the last valid run.", icon=":material/warning:")
        return st.session_state.get(LAST_GOOD) or default_spec()
    st.session_state[ERROR] = None
    st.session_state[LAST_GOOD] = spec
    return spec


@st.dialog("Presets: each one a link that reproduces its run")
def _presets_dialog(page_path: str) -> None:
    for name, values in PRESETS.items():
        link_button(name, settings_href(page_path, values))
