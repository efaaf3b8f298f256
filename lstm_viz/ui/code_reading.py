"""The Cells that read code page's Streamlit side: its widgets from their settings rows, its selection, spinners.

Each widget is drawn from its row of ``lstm_viz.settings.TABLE`` (label, help, default, limits), bound to its
URL key; the slow computations (``lstm_viz.server.reading``) are shown with a spinner while one is made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from lstm_viz.figures.code_text import selection_span
from lstm_viz.i18n import N_
from lstm_viz.reading import code_models, words
from lstm_viz.server import reading
from lstm_viz.settings import TABLE, Setting
from lstm_viz.ui import state
from lstm_viz.ui.language import lang, tr

VIEW, SELECTION_TAKEN, UPLOAD = state.CODE_VIEW, state.CODE_SELECTION_TAKEN, state.CODE_UPLOAD
"""The text view's chart key (its selection event is in the session's state under it), the fingerprint of its last
selection turned into a span (each gesture is taken once), and the page's file uploader (a .py file to read)."""
CLAMP_VIEW = "code_clamp_dp"
"""The chart key of what a clamp changes."""
WINDOW_KEYS = ("code_file", "code_line")
"""Where a held-out file is shown; opened where the cell shows its track when a link names neither."""

SPINNERS = {
    "findings": N_("Ranking every cell against every track…"),
    "corpus": N_("Reading the held-out corpus once for this server…"),
    "clamped": N_("Clamping the cell in both forwards…"),
    "generated": N_("Writing…"),
}
"""What the page says while one of the slow computations is made for the first time on this server."""


def spun(name: str) -> Callable[..., Any]:
    """``reading.<name>``, shown with its spinner (when it has one and its value is not made yet)."""
    fn = getattr(reading, name)
    said = SPINNERS.get(name)
    if said is None:
        return fn

    def with_spinner(*args: Any) -> Any:
        if reading.is_kept(name, *args):
            return fn(*args)
        with st.spinner(tr(said)):
            return fn(*args)

    return with_spinner


def __getattr__(name: str) -> Callable[..., Any]:
    """``code_reading.<name>``: ``reading.<name>`` with its spinner (``spun``)."""
    return spun(name)


# ---------------------------------------------------------------- widgets, each from its row of the settings


def row(key: str) -> Setting:
    """The settings row of one of the page's URL keys."""
    return TABLE[key]


def words_of(key: str, help: str | None = None) -> dict[str, Any]:
    """A widget's label and help from its row, in the session's language (``help``: said after the row's)."""
    s = row(key)
    said = words.sentences([s.help_text(lang()) if s.help else "", help or ""], lang())
    return dict(label=s.label_text(lang()), help=said or None)


def selectbox(box: Any, key: str, options: list | tuple | None = None, help: str | None = None, **kw: Any) -> Any:
    """A select box bound to ``key``'s URL value, its options the row's unless given (shown as they are)."""
    options = list(row(key).options if options is None else options)
    return box.selectbox(options=options, key=key, bind="query-params", **words_of(key, help), **kw)


def multiselect(box: Any, key: str, options: list | tuple, default: Any = None, help: str | None = None) -> list:
    """A multiselect bound to ``key``, its default the row's unless given."""
    default = list(row(key).default if default is None else default)
    return box.multiselect(
        options=list(options),
        default=default or None,
        key=key,
        bind="query-params",
        placeholder=tr("Choose options"),
        **words_of(key, help),
    )


def number(box: Any, key: str, step: int, set_by_page: bool = False) -> int:
    """A whole-number input bound to ``key``, within the row's limits (no upper one where the row has none).

    ``set_by_page``: the page sets its value through the session's state (the widget then takes no default of
    its own: its default is its lower limit, as the row's).
    """
    s = row(key)
    low, high = s.limits  # type: ignore[misc]
    value = {} if set_by_page else {"value": s.default}
    return box.number_input(
        min_value=low, max_value=high, step=step, key=key, bind="query-params", **value, **words_of(key)
    )


def slider(box: Any, key: str, step: float) -> float:
    """A slider bound to ``key``, over the row's limits from its default."""
    low, high = row(key).limits  # type: ignore[misc]
    return box.slider(
        min_value=low, max_value=high, value=row(key).default, step=step, key=key, bind="query-params", **words_of(key)
    )


def text(box: Any, key: str, **kw: Any) -> str | None:
    """A text input bound to ``key``, from the row's default."""
    return box.text_input(value=row(key).default, key=key, bind="query-params", **words_of(key), **kw)


def text_area(box: Any, key: str, height: int) -> str:
    """A text area bound to ``key``, from the row's default."""
    return box.text_area(value=row(key).default, height=height, key=key, bind="query-params", **words_of(key))


def radio(box: Any, key: str, captions: list[str] | None = None) -> str:
    """Radio buttons bound to ``key`` (its options the row's, shown as they are, ``captions`` under each)."""
    return box.radio(
        options=list(row(key).options),
        key=key,
        bind="query-params",
        horizontal=True,
        captions=captions,
        **words_of(key),
    )


def option_help(key: str) -> str:
    """What each of ``key``'s options means, in the session's language (bound options stay as the link says)."""
    return words.option_list(dict(row(key).option_words), lang())


# ---------------------------------------------------------------- the window a cell opens on


def open_window(model: str, track: str, first: bool = False) -> None:
    """Show the held-out window where the cell for ``track`` shows its track best (its file and first line).

    Set through the widgets' state, their defaults staying file 0 from line 1, so a link that names a file or
    a line keeps the meaning it had. A bound widget set from a callback puts its value in the page's link
    itself; on the page's ``first`` run the widgets are not bound yet, and the link is written here.
    """
    window = reading.headline(model, track).window
    st.session_state["code_file"], st.session_state["code_line"] = window.file, window.line
    if first:
        try:
            st.query_params["code_file"] = code_models.corpus.analysis().paths[window.file]
            st.query_params["code_line"] = str(window.line)
        except StreamlitAPIException:  # bound since an earlier visit: the widgets write their own link
            pass


def open_unless_linked(model: str, track: str) -> None:
    """On a page whose link names no held-out file or line, open where the cell shows its track."""
    if not any(k in st.session_state or k in st.query_params for k in WINDOW_KEYS):
        open_window(model, track, first=True)


def new_cell() -> None:
    """Another model or track: open on the window that shows its own cell (the first track of a new model)."""
    model = st.session_state["code_model"]
    found = spun("findings")(model)
    open_window(model, code_models.opening_track(found, st.session_state.get("code_track")))


def new_file() -> None:
    """Another file opens at its first line (the widget's default, so the link leaves the line out)."""
    st.session_state["code_line"] = row("code_line").default


# ---------------------------------------------------------------- selecting in the text view


def take_selection(text: str, panels: int, tracks: int) -> None:
    """Turn the text view's last drag or click into the span control (call it before that control is drawn).

    Each gesture once: the chart keeps reporting its last selection on every rerun, and a span typed since
    must not be overwritten by it.
    """
    event = st.session_state.get(VIEW)
    got = selection_span((event or {}).get("selection") if event else None, text, panels, tracks)
    if got is None or st.session_state.get(SELECTION_TAKEN) == got[0]:
        return
    made, span = got
    st.session_state[SELECTION_TAKEN] = made
    if span is not None:
        st.session_state["code_span"] = f"{span[0]}-{span[1]}"


def uploaded_text(upload: Any) -> str:
    """An uploaded file's text (bytes that are not UTF-8 replaced, never refused)."""
    return upload.getvalue().decode("utf-8", errors="replace")
