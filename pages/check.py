"""Check your LSTM: run the learner's own forward against nn.LSTM, see where it parts, and name the mistake."""

import streamlit as st

from lstm_viz import ui
from lstm_viz.ui import check

ui.require_app()
st.title(ui.tr("Check your LSTM"))
st.markdown(
    ui.tr(
        "Paste the `lstm_forward` you wrote for the tutorial (or upload your `.py` or notebook). It runs on the "
        "tutorial's own two cases, then on a ladder of cases that catch what those miss, against `nn.LSTM` on the "
        "same weights. Where it differs, you see the first step and units that part, `nn.LSTM`'s own values there, "
        "and the name of the mistake with the right equation."
    )
)
mode = check.mode_notice()
source = check.source_controls()
check.run_check(source, mode)
check.show_report(st.session_state.get(check.REPORT))
