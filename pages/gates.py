"""Gates over time: heatmaps of every gate and state, and a time cursor that never re-runs the forward."""

import streamlit as st

from lstm_viz import ui
from lstm_viz.figures import STATE_ORDER, state_heatmap_figure, step_bars_figure

ui.require_app()
st.title("Gates over time")
r = ui.current_run()
sel = ui.record_controls(r, "gates")
rec, b, units = sel.record, sel.batch_item, sel.units
steps = rec.steps
# Outlined units belong to the first layer's forward direction, where a task's memory was found.
highlight = r.highlight if (rec.layer, rec.reverse) == (0, False) else ()
if r.task is not None:
    ui.run_note("info", f"**{r.task.finding}**. It is outlined on every heatmap.", icon=":material/lightbulb:")
st.caption(
    "Sigmoid gates i, f, o share the fixed range 0..1; g, m (and h without a projection) the tanh range "
    "−1..1; c (and a projected h) a range symmetric around 0 over the whole run. Hover any cell for its value."
)


def _move(delta: int) -> None:
    st.session_state["cursor_t"] = min(max(st.session_state.get("cursor_t", 0) + delta, 0), steps - 1)


def _toggle_play() -> None:
    st.session_state["playing"] = not st.session_state.get("playing", False)
    if st.session_state["playing"] and st.session_state.get("cursor_t", 0) >= steps - 1:
        st.session_state["cursor_t"] = 0


if st.session_state.get("cursor_t", 0) > steps - 1:
    st.session_state["cursor_t"] = steps - 1
playing = st.session_state.get("playing", False) and steps > 1


@st.fragment(run_every=0.7 if playing else None)
def cursor_view() -> None:
    """The time cursor and everything it highlights; reruns alone when the cursor moves."""
    ui.log.info("cursor fragment run")
    if st.session_state.get("playing") and steps > 1:
        if st.session_state.get("cursor_t", 0) >= steps - 1:
            st.session_state["playing"] = False
            st.rerun()
        st.session_state["cursor_t"] = st.session_state.get("cursor_t", 0) + 1
    # One row container, not columns: each column is one more message to every student on the server.
    row = st.container(horizontal=True, vertical_alignment="bottom")
    if steps > 1:
        t = row.slider("time step t", 0, steps - 1, key="cursor_t")
    else:
        t = 0
        row.markdown("time step t = 0 (a one-step sequence)")
    row.button("◀ step", key="step_back", on_click=_move, args=(-1,), disabled=t == 0)
    row.button("step ▶", key="step_fwd", on_click=_move, args=(1,), disabled=t >= steps - 1)
    label = "⏸ pause" if st.session_state.get("playing") else "▶ play"
    if row.button(label, key="play", disabled=steps == 1):
        _toggle_play()
        st.rerun()
    labels = r.labels(b)
    where = (r.spec, rec.layer, rec.reverse, b, units, t)
    symbol = labels[t] if labels else None
    ui.show_chart(lambda: step_bars_figure(rec, t, b, units, symbol=symbol), key="bars", cache=where)
    grid = st.columns(2)
    for n, name in enumerate(STATE_ORDER):
        with grid[n % 2]:
            ui.show_chart(
                lambda name=name: state_heatmap_figure(
                    rec, name, b, units, cursor=t, step_labels=labels, highlight=highlight
                ),
                key=f"heat_{name}",
                cache=where,
            )


cursor_view()
