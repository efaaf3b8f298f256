"""Server-process tuning that needs Python in the app process: freezing the start-up heap out of the GC's way."""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = False


def freeze_after_first_run() -> bool:
    """After the first full page run, collect once and move every live object into the GC's permanent generation.

    Call it at the end of ``app.py`` (after ``page.run()``). The first run imports torch, Plotly and Streamlit's
    element modules: hundreds of thousands of long-lived objects that every automatic full (gen-2) collection
    would otherwise walk again, stalling every session on the server's one GIL for ~100 ms every few dozen runs.
    Frozen objects are never collected, so this runs once: objects made later (sessions, cached runs) stay
    collectable. Thread-safe and cheap after the first call.

    Returns:
        True for the call that froze the heap, False for every later one.
    """
    global _frozen
    if _frozen:
        return False
    with _lock:
        if _frozen:
            return False
        # Collect first: garbage frozen now would never be freed.
        gc.collect()
        gc.freeze()
        _frozen = True
        return True


def frozen_objects() -> int:
    """How many objects sit in the permanent generation (0 before ``freeze_after_first_run``)."""
    return gc.get_freeze_count()
