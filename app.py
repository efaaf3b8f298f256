"""LSTM Explorer: page config, the shared controls, and navigation over the pages in ``pages/``."""

from pathlib import Path

import streamlit as st

from lstm_viz import serving, ui

# A local favicon: a :material/...: icon would be fetched from a font host, which a classroom firewall blocks.
ICON = Path(__file__).parent / "lstm_viz" / "assets" / "favicon.png"
ui.start_page()
st.set_page_config(
    page_title="LSTM Explorer",
    page_icon=str(ICON),
    layout="wide",
    initial_sidebar_state="collapsed" if ui.view_mode().teacher else "auto",
)

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/gates.py", title="Gates over time", icon=":material/grid_on:"),
    st.Page("pages/tasks.py", title="Trained tasks", icon=":material/school:"),
    st.Page("pages/code.py", title="Cells that read code", icon=":material/code:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("pages/step.py", title="One step", icon=":material/calculate:"),
    st.Page("pages/gradients.py", title="Gradient flow", icon=":material/trending_down:"),
    st.Page("pages/parameters.py", title="Parameters", icon=":material/table_chart:"),
]
# Along the top: the sidebar keeps its height for the settings, and Streamlit's own list of pages/ (hidden by
# client.showSidebarNavigation) never flashes its raw file names while a fresh server starts.
page = st.navigation(PAGES, position="top")
ui.page_style()
st.session_state[ui.SPEC] = ui.run_controls(page.url_path)
ui.link_problems()
ui.view_controls()
page.run()
ui.check_figure_view()
ui.share_dialog_if_asked(page.url_path)
ui.export_panel(page.url_path)
# After the first full run, move every long-lived object out of the collector's reach (shorter GC pauses).
serving.freeze_after_first_run()
