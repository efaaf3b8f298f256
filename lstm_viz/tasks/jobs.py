"""Server-wide training queue: one training per (task, size, seed, forget bias), shared by every session.

With a ``TrainCache`` (the app's ``trainer()`` has one) the queue spans every worker process of the server: a
finished model is stored on disk for all of them, a key is trained by one worker while the others show its
progress, and the running and waiting trainings are bounded over the whole server, not once per worker.
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from lstm_viz.i18n import Message, msg
from lstm_viz.tasks.definitions import TASKS
from lstm_viz.tasks.model import TaskModel
from lstm_viz.tasks.shared import TrainCache, default_cache, release_ticket
from lstm_viz.tasks.train import train

PUBLISH_EVERY_S = 0.25
"""How often a training publishes its progress to the other workers (a small JSON file, written atomically)."""
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
            raise ValueError(
                msg("there is no task {task!r}: the built-in tasks are {known}", task=self.task, known=", ".join(TASKS))
            )
        if self.hidden_size not in HIDDEN_CHOICES:
            raise ValueError(
                msg(
                    "hidden size {size} is not one of {choices} for a live training",
                    size=self.hidden_size,
                    choices=HIDDEN_CHOICES,
                )
            )
        if not 0 <= self.seed <= 2**31 - 1:
            raise ValueError(msg("training seed {seed} is outside 0..2^31-1", seed=self.seed))
        if not -5.0 <= self.forget_bias <= 5.0:
            raise ValueError(msg("initial forget bias {bias} is outside -5..5", bias=self.forget_bias))


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
    """Why the training failed (a ``Message`` where the failure said itself in words another language can say)."""
    submitted: float = field(default_factory=time.monotonic)
    elsewhere: bool = False
    """True while another worker of the server trains this key (its progress is shown here)."""
    ticket: int | None = field(default=None, repr=False)
    """The server-wide waiting place it holds until it runs (a descriptor of ``TrainCache.queue``)."""

    def finish_from(self, model: TaskModel) -> None:
        """Take a model another worker trained: its loss curve becomes this job's progress."""
        self.losses = list(model.info.get("losses", []))
        self.steps = int(model.info.get("steps", self.steps))
        self.step = self.steps
        self.model = model


class Trainer:
    """A bounded pool of training threads: at most ``workers`` train at once, at most ``max_queued`` wait.

    Args:
        workers: Trainings running at the same time, server-wide (1 on a 2-core class server; 0 runs none).
        max_queued: Trainings allowed to wait; beyond it ``submit`` refuses, so one class cannot starve the server.
        max_kept: Finished trainings kept in memory (least recently used dropped first).
        cache: Shares trainings with the server's other worker processes; its own ``max_queued`` and number of
            running trainings then bound the whole server, on top of this process's ``max_queued``.
    """

    def __init__(
        self, workers: int = 1, max_queued: int = 8, max_kept: int = 32, cache: TrainCache | None = None
    ) -> None:
        self._jobs: OrderedDict[TrainKey, Job] = OrderedDict()
        self._queue: queue.Queue[Job] = queue.Queue()
        self._lock = threading.Lock()
        self._max_queued, self._max_kept = max_queued, max_kept
        self._cache = cache
        for n in range(workers):
            threading.Thread(target=self._work, name=f"lstm-trainer-{n}", daemon=True).start()

    def submit(self, key: TrainKey) -> Job:
        """The job for ``key``: the running or finished one if any session asked before, else a new one.

        Raises:
            RuntimeError: when ``max_queued`` trainings already wait (a ``Message`` saying so).
        """
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.state != "failed":
                self._jobs.move_to_end(key)
                return job
        ticket = None
        if self._cache is not None:
            # Read outside the lock: another worker's finished training costs a file read, not a training.
            model = self._cache.load(key)
            if model is not None:
                done = Job(key, state="done", steps=TASKS[key.task].train_steps)
                done.finish_from(model)
                return self._keep(done)
            ticket = self._cache.queue_ticket()
            if ticket is None:
                raise RuntimeError(self._full(self._cache.max_queued, self._cache.max_queued))
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.state != "failed":
                release_ticket(ticket)
                self._jobs.move_to_end(key)
                return job
            waiting = sum(j.state == "queued" for j in self._jobs.values())
            if waiting >= self._max_queued:
                release_ticket(ticket)
                raise RuntimeError(self._full(waiting, self._max_queued))
            job = Job(key, steps=TASKS[key.task].train_steps, ticket=ticket)
            self._jobs[key] = job
            self._evict()
            self._queue.put(job)
            return job

    @staticmethod
    def _full(waiting: int, limit: int) -> Message:
        return msg(
            "the server is already training {waiting} models (at most {limit} may wait): "
            "try again in a minute, or use the shipped weights",
            waiting=waiting,
            limit=limit,
        )

    def _keep(self, job: Job) -> Job:
        """Keep a finished job, unless a thread of this process put one for its key there first."""
        with self._lock:
            kept = self._jobs.get(job.key)
            if kept is not None and kept.state != "failed":
                return kept
            self._jobs[job.key] = job
            self._evict()
            return job

    def get(self, key: TrainKey) -> Job | None:
        """The job for ``key`` if one was submitted and is still kept."""
        with self._lock:
            return self._jobs.get(key)

    def position(self, job: Job) -> int:
        """How many trainings run or wait before ``job`` (0 once it runs); with a cache, over the whole server."""
        with self._lock:
            if job.state != "queued":
                return 0
            waiting = sum(j.state == "queued" and j.submitted < job.submitted for j in self._jobs.values())
            running = sum(j.state == "running" for j in self._jobs.values())
        if self._cache is not None:
            # Every running training of the server holds one of its slots, this process's included.
            running = self._cache.running.taken()
        return waiting + running

    def _evict(self) -> None:
        done = [k for k, j in self._jobs.items() if j.state in ("done", "failed")]
        for k in done[: max(len(self._jobs) - self._max_kept, 0)]:
            del self._jobs[k]

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                job.model = self._train(job) if self._cache is None else self._train_shared(job, self._cache)
                job.state = "done"
            except Exception as err:  # noqa: BLE001 - any failure is reported to the sessions waiting on it
                said = err.args[0] if len(err.args) == 1 and isinstance(err.args[0], Message) else str(err)
                job.error = msg("{kind}: {error}", kind=type(err).__name__, error=said)
                job.state = "failed"
            finally:
                release_ticket(job.ticket)
                job.ticket = None

    @staticmethod
    def _train(job: Job, publish: Callable[[Job], None] | None = None) -> TaskModel:
        """Train ``job``'s key here, its progress kept on the job (and handed to ``publish`` after each step)."""
        job.state, job.elsewhere, job.step, job.losses = "running", False, 0, []

        def progress(step: int, steps: int, loss: float) -> None:
            job.step, job.steps = step, steps
            job.losses.append(loss)
            if publish is not None:
                publish(job)

        key = job.key
        return train(TASKS[key.task], key.hidden_size, key.seed, forget_bias=key.forget_bias, progress=progress)

    def _train_shared(self, job: Job, cache: TrainCache) -> TaskModel:
        """Train ``job``'s key unless another worker has or is doing it; store the result for every worker.

        Lock order is always the key's lock, then a running slot: a slot holder never waits for a key.
        """
        key = job.key

        def mirror() -> None:
            # Another worker holds the key: show its published progress on this worker's pages.
            p = cache.read_progress(key)
            if p is not None:
                job.step, job.steps, job.losses = int(p["step"]), int(p["steps"]), list(p["losses"])
                job.state, job.elsewhere = "running", True

        published = [0.0]

        def publish(job: Job) -> None:
            now = time.monotonic()
            if now - published[0] >= PUBLISH_EVERY_S or job.step == job.steps:
                published[0] = now
                cache.write_progress(key, job.step, job.steps, list(job.losses))

        with cache.key_lock(key, on_wait=mirror):
            model = cache.load(key)
            if model is not None:
                job.finish_from(model)
                return model
            job.state, job.elsewhere = "queued", False
            with cache.running.hold():
                # Running now: its waiting place goes to the next training asked for anywhere on the server.
                release_ticket(job.ticket)
                job.ticket = None
                model = self._train(job, publish)
            cache.store(key, model)
            return model


@functools.cache
def trainer() -> Trainer:
    """The worker's one trainer, started on first use: every session's live trainings go through it.

    It shares trainings with the server's other workers through ``$LSTM_EXPLORER_CACHE_DIR`` (see
    ``lstm_viz.server.file_slots.shared_dir``): one training at a time and eight waiting, over the whole server.
    """
    return Trainer(cache=default_cache())
