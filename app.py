"""LSTM Explorer: page config, the shared controls, and navigation over the pages in ``pages/``."""

import streamlit as st

from lstm_viz import ui
from lstm_viz.server import startup

ui.start_page()
ui.read_language()
st.set_page_config(
    page_title=ui.tr("LSTM Explorer"),
    page_icon=ui.FAVICON,
    layout="wide",
    initial_sidebar_state="collapsed" if ui.view_mode().teacher else "auto",
)

# Along the top: the sidebar keeps its height for the settings, and Streamlit's own list of pages/ (hidden by
# client.showSidebarNavigation) never flashes its raw file names while a fresh server starts.
page = st.navigation(ui.pages(), position="top")
ui.page_style()
st.session_state[ui.SPEC] = ui.run_controls(page.url_path)
ui.link_problems()
ui.view_controls()
page.run()
ui.check_figure_view()
ui.share_dialog_if_asked(page.url_path)
ui.export_panel(page.url_path)
# After the first full run, move every long-lived object out of the collector's reach (shorter GC pauses).
startup.freeze_after_first_run()
