"""The sidebar: what a student changes first (model, sizes, seed), the rest under "advanced"; -> ``RunSpec``."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lstm_viz import tasks
from lstm_viz.edits import PRESETS as EDIT_PRESETS
from lstm_viz.engine import GATES
from lstm_viz.i18n import N_
from lstm_viz.run import RunSpec
from lstm_viz.settings import (
    FILE,
    MODEL_WORDS,
    PRESETS,
    RANDOM,
    TABLE,
    is_task,
    model_defaults,
    source_from_values,
    spec_from_values,
)
from lstm_viz.sources import FileSource
from lstm_viz.ui import state, widgets
from lstm_viz.ui.language import lang, language_switch, refusal, say, tr
from lstm_viz.ui.link import read_link
from lstm_viz.ui.markup import plain
from lstm_viz.ui.own_input import input_controls
from lstm_viz.ui.page import link_button, settings_href, view_mode
from lstm_viz.ui.runs import default_spec
from lstm_viz.ui.upload import checkpoint_controls

SHAPE_KEYS = ("batch", "seq_len", "seed")
"""The controls that apply to every model: how many sequences, how long, which draw."""
SHAPE_WIDTH = 70
"""Pixels of each of batch, length and seed: three in a row in the sidebar."""
SIZE_KEYS = ("input_size", "hidden_size", "proj_size", "num_layers")
OWN_RUN_PAGES = {
    "code": N_(
        "This page reads Python with its own character models, chosen on the page. The settings below are the "
        "other pages' run (kept in the link)."
    ),
    "check": N_(
        "This page checks your own forward function on its own cases, against nn.LSTM. The settings below are the "
        "other pages' run (kept in the link)."
    ),
}
"""URL paths of pages that do not show the sidebar's run: the sidebar says its settings are the other pages'."""


def run_controls(page_path: str = "") -> RunSpec:
    """The sidebar's settings, each bound to the URL, as the run they describe (the last valid one if not).

    An invalid combination shows its message beside the controls and returns the last valid spec. In the
    teacher view no controls are drawn: the run is read from the link by the same route.

    Args:
        page_path: The URL path of the page shown, for the preset links.
    """
    read_link()
    if view_mode().teacher:
        values = st.session_state[state.URL_SETTINGS]
        st.session_state[state.SETTINGS] = values
        return _settle(lambda: spec_from_values(values)[0], None)
    sb = st.sidebar
    language_switch(sb)
    sb.header(tr("LSTM settings"))
    if page_path in OWN_RUN_PAGES:
        sb.info(tr(OWN_RUN_PAGES[page_path]), icon=":material/info:")
    model = widgets.choice(sb, "model", TABLE["model"].default, on_change=_model_changed)
    defaults = model_defaults(model)
    values: dict[str, Any] = {"model": model}
    file, file_error = None, None
    if is_task(model):
        values.update(_task_controls(sb, defaults))
    else:
        sb.caption(tr(MODEL_WORDS[model]))
        if model == FILE:
            file, file_error = checkpoint_controls(sb, page_path)
        if model == RANDOM or file is None:
            values.update(_size_controls(sb, defaults, draws=model == RANDOM))
    try:
        # What the model fixes, said once where the model is chosen (the sizes it decides are not drawn).
        words = say(source_from_values({**defaults, **values}, file).fixed_words())
    except (ValueError, LookupError):
        words = ""
    # A task's story and what it fixes in one caption: every element is a message on every run of every page.
    about = [tasks.get(model).story_in(lang())] if is_task(model) else []
    if words or about:
        sb.caption("\n\n".join([*about, words] if words else about))
    data, shape_words, data_error = None, None, None
    if not is_task(model):
        input_size = file.found().input_size if file is not None else values["input_size"]
        data, shape_words, data_error = input_controls(sb, input_size, file)
    if shape_words is None:
        values.update(_shape_controls(sb, defaults))
    else:
        sb.caption(shape_words)
    values.update(_advanced_controls(sb, model, file, defaults, tutorial=values.get("draw") == "tutorial"))
    full = {**defaults, **values}
    st.session_state[state.SETTINGS] = full

    def spec() -> RunSpec:
        if file_error or data_error:
            raise ValueError(file_error or data_error)
        return spec_from_values(full, file, data)[0]

    made = _settle(spec, sb)
    # Dialogs, not expanders: their contents run only when opened, not on every run of every session.
    if sb.button(tr("Presets: links to share…"), key="_presets_open", icon=":material/link:", width="stretch"):
        _presets_dialog(page_path)
    return made


def _model_changed() -> None:
    """A new model opens inside its own range: a task's batch and length, random weights' defaults."""
    defaults = model_defaults(st.session_state["model"])
    for key in ("batch", "seq_len"):
        st.session_state[key] = defaults[key]


def _task_controls(sb: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """Which weights of the task: shipped, trained here (with its size, seed and forget bias), untrained."""
    weights = widgets.choice(sb, "weights", defaults["weights"])
    values: dict[str, Any] = {"weights": weights}
    if weights == "shipped":
        return values
    # Two to a row: three selectboxes in the sidebar's width cut their value ("task" showed as "tasl").
    cols = sb.columns(2)
    values["train_hidden"] = widgets.choice(cols[0], "train_hidden", defaults["train_hidden"])
    values["init_forget"] = widgets.choice(cols[1], "init_forget", defaults["init_forget"])
    values["train_seed"] = widgets.number(sb, "train_seed", defaults["train_seed"])
    return values


def _size_controls(sb: Any, defaults: dict[str, Any], draws: bool = True) -> dict[str, Any]:
    """Random weights' architecture: nn.LSTM's sizes, bidirectional, and how weights and input are drawn."""
    values: dict[str, Any] = {}
    if draws:
        values["draw"] = widgets.segments(sb, "draw", defaults["draw"])
    # Two to a row, each row's inputs level at the bottom: a label that wraps (Chinese is wider) moves only itself.
    for pair in (SIZE_KEYS[:2], SIZE_KEYS[2:]):
        for col, key in zip(sb.columns(2, vertical_alignment="bottom"), pair, strict=True):
            values[key] = widgets.number(col, key, defaults[key])
    values["bidirectional"] = widgets.flag(sb, "bidirectional", defaults["bidirectional"])
    if values.get("draw") != "tutorial":
        values["input_kind"] = widgets.choice(sb, "input_kind", defaults["input_kind"])
    return values


def _shape_controls(sb: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    # One row container, not three columns: one block message instead of four, on every run of every page.
    row = sb.container(horizontal=True, gap="xsmall", vertical_alignment="bottom")
    return {key: widgets.number(row, key, defaults[key], SHAPE_WIDTH) for key in SHAPE_KEYS}


def _advanced_controls(
    sb: Any, model: str, file: FileSource | None, defaults: dict[str, Any], tutorial: bool = False
) -> dict[str, Any]:
    """dtype, initial state, layout, bias, colours and the weight experiments, in one collapsed section.

    ``tutorial``: the tutorial's draw is chosen, which always gives an initial state (no choice drawn).
    """
    values: dict[str, Any] = {}
    box = sb.expander(tr("Advanced settings"), icon=":material/tune:")
    values["dtype"] = widgets.choice(box, "dtype", defaults["dtype"])
    if not is_task(model) and not tutorial:
        values["initial_state"] = widgets.choice(box, "initial_state", defaults["initial_state"])
    if model == RANDOM or (model == FILE and file is not None):
        values["batch_first"] = widgets.flag(box, "batch_first", defaults["batch_first"])
    if model == RANDOM:
        values["bias"] = widgets.flag(box, "bias", defaults["bias"])
    widgets.choice(box, "colours", defaults["colours"])
    values.update(_edit_controls(box, defaults))
    return values


def _edit_controls(box: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """The weight-experiment controls: a preset and a scale on each gate's pre-activation."""
    preset = widgets.choice(box, "edit_preset", defaults["edit_preset"])
    if preset != "none":
        box.caption(tr(EDIT_PRESETS[preset]))
    # The four scales appear when asked for: four inputs fewer on every run of every student's page.
    scaled = widgets.flag(box, "edit_scales", defaults["edit_scales"])
    values: dict[str, Any] = {"edit_preset": preset, "edit_scales": scaled}
    if scaled:
        cols = box.columns(2)
        for n, gate in enumerate(GATES):
            key = f"scale_{gate}"
            values[key] = widgets.number(cols[n % 2], key, defaults[key], step=0.25)
    return values


def _settle(make: Any, sb: Any) -> RunSpec:
    """The spec ``make()`` returns, or the last valid one with the reason beside ``sb`` (or on the page).

    Without ``sb`` (the teacher view) the reason is shown on the page, above the last valid run.
    """
    try:
        spec = make()
    except (ValueError, LookupError) as err:
        error = refusal(err)
        st.session_state[state.ERROR] = error
        if sb is not None:
            sb.error(
                tr("Not applied: {error}. Still showing the last valid run.", error=plain(say(error))),
                icon=":material/warning:",
            )
        return st.session_state.get(state.LAST_GOOD) or default_spec()
    st.session_state[state.ERROR] = None
    st.session_state[state.LAST_GOOD] = spec
    return spec


def _presets_dialog(page_path: str) -> None:
    """The presets, each a link that reproduces its run (the dialog's title in the reader's language)."""

    @st.dialog(tr("Presets: each one a link that reproduces its run"))
    def presets() -> None:
        for name, values in PRESETS.items():
            link_button(say(name), settings_href(page_path, values))

    presets()
