"""LSTM Explorer: page config, the shared controls, and navigation over the pages in ``app_pages/``."""

import streamlit as st

from lstm_viz import ui

st.set_page_config(page_title="LSTM Explorer", page_icon=":material/memory:", layout="wide")

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/gates.py", title="Gates over time", icon=":material/grid_on:"),
    st.Page("app_pages/tasks.py", title="Trained tasks", icon=":material/school:"),
    st.Page("app_pages/compare.py", title="Compare with nn.LSTM", icon=":material/compare:"),
    st.Page("app_pages/step.py", title="One step in numbers", icon=":material/calculate:"),
    st.Page("app_pages/parameters.py", title="Parameters and shapes", icon=":material/table_chart:"),
]
page = st.navigation(PAGES)
ui.page_style()
st.session_state["spec"] = ui.run_controls(page.url_path)
page.run()
