"""The run a page shows: computed once server-wide and shared, a live training's progress while it trains."""

from __future__ import annotations

import dataclasses

import streamlit as st
import torch

from lstm_viz import tasks
from lstm_viz.config import LSTMConfig
from lstm_viz.figures import loss_curve_figure
from lstm_viz.run import Run, RunSpec, run
from lstm_viz.server.cache import ByteLRU, run_bytes
from lstm_viz.settings import spec_from_values, url_values
from lstm_viz.tasks.jobs import Job, trainer
from lstm_viz.ui.charts import show_chart
from lstm_viz.ui.markup import plain
from lstm_viz.ui.page import log, run_note
from lstm_viz.ui.state import ERROR, RUN, SPEC

# Many sessions share a server's few cores and these matrices are small: one thread per forward avoids
# the oversubscription that made a 40-step run take 300 ms instead of 1 ms under load.
torch.set_num_threads(1)

RUN_CACHE_BYTES = 1024 * 2**20
"""Memory the server gives finished runs (``run_bytes``: every tensor they hold); a class shares each one.

The largest run the hosting limits allow is measured by ``benchmarks/bench_memory.py``."""
_runs: ByteLRU[Run] = ByteLRU(RUN_CACHE_BYTES, run_bytes)


def default_spec() -> RunSpec:
    """The run a link with no settings opens: the shipped bracket-depth model on its own sequences."""
    return spec_from_values(url_values({})[0])[0]


def cached_run(spec: RunSpec | LSTMConfig) -> Run:
    """The run for ``spec``, computed once (however many sessions ask at once) and shared read-only."""
    if spec in _runs:
        return _runs.get_or_make(spec, lambda: run(spec))
    with st.spinner("Running the LSTM…"):
        return _runs.get_or_make(spec, lambda: run(spec))


def current_run() -> Run:
    """The run of the settings in the sidebar (the last valid ones if the current ones are not).

    A live training that has not finished shows its progress and stops the page until it has.
    """
    spec = st.session_state.get(SPEC) or default_spec()
    log.info("full page run")
    if st.session_state.get(ERROR):
        st.warning(
            f"Your settings were not applied ({plain(st.session_state[ERROR])}). The page shows the last valid run.",
            icon=":material/warning:",
        )
    training = spec.source.training()
    if training is not None:
        try:
            job = trainer().submit(training)
        except RuntimeError as err:
            fallback = spec.source.ready_fallback()
            st.error(
                f"No live training now: {plain(str(err))}. Showing {plain(fallback.describe())} instead.",
                icon=":material/hourglass:",
            )
            spec = dataclasses.replace(spec, source=fallback)
        else:
            if job.state != "done":
                training_progress(job)
                st.stop()
    try:
        r = cached_run(spec)
    except (LookupError, ValueError) as err:
        st.error(
            f"This run cannot be shown: {plain(str(err))}. Showing the default run instead.", icon=":material/error:"
        )
        r = cached_run(default_spec())
    st.session_state[RUN] = r
    if r.explanation is not None and r.explanation.outside:
        run_note(
            "warning",
            f"Outside the trained range: {r.explanation.outside}. Allowed, but accuracy falls here "
            f"({r.explanation.metric_here:.3f} against {r.explanation.metric:.3f} at the trained length).",
            icon=":material/warning:",
        )
    return r


def training_progress(job: Job) -> None:
    """A live training's queue position or progress bar and loss curve, refreshed until it ends."""
    task = tasks.get(job.key.task)

    @st.fragment(run_every=0.5)
    def _watch() -> None:
        if job.state == "done":
            st.rerun()
        if job.state == "failed":
            st.error(f"The training failed: {plain(str(job.error))}", icon=":material/error:")
            return
        k = job.key
        st.subheader(f"Training {task.title}: H {k.hidden_size}, seed {k.seed}, forget bias {k.forget_bias:+g}")
        if job.state == "queued":
            ahead = trainer().position(job)
            st.info(
                f"Queued: {ahead} training(s) ahead of this one. One model trains at a time on this server, and "
                "everyone who asks for this same training shares it.",
                icon=":material/hourglass:",
            )
            st.progress(0.0, text="waiting for the trainer")
            return
        st.progress(job.step / max(job.steps, 1), text=f"Adam step {job.step} of {job.steps}")
        losses = list(job.losses)
        if losses:
            title = f"Training loss of {task.title} so far (step {len(losses)} of {job.steps})"
            show_chart(loss_curve_figure(losses, title), key="live_loss")

    _watch()
