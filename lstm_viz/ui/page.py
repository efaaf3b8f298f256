"""The page frame: the view mode from the URL, the link that opened the session, notes, links and CSS."""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from typing import Any

import streamlit as st

from lstm_viz import tasks
from lstm_viz.run import Run
from lstm_viz.settings import CARRIED_FLAGS, href, model_defaults, task_preset
from lstm_viz.ui import internals
from lstm_viz.ui.language import lang, say, tr
from lstm_viz.ui.markup import code, link_html, plain
from lstm_viz.ui.state import CHART_KEYS, FIGURES, LINK_PROBLEMS, VIEW

log = logging.getLogger("lstm_viz.ui")
if os.environ.get("LSTM_EXPLORER_LOG"):
    # Lets the browser tests see which reruns were full and which were fragment-only.
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler())


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
    return st.session_state.get(VIEW) or _read_view_mode()


def _read_view_mode() -> ViewMode:
    slide = st.query_params.get("slide") == "1"
    figure = st.query_params.get("figure") or None
    hidden = slide or figure is not None or st.query_params.get("controls") == "hidden"
    return ViewMode(slide=slide, teacher=hidden, figure=figure)


def start_page() -> None:
    """Forget the previous page's figures (each page lists its own for the exports); read the view flags once."""
    st.session_state[FIGURES] = {}
    st.session_state[CHART_KEYS] = {}
    st.session_state[VIEW] = _read_view_mode()


def require_app() -> None:
    """Run the page inside ``app.py``, whatever the first request of a fresh server was.

    With a ``pages/`` folder beside the entry script, Streamlit 1.67 starts in its legacy multipage mode
    until some run calls ``st.navigation``: a shared deep link (``/gates?seed=3``) opened first would run this
    page alone, without the app's controls. The page then switches that mode off and reruns; the rerun goes
    through ``app.py`` to this page with the link's query parameters.
    """
    if internals.leave_legacy_multipage_mode():
        st.rerun()


def settings_href(page_path: str, values: dict[str, Any]) -> str:
    """A relative link that opens ``page_path`` with exactly ``values`` (the model's defaults left out).

    Links, not buttons that set session state: a link is its own URL, shareable, and opened as a fresh
    session, so the run it shows is always the one the copied link reproduces.
    """
    # A teacher's or slide view stays one after a click.
    return href(page_path, values, {k: st.query_params[k] for k in CARRIED_FLAGS if k in st.query_params})


def link_button(label: str, href: str, help: str = "", primary: bool = False, container: Any = None) -> None:
    """A link styled as a button (``page_style`` defines the look)."""
    (container or st).markdown(link_html(label, href, help, primary), unsafe_allow_html=True)


def link_row(links: list[tuple[str, str, str, bool]], container: Any = None) -> None:
    """Links styled as buttons side by side, wrapping on narrow screens: one element, however many links.

    Args:
        links: ``(label, href, help, primary)`` for each link.
        container: Where to draw the row (default: the main area).
    """
    items = "".join(link_html(*link) for link in links)
    (container or st).markdown(f'<div class="lstm-links">{items}</div>', unsafe_allow_html=True)


def task_links(prefix: str = "", current: str | None = None, page_path: str = "tasks", random: bool = False) -> None:
    """One link per trained task, opening its shipped model inside its trained range; ``current`` highlighted.

    Args:
        prefix: Words before each task's title, in the session's language (e.g. ``ui.tr("Show: ")``).
        current: The task shown now (``"random"`` for random weights), or None.
        page_path: The page each link opens.
        random: Add a last link to random weights (on the Gates page), saying what they are.
    """
    language = lang()
    links = [
        (
            f"{prefix}{tasks.get(name).title_in(language)}",
            settings_href(page_path, task_preset(name)),
            tasks.get(name).story_in(language),
            name == current,
        )
        for name in tasks.names()
    ]
    if random:
        words = tr("Random weights drawn from the seed: what an LSTM computes before any training (noise).")
        links.append(
            (
                tr("random weights (untrained)"),
                settings_href("gates", model_defaults("random")),
                words,
                current == "random",
            )
        )
    link_row(links)


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
        # The block container's top padding is Streamlit's room for its header; the page starts higher.
        '[data-testid="stMainBlockContainer"]{padding-top:2.5rem;}'
        "</style>"
    )


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
            '[data-testid="stMainBlockContainer"]{max-width:100%;padding-top:1rem !important;}'
            '[data-testid="stMarkdownContainer"] p,[data-testid="stMarkdownContainer"] li{font-size:1.35rem;}'
            # Equations (One step's, with their real values) and captions grow with the titles.
            '[data-testid="stMarkdownContainer"] .katex-display .katex{font-size:1.55em;}'
            '[data-testid="stCaptionContainer"],[data-testid="stCaptionContainer"] p{font-size:1.1rem;}'
            "h1{font-size:2.2rem !important;padding-top:0 !important;}"
        )
    return "".join(rules)


def link_problems() -> None:
    """Say which values of the link that opened this session were not read (by name, with their limits).

    Shown in every view, the one-figure view included: the link was not followed as written. The values are
    quoted as plain text, never as Markdown, so a link cannot put its own link or markup into the message.
    """
    problems = st.session_state.get(LINK_PROBLEMS)
    if problems:
        named = functools.reduce(
            lambda done, item: tr("{previous}; {next}", previous=done, next=item),
            (tr("{value} ({why})", value=code(f"{key}={raw}"), why=plain(say(why))) for key, raw, why in problems),
        )
        st.warning(
            tr(
                "This link has values the app cannot read or its model does not take; they keep their defaults: "
                "{values}.",
                values=named,
            ),
            icon=":material/link_off:",
        )


def verdict_banner(r: Run) -> None:
    """The green (or red) 'matches nn.LSTM' verdict with the measured error (a red one shows in every view)."""
    c = r.comparison
    if c.allclose:
        run_note("success", f"**{say(c.headline)}**", icon=":material/check_circle:")
    else:
        st.error(f"**{say(c.verdict)}**", icon=":material/error:")


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


def check_figure_view() -> None:
    """After the page's charts: in the one-figure view, say so when the page has no chart of that name."""
    mode = view_mode()
    keys = list(st.session_state.get(CHART_KEYS) or {})
    if mode.figure is not None and mode.figure not in keys:
        if keys:
            # Listed apart: Babel does not extract a marker nested in another marker's arguments.
            listed = functools.reduce(
                lambda done, item: tr("{previous}, {next}", previous=done, next=item), map(code, keys)
            )
            words = tr(
                "This page has no figure named {name}. Its figures: {figures}.", name=code(mode.figure), figures=listed
            )
        else:
            words = tr("This page has no figure named {name}. Its figures: none.", name=code(mode.figure))
        st.error(words, icon=":material/error:")
