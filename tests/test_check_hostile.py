"""Hostile code pasted into the checker: each run ends within its budget with a clear report, leaves nothing running
or written, cannot reach the server, and the server keeps answering meanwhile.

Run as root (as CI runs), and again, by ``test_every_hostile_case_also_as_the_images_non_root_user``, as uid 1000,
the Docker image's ``app`` user: root relies on the sandbox's pids cgroup, uid 1000 on RLIMIT_NPROC counted per user
namespace.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from lstm_viz.check import sandbox
from lstm_viz.check.checker import check_source

ROOT = Path(__file__).resolve().parents[1]
SECRET = "hostile-test-cookie-secret-8d1f"
WALL = sandbox.WALL_S
BUDGET_S = WALL + 12
"""A stopped check ends within its wall time plus the sandbox's start (a few seconds on a loaded machine)."""

pytestmark = pytest.mark.skipif(sandbox.bwrap_path() is None, reason="Debian's bubblewrap is not installed")

FUNCTION = """
import torch
def lstm_forward(inp, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    {body}
    return torch.zeros(inp.shape[0], inp.shape[1], w_hh.shape[1]), initial_states
"""


@pytest.fixture(autouse=True)
def _no_idle_sandbox():
    """No pre-started sandbox of another test's server in this process: every runner seen afterwards is a leftover."""
    sandbox.pool.close()
    yield
    sandbox.pool.close()


def fn(body: str, module: str = "") -> str:
    return module + FUNCTION.format(body=body)


def leftovers() -> list[str]:
    """Processes still running the sandbox's runner (there must be none after a check)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"/sandbox/runner.py" in cmd or b"lstm-check-" in cmd:
            found.append(f"{pid}: {cmd[:120]!r}")
    return found


class Heartbeat:
    """A thread ticking every 5 ms while a check runs: the server's other sessions must keep their turn."""

    def __enter__(self):
        self.ticks = [time.perf_counter()]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)
        self.thread.start()
        return self

    def _beat(self):
        while not self.stop.is_set():
            self.ticks.append(time.perf_counter())
            time.sleep(0.005)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.max_gap = max(b - a for a, b in zip(self.ticks, self.ticks[1:], strict=False))


def hostile(code: str, budget: float = BUDGET_S):
    os.environ["LSTM_TEST_SECRET"] = SECRET
    start = time.monotonic()
    with Heartbeat() as beat:
        report = check_source(code, mode="sandbox")
    seconds = time.monotonic() - start
    assert seconds < budget, f"took {seconds:.1f} s"
    assert beat.max_gap < 1.0, f"the server froze for {beat.max_gap:.2f} s"
    deadline = time.monotonic() + 3
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftovers() == []
    assert report.verdict == "differs" or "nn.LSTM itself" in code, report.text()
    return report


def ids(report) -> list[str]:
    return [d.id for d in report.diagnoses]


def test_an_endless_loop_is_stopped_at_the_time_limit():
    report = hostile(fn("while True:\n        pass"))
    assert ids(report)[0] == "time_limit"
    assert "the tutorial's case" in report.diagnoses[0].sentence and report.results[0].status == "stopped"


def test_a_sleep_is_stopped_at_the_time_limit():
    report = hostile(fn("import time\n    time.sleep(3600)"))
    assert ids(report)[0] == "time_limit"


def test_module_level_code_runs_in_the_sandbox_and_is_stopped_too():
    report = hostile(fn("pass", module="while True:\n    pass\n"))
    assert ids(report)[0] == "time_limit" and "module-level code" in report.diagnoses[0].sentence
    assert all(r.status == "not_run" for r in report.results)


def test_a_memory_hog_gets_a_memory_error_inside_the_sandbox():
    report = hostile(fn("chunks = []\n    while True:\n        chunks.append(bytearray(50_000_000))"))
    first = report.results[0]
    assert first.status == "raised" and first.error.type == "MemoryError"
    big = hostile(fn("x = torch.ones(2**31)"))
    assert "can't allocate memory" in big.results[0].error.message
    assert "more memory than the check allows" in big.explained_errors()[0][1]


def test_a_fork_bomb_is_held_to_the_process_limit():
    """Root (CI) is held by the sandbox's pids cgroup, uid 1000 by RLIMIT_NPROC counted in the user namespace."""
    counted = fn(
        "pass",
        module="import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n"
        "            time.sleep(600)\n            os._exit(0)\n        n += 1\nexcept OSError as e:\n"
        "    print('forks', n, type(e).__name__)\n",
    )
    report = hostile(counted.replace("return torch.zeros", "return torch.ones"))
    forks = int(report.printed.split("forks ")[1].split()[0])
    assert 0 < forks < sandbox.PROCESSES, report.printed
    report = hostile(fn("import os\n    while True:\n        os.fork()"))
    assert report.verdict == "differs"
    assert (
        ids(report)[0] in ("process_ended", "time_limit", "unknown", "signature")
        or report.results[0].status == "raised"
    )


def test_a_daemon_left_behind_ends_with_the_check():
    code = fn(
        "pass",
        module="import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        time.sleep(600)\n    os._exit(0)\n",
    )
    hostile(code.replace("return torch.zeros", "return torch.ones"))  # leftovers() is asserted inside


def test_nothing_can_be_written_outside_the_sandbox(tmp_path):
    targets = [ROOT / "hostile-was-here", tmp_path / "hostile-was-here", Path("/tmp/hostile-was-here")]
    cache = os.environ.get("LSTM_EXPLORER_CACHE_DIR")
    if cache:
        targets.append(Path(cache) / "hostile-was-here")
    lines = "".join(
        f"try:\n    open({str(t)!r}, 'w').write('x')\n    print('wrote', {str(t)!r})\nexcept OSError as e:\n"
        f"    print('refused', {str(t)!r}, e.__class__.__name__)\n"
        for t in targets
    )
    report = hostile(fn("pass", module=lines + "open('/tmp/big', 'wb').write(b'x' * 50_000_000)\n"))
    for t in targets:
        assert not t.exists()
    # The sandbox's own /tmp is a small tmpfs of its own: written there, gone with the sandbox. A checkout under the
    # host's /tmp has its venv's mount point in that tmpfs, so a file beside it is written there too, never here.
    wrote = [line.split(" ", 1)[1] for line in report.printed.splitlines() if line.startswith("wrote ")]
    assert "/tmp/hostile-was-here" in wrote and all(w.startswith("/tmp/") for w in wrote), wrote
    assert report.printed.count("refused") == len(targets) - len(wrote)
    assert report.module_error is not None and report.module_error.type == "OSError"  # the file size limit


def test_the_environment_and_the_servers_files_cannot_be_read():
    code = fn(
        "pass",
        module="import os\nprint(sorted(os.environ))\n"
        "for p in ['/proc/1/environ', '/proc/self/environ', "
        f"{str(ROOT / 'lstm_viz' / 'settings.py')!r}, {str(ROOT / '.streamlit' / 'config.toml')!r}, "
        "'/etc/passwd', '/etc/shadow']:\n"
        "    try:\n        print(p, open(p, 'rb').read()[:200])\n"
        "    except OSError as e:\n        print(p, 'refused', e.__class__.__name__)\n"
        "print('pids', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))\n",
    )
    report = hostile(code.replace("return torch.zeros", "return torch.ones"))
    printed = report.printed
    assert SECRET not in printed and "LSTM_TEST_SECRET" not in printed
    assert "['LANG', 'OMP_NUM_THREADS']" in printed
    assert "/proc/1/environ b'LANG=C.UTF-8\\x00OMP_NUM_THREADS=1\\x00'" in printed or "/proc/1/environ b'OMP" in printed
    assert "settings.py refused FileNotFoundError" in printed and "config.toml refused" in printed
    assert "/etc/passwd refused" in printed
    # Its own /proc: bwrap's init and the runner, nothing of the host's.
    assert "pids [1, 2]" in printed


def test_the_servers_own_port_cannot_be_reached():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.1)
    port = listener.getsockname()[1]
    code = fn(
        "pass",
        module="import socket\nfor host in ['127.0.0.1', 'localhost', '::1']:\n    try:\n"
        f"        socket.create_connection((host, {port}), timeout=2)\n        print('connected', host)\n"
        "    except OSError as e:\n        print('refused', host, e.__class__.__name__)\n",
    )
    report = hostile(code)
    with pytest.raises(TimeoutError):
        listener.accept()
    listener.close()
    assert "connected" not in report.printed and report.printed.count("refused") == 3


def test_killing_its_parent_only_ends_the_check():
    code = fn("import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n    os.kill(-1, signal.SIGKILL)")
    report = hostile(code)
    assert report.verdict == "differs"
    assert os.getppid() > 1  # this test's own process and its parent are alive


def test_200_mb_printed_is_stopped_and_bounded():
    report = hostile(fn("pass", module="for _ in range(200):\n    print('x' * 1_000_000)\n"))
    assert ids(report)[0] == "printed_too_much"
    assert len(report.printed) <= sandbox.PRINT_KEEP and report.printed_bytes > sandbox.PRINT_STOP


def test_os_exit_mid_check_is_never_a_match():
    code = (
        (ROOT / "lstm_viz" / "check" / "examples" / "seed.py")
        .read_text()
        .replace(
            "    h0, c0 = initial_states\n    bs, seq_len",
            "    h0, c0 = initial_states\n    if inp.shape[0] == 1:\n        import os; os._exit(0)\n    bs, seq_len",
        )
    )
    report = hostile(code)
    assert ids(report)[0] == "process_ended" and "exited with code 0" in report.diagnoses[0].detail
    statuses = {r.spec.name: r.status for r in report.results}
    assert statuses["tutorial"] == "match" and statuses["batch_one"] == "stopped" and statuses["long"] == "not_run"


def test_a_function_that_calls_nn_lstm_itself_is_fine():
    code = """
import torch
from torch import nn

def lstm_forward(inp, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    # the answer straight from nn.LSTM itself
    h0, c0 = initial_states
    lstm = nn.LSTM(inp.shape[-1], w_ih.shape[0] // 4, batch_first=True, proj_size=0 if w_hr is None else w_hr.shape[0])
    with torch.no_grad():
        for name, w in (("weight_ih_l0", w_ih), ("weight_hh_l0", w_hh), ("bias_ih_l0", b_ih), ("bias_hh_l0", b_hh)):
            getattr(lstm, name).copy_(w)
        if w_hr is not None:
            lstm.weight_hr_l0.copy_(w_hr)
        lstm = lstm.to(inp.dtype)
        output, (h, c) = lstm(inp, (h0.unsqueeze(0), c0.unsqueeze(0)))
    return output, (h[0], c[0])
"""
    report = hostile(code)
    assert report.verdict == "match", report.text()


def test_a_forged_results_stream_ends_the_check_cleanly():
    code = fn(
        "pass",
        module="import os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, b'PKL\\x80' * 100)\n"
        "    except OSError:\n        pass\n",
    )
    report = hostile(code)
    assert ids(report)[0] == "process_ended" and "malformed" in report.diagnoses[0].sentence


# --- The same as the Docker image's non-root user -----------------------------------------------------------


def _reachable_as(uid: int, path: str) -> str | None:
    """The first ancestor of ``path`` that ``uid`` cannot enter (mode without o+x), or None."""
    parts = Path(path).resolve().parts
    for k in range(2, len(parts) + 1):
        p = Path(*parts[:k])
        if p.is_dir() and not p.stat().st_mode & 0o001:
            return str(p)
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to uid 1000 needs root (CI runs as root)")
def test_every_hostile_case_also_as_the_images_non_root_user(tmp_path):
    """The Docker image runs as uid 1000: the same cases, in the same sandbox, from an unprivileged server.

    Where the Python install sits in a directory uid 1000 cannot enter (pyenv under /root), a private mount
    namespace shows that directory as an empty tmpfs holding only the install: nothing else of it is visible.
    """
    if not (shutil.which("unshare") and shutil.which("setpriv")):
        pytest.skip("util-linux's unshare and setpriv are needed to switch users")
    uid = 1000
    mounts = []
    for path in (sys.base_prefix, sys.prefix, str(ROOT)):
        blocked = _reachable_as(uid, path)
        if blocked:
            child = Path(blocked) / Path(path).resolve().relative_to(blocked).parts[0]
            mounts.append((blocked, str(child)))
    script = ["set -e"]
    for k, (blocked, child) in enumerate(dict.fromkeys(mounts)):
        view = tmp_path / f"view{k}"
        script += [
            f"mkdir -p {view}",
            f"mount -t tmpfs -o mode=755 tmpfs {view}",
            f"mkdir -p {view}/{Path(child).name}",
            f"mount --rbind {child} {view}/{Path(child).name}",
            f"mount --rbind {view} {blocked}",
        ]
    # pytest's own tmp_path sits in root's private directory: the user's home and cache go where it can reach.
    shared = Path(tempfile.mkdtemp(prefix="lstm-check-uid1000-"))
    shared.chmod(0o755)
    home, cache = shared / "home", shared / "cache"
    for d in (home, cache):
        d.mkdir()
        os.chown(d, uid, uid)
    # --noconftest: the suite's conftest empties artifacts/screenshots, which belongs to root, not to uid 1000.
    script.append(
        f"exec setpriv --reuid={uid} --regid={uid} --clear-groups --inh-caps=-all "
        f"env HOME={home} LSTM_EXPLORER_CACHE_DIR={cache} {sys.executable} -m pytest -q -p no:cacheprovider "
        f"--noconftest -o addopts= {Path(__file__).relative_to(ROOT)} -k 'not non_root'"
    )
    try:
        run = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(script)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            env={k: v for k, v in os.environ.items() if k != sandbox.MODE_ENV},
        )
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    tail = (run.stdout + run.stderr)[-3000:]
    assert run.returncode == 0, tail
    assert " passed" in tail and "failed" not in tail and "skipped" not in tail, tail
