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
from lstm_viz.ui.language import lang, say, tr
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
    with st.spinner(tr("Running the LSTM…")):
        return _runs.get_or_make(spec, lambda: run(spec))


def current_run() -> Run:
    """The run of the settings in the sidebar (the last valid ones if the current ones are not).

    A live training that has not finished shows its progress and stops the page until it has.
    """
    spec = st.session_state.get(SPEC) or default_spec()
    log.info("full page run")
    if st.session_state.get(ERROR):
        st.warning(
            tr(
                "Your settings were not applied ({error}). The page shows the last valid run.",
                error=plain(say(st.session_state[ERROR])),
            ),
            icon=":material/warning:",
        )
    training = spec.source.training()
    if training is not None:
        try:
            job = trainer().submit(training)
        except RuntimeError as err:
            fallback = spec.source.ready_fallback()
            st.error(
                tr(
                    "No live training now: {error}. Showing {source} instead.",
                    error=plain(say(err)),
                    source=plain(say(fallback.describe())),
                ),
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
            tr("This run cannot be shown: {error}. Showing the default run instead.", error=plain(say(err))),
            icon=":material/error:",
        )
        r = cached_run(default_spec())
    st.session_state[RUN] = r
    if r.explanation is not None and r.explanation.outside:
        run_note(
            "warning",
            tr(
                "Outside the trained range: {why}. Allowed, but accuracy falls here ({here:.3f} against {trained:.3f} "
                "at the trained length).",
                why=say(r.explanation.outside),
                here=r.explanation.metric_here,
                trained=r.explanation.metric,
            ),
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
            st.error(tr("The training failed: {error}", error=plain(say(job.error))), icon=":material/error:")
            return
        k = job.key
        title = task.title_in(lang())
        st.subheader(
            tr(
                "Training {task}: H {hidden}, seed {seed}, forget bias {bias:+g}",
                task=title,
                hidden=k.hidden_size,
                seed=k.seed,
                bias=k.forget_bias,
            )
        )
        if job.state == "queued":
            ahead = trainer().position(job)
            st.info(
                tr(
                    "Queued: {ahead} training(s) ahead of this one. One model trains at a time on this server, and "
                    "everyone who asks for this same training shares it.",
                    ahead=ahead,
                ),
                icon=":material/hourglass:",
            )
            st.progress(0.0, text=tr("waiting for the trainer"))
            return
        st.progress(
            job.step / max(job.steps, 1), text=tr("Adam step {step} of {steps}", step=job.step, steps=job.steps)
        )
        losses = list(job.losses)
        if losses:
            words = tr(
                "Training loss of {task} so far (step {step} of {steps})", task=title, step=len(losses), steps=job.steps
            )
            show_chart(loss_curve_figure(losses, words, lang=lang()), key="live_loss")

    _watch()
