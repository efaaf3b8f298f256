"""The session's language (the link's, else the browser's, kept for the session) and the words said in it."""

from __future__ import annotations

from contextvars import ContextVar

import streamlit as st

from lstm_viz import i18n
from lstm_viz.i18n import DEFAULT, LANGUAGE_NAMES, LANGUAGES
from lstm_viz.ui.state import LANG, LANG_SWITCH

URL_KEY = "lang"

_RUN_LANG: ContextVar[str | None] = ContextVar("lstm_viz_run_language", default=None)
"""The language of the script run on this thread, as ``read_language`` or the switch decided it.

``lang()`` is asked for every label (about 45 times a Home run), and each ``st.session_state`` read is some 25
Python calls: this keeps one read per run. Safe because Streamlit runs a session's scripts on threads of its own
(a new thread starts with the var unset, and a thread never serves two sessions), and the session's language
changes only where this var changes with it.
"""


def read_language() -> None:
    """Decide this run's language, once per run before anything is drawn, and keep the URL saying it.

    The link's ``lang`` wins (a teacher's ``?lang=zh-CN``); a session opened without one reads the browser's
    language once (any ``zh`` gives Simplified Chinese) and keeps it. A language other than English is written
    into the URL, so every copied link, page switch and reload opens in it; an English link stays as it was.
    """
    requested = st.query_params.get(URL_KEY)
    if requested in LANGUAGES:
        st.session_state[LANG] = requested
    elif LANG not in st.session_state:
        st.session_state[LANG] = i18n.language(None, st.context.locale)
    chosen = st.session_state[LANG]
    _RUN_LANG.set(chosen)
    if chosen != DEFAULT and requested != chosen:
        st.query_params[URL_KEY] = chosen


def lang() -> str:
    """The language of this session (``"en"`` or ``"zh-CN"``)."""
    known = _RUN_LANG.get()
    if known is None:  # a run that did not start in app.py (a fragment's rerun on a new thread)
        known = st.session_state.get(LANG, DEFAULT)
        _RUN_LANG.set(known)
    return known


def tr(message: str, /, **values: object) -> str:
    """``message`` in the session's language, its placeholders filled (a marker Babel extracts)."""
    return i18n.t(lang(), message, **values)


def trn(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The singular or plural ``message`` for ``n`` in the session's language (a marker Babel extracts)."""
    return i18n.tn(lang(), singular, plural, n, **values)


def say(value: object) -> str:
    """A library's message or refusal (``i18n.Message`` or an exception carrying one) in the session's language."""
    return i18n.say(value, lang())


def refusal(err: BaseException) -> str:
    """A refusal as a session keeps it to show on later runs: its ``Message``, else its text.

    A ``Message`` is said again in whatever language the session reads by then (``say``).
    """
    first = err.args[0] if len(err.args) == 1 else None
    return first if isinstance(first, i18n.Message) else str(err)


def _switch_to(chosen: str) -> None:
    st.session_state[LANG] = chosen
    _RUN_LANG.set(chosen)
    if chosen == DEFAULT:
        st.query_params.pop(URL_KEY, None)
    else:
        st.query_params[URL_KEY] = chosen


def language_switch(container) -> None:  # noqa: ANN001 - a Streamlit container (the sidebar)
    """The language switch: a button naming the other language in itself ("简体中文" / "English").

    Its callback writes ``lang`` into the URL, so the rerun, every link and a reload speak the new language. A
    plain button, not a segmented control: it is drawn on every run of every session, and Streamlit's button
    group cost about 5% of a Gates run's script time (py-spy, 20 sessions), a button a third of that.
    """
    current = lang()
    for other in LANGUAGES:
        if other != current:
            container.button(
                LANGUAGE_NAMES[other],
                key=f"{LANG_SWITCH}_{other}",
                on_click=_switch_to,
                args=(other,),
                icon=":material/translate:",
                width="stretch",
            )


__all__ = ["LANGUAGE_NAMES", "URL_KEY", "lang", "language_switch", "read_language", "refusal", "say", "tr", "trn"]
