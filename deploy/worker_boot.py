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
import threading
import time
from pathlib import Path

SLOT_ENV = "LSTM_EXPLORER_WORKER_SLOT"
"""Environment variable ``k/N``: this worker's number and how many there are."""
AGENT_ENV = "LSTM_EXPLORER_WARM_AGENT_PORT"
"""Environment variable: the port of this worker's warm agent (HAProxy's ``agent-check``), if it has one."""
WARM_PAGES = ("", "gates", "code")
"""The pages a worker opens once before it says it is warm: Home and Gates (what a class opens first) and Code (whose
first open trains nothing but reads a bundled model over a long text, the slowest first open of all)."""


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


class WarmAgent:
    """HAProxy's agent for one worker: ``maint`` until the worker has warmed itself, then ``ready up``.

    A worker a container runtime restarts answers ``/_stcore/health`` within seconds, before torch is imported
    and the default run made; HAProxy's health check alone would then send it students who pay for both. With
    this agent (``agent-check agent-port N`` on its server line, ``worker_ctl.py render --agent-port N``) HAProxy
    keeps it in maintenance until it has opened ``WARM_PAGES`` once itself.
    """

    def __init__(self, agent_port: int, worker_port: int, pages: tuple[str, ...] = WARM_PAGES) -> None:
        """Listen on ``agent_port`` (all addresses: the balancer is another container) and warm ``worker_port``."""
        import socket

        self.worker_port = worker_port
        self.pages = pages
        self.warm = threading.Event()
        self._server = socket.create_server(("", agent_port), reuse_port=False)
        threading.Thread(target=self._answer, name="warm-agent", daemon=True).start()
        threading.Thread(target=self._warm_up, name="warm-up", daemon=True).start()

    @property
    def port(self) -> int:
        """The port the agent listens on."""
        return self._server.getsockname()[1]

    def _answer(self) -> None:
        while True:
            conn, _ = self._server.accept()
            with conn:
                conn.sendall(b"ready up\n" if self.warm.is_set() else b"maint\n")

    def _warm_up(self) -> None:
        import asyncio

        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import worker_ctl

        while not self.warm.is_set():
            try:
                worker_ctl.wait_healthy(self.worker_port, 300)
                for page in self.pages:
                    asyncio.run(worker_ctl.open_page(self.worker_port, page, 180))
            except (OSError, RuntimeError, TimeoutError) as err:
                sys.stderr.write(f"worker_boot: warming failed ({err}); trying again\n")
                time.sleep(2)
                continue
            sys.stderr.write(f"worker_boot: warm; the agent on port {self.port} lets HAProxy send students\n")
            self.warm.set()


def _server_port(args: list[str]) -> int:
    """The ``--server.port`` among ``streamlit run``'s arguments (Streamlit's default 8501 if none)."""
    for n, arg in enumerate(args):
        if arg.startswith("--server.port="):
            return int(arg.split("=", 1)[1])
        if arg == "--server.port" and n + 1 < len(args):
            return int(args[n + 1])
    return 8501


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
    agent = os.environ.get(AGENT_ENV)
    if agent:
        WarmAgent(int(agent), _server_port(sys.argv[1:]))
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    main()
