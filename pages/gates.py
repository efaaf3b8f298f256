"""Gates over time: every gate and state in one aligned figure, its time cursor moved in the browser."""

import streamlit as st

from lstm_viz import ui
from lstm_viz.cursor import clicked_cell
from lstm_viz.figures import gates_over_time_figure

# The figure's chart key: its name in exports and in one-figure links (``figure=gates``).
HERO = "gates"

# Pixels of the figure: under the page title, all of it in a 1280x720 window.
GATES_HEIGHT = 590

ui.require_app()
st.title(ui.tr("Gates over time"))
r = ui.current_run()
# The figure first, its pickers under it: in a laptop's first screen the figure is what counts.
notes, chart = st.container(), st.container()
sel = ui.record_controls(r, "gates")
rec, b, units = sel.record, sel.batch_item, sel.units
# Outlined units belong to the first layer's forward direction, where a task's memory was found.
highlight = r.highlight if (rec.layer, rec.reverse) == (0, False) else ()
# A link's step that this run cannot show is said above the figure, in every view.
t, unit = ui.link_cursor(rec.steps, units, notes)


def _on_click() -> None:
    """A clicked cell (or input symbol) becomes the step, and the unit, the page and its link open at."""
    clicked_t, clicked_unit = clicked_cell(st.session_state[HERO]["selection"]["points"])
    if clicked_t is not None:
        ui.set_cursor(clicked_t, clicked_unit)


labels = r.labels(b)
# Scrubbing and playing run in the browser (Plotly frames): the server draws the figure once per opening step.
with chart:
    ui.show_chart(
        lambda: gates_over_time_figure(
            rec,
            b,
            units,
            cursor=t,
            step_labels=labels,
            highlight=highlight,
            height=GATES_HEIGHT,
            picked=unit,
            lang=ui.lang(),
        ),
        key=HERO,
        cache=(r.spec, rec.layer, rec.reverse, b, units, t, unit),
        on_select=_on_click,
        selection_mode="points",
    )
if r.explanation is not None:
    ui.run_note(
        "info",
        ui.tr("**{finding}**. It is outlined on every row.", finding=ui.say(r.explanation.finding)),
        icon=":material/lightbulb:",
    )
st.caption(
    ui.tr(
        "Drag the slider or press play: the cursor moves in your browser. Click a cell to pick its step and unit: "
        "the page, its link and One step open there. Sigmoid gates i, f, o share the range 0..1; g, m (and h "
        "without a projection) the tanh range −1..1; c (and a projected h) a range symmetric around 0 over the "
        "whole run."
    )
)
