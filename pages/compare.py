"""Compare with nn.LSTM: the official output beside the hand-written one, their difference and a verdict."""

import streamlit as st

from lstm_viz import ui
from lstm_viz.figures import (
    ERROR_SCALE,
    SIGNED_SCALE,
    final_state_figure,
    output_heatmap_figure,
    step_error_figure,
    symmetric_limit,
)
from lstm_viz.i18n import N_, t
from lstm_viz.printed import output_dims, printed
from lstm_viz.reference import max_abs_diff, uses_onednn

ui.require_app()
st.title(ui.tr("Compare with nn.LSTM"))
r = ui.current_run()
lang = ui.lang()
cfg, tr, cmp = r.config, r.trace, r.comparison
ui.verdict_banner(r)
# On a projected slide the charts come first; the words and the dtype table follow them.
slide = ui.view_mode().slide


def explain() -> None:
    """The measured differences in words, and the same run in both dtypes."""
    st.markdown(
        ui.tr(
            "The hand-written forward and `nn.LSTM` run on the same weights, input and initial state. "
            "Max |difference|: output **{output:.2e}**, h_n **{h_n:.2e}**, c_n **{c_n:.2e}**, measured against "
            "`nn.LSTM`'s generic CPU loop, which the hand-written forward follows operation for operation, so it "
            "is exact even in float32.",
            output=cmp.output_max_diff,
            h_n=cmp.h_n_max_diff,
            c_n=cmp.c_n_max_diff,
        )
    )

    runs = {dtype: ui.cached_run(r.spec.with_config(dtype=dtype)) for dtype in ("float32", "float64")}
    gap = max_abs_diff(runs["float32"].trace.output, runs["float64"].trace.output)
    if cfg.proj_size:
        # No oneDNN kernel takes a projection: every call of this run is PyTorch's generic loop.
        kernel = ui.tr(
            "With a projection (`proj_size = {proj_size}`) `nn.LSTM` always runs its generic loop, so called "
            "plainly it is the same loop, in either dtype.",
            proj_size=cfg.proj_size,
        )
    else:
        kernel = ui.tr(
            "Called plainly on a CPU in float32 without a projection, `nn.LSTM` takes a fused oneDNN kernel that "
            "adds the same terms in another order."
        )
    st.markdown(
        ui.tr(
            "**Is a difference rounding?** {kernel} Compare any difference with the float32 rounding scale: the "
            "same run in float32 and float64 differs by **{gap:.1e}**.",
            kernel=kernel,
            gap=gap,
        )
    )

    def default_kernel(r_) -> str:  # noqa: ANN001 - a Run
        diff = r_.comparison.default_kernel_max_diff
        if uses_onednn(r_.built.lstm, r_.built.input):
            return ui.tr("{diff:.1e} (oneDNN kernel)", diff=diff)
        return ui.tr("{diff:.1e} (same generic loop)", diff=diff)

    st.table(
        {
            ui.tr("dtype"): list(runs),
            ui.tr("vs nn.LSTM (generic loop)"): [f"{r_.comparison.max_diff:.1e}" for r_ in runs.values()],
            ui.tr("vs nn.LSTM as called by default"): [default_kernel(r_) for r_ in runs.values()],
            ui.tr("verdict"): [ui.say(r_.comparison.verdict) for r_ in runs.values()],
        }
    )


if not slide:
    explain()
other = "float64" if cfg.dtype == "float32" else "float32"
st.button(
    ui.tr("Switch this run to {dtype}", dtype=other),
    key="switch_dtype",
    on_click=lambda: st.session_state.update(dtype=other),
)

kernels = {
    N_("generic loop (exact)"): N_("generic loop"),
    N_("default kernel (oneDNN in float32)"): N_("default kernel"),
}
against = st.radio(
    ui.tr("compare against nn.LSTM's"),
    list(kernels),
    # Not bound to the link: the options stay English values, said in the reader's language (fixed when drawn:
    # Streamlit, and AppTest, may format an option outside this run).
    format_func=lambda k: t(lang, k),
    horizontal=True,
    key="cmp_against",
    help=ui.tr("PyTorch runs its generic loop for float64 and projections, and a oneDNN kernel for plain float32."),
)
use_default = kernels[against] == "default kernel"
kernel_words = ui.tr(kernels[against])
official_out = cmp.default_output if use_default else cmp.output
off_h_n, off_c_n = (cmp.default_h_n, cmp.default_c_n) if use_default else (cmp.h_n, cmp.c_n)
batched_out = tr.time_major(tr.output)  # [T, B, features]
official = tr.time_major(official_out)
cols = st.columns(2)
b = cols[0].selectbox(ui.tr("batch item"), range(cfg.batch), key="cmp_batch", disabled=cfg.batch == 1)
window = ui.unit_window(batched_out.shape[-1], ui.tr("output features shown"), "cmp_units", cols[1])
limit = max(symmetric_limit(official[:, b]), symmetric_limit(batched_out[:, b]))
labels = r.labels(b)
# Four charts in two columns: a short first title line, the details on a second, so nothing is cut at 1280 px.
cols = st.columns(2)
with cols[0]:
    fig = output_heatmap_figure(
        official[:, b],
        ui.tr("nn.LSTM output"),
        window,
        (-limit, limit),
        SIGNED_SCALE,
        labels,
        ui.tr("{kernel}, batch item {b}", kernel=kernel_words, b=b),
        lang=lang,
    )
    ui.show_chart(fig, "official", half=True)
with cols[1]:
    fig = output_heatmap_figure(
        batched_out[:, b],
        ui.tr("Hand-written output"),
        window,
        (-limit, limit),
        SIGNED_SCALE,
        labels,
        ui.tr("batch item {batch_item}", batch_item=b),
        lang=lang,
    )
    ui.show_chart(fig, "mine", half=True)
diff = (batched_out[:, b] - official[:, b]).abs()
cols = st.columns(2)
with cols[0]:
    zmax = float(diff.max())
    if zmax == 0.0:
        detail = ui.tr("vs nn.LSTM {kernel}, batch item {b}: all exactly 0", kernel=kernel_words, b=b)
        zmax = 1e-7
    else:
        detail = ui.tr("vs nn.LSTM {kernel}, batch item {b}", kernel=kernel_words, b=b)
    fig = output_heatmap_figure(
        diff, ui.tr("|hand-written − nn.LSTM|"), window, (0.0, zmax), ERROR_SCALE, labels, detail, lang=lang
    )
    ui.show_chart(fig, "diff", half=True)
with cols[1]:
    steps_diff = cmp.default_step_max_diff if use_default else cmp.step_max_diff
    against_words = ui.tr("nn.LSTM {kernel}", kernel=kernel_words)
    ui.show_chart(step_error_figure(steps_diff, cmp.atol, against_words, lang=lang), "step_error", half=True)

# The very tensors a learner's notebook prints: PyTorch's print, every batch item, the dimensions named.
dims = output_dims(cfg, tr.batched)
with st.expander(ui.tr("The tensors as PyTorch prints them: `print(output)`, `print(h_n)`, `print(c_n)`")):
    cols = st.columns(2)
    for col, who, tensors in (
        (cols[0], ui.tr("nn.LSTM ({kernel})", kernel=kernel_words), (official_out, off_h_n, off_c_n)),
        (cols[1], ui.tr("hand-written forward"), (tr.output, tr.h_n, tr.c_n)),
    ):
        col.markdown(f"**{who}**")
        col.code(
            "\n\n".join(printed(n, t, dims[n]) for n, t in zip(("output", "h_n", "c_n"), tensors, strict=True)),
            language="python",
        )
    hx = r.built.hx
    went_in = [printed("input", r.built.input, dims["input"])]
    if hx is not None:
        went_in += [printed("h_0", hx[0], dims["h_n"]), printed("c_0", hx[1], dims["c_n"])]
    source = r.source_words(lang)
    if hx is not None:
        went_in_words = ui.tr(
            "What went in ({source}, seed {seed}): the input and the initial state (h_0, c_0).",
            source=source,
            seed=cfg.seed,
        )
    else:
        went_in_words = ui.tr(
            "What went in ({source}, seed {seed}): the input; hx was omitted, so h_0 and c_0 are zeros.",
            source=source,
            seed=cfg.seed,
        )
    st.caption(went_in_words)
    st.code("\n\n".join(went_in), language="python")

st.subheader(ui.tr("Final states h_n and c_n"))
labels = [
    ui.tr("layer {layer}_reverse", layer=k) if d else ui.tr("layer {layer}", layer=k)
    for k in range(cfg.num_layers)
    for d in range(cfg.directions)
]
h_n, c_n = tr.h_n, tr.c_n
off_h, off_c = off_h_n, off_c_n
if tr.batched:
    h_n, c_n, off_h, off_c = h_n[:, b], c_n[:, b], off_h[:, b], off_c[:, b]
cols = st.columns(2)
for col, name, mine, theirs in ((cols[0], "h_n", h_n, off_h), (cols[1], "c_n", c_n, off_c)):
    with col:
        theirs_title = ui.tr("nn.LSTM {name}, batch item {b}", name=name, b=b)
        mine_title = ui.tr("Hand-written {name}, batch item {b}", name=name, b=b)
        ui.show_chart(final_state_figure(theirs, theirs_title, labels, lang=lang), f"off_{name}", half=True)
        ui.show_chart(final_state_figure(mine, mine_title, labels, lang=lang), f"my_{name}", half=True)

if slide:
    explain()
