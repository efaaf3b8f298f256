"""The Streamlit layer: page frame, sidebar controls, runs, charts, share and export; nothing pure lives here."""

from lstm_viz.inputs import MAX_TEXT_CHARS
from lstm_viz.settings import DEFAULTS, PRESETS
from lstm_viz.ui.charts import (
    FIGURE_VIEW_HEIGHT,
    PICKER_WIDTH,
    Selection,
    record_controls,
    run_summary,
    setting,
    show_chart,
    unit_window,
)
from lstm_viz.ui.cursor import link_cursor, set_cursor
from lstm_viz.ui.export import export_panel
from lstm_viz.ui.language import lang, read_language, say, tr, trn
from lstm_viz.ui.link import read_link
from lstm_viz.ui.nav import FAVICON, page_link, pages
from lstm_viz.ui.page import (
    ViewMode,
    check_figure_view,
    link_button,
    link_problems,
    link_row,
    log,
    page_style,
    require_app,
    run_note,
    settings_href,
    start_page,
    task_links,
    verdict_banner,
    view_mode,
)
from lstm_viz.ui.runs import RUN_CACHE_BYTES, cached_run, current_run, default_spec, training_progress
from lstm_viz.ui.share import current_settings, share_dialog_if_asked, view_controls
from lstm_viz.ui.sidebar import run_controls
from lstm_viz.ui.state import SPEC

__all__ = [
    "DEFAULTS",
    "FAVICON",
    "FIGURE_VIEW_HEIGHT",
    "MAX_TEXT_CHARS",
    "PICKER_WIDTH",
    "PRESETS",
    "RUN_CACHE_BYTES",
    "SPEC",
    "Selection",
    "ViewMode",
    "cached_run",
    "check_figure_view",
    "current_run",
    "current_settings",
    "default_spec",
    "export_panel",
    "lang",
    "link_button",
    "link_cursor",
    "link_problems",
    "link_row",
    "log",
    "page_link",
    "page_style",
    "pages",
    "read_language",
    "read_link",
    "record_controls",
    "require_app",
    "run_controls",
    "run_note",
    "run_summary",
    "say",
    "set_cursor",
    "settings_href",
    "setting",
    "share_dialog_if_asked",
    "show_chart",
    "start_page",
    "task_links",
    "tr",
    "trn",
    "training_progress",
    "unit_window",
    "verdict_banner",
    "view_controls",
    "view_mode",
]
