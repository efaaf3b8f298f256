"""Trainings and exports shared by a server's worker processes: one training per key, bounded queues, no stale locks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from lstm_viz.export.images import ExportBusy, FigureRenderer
from lstm_viz.server import file_slots
from lstm_viz.tasks import shared
from lstm_viz.tasks.jobs import Trainer, TrainKey
from lstm_viz.tasks.shared import TrainCache

ROOT = Path(__file__).resolve().parents[1]
KEY = TrainKey("brackets", 2, 9, 1.0)

# A worker process: its own Trainer on the shared directory, counting the trainings it runs itself.
WORKER = textwrap.dedent(
    """
    import hashlib, json, sys, time
    from pathlib import Path
    import lstm_viz.tasks.jobs as jobs
    from lstm_viz.tasks.shared import TrainCache

    ran = []
    _train = jobs.train
    def train(*args, **kwargs):
        ran.append(1)
        return _train(*args, **kwargs)
    jobs.train = train
    go = Path(sys.argv[2])
    Path(sys.argv[3]).touch()  # imported: ready
    while not go.exists():  # both workers ask at the same moment
        time.sleep(0.01)
    trainer = jobs.Trainer(cache=TrainCache(Path(sys.argv[1])))
    job = trainer.submit(jobs.TrainKey("brackets", 2, 9, 1.0))
    saw_other = False
    while job.state not in ("done", "failed"):
        saw_other |= job.elsewhere and job.step > 0
        time.sleep(0.02)
    digest = hashlib.sha256(b"".join(
        t.detach().numpy().tobytes() for t in [*job.model.lstm.parameters(), *job.model.head.parameters()]
    )).hexdigest()
    print(json.dumps({"state": job.state, "error": job.error, "trained": len(ran), "digest": digest,
                      "saw_other_progress": saw_other, "losses": job.losses == job.model.info["losses"]}))
    """
)


def _spawn(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait(job, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while job.state not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.02)


def test_two_worker_processes_asking_for_one_key_train_it_once_and_get_the_same_bits(tmp_path):
    go = tmp_path / "go"
    ready = [tmp_path / f"ready{k}" for k in range(2)]
    workers = [_spawn(WORKER, str(tmp_path / "cache"), str(go), str(r)) for r in ready]
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.05)
    go.touch()
    results = []
    for w in workers:
        out, err = w.communicate(timeout=90)
        assert w.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert [r["state"] for r in results] == ["done", "done"], results
    assert sorted(r["trained"] for r in results) == [0, 1], "exactly one of the two processes trains the key"
    assert results[0]["digest"] == results[1]["digest"], "both show bit-identical weights"
    assert all(r["losses"] for r in results), "each shows the whole loss curve of the one training"
    waiter = next(r for r in results if r["trained"] == 0)
    assert waiter["saw_other_progress"], "the waiting worker showed the other worker's live progress"
    # A third process (a restarted worker) loads the stored model instead of training it.
    cache = TrainCache(tmp_path / "cache")
    job = Trainer(workers=0, cache=cache).submit(KEY)
    assert job.state == "done" and job.step == job.steps == 300
    direct = cache.load(KEY)
    assert torch.equal(job.model.lstm.weight_hh_l0, direct.lstm.weight_hh_l0)
    assert not list((tmp_path / "cache").glob(".*.tmp")), "no temporary file is left behind"


def test_the_waiting_queue_is_bounded_over_every_worker_of_the_server(tmp_path):
    cache_dir = tmp_path / "cache"
    # Two workers' trainers (none runs anything), sharing two waiting places.
    first, second = (Trainer(workers=0, cache=TrainCache(cache_dir, max_queued=2)) for _ in range(2))
    first.submit(TrainKey("brackets", 2, 1, 1.0))
    second.submit(TrainKey("brackets", 2, 2, 1.0))
    with pytest.raises(RuntimeError, match="at most 2 may wait"):
        first.submit(TrainKey("brackets", 2, 3, 1.0))
    assert first.submit(TrainKey("brackets", 2, 1, 1.0)).state == "queued", "asking again shares the queued job"


def test_a_training_runs_once_per_server_and_the_next_waits_for_the_running_slot(tmp_path):
    cache = TrainCache(tmp_path / "cache", trainings=1)
    holder = cache.running.acquire()  # another worker is training something else
    trainer = Trainer(workers=1, cache=cache)
    job = trainer.submit(TrainKey("brackets", 2, 4, 1.0))
    time.sleep(0.5)
    assert job.state == "queued" and trainer.position(job) == 1, "it waits behind the server's running training"
    file_slots.release(holder)
    _wait(job)
    assert job.state == "done" and cache.load(job.key) is not None


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from lstm_viz.server import file_slots
    slots = file_slots.FileSlots(Path(sys.argv[1]), "export", 1)
    fd = slots.acquire()
    lock = file_slots.try_lock(Path(sys.argv[1]) / "key.lock")
    print("held", flush=True)
    time.sleep(60)
    """
)


def test_locks_and_slots_exclude_other_processes_and_die_with_their_holder(tmp_path):
    holder = _spawn(HOLDER, str(tmp_path))
    try:
        assert holder.stdout.readline().strip() == "held"
        slots = file_slots.FileSlots(tmp_path, "export", 1)
        assert slots.taken() == 1
        with pytest.raises(TimeoutError):
            slots.acquire(timeout=0.3)
        with pytest.raises(TimeoutError):
            with file_slots.file_lock(tmp_path / "key.lock", timeout=0.3):
                pass
        # The export queue of a worker waits for the server's slot, then says the server is busy.
        renderer = FigureRenderer(browser_path="/nonexistent", server_slots=slots)
        with pytest.raises(ExportBusy, match="busy with other exports"):
            with renderer.job(wait_s=0.3):
                pass
        os.kill(holder.pid, signal.SIGKILL)  # a worker dies holding both
        holder.wait(10)
        with renderer.job(wait_s=2), file_slots.file_lock(tmp_path / "key.lock", timeout=2):
            assert slots.taken() == 1, "this process holds the slot now"
        assert slots.taken() == 0
    finally:
        holder.kill()
        holder.wait(10)


def test_atomic_write_leaves_the_old_file_or_the_whole_new_one(tmp_path):
    target = tmp_path / "model.safetensors"
    file_slots.atomic_write(target, lambda p: p.write_bytes(b"old"))

    def half_then_fail(path: Path) -> None:
        path.write_bytes(b"ha")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        file_slots.atomic_write(target, half_then_fail)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_a_damaged_entry_is_trained_again_never_shown(tmp_path):
    cache = TrainCache(tmp_path)
    cache.path(KEY).write_bytes(b"not a safetensors file")
    assert cache.load(KEY) is None


def test_the_shared_directory_comes_from_the_environment_else_is_the_process_own(tmp_path, monkeypatch):
    monkeypatch.setenv(file_slots.CACHE_DIR_ENV, str(tmp_path / "server"))
    assert file_slots.shared_dir() == tmp_path / "server" and (tmp_path / "server").is_dir()
    monkeypatch.delenv(file_slots.CACHE_DIR_ENV)
    own = file_slots.shared_dir()
    assert own.is_dir() and own == file_slots.shared_dir() and own.name.startswith("lstm-explorer-cache-")


def test_code_version_covers_the_lstm_viz_modules_training_imports() -> None:
    """A change to the engine or to code tracking (which training imports) must make a new version, not only tasks/."""
    package = Path(shared.__file__).parent.parent
    sources = {str(path.relative_to(package)) for path in shared._training_sources(package)}
    assert {"engine.py", "reading/tracking.py", "tasks/train.py", "tasks/shared.py"} <= sources
    assert "__init__.py" not in sources
    assert not any(name.startswith(("ui/", "figures/", "export/")) for name in sources)
