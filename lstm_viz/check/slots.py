"""Checks queue server-wide like exports: two run at once over every worker, four wait, the rest are refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from lstm_viz.i18n import msg
from lstm_viz.server import file_slots

RUNNING = 2
"""Checks running at once over all the worker processes of a server: each takes one core for up to 10 s."""
WAITING = 4
"""Checks that may wait for a turn; one more is refused at once, by name, rather than kept waiting."""
WAIT_S = 45.0
"""How long a waiting check waits for a turn before it is refused."""


class CheckBusy(RuntimeError):  # noqa: N818 - the name says what the learner is told
    """The server's checks are all taken and its queue is full (or the wait ran out): try again in a moment."""


@contextmanager
def turn(on_wait: Callable[[int], None] | None = None) -> Iterator[None]:
    """Hold one of the server's check slots for the block, waiting in the queue when they are all taken.

    Args:
        on_wait: Called while waiting with how many checks wait (this one included).

    Raises:
        CheckBusy: every slot and every place in the queue is taken, or no slot freed within ``WAIT_S``.
    """
    base = file_slots.shared_dir() / "checks"
    running = file_slots.FileSlots(base, "check", RUNNING)
    waiting = file_slots.FileSlots(base, "check-wait", WAITING)
    fd = running.try_acquire()
    if fd is None:
        place = waiting.try_acquire()
        if place is None:
            raise CheckBusy(
                msg(
                    "The server is running {running} checks and {waiting} more are waiting, the most it queues: "
                    "yours was refused. Try again in a minute.",
                    running=RUNNING,
                    waiting=WAITING,
                )
            )
        try:
            fd = running.acquire(WAIT_S, on_wait=(lambda: on_wait(waiting.taken())) if on_wait else None)
        except TimeoutError:
            raise CheckBusy(
                msg(
                    "Your check waited {seconds:.0f} s in the queue without a turn: the server is busy with other "
                    "students' checks. Try again in a minute.",
                    seconds=WAIT_S,
                )
            ) from None
        finally:
            file_slots.release(place)
    try:
        yield
    finally:
        file_slots.release(fd)
