"""Server-wide training queue: one training per (task, size, seed, forget bias), shared by every session."""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from lstm_viz.tasks.definitions import TASKS
from lstm_viz.tasks.model import TaskModel
from lstm_viz.tasks.train import train

HIDDEN_CHOICES = (2, 4, 8, 16, 32, 64)
"""Hidden sizes a live training may use: the largest still trains in seconds on one core."""


@dataclass(frozen=True)
class TrainKey:
    """What makes two trainings the same: equal keys give bit-identical weights."""

    task: str
    hidden_size: int
    seed: int
    forget_bias: float

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"there is no task {self.task!r}: the built-in tasks are {', '.join(TASKS)}")
        if self.hidden_size not in HIDDEN_CHOICES:
            raise ValueError(f"hidden size {self.hidden_size} is not one of {HIDDEN_CHOICES} for a live training")
        if not 0 <= self.seed <= 2**31 - 1:
            raise ValueError(f"training seed {self.seed} is outside 0..2^31-1")
        if not -5.0 <= self.forget_bias <= 5.0:
            raise ValueError(f"initial forget bias {self.forget_bias} is outside -5..5")


@dataclass
class Job:
    """One training as every session sees it: its state, live progress and, at the end, the model."""

    key: TrainKey
    state: str = "queued"  # queued -> running -> done | failed
    step: int = 0
    steps: int = 0
    losses: list[float] = field(default_factory=list)
    model: TaskModel | None = None
    error: str = ""
    submitted: float = field(default_factory=time.monotonic)


class Trainer:
    """A bounded pool of training threads: at most ``workers`` train at once, at most ``max_queued`` wait.

    Args:
        workers: Trainings running at the same time, server-wide (1 on a 2-core class server; 0 runs none).
        max_queued: Trainings allowed to wait; beyond it ``submit`` refuses, so one class cannot starve the server.
        max_kept: Finished trainings kept in memory (least recently used dropped first).
    """

    def __init__(self, workers: int = 1, max_queued: int = 8, max_kept: int = 32) -> None:
        self._jobs: OrderedDict[TrainKey, Job] = OrderedDict()
        self._queue: queue.Queue[Job] = queue.Queue()
        self._lock = threading.Lock()
        self._max_queued, self._max_kept = max_queued, max_kept
        for n in range(workers):
            threading.Thread(target=self._work, name=f"lstm-trainer-{n}", daemon=True).start()

    def submit(self, key: TrainKey) -> Job:
        """The job for ``key``: the running or finished one if any session asked before, else a new one.

        Raises:
            RuntimeError: when ``max_queued`` trainings already wait (a message saying so).
        """
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.state != "failed":
                self._jobs.move_to_end(key)
                return job
            waiting = sum(j.state == "queued" for j in self._jobs.values())
            if waiting >= self._max_queued:
                raise RuntimeError(
                    f"the server is already training {waiting} models (at most {self._max_queued} may wait): "
                    "try again in a minute, or use the shipped weights"
                )
            job = Job(key, steps=TASKS[key.task].train_steps)
            self._jobs[key] = job
            self._evict()
            self._queue.put(job)
            return job

    def get(self, key: TrainKey) -> Job | None:
        """The job for ``key`` if one was submitted and is still kept."""
        with self._lock:
            return self._jobs.get(key)

    def position(self, job: Job) -> int:
        """How many trainings run or wait before ``job`` (0 once it runs)."""
        with self._lock:
            if job.state != "queued":
                return 0
            return sum(
                j.state == "running" or (j.state == "queued" and j.submitted < job.submitted)
                for j in self._jobs.values()
            )

    def _evict(self) -> None:
        done = [k for k, j in self._jobs.items() if j.state in ("done", "failed")]
        for k in done[: max(len(self._jobs) - self._max_kept, 0)]:
            del self._jobs[k]

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            job.state = "running"

            def progress(step: int, steps: int, loss: float, job: Job = job) -> None:
                job.step, job.steps = step, steps
                job.losses.append(loss)

            try:
                key = job.key
                job.model = train(
                    TASKS[key.task], key.hidden_size, key.seed, forget_bias=key.forget_bias, progress=progress
                )
                job.state = "done"
            except Exception as err:  # noqa: BLE001 - any failure is reported to the sessions waiting on it
                job.error = f"{type(err).__name__}: {err}"
                job.state = "failed"


@functools.cache
def trainer() -> Trainer:
    """The server's one trainer, started on first use: every session's live trainings go through it."""
    return Trainer()
