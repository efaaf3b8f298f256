"""Landing page: what an LSTM computes, what each page shows, and where to start."""

import streamlit as st

from lstm_viz import ui
from lstm_viz.figures import (
    MAX_UNITS_SHOWN,
    SIGNED_SCALE,
    gates_over_time_figure,
    output_heatmap_figure,
    symmetric_limit,
)

# The Gates figure on Home: short enough to sit under the title in a 1280x720 window.
HOME_HERO_HEIGHT = 460

ui.require_app()
lang = ui.lang()
st.title(ui.tr("LSTM Explorer"))
st.markdown(ui.tr("What `torch.nn.LSTM` computes, gate by gate: a hand-written forward pass, checked on every run."))
r = ui.current_run()
ui.verdict_banner(r)
rec = r.trace.layer(0)
# A link's step (and unit) opens Home's figure there too; one it cannot show is said above the figure.
t, unit = ui.link_cursor(rec.steps, (0, min(r.config.hidden_size, MAX_UNITS_SHOWN)))
# The Gates page's figure for this run: the page's lesson, above the fold at 1280x720.
ui.show_chart(
    lambda: gates_over_time_figure(
        rec,
        0,
        cursor=t,
        step_labels=r.labels(0),
        highlight=r.highlight,
        height=HOME_HERO_HEIGHT,
        clickable=False,
        picked=unit,
        lang=lang,
    ),
    key="home_gates",
    cache=(r.spec, HOME_HERO_HEIGHT, t, unit),
)
if r.explanation is not None:
    ui.run_note(
        "info",
        ui.tr("**{source}**: {finding}.", source=r.source_words(lang), finding=ui.say(r.explanation.finding)),
        icon=":material/lightbulb:",
    )


def _official_output():
    """PyTorch's own output for batch item 0 (built once per run server-wide: the chart is cached)."""
    official = r.trace.time_major(r.comparison.output)[:, 0]  # [T, B, features] -> [T, features]
    limit = symmetric_limit(official)
    window = (0, min(official.shape[-1], MAX_UNITS_SHOWN))
    title = ui.tr("nn.LSTM output h, batch item 0 (official)")
    return output_heatmap_figure(official, title, window, (-limit, limit), SIGNED_SCALE, lang=lang)


ui.show_chart(_official_output, key="home_out", cache=(r.spec,))
ui.page_link("gates", label=ui.tr("**Start here: the gates over time →**"), icon=":material/play_arrow:")
st.markdown(
    ui.tr("**Every trained model, and random weights for contrast**: one click each, a link that reproduces its run.")
)
ui.task_links(current=r.spec.source.choice, random=True)

# Equations need no words: the same in every language.
EQUATIONS = r"""$$
\begin{aligned}
i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t \qquad m_t = o_t \odot \tanh(c_t) \\
h_t &= m_t \;\; (\texttt{proj\_size}=0) \qquad h_t = W_{hr}\, m_t \;\; (\texttt{proj\_size}>0)
\end{aligned}
$$"""
page_lines = (
    ui.tr("**Gates over time**: heatmaps of i, f, g, o, c, m and h with a time cursor that runs in the browser."),
    ui.tr("**Trained tasks**: the unit that carries the memory, and what breaks it."),
    ui.tr("**Cells that read code**: real Python coloured by the cells that follow its strings, comments and blocks."),
    ui.tr("**Compare**: the official `nn.LSTM` output beside the hand-written one."),
    ui.tr("**One step**: every equation with its real values."),
    ui.tr("**Gradient flow**: how far back the gradient reaches, the LSTM against a plain RNN."),
    ui.tr("**Parameters**: the weights, by PyTorch's names and shapes."),
)
symbols = ui.tr(
    "σ is the logistic sigmoid (values 0..1), ⊙ the element-wise product. PyTorch stores the four gates' weights\n"
    "stacked in the order **i, f, g, o** (`weight_ih_l0` is `[4·hidden_size, input_size]`). With several layers,\n"
    "layer k's input is layer k−1's h; bidirectional layers also run the sequence backwards (`*_reverse`\n"
    "parameters) and concatenate both directions' h."
)
# The lesson below the fold is one element (headings, equations and the pages): every element is a message,
# and a class's server sends each to every student on every run.
st.markdown(
    "\n#### "
    + ui.tr("What an LSTM computes at each step t")
    + "\n\n"
    + EQUATIONS
    + "\n\n"
    + symbols
    + "\n\n#### "
    + ui.tr("The pages, along the top")
    + "\n\n"
    + "".join(f"- {line}\n" for line in page_lines)
)
cfg = r.config
sizes = dict(
    run=r.describe(lang),
    input=cfg.input_size,
    hidden=cfg.hidden_size,
    projection=cfg.proj_size,
    layers=cfg.num_layers,
    forward_ms=r.trace_ms,
    reference_ms=r.reference_ms,
)
# One whole sentence for each kind of run: Chinese says "no projection" and "bidirectional" in its own order.
if cfg.proj_size and cfg.bidirectional:
    words = ui.tr(
        "This run: {run}; input {input}, hidden {hidden}, projection {projection}, {layers} layer(s), bidirectional. "
        "Hand-written forward {forward_ms:.1f} ms, nn.LSTM and comparison {reference_ms:.1f} ms.",
        **sizes,
    )
elif cfg.proj_size:
    words = ui.tr(
        "This run: {run}; input {input}, hidden {hidden}, projection {projection}, {layers} layer(s). "
        "Hand-written forward {forward_ms:.1f} ms, nn.LSTM and comparison {reference_ms:.1f} ms.",
        **sizes,
    )
elif cfg.bidirectional:
    words = ui.tr(
        "This run: {run}; input {input}, hidden {hidden}, projection none, {layers} layer(s), bidirectional. "
        "Hand-written forward {forward_ms:.1f} ms, nn.LSTM and comparison {reference_ms:.1f} ms.",
        **sizes,
    )
else:
    words = ui.tr(
        "This run: {run}; input {input}, hidden {hidden}, projection none, {layers} layer(s). "
        "Hand-written forward {forward_ms:.1f} ms, nn.LSTM and comparison {reference_ms:.1f} ms.",
        **sizes,
    )
st.caption(words)
