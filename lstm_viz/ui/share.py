"""Share this run: the page's link, the teacher, slide and one-figure links, and the step a link opens at."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lstm_viz.cursor import STEP_KEY, parse_step
from lstm_viz.i18n import DEFAULT
from lstm_viz.settings import BOUND_DEFAULTS, href
from lstm_viz.ui.charts import setting
from lstm_viz.ui.language import URL_KEY, lang, tr
from lstm_viz.ui.page import link_button, view_mode
from lstm_viz.ui.state import FIGURES, RUN, SETTINGS, SHARE_ASKED, SPEC, URL_SETTINGS


def current_settings() -> dict[str, Any]:
    """Every URL-bound control's value in this session (the link's in the teacher view; else the default)."""
    return (
        st.session_state.get(SETTINGS) or st.session_state.get(URL_SETTINGS) or {k: setting(k) for k in BOUND_DEFAULTS}
    )


def view_controls() -> None:
    """The sidebar's share button (the dialog opens after the page has drawn, so it lists its charts).

    Nothing in the teacher view: its sidebar is hidden.
    """
    if view_mode().teacher:
        return
    # No tooltip: it stayed up over the buttons around it once the dialog closed (focus returns here).
    if st.sidebar.button(tr("Share this run…"), key="_share_open", icon=":material/share:", width="stretch"):
        st.session_state[SHARE_ASKED] = True


def share_dialog_if_asked(page_path: str) -> None:
    """Open the Share dialog if its button was clicked in this run (call it after the page's charts)."""
    if st.session_state.pop(SHARE_ASKED, False):
        # Made on each opening: its title is in the session's language.
        st.dialog(tr("Share this run"), width="large")(_share_dialog)(page_path)


def _url_step(steps: int) -> int:
    """The step this page's link opened at (``t=``), within the run's steps; 0 when it names none."""
    return parse_step(st.query_params.get(STEP_KEY), steps)[0]


def _share_dialog(page_path: str) -> None:
    """The dialog's contents: each link of this run, the step they open at, the one-figure links."""
    flags: dict[str, str] = {}
    r = st.session_state.get(RUN)
    steps = r.trace.layer(0).steps if r is not None else 1
    if steps > 1:
        # The browser moves the time cursor without telling the server: the teacher picks the step here.
        t = st.slider(tr("the time step the links open at"), 0, steps - 1, _url_step(steps), key="_share_t")
        if t:
            flags[STEP_KEY] = str(t)
    if lang() != DEFAULT:
        # Whoever opens a link reads it in the language it was shared in (an English link stays as it was).
        flags[URL_KEY] = lang()
    page = href(page_path, current_settings(), flags)
    base = (st.context.url or "").rstrip("/")
    root = base[: -len(page_path)].rstrip("/") if page_path and base.endswith(page_path) else base
    link = f"{root}/{page.removeprefix('./')}"
    joiner = "&" if "?" in link else "?"
    spec = st.session_state.get(SPEC)
    if spec is not None and (not spec.source.linkable or spec.data is not None):
        st.warning(
            tr(
                "A link cannot carry an uploaded file or your own input: whoever opens it uploads them again "
                "(until then random weights and generated sequences are shown). Every other setting is in it."
            ),
            icon=":material/link_off:",
        )
    st.caption(
        tr(
            "Every setting lives in the page URL, so each link below reproduces this exact run, seed included; a "
            "live training is found (or redone) by whoever opens it. This page and run:"
        )
    )
    st.code(link, language=None, wrap_lines=True)
    st.caption(tr("Teacher link: the same with the controls hidden, for projecting:"))
    st.code(f"{link}{joiner}controls=hidden", language=None, wrap_lines=True)
    st.caption(tr("Slide view: large fonts, white, titles that state the run:"))
    st.code(f"{link}{joiner}slide=1", language=None, wrap_lines=True)
    figures = st.session_state.get(FIGURES) or {}
    if figures:
        key = st.selectbox(
            tr("One figure alone, full width and tall, controls hidden (add &slide=1 for the slide style):"),
            list(figures),
            format_func=lambda k: figures[k].layout.title.text or k,
            key="_share_figure",
        )
        st.code(f"{link}{joiner}figure={key}", language=None, wrap_lines=True)
    link_button(tr("open the slide view"), f"{page}{'&' if '?' in page else '?'}slide=1")
