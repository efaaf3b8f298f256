"""Export for slides and notebooks: one click per file; slow files show progress, then their one button."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from lstm_viz.export import (
    MAX_GIF_FRAMES,
    ExportBusy,
    ExportUnavailable,
    figure_filename,
    figure_png,
    figure_svg,
    figures_html,
    figures_zip,
    find_chromium,
    gates_gif,
    gates_mp4,
    rebuild_script,
    trace_csv_zip,
    trace_npz,
)
from lstm_viz.export.data import csv_refusal
from lstm_viz.run import Run
from lstm_viz.ui.charts import run_summary
from lstm_viz.ui.language import lang, say, tr, trn
from lstm_viz.ui.page import view_mode
from lstm_viz.ui.state import CURSOR, EXPORT_READY, FIGURES, RUN

SLOW_SLOT_PX = 96
"""Height kept for a slow export's progress bar or its download button, so the dialog never jumps."""


def export_panel(page_path: str = "") -> None:
    """The page's export button, after its figures (not in the teacher view).

    Images are drawn server-side by one kept-alive kaleido (one export at a time server-wide, with a
    progress bar); without Chromium the page says so and each chart's camera button still saves a PNG.
    """
    if st.session_state.get(RUN) is None or view_mode().teacher:
        return
    # A dialog, not an expander: its contents run only when it is open, not on every run of every session.
    if st.button(tr("Export for slides and notebooks…"), key=f"_export_open_{page_path}", icon=":material/download:"):
        # Made on each opening: its title is in the session's language.
        st.dialog(tr("Export for slides and notebooks"), width="large")(_export_dialog)(page_path)


def _export_dialog(page_path: str) -> None:
    """One figure as PNG (3x) or SVG, all as a ZIP, a GIF or MP4 of the gates, an offline HTML, the data."""
    figures: dict[str, go.Figure] = st.session_state.get(FIGURES) or {}
    r: Run | None = st.session_state.get(RUN)
    if r is None:
        return
    summary = run_summary(r)
    language = lang()
    # The run in words, in the session's language: titles, captions and the files' own notes say it.
    words = r.describe(language)
    images_ok = find_chromium() is not None
    if not images_ok:
        st.info(
            tr(
                "No Chromium on this server, so images cannot be drawn here; each chart's camera button still "
                "saves a PNG at 3x, and the HTML and data below work."
            ),
            icon=":material/info:",
        )
    slow: list[tuple[str, str, str, Callable[[Any], bytes]]] = []
    step = _still_step(figures)
    if figures:
        cols = st.columns([3, 1, 1], vertical_alignment="bottom")
        key = cols[0].selectbox(
            tr("figure"),
            list(figures),
            format_func=lambda k: figures[k].layout.title.text or k,
            key=f"_export_fig_{page_path}",
        )
        # One click each: drawn when clicked (a fraction of a second with the kept-alive renderer).
        for col, fmt, draw in ((cols[1], "png", figure_png), (cols[2], "svg", figure_svg)):
            col.download_button(
                tr("PNG 3x") if fmt == "png" else "SVG",
                lambda draw=draw, fig=figures[key]: draw(fig, step=step),
                file_name=figure_filename(key, summary, fmt),
                mime="image/png" if fmt == "png" else "image/svg+xml",
                key=f"_export_{fmt}",
                on_click="ignore",
                disabled=not images_ok,
                icon=":material/image:",
            )
        items = list(figures.items())
        slow.append(
            (
                "zip",
                tr("ZIP of the figure (PNG + SVG)")
                if len(items) == 1
                else tr("ZIP of all {n} figures (PNG + SVG)", n=len(items)),
                f"lstm_figures_{summary}.zip",
                lambda progress: figures_zip(items, summary, progress, step=step),
            )
        )
    rec = r.trace.layer(0)
    steps = min(rec.steps, MAX_GIF_FRAMES)
    for kind, make in (("gif", gates_gif), ("mp4", gates_mp4)):
        slow.append(
            (
                kind,
                trn("{kind} of the gates, {n} step", "{kind} of the gates, {n} steps", steps, kind=kind.upper()),
                figure_filename("gates_over_time", summary, kind),
                lambda progress, make=make: make(
                    rec,
                    batch_item=0,
                    steps=range(steps),
                    step_labels=r.labels(0),
                    highlight=r.highlight,
                    progress=progress,
                    caption=words,
                    lang=language,
                ),
            )
        )
    refusal = csv_refusal(r.trace, r.built.input)
    slow.append(
        (
            "csv",
            tr("CSV per tensor (ZIP)"),
            f"lstm_run_{summary}_csv.zip",
            lambda progress: trace_csv_zip(r.trace, r.built.input, words=words),
        )
    )
    st.caption(
        tr(
            "Slower files are drawn first, then downloaded. The GIF and the MP4 (H.264 at 2x, plays in PowerPoint, "
            "Keynote and Google Slides) show layer 0, batch item 0, one frame per step:"
        )
    )
    cols = st.columns(len(slow))
    slot = st.container(height=SLOW_SLOT_PX, border=False)
    for col, (kind, label, file_name, make) in zip(cols, slow, strict=True):
        unavailable = say(refusal) if kind == "csv" and refusal else None
        if kind != "csv" and not images_ok:
            unavailable = tr("no Chromium on this server")
        if col.button(
            label, key=f"_export_{kind}", disabled=unavailable is not None, help=unavailable, width="stretch"
        ):
            # The last file is forgotten first: its button never stands beside a new file's progress.
            st.session_state.pop(EXPORT_READY, None)
            _prepare(slot, (summary, kind), file_name, make)
    ready = st.session_state.get(EXPORT_READY)
    if ready and ready[0][0] == summary:
        _, file_name, data = ready
        slot.download_button(
            tr("download {file_name}", file_name=file_name),
            data,
            file_name=file_name,
            key="_export_download",
            icon=":material/download:",
        )
    st.caption(tr("Data and code, one click each:"))
    cols = st.columns(3)
    title = tr("LSTM Explorer: {source}", source=r.source_words(language))
    cols[0].download_button(
        tr("interactive HTML (offline)"),
        lambda: figures_html(list(figures.items()), title, words, lang=language),
        file_name=f"lstm_page_{summary}.html",
        mime="text/html",
        key="_export_html",
        on_click="ignore",
        disabled=not figures,
    )
    npz = f"lstm_run_{summary}.npz"
    cols[1].download_button(
        tr("every tensor: NPZ"),
        lambda: trace_npz(r.trace, r.built.input, words=words),
        file_name=npz,
        key="_export_npz",
        on_click="ignore",
    )
    cols[2].download_button(
        tr("script: rebuild with nn.LSTM"),
        lambda: rebuild_script(npz, words, lang=language),
        file_name="rebuild_lstm.py",
        mime="text/x-python",
        key="_export_script",
        on_click="ignore",
    )


def _still_step(figures: dict[str, go.Figure]) -> int | None:
    """The step still images of the page's animated figures show: picked here, from the page's own cursor.

    None when no figure animates (nothing to pick).
    """
    steps = max((len(f.layout.sliders[0].steps) for f in figures.values() if f.layout.sliders), default=0)
    if steps < 2:
        return None
    opened = st.session_state.get(CURSOR, (0, None))[0]
    return st.slider(
        tr("step the images show (the figure's cursor; play buttons and slider are left out)"),
        0,
        steps - 1,
        min(max(opened, 0), steps - 1),
        key="_export_step",
    )


def _prepare(slot: Any, what: tuple[str, str], file_name: str, make: Callable[[Any], bytes]) -> None:
    """Make a slow export with a progress bar in ``slot`` and keep it for its download button."""
    bar = slot.progress(0.0, text=tr("drawing {file_name}…", file_name=file_name))

    def progress(done: int, total: int, words: str) -> None:
        text = tr("{what} ({done} of {total})", what=say(words), done=done, total=total)
        bar.progress(min(done / max(total, 1), 1.0), text=text)

    try:
        data = make(progress)
    except (ExportUnavailable, ExportBusy, ValueError) as err:
        bar.empty()
        slot.error(tr("Not exported: {why}", why=say(err)), icon=":material/error:")
        return
    bar.empty()
    st.session_state[EXPORT_READY] = (what, file_name, data)
