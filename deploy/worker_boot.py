"""A Streamlit worker behind a balancer: ``streamlit run`` plus a failover fix (scripts/serve.sh, compose, k8s).

    python deploy/worker_boot.py app.py --server.port 8502 ...     (the arguments of ``streamlit run``)

When a worker dies, its students' browsers reconnect to another worker, which knows nothing of their sessions.
Streamlit's frontend does not rerun the page on such a reconnect (its last run was not interrupted), so the page
keeps showing the old run; the next click inside a fragment (Gates' time cursor) asks the new worker to rerun a
fragment it has never run, and Streamlit drops that request: the click does nothing. Here a session that has
never run its page turns such a fragment request into a full run of the page with the widget states the
browser sent, so the click draws the student's run (every setting is in the URL and the widgets) on the new
worker. Sessions that have run behave exactly as in Streamlit.
"""

from __future__ import annotations

import sys


def patch_fragment_reruns_of_fresh_sessions() -> bool:
    """Install the fix on Streamlit's ``AppSession``; False if this Streamlit lacks what it relies on."""
    from streamlit.runtime.app_session import AppSession

    if not (hasattr(AppSession, "request_rerun") and hasattr(AppSession, "has_fragment")):
        return False
    original = AppSession.request_rerun

    def request_rerun(self: AppSession, client_state: object) -> None:
        fragment_id = getattr(client_state, "fragment_id", "")
        if fragment_id and not getattr(self, "_lstm_has_run", False) and not self.has_fragment(fragment_id):
            client_state.fragment_id = ""
        if not getattr(client_state, "fragment_id", ""):
            self._lstm_has_run = True
        original(self, client_state)

    AppSession.request_rerun = request_rerun
    return True


def main() -> None:
    """Run ``streamlit run <args>`` in this process, with the fix installed."""
    patch_fragment_reruns_of_fresh_sessions()
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    main()
