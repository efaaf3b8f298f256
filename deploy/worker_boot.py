"""A Streamlit worker behind a balancer (serve.sh, compose, k8s): ``streamlit run``, a failover fix, core pinning.

    python deploy/worker_boot.py app.py --server.port 8502 ...     (the arguments of ``streamlit run``)

``LSTM_EXPLORER_WORKER_SLOT=k/N`` (scripts/serve.sh sets it) pins worker k of N to one core when the N workers
fill the cores evenly (N a multiple of the cores this process may use): every thread of the worker then stays
on that core. A worker's script threads pass the GIL between them about a hundred times a run (strace: 100,000
futex calls in 10 s of 400 runs); on one core a hand-off is a context switch with warm caches, across cores it
wakes a core that the other worker is using. Measured with 2 workers on 2 cores, 100 students at once
(``bench_load.py --balancer 1 2 2:off``, medians of five levels): p95 first run / rerun of Home 0.61 / 0.65 s
pinned against 0.65 / 0.71 s not, of Gates 0.60 / 0.59 s against 0.68 / 0.72 s. Fewer workers than cores are
not pinned: a lone worker's kernel work (sockets) and hashing then run beside its GIL on another core.

When a worker dies, its students' browsers reconnect to another worker, which knows nothing of their sessions.
Streamlit's frontend does not rerun the page on such a reconnect (its last run was not interrupted), so the page
keeps showing the old run; the next click inside a fragment (Gates' time cursor) asks the new worker to rerun a
fragment it has never run, and Streamlit drops that request: the click does nothing. Here a session that has
never run its page turns such a fragment request into a full run of the page with the widget states the
browser sent, so the click draws the student's run (every setting is in the URL and the widgets) on the new
worker. Sessions that have run behave exactly as in Streamlit.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SLOT_ENV = "LSTM_EXPLORER_WORKER_SLOT"
"""Environment variable ``k/N``: this worker's number and how many there are."""


def core_for(slot: str, allowed: set[int]) -> int | None:
    """The core worker ``k/N`` runs on, or None when it is not pinned (see the module's docstring).

    Args:
        slot: ``"k/N"``, 1 <= k <= N.
        allowed: The cores this process may use (``os.sched_getaffinity(0)``: a container's cpuset included).

    Raises:
        ValueError: ``slot`` is not ``k/N`` with 1 <= k <= N.
    """
    k_text, _, n_text = slot.partition("/")
    if not (k_text.isdigit() and n_text.isdigit() and 1 <= int(k_text) <= int(n_text)):
        raise ValueError(f"{SLOT_ENV}={slot!r}: give k/N, two whole numbers with 1 <= k <= N")
    k, n = int(k_text), int(n_text)
    cores = sorted(allowed)
    if not cores or n % len(cores):
        return None
    return cores[(k - 1) % len(cores)]


def pin_to_core() -> int | None:
    """Pin this process (and every thread it starts later) to its slot's core; the core, or None if not pinned."""
    slot = os.environ.get(SLOT_ENV)
    if not slot or not hasattr(os, "sched_setaffinity"):
        return None
    core = core_for(slot, os.sched_getaffinity(0))
    if core is not None:
        os.sched_setaffinity(0, {core})
    return core


def main() -> None:
    """Run ``streamlit run <args>`` in this process, on its slot's core, with the fix installed."""
    try:
        core = pin_to_core()
    except ValueError as err:
        sys.exit(f"worker_boot: {err}")
    where = f"on core {core}" if core is not None else "on every core it may use"
    sys.stderr.write(f"worker_boot: {os.environ.get(SLOT_ENV) or 'worker'} runs {where}\n")
    # The fix touches Streamlit's own AppSession: it lives with the app's other uses of Streamlit's internals.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from lstm_viz.ui.internals import patch_fragment_reruns_of_fresh_sessions

    patch_fragment_reruns_of_fresh_sessions()
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    main()
