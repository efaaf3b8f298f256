"""Parameters and shapes: the parameter table by PyTorch's names, each weight split into gate blocks."""

import streamlit as st

from lstm_viz import ui
from lstm_viz.build import meta_lstm
from lstm_viz.figures import weight_figure
from lstm_viz.params import parameter_table

ui.require_app()
st.title("Parameters and shapes")
r = ui.current_run()
cfg, lstm = r.config, r.built.lstm
rows = parameter_table(lstm)
# On a projected slide the table alone says it (the listing repeats it), so the weight chart reaches the screen.
slide = ui.view_mode().slide
if not slide:
    st.markdown(
        "Names and shapes exactly as `nn.LSTM.named_parameters()` lists them. Rows of `weight_ih`, `weight_hh` "
        "and the biases are four blocks of `hidden_size` rows, in the order **i, f, g, o**."
    )
    st.code("\n".join(f"{row.name} {row.shape}" for row in rows), language="text")
# A static table wraps each description to its cell; a dataframe's fixed-width cells cut them off.
st.table(
    {
        "name": [row.name for row in rows],
        "shape": [str(row.shape) for row in rows],
        "numbers": [f"{row.numel:,}" for row in rows],
        "what it holds": [row.description for row in rows],
    },
    hide_index=True,
)
st.caption(f"{sum(row.numel for row in rows):,} parameters in all.")

matrices = [row.name for row in rows if row.name.startswith("weight")]
name = st.selectbox("weight matrix to draw", matrices, key="param_name")
ui.show_chart(weight_figure(getattr(lstm, name).detach(), name), key="weight")

st.subheader("What proj_size changes")
with_p = cfg if cfg.proj_size else cfg.replace(proj_size=max(1, cfg.hidden_size // 2))
without_p = cfg.replace(proj_size=0)
if cfg.hidden_size == 1:
    st.info("A projection needs hidden_size ≥ 2 (proj_size must be smaller than hidden_size).")
else:
    shapes = {
        label: {n: tuple(p.shape) for n, p in meta_lstm(c).named_parameters()}
        for label, c in (("proj_size = 0", without_p), (f"proj_size = {with_p.proj_size}", with_p))
    }
    names = list(dict.fromkeys([*shapes["proj_size = 0"], *shapes[f"proj_size = {with_p.proj_size}"]]))
    st.table(
        {
            "parameter": names,
            **{label: [str(s.get(n, "—")) for n in names] for label, s in shapes.items()},
        }
    )
    d = cfg.directions
    st.markdown(
        f"- `weight_hh` gets **{with_p.proj_size} columns instead of {cfg.hidden_size}**: the recurrent input "
        f"h_(t-1) is the projected vector.\n"
        f"- A new `weight_hr_l*` of shape ({with_p.proj_size}, {cfg.hidden_size}) maps m_t to h_t **at every "
        f"step**, not only at the end.\n"
        f"- The output has **{d * with_p.proj_size} features instead of {d * cfg.hidden_size}** per step; "
        f"`h_n` shrinks the same way while `c_n` keeps {cfg.hidden_size} units.\n"
        + (
            f"- Layers above the first read the projected output: their `weight_ih` has {d * with_p.proj_size} columns."
            if cfg.num_layers > 1
            else ""
        )
    )
