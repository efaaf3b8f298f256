"""The app's pages, made once per server and copied for each run, the links between them, and the app's icon."""

from __future__ import annotations

import base64
import copy
import threading
from pathlib import Path

import streamlit as st

from lstm_viz.i18n import N_, t
from lstm_viz.ui.language import lang

PAGE_FILES = {
    "home": ("pages/home.py", N_("Home"), ":material/home:"),
    "gates": ("pages/gates.py", N_("Gates over time"), ":material/grid_on:"),
    "tasks": ("pages/tasks.py", N_("Trained tasks"), ":material/school:"),
    "code": ("pages/code.py", N_("Cells that read code"), ":material/code:"),
    "compare": ("pages/compare.py", N_("Compare"), ":material/compare:"),
    "step": ("pages/step.py", N_("One step"), ":material/calculate:"),
    "check": ("pages/check.py", N_("Check your LSTM"), ":material/fact_check:"),
    "gradients": ("pages/gradients.py", N_("Gradient flow"), ":material/trending_down:"),
    "parameters": ("pages/parameters.py", N_("Parameters"), ":material/table_chart:"),
}
"""Each page's name, file, title and icon, in the navigation's order; the first is the default page."""
ICON_FILE = Path(__file__).resolve().parents[1] / "assets" / "favicon.png"
FAVICON = "data:image/png;base64," + base64.b64encode(ICON_FILE.read_bytes()).decode("ascii")
"""The app's icon, inline: read once, not from disk on every run (a :material/...: icon would be fetched from
a font host, which a classroom firewall blocks)."""

_made: dict[str, dict[str, st.Page]] = {}
_lock = threading.Lock()


def _templates(lang: str) -> dict[str, st.Page]:
    """The pages with their titles in ``lang``, made on the server's first run in that language and kept.

    ``st.Page`` resolves its file on disk: a system call per part of the path, each a release of the GIL that
    every other session's run then waits to take back.
    """
    with _lock:
        if lang not in _made:
            _made[lang] = {
                name: st.Page(path, title=t(lang, title), icon=icon, default=name == "home")
                for name, (path, title, icon) in PAGE_FILES.items()
            }
    return _made[lang]


def pages() -> list[st.Page]:
    """This run's pages for ``st.navigation``: fresh copies, since the navigation marks its pages per run."""
    return [copy.copy(page) for page in _templates(lang()).values()]


def page_link(name: str, label: str, icon: str | None = None) -> None:
    """A link to the page ``name`` (a key of ``PAGE_FILES``), found by its page object, not by its path on disk."""
    st.page_link(_templates(lang())[name], label=label, icon=icon)
