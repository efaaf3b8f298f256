"""The link that opened the session: read once, by the app's own parser, before any widget sees it."""

from __future__ import annotations

import streamlit as st

from lstm_viz.i18n import LANGUAGES
from lstm_viz.settings import LINK_FLAGS, language_problem, legacy_params, page_value_problem, quoted, url_values
from lstm_viz.ui import internals, state


def read_link() -> None:
    """Read the link that opened this session once, by the app's own parser, before any widget sees it.

    Values the app cannot read (``seed=1e400``, ``hidden_size=7.9``, ``colours=<a link>``) or that the link's
    model does not take are named with their limits at the top of the page and taken out of the URL, so the
    widget bound to each starts from its default instead of failing inside Streamlit. Older spellings of a task
    (``model=task&task=brackets``, ``task=...``) become ``model=<task>``, and a link made for random weights
    before the app opened on a trained model names ``model=random``.
    """
    if st.session_state.get(state.LINK_READ):
        return
    st.session_state[state.LINK_READ] = True
    params = st.query_params.to_dict()
    values, problems = url_values(params)
    st.session_state[state.URL_SETTINGS] = values
    st.session_state[state.LINK_PROBLEMS] = problems
    # A page's own settings (code_cell=...) are its widgets' to read; only what would break them is refused.
    for key, raw in params.items():
        if key == "lang" and raw not in LANGUAGES:
            problems.append((key, quoted(raw), language_problem()))
            continue
        why = None if key in values or key in LINK_FLAGS or key == "task" else page_value_problem(raw)
        if why is not None:
            problems.append((key, quoted(raw), why))
    bad = {key for key, _, _ in problems}
    kept = {k: v for k, v in legacy_params(params).items() if k not in bad}
    if kept != params:
        st.query_params.from_dict(kept)
        internals.forget_unread_link_values()
