"""Every use of a private Streamlit API, in one place, each checked against the pinned Streamlit.

The app relies on three internals of Streamlit 1.67 that have no public equivalent yet. Each is reached only
through a function here; ``check()`` (and ``tests/ui/test_internals.py``) fails when one moves, so an upgrade of
Streamlit shows at once what to look at. ``deploy/worker_ctl.py`` speaks Streamlit's websocket protocol as a
client (public messages), which is not an internal of the server and stays there.
"""

from __future__ import annotations

import importlib
from contextlib import suppress

PINNED = "1.67.0"
"""The Streamlit these internals were read from (``requirements.txt``)."""


def leave_legacy_multipage_mode() -> bool:
    """Switch off Streamlit's legacy ``pages/`` mode for this server; True when it was on (the page must rerun).

    With a ``pages/`` folder beside the entry script, Streamlit starts in its legacy multipage mode until some
    run calls ``st.navigation``: a shared deep link opened as a fresh server's first request would run its page
    alone. Public API: none (``st.navigation`` turns it off only from the entry script's run).
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        return True
    return False


def forget_unread_link_values() -> None:
    """Make bound widgets seed themselves from the URL as it is now, not as the session opened it.

    Bound widgets (``bind="query-params"``) read the query string the session opened with; after the app took
    unreadable values out of the URL (``st.query_params.from_dict``), that copy must lose them too, or a widget
    would still fail on them. Public API: none in 1.67.
    """
    from streamlit.runtime.state.session_state_proxy import get_session_state

    with get_session_state().query_params() as qp:
        qp.set_initial_query_params_from_current()


def patch_fragment_reruns_of_fresh_sessions() -> bool:
    """Turn a fresh session's request to rerun an unknown fragment into a full run; False if Streamlit lacks it.

    A worker behind a balancer that takes over a dead worker's students gets, on a student's next click inside a
    fragment, a request to rerun a fragment this session never ran, which Streamlit drops. Here a session that
    has never run its page runs the whole page instead, with the widget states the browser sent. Sessions that
    have run behave exactly as in Streamlit. Public API: none (``AppSession`` is the server's own class).
    """
    from streamlit.runtime.app_session import AppSession

    if not (hasattr(AppSession, "request_rerun") and hasattr(AppSession, "has_fragment")):
        return False
    original = AppSession.request_rerun
    if getattr(original, "_lstm_patched", False):
        return True

    def request_rerun(self: AppSession, client_state: object) -> None:
        fragment_id = getattr(client_state, "fragment_id", "")
        if fragment_id and not getattr(self, "_lstm_has_run", False) and not self.has_fragment(fragment_id):
            client_state.fragment_id = ""
        if not getattr(client_state, "fragment_id", ""):
            self._lstm_has_run = True
        original(self, client_state)

    request_rerun._lstm_patched = True  # type: ignore[attr-defined]
    AppSession.request_rerun = request_rerun
    return True


REQUIRED = (
    ("streamlit.runtime.pages_manager", "PagesManager", "uses_pages_directory"),
    ("streamlit.runtime.state.session_state_proxy", "get_session_state", None),
    ("streamlit.runtime.state.query_params", "QueryParams", "set_initial_query_params_from_current"),
    ("streamlit.runtime.app_session", "AppSession", "request_rerun"),
    ("streamlit.runtime.app_session", "AppSession", "has_fragment"),
)
"""What the functions above reach: (module, name, attribute of it or None)."""


def check() -> list[str]:
    """Every internal above that this Streamlit no longer has, in words (empty when all are where they were)."""
    import streamlit

    missing = []
    for module_name, name, attribute in REQUIRED:
        found = None
        with suppress(ImportError):
            found = getattr(importlib.import_module(module_name), name, None)
        if found is None or (attribute is not None and not hasattr(found, attribute)):
            where = f"{module_name}.{name}" + (f".{attribute}" if attribute else "")
            missing.append(f"{where} (read from Streamlit {PINNED}; this is {streamlit.__version__})")
    return missing
