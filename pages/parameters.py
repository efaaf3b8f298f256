"""Parameters and shapes: the parameter table by PyTorch's names, each weight split into gate blocks."""

import streamlit as st

from lstm_viz import ui
from lstm_viz.build import meta_lstm
from lstm_viz.figures import weight_figure
from lstm_viz.params import parameter_table

ui.require_app()
st.title(ui.tr("Parameters and shapes"))
r = ui.current_run()
cfg, lstm = r.config, r.built.lstm
rows = parameter_table(lstm)
# On a projected slide the table alone says it (the listing repeats it), so the weight chart reaches the screen.
slide = ui.view_mode().slide
if not slide:
    st.markdown(
        ui.tr(
            "Names and shapes exactly as `nn.LSTM.named_parameters()` lists them. Rows of `weight_ih`, `weight_hh` "
            "and the biases are four blocks of `hidden_size` rows, in the order **i, f, g, o**."
        )
    )
    st.code("\n".join(f"{row.name} {row.shape}" for row in rows), language="text")
# A static table wraps each description to its cell; a dataframe's fixed-width cells cut them off.
st.table(
    {
        ui.tr("name"): [row.name for row in rows],
        ui.tr("shape"): [str(row.shape) for row in rows],
        ui.tr("numbers"): [f"{row.numel:,}" for row in rows],
        ui.tr("what it holds"): [ui.say(row.description) for row in rows],
    },
    hide_index=True,
)
st.caption(ui.tr("{n:,} parameters in all.", n=sum(row.numel for row in rows)))

matrices = [row.name for row in rows if row.name.startswith("weight")]
name = st.selectbox(ui.tr("weight matrix to draw"), matrices, key="param_name")
ui.show_chart(weight_figure(getattr(lstm, name).detach(), name, lang=ui.lang()), key="weight")

st.subheader(ui.tr("What proj_size changes"))
with_p = cfg if cfg.proj_size else cfg.replace(proj_size=max(1, cfg.hidden_size // 2))
without_p = cfg.replace(proj_size=0)
if cfg.hidden_size == 1:
    st.info(ui.tr("A projection needs hidden_size ≥ 2 (proj_size must be smaller than hidden_size)."))
else:
    shapes = {
        label: {n: tuple(p.shape) for n, p in meta_lstm(c).named_parameters()}
        for label, c in (("proj_size = 0", without_p), (f"proj_size = {with_p.proj_size}", with_p))
    }
    names = list(dict.fromkeys([*shapes["proj_size = 0"], *shapes[f"proj_size = {with_p.proj_size}"]]))
    st.table(
        {
            ui.tr("parameter"): names,
            **{label: [str(s.get(n, "—")) for n in names] for label, s in shapes.items()},
        }
    )
    d = cfg.directions
    proj, hidden = with_p.proj_size, cfg.hidden_size
    changes = [
        ui.tr(
            "`weight_hh` gets **{proj} columns instead of {hidden}**: the recurrent input h_(t-1) is the projected "
            "vector.",
            proj=proj,
            hidden=hidden,
        ),
        ui.tr(
            "A new `weight_hr_l*` of shape ({proj}, {hidden}) maps m_t to h_t **at every step**, not only at the end.",
            proj=proj,
            hidden=hidden,
        ),
        ui.tr(
            "The output has **{features} features instead of {units}** per step; `h_n` shrinks the same way while "
            "`c_n` keeps {hidden} units.",
            features=d * proj,
            units=d * hidden,
            hidden=hidden,
        ),
    ]
    if cfg.num_layers > 1:
        changes.append(
            ui.tr(
                "Layers above the first read the projected output: their `weight_ih` has {columns} columns.",
                columns=d * proj,
            )
        )
    st.markdown("\n".join(f"- {change}" for change in changes) + ("\n" if cfg.num_layers == 1 else ""))
