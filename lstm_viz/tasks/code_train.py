"""Training the `code` character model: truncated BPTT over 32 streams of the corpus, state carried between chunks.

The training text (the corpus's training files in order) is cut into ``STREAMS`` equal contiguous streams; step
``k`` reads chunk ``k`` of every stream (``CHUNK`` characters), starting from the state the previous chunk ended
in (detached), so a cell can follow an indentation, a bracket or a string across chunk boundaries. After one
pass the streams start again from a zero state. The learning rate is a fixed function of the step (warm-up, then
halved every ``DECAY_EVERY`` steps from ``DECAY_FROM``), so a run of ``k`` steps is the first ``k`` steps of any
longer run, bit for bit.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable

import torch
from torch import Tensor

from lstm_viz.reading import finder, tracking
from lstm_viz.tasks import corpus
from lstm_viz.tasks.base import Task
from lstm_viz.tasks.model import TaskModel, init_model

STREAMS = 32
CHUNK = 128
LR = 2e-3
WARMUP = 200
DECAY_FROM = 6000
DECAY_EVERY = 2000
CLIP = 1.0
TARGET_R = 0.6
TARGET_MARGIN = 0.25
"""The issue's target: on held-out files the best cell reaches |r| >= 0.6 for at least three of the target
tracks, each at least 0.25 above the untrained weights' best."""

Snapshot = Callable[[int, TaskModel], None]
"""Called with (step, model) at chosen steps during a long training."""


def learning_rate(step: int) -> float:
    """The learning rate of step ``step`` (0-based): linear warm-up, constant, then halved every DECAY_EVERY."""
    warm = min(1.0, (step + 1) / WARMUP)
    halvings = 0 if step < DECAY_FROM else (step - DECAY_FROM) // DECAY_EVERY + 1
    return LR * warm * 0.5**halvings


class Streams:
    """Chunk ``k`` of every stream of a training text, as symbol ids.

    Shapes: ``chunk(k)`` -> ``(x, y)`` both [STREAMS, CHUNK] long; ``y`` is ``x`` one character later.
    """

    def __init__(self, ids: Tensor, streams: int = STREAMS, chunk: int = CHUNK) -> None:
        self.ids, self.streams, self.chunk = ids, streams, chunk
        self.length = (ids.numel() - 1) // streams
        self.per_pass = (self.length - 1) // chunk
        self.starts = torch.arange(streams) * self.length  # [S]
        self.offsets = torch.arange(chunk + 1)  # [CHUNK + 1]

    def restarts(self, k: int) -> bool:
        """Whether chunk ``k`` begins a new pass (the carried state is dropped there)."""
        return k % self.per_pass == 0

    def chunk_ids(self, k: int) -> tuple[Tensor, Tensor]:
        """Input and target ids of chunk ``k``."""
        pos = self.starts.view(-1, 1) + (k % self.per_pass) * self.chunk + self.offsets.view(1, -1)  # [S, CHUNK+1]
        window = self.ids[pos].long()
        return window[:, :-1], window[:, 1:]


def fit(
    task: Task,
    hidden_size: int,
    seed: int,
    steps: int,
    forget_bias: float | None = None,
    progress: Callable[[int, int, float], None] | None = None,
    snapshot: Snapshot | None = None,
    snapshot_every: int = 0,
    find: bool = True,
) -> TaskModel:
    """Train the `code` model from ``seed`` for ``steps`` Adam steps on the corpus's training files.

    The caller runs this on one torch thread (``train.one_thread``), so the weights are bit-identical per seed.
    ``info`` gets the loss curve, the corpus digest and sizes, the schedule, and the unit finder's result on
    the held-out analysis corpus (``find_cells``, skipped with ``find=False``); the metric is measured after.
    """
    streams, split = training_streams()
    model = init_model(task, hidden_size, seed, forget_bias)
    lstm, head = model.lstm.train(), model.head.train()
    params = [*lstm.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=LR)
    losses: list[float] = []
    state = None
    start = time.perf_counter()
    for k in range(steps):
        if streams.restarts(k):
            state = None
        x_ids, y = streams.chunk_ids(k)
        x = torch.nn.functional.one_hot(x_ids, corpus.VOCAB).to(torch.float32)  # [S, CHUNK, V]
        h, (h_n, c_n) = lstm(x, state)  # h [S, CHUNK, H]
        state = (h_n.detach(), c_n.detach())
        loss = torch.nn.functional.cross_entropy(head(h).reshape(-1, corpus.VOCAB), y.reshape(-1))
        for group in opt.param_groups:
            group["lr"] = learning_rate(k)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        losses.append(loss.item())
        if progress is not None:
            progress(k + 1, steps, losses[-1])
        if snapshot is not None and snapshot_every and (k + 1) % snapshot_every == 0 and k + 1 < steps:
            model.info.update(steps=k + 1, losses=list(losses))
            snapshot(k + 1, model)
    lstm.eval()
    head.eval()
    describe(model, split, losses, find)
    model.info["seconds"] = round(time.perf_counter() - start, 3)
    return model


def describe(model: TaskModel, split: corpus.Split, losses: list[float], find: bool = True) -> None:
    """Write what a training of ``len(losses)`` steps was into ``model.info``: curve, corpus, schedule, cells.

    The same for a finished run and for a snapshot taken at that step (``finish_snapshot``), so both write
    the same file.
    """
    model.info.update(
        steps=len(losses),
        losses=list(losses),
        corpus_digest=split.digest,
        corpus_files=len(split.train) + len(split.held_out),
        train_files=len(split.train),
        train_chars=split.chars,
        held_out_files=len(split.held_out),
        held_out_rule=f"sha256(path) % {corpus.HELD_OUT_MOD} == 0",
        streams=STREAMS,
        chunk=CHUNK,
        lr=LR,
        schedule=f"warm-up {WARMUP}, halved every {DECAY_EVERY} from {DECAY_FROM}",
        clip=CLIP,
    )
    if find:
        found = find_cells(model)
        model.info["cells"] = [dataclasses.asdict(f) for f in found]
        model.info["target_tracks_reached"] = len(reaching_target(found))


def reaching_target(found: list[finder.CellFinding]) -> list[finder.CellFinding]:
    """The findings that meet the issue's target: a target track, |r| >= TARGET_R, TARGET_MARGIN above untrained."""
    targets = tracking.TARGET_TRACKS
    return [f for f in found if f.track in targets and abs(f.r) >= TARGET_R and f.margin >= TARGET_MARGIN]


@functools.cache
def training_streams() -> tuple[Streams, corpus.Split]:
    """The training text's streams and the corpus split (read once per process: about 45 MB of ids)."""
    text, split = corpus.training_text()
    return Streams(corpus.encode_ids(text)), split


def finish_snapshot(model: TaskModel) -> TaskModel:
    """A snapshot written during a long training (weights and loss curve so far) as a finished run of that length.

    Its weights are those a run of ``info["steps"]`` steps ends with (the schedule depends on the step alone),
    so after this the file it makes equals the one such a run writes.
    """
    model.lstm.eval()
    model.head.eval()
    describe(model, training_streams()[1], model.info["losses"])
    return model


def find_cells(model: TaskModel) -> list[finder.CellFinding]:
    """The unit finder on the fixed held-out analysis corpus, ``model`` beside its own untrained weights.

    The untrained weights are the ones the training started from (same H, seed and forget bias).
    """
    held = corpus.analysis()
    x = torch.nn.functional.one_hot(corpus.encode_ids(held.text).long(), corpus.VOCAB).to(model.dtype)  # [N, V]
    info = model.info
    untrained = init_model(model.task, int(info["hidden_size"]), int(info["seed"]), float(info["forget_bias"]))
    return finder.find_in_corpus(model.lstm, untrained.lstm, x, finder.text_tracks(held.texts))
