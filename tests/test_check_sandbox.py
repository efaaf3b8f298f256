"""The sandboxed runner: its frames, its isolation as seen from inside, the mode switch, local mode and the pool."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch

from lstm_viz.check import checker, protocol, sandbox
from lstm_viz.check.checker import check_source

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "lstm_viz" / "check" / "examples"

needs_sandbox = pytest.mark.skipif(sandbox.bwrap_path() is None, reason="Debian's bubblewrap is not installed")


# --- Frames --------------------------------------------------------------------------------------------------


def test_frames_carry_raw_tensors_of_every_allowed_dtype():
    tensors = [
        torch.randn(2, 3),
        torch.randn(4, dtype=torch.float64),
        torch.tensor(3.5, dtype=torch.float16),
        torch.randn(2, 2).to(torch.bfloat16),
        torch.arange(6, dtype=torch.int64).reshape(2, 3),
        torch.tensor([True, False]),
        torch.empty(0, 5),
        torch.randn(3, 4).T,  # not contiguous
    ]
    data = protocol.encode({"type": "case", "value": {"kind": "tuple"}}, tensors)
    reader = protocol.FrameReader(1 << 20)
    frames = reader.feed(data[:7]) + reader.feed(data[7:])
    assert len(frames) == 1 and frames[0].header["value"] == {"kind": "tuple"}
    for sent, got in zip(tensors, frames[0].tensors, strict=True):
        assert got.dtype == sent.dtype and got.shape == sent.shape and torch.equal(got, sent)


def _frame(header: bytes, payload: bytes = b"", magic: bytes = protocol.MAGIC) -> bytes:
    return struct.pack(">4sII", magic, len(header), len(payload)) + header + payload


@pytest.mark.parametrize(
    "data, words",
    [
        (_frame(b"{}", magic=b"PKL\x80"), "not a frame"),
        (_frame(b"\x80\x04\x95 pickle"), "not JSON"),
        (_frame(b"[1, 2]"), "not a JSON object"),
        (_frame(json.dumps({"tensors": [{"dtype": "object", "shape": [1]}]}).encode(), b"x" * 8), "no allowed dtype"),
        (_frame(json.dumps({"tensors": [{"dtype": "float32", "shape": [2, 2]}]}).encode(), b"x" * 15), "add up"),
        (_frame(json.dumps({"tensors": [{"dtype": "float32", "shape": [-1]}]}).encode()), "impossible shape"),
        (_frame(json.dumps({"tensors": [{"dtype": "float64", "shape": [1 << 21]}]}).encode()), "above the cap"),
        (struct.pack(">4sII", protocol.MAGIC, protocol.MAX_HEADER_BYTES + 1, 0), "header"),
        (struct.pack(">4sII", protocol.MAGIC, 10, 1 << 30), "above the cap"),
    ],
)
def test_a_malformed_or_oversized_frame_is_refused(data, words):
    with pytest.raises(protocol.ProtocolError, match=words):
        protocol.FrameReader(1 << 24).feed(data)


def test_nothing_from_the_child_is_ever_unpickled():
    for module in ("protocol.py", "sandbox.py", "checker.py", "compare.py", "runner.py"):
        text = (ROOT / "lstm_viz" / "check" / module).read_text()
        assert "import pickle" not in text and "torch.load" not in text and "eval(" not in text, module


def test_a_stream_past_its_cap_is_refused():
    reader = protocol.FrameReader(1000)
    with pytest.raises(protocol.ProtocolError, match="cap"):
        reader.feed(protocol.encode({"type": "x"}, [torch.zeros(1000)]))


# --- The mode ------------------------------------------------------------------------------------------------


def test_mode_from_the_environment(monkeypatch):
    monkeypatch.setenv(sandbox.MODE_ENV, "off")
    assert sandbox.current_mode().name == "off"
    monkeypatch.setenv(sandbox.MODE_ENV, "local")
    assert sandbox.current_mode().name == "local"
    monkeypatch.setenv(sandbox.MODE_ENV, "yes please")
    mode = sandbox.current_mode()
    assert mode.name == "off" and sandbox.MODE_ENV in mode.reason and "sandbox, local, off" in mode.reason


def test_unset_mode_is_off_never_local_when_no_sandbox_starts(monkeypatch):
    monkeypatch.delenv(sandbox.MODE_ENV, raising=False)
    monkeypatch.setattr(sandbox, "_probed", [])
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    mode = sandbox.current_mode()
    assert mode.name == "off" and "bubblewrap is not installed" in mode.reason


@needs_sandbox
def test_unset_mode_is_sandbox_when_the_test_sandbox_starts(monkeypatch):
    monkeypatch.delenv(sandbox.MODE_ENV, raising=False)
    monkeypatch.setattr(sandbox, "_probed", [])
    assert sandbox.current_mode().name == "sandbox"


@needs_sandbox
def test_the_probe_sees_the_isolation_it_asks_for():
    box = sandbox.Sandbox(probe=True)
    reader = protocol.FrameReader(1 << 20)
    frames = []
    import time

    deadline = time.monotonic() + 20
    while not frames and time.monotonic() < deadline:
        data = sandbox._read(box.res_r)
        if data:
            frames += reader.feed(data)
        time.sleep(0.02)
    box.end()
    info = frames[0].header
    assert info["uid"] == sandbox.INNER_UID != 0
    assert info["pid"] <= 3  # its own PID namespace: bwrap's init is 1
    assert sorted(info["environ"]) == ["LANG", "OMP_NUM_THREADS"]
    assert info["interfaces"] == ["lo"]
    assert info["niceness"] == 19 and info["nproc"] == sandbox.PROCESSES


@needs_sandbox
def test_bwrap_gets_every_namespace_and_a_read_only_system():
    args = sandbox.bwrap_args({})
    for flag in ("--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent"):
        assert flag in args
    assert args[args.index("--proc") + 1] == "/proc" and "--clearenv" in args
    binds = [args[k + 2] for k, a in enumerate(args) if a == "--ro-bind"]
    assert str(ROOT) not in binds and all(not b.startswith(str(ROOT / "lstm_viz")) for b in binds)
    assert "--bind" not in args  # nothing of the host is bound writable
    env = [args[k + 1] for k, a in enumerate(args) if a == "--setenv"]
    assert env == list(sandbox.ENVIRONMENT)


def test_the_sandbox_tmp_is_mounted_before_python_so_a_checkout_under_tmp_still_runs(monkeypatch):
    # bwrap mounts in order: a venv under /tmp (CI's or a developer's checkout there) bound before the tmpfs
    # would be hidden by it, and every check would fail with "execvp .../.venv/bin/python: No such file".
    monkeypatch.setattr(sandbox, "python_mounts", lambda: ("/tmp/ci/.venv", "/opt/python"))
    args = sandbox.bwrap_args({"runner.py": 3})
    tmpfs = args.index("--tmpfs")
    assert args[tmpfs + 1] == "/tmp" and args[tmpfs - 2] == "--size"
    binds = [k for k, a in enumerate(args) if a in ("--ro-bind", "--ro-bind-data") and args[k + 2] != "/usr"]
    python = [k for k in binds if args[k + 2].startswith(("/tmp/", "/opt/", sandbox.SANDBOX_DIR))]
    assert python and all(k > tmpfs for k in python), args


# --- Checks in the sandbox and in a local child -------------------------------------------------------------


@needs_sandbox
def test_the_seed_passes_in_the_sandbox_and_a_mistake_is_named_the_same_as_in_process():
    seed = check_source((EXAMPLES / "seed.py").read_text(), mode="sandbox")
    assert seed.verdict == "match", seed.text()
    assert seed.where == checker.WHERE["sandbox"] and "weight_ih_l0 # #" in seed.printed
    mistaken = (EXAMPLES / "gate_order.py").read_text()
    here = check_source(mistaken, mode="process")
    there = check_source(mistaken, mode="sandbox")
    assert [d.id for d in there.diagnoses] == [d.id for d in here.diagnoses] == ["gate_order"]
    assert [r.status for r in there.results] == [r.status for r in here.results]


def test_local_mode_is_a_child_process_with_the_same_limits():
    code = (EXAMPLES / "seed.py").read_text() + (
        "\nimport os, resource\nprint('pid', os.getpid(), 'nice', os.getpriority(os.PRIO_PROCESS, 0))\n"
        "print('as', resource.getrlimit(resource.RLIMIT_AS)[0], 'env', sorted(os.environ))\n"
    )
    report = check_source(code, mode="local")
    assert report.verdict == "match", report.text()
    assert f"as {sandbox.MEMORY_BYTES}" in report.printed and "nice 19" in report.printed
    assert "env ['LANG', 'OMP_NUM_THREADS']" in report.printed
    import os

    assert f"pid {os.getpid()} " not in report.printed


@needs_sandbox
def test_a_server_keeps_one_sandbox_warm_and_uses_it_once():
    sandbox.pool.close()
    sandbox.pool.refill(True)
    import time

    deadline = time.monotonic() + 60
    while sandbox.pool._idle is None and time.monotonic() < deadline:
        time.sleep(0.05)
    warm = sandbox.pool._idle
    assert warm is not None and warm.wait_ready(60)
    report = checker.run_source(
        checker.read_source((EXAMPLES / "seed.py").read_text()), "lstm_forward", "sandbox", keep_warm=True
    )
    assert report.verdict == "match"
    assert not warm.alive()  # used once, then ended
    deadline = time.monotonic() + 60
    while (sandbox.pool._idle is None or sandbox.pool._idle is warm) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.pool._idle is not None and sandbox.pool._idle is not warm
    sandbox.pool.close()


@needs_sandbox
def test_the_root_servers_cgroups_are_removed_after_each_check():
    base = sandbox.PidsCgroup.base()
    if base is None:
        pytest.skip("no pids cgroup here (an unprivileged server relies on RLIMIT_NPROC per user namespace)")
    check_source((EXAMPLES / "bias.py").read_text(), mode="sandbox")
    assert [p for p in base.iterdir() if p.is_dir() and p.name.startswith(f"{__import__('os').getpid()}-")] == []


@needs_sandbox
def test_cli_sandbox_runs_the_file_as_the_app_does():
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "lstm_viz.check", str(EXAMPLES / "time_major.py"), "--sandbox"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "in a bubblewrap sandbox" in run.stdout.splitlines()[0]
    assert [line for line in run.stdout.splitlines() if line.startswith("diagnosis:")] == [
        "diagnosis: time_major input read as [T, B, I], output laid out [T, B, ...]"
    ]
