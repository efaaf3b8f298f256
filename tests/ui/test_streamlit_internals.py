"""The Streamlit internals the app relies on are where the pinned Streamlit has them (one module holds them all)."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit

from lstm_viz.ui import internals

ROOT = Path(__file__).resolve().parents[2]


def test_every_internal_the_app_touches_is_where_the_pinned_streamlit_has_it():
    assert internals.check() == []


def test_the_internals_were_read_from_the_streamlit_the_requirements_pin():
    pinned = re.search(r"^streamlit==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert internals.PINNED == pinned == streamlit.__version__, "a new Streamlit: read lstm_viz/ui/internals.py again"


def test_the_legacy_multipage_switch_turns_off_once():
    from streamlit.runtime.pages_manager import PagesManager

    before = PagesManager.uses_pages_directory
    try:
        PagesManager.uses_pages_directory = True
        assert internals.leave_legacy_multipage_mode() is True
        assert PagesManager.uses_pages_directory is False
        assert internals.leave_legacy_multipage_mode() is False, "nothing to leave the second time"
    finally:
        PagesManager.uses_pages_directory = before


def test_the_fragment_rerun_fix_installs_once_and_keeps_streamlits_own_method_inside():
    from streamlit.runtime.app_session import AppSession

    original = AppSession.request_rerun
    try:
        assert internals.patch_fragment_reruns_of_fresh_sessions() is True
        patched = AppSession.request_rerun
        assert patched is not original and getattr(patched, "_lstm_patched", False)
        assert internals.patch_fragment_reruns_of_fresh_sessions() is True
        assert AppSession.request_rerun is patched, "not wrapped twice"
    finally:
        AppSession.request_rerun = original


def test_no_other_module_reaches_into_streamlits_internals():
    allowed = {ROOT / "lstm_viz" / "ui" / "internals.py"}
    private = re.compile(r"from streamlit\.(runtime|web\.server|elements\.lib)|import streamlit\.runtime")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("lstm_viz", "pages", "deploy")
        for path in (ROOT / folder).rglob("*.py")
        if path not in allowed and private.search(path.read_text())
    ]
    offenders += [] if not private.search((ROOT / "app.py").read_text()) else ["app.py"]
    # deploy/worker_ctl.py is a websocket client of Streamlit's public protocol messages, not a server internal.
    assert [o for o in offenders if o != "deploy/worker_ctl.py"] == []
