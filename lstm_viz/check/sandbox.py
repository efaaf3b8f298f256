"""The child process a learner's code runs in: Debian's bubblewrap, rlimits, nice 19, and capped pipes back.

The child sees a read-only view of the system (``/usr``, the Python install and the packages' site-packages),
its own ``/proc``, an empty ``/dev``, a small tmpfs ``/tmp``, no network, and an environment of exactly
``OMP_NUM_THREADS=1`` and ``LANG=C.UTF-8``. It runs as uid 1000 inside new user, PID, network, IPC, UTS and mount
namespaces; when its PID namespace's first process ends, the kernel ends every process in it, so nothing the
learner's code starts outlives the check. The server kills the whole sandbox when its time is up.

Processes: the kernel counts ``RLIMIT_NPROC`` per user *namespace* (Linux 5.14 and later), so the limit the
runner sets inside the sandbox bounds the sandbox alone even when the server's user runs many threads. It does
not bind root, though (the kernel exempts a real uid of 0), so a server running as root also puts each sandbox in
its own cgroup with ``pids.max``; where it cannot, the sandbox counts as unavailable.

Nothing from the child is unpickled: its results come back as ``protocol`` frames on their own pipe, capped in
size, and what it prints on another, of which the first ``PRINT_KEEP`` characters are kept.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import functools
import itertools
import json
import logging
import os
import queue
import selectors
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from lstm_viz.check import protocol
from lstm_viz.check.words import exception_words, together
from lstm_viz.i18n import Message, msg

log = logging.getLogger("lstm_viz.check")

MODE_ENV = "LSTM_EXPLORER_USER_CODE"
"""Where a learner's code may run: ``sandbox`` (bubblewrap), ``local`` (a plain child process with the same
limits: a learner's own laptop), or ``off``. Unset: ``sandbox`` when a test sandbox starts here, else ``off``."""
MODES = ("sandbox", "local", "off")
ENVIRONMENT = {"OMP_NUM_THREADS": "1", "LANG": "C.UTF-8"}
"""The child's whole environment."""
INNER_UID = 1000
"""The uid (and gid) the code has inside the sandbox: never root, even when the server is."""
MEMORY_BYTES = 1536 * 2**20
"""RLIMIT_AS of each process in the sandbox: ``import torch`` maps about 0.6 GB; the rest is for the learner."""
PROCESSES = 16
"""Processes and threads the sandbox may hold at once (RLIMIT_NPROC inside, and pids.max for a root server)."""
FILE_BYTES = 8 * 2**20
"""RLIMIT_FSIZE: the largest file the code may write (only its own tmpfs /tmp is writable)."""
TMP_BYTES = 16 * 2**20
"""The size of the sandbox's /tmp."""
OPEN_FILES = 64
CPU_S = 10.0
"""CPU seconds the learner's code may use per check (its module code and every case)."""
WALL_S = 10.0
"""Seconds a check may take from the moment the job is sent; then the sandbox is killed."""
START_S = 30.0
"""Seconds a sandbox may take to start and import torch (a loaded 2-core server needs a few)."""
PRINT_KEEP = 20_000
"""Characters of what the code printed that the report keeps."""
PRINT_STOP = 2 * 2**20
"""Bytes printed after which the check is stopped."""
RESULTS_MAX = 32 * 2**20
"""Bytes of result frames a check may send back."""
IDLE_S = 600.0
"""A pre-started sandbox unused this long is ended (its memory goes back to the worker)."""
RUNNER_FILES = ("runner.py", "protocol.py")
HERE = Path(__file__).resolve().parent
SANDBOX_DIR = "/sandbox"


class SandboxUnavailable(RuntimeError):  # noqa: N818 - the name says what the page tells the learner
    """A learner's code cannot be run here: checking is off, or the sandbox does not start on this machine."""


NOT_INSTALLED = msg("bubblewrap is not installed (apt-get install -y --no-install-recommends bubblewrap)")


def protocol_words(err: protocol.ProtocolError) -> str:
    """A broken results stream in words: a ``Message`` the page says in the reader's language."""
    return Message(err.msgid, **err.values) if hasattr(err, "msgid") else str(err)


def limits(nproc: int = PROCESSES) -> dict[str, int]:
    """The rlimits the runner sets on itself before anything of the learner's runs (CPU is set per job)."""
    return {"as": MEMORY_BYTES, "nproc": nproc, "fsize": FILE_BYTES, "nofile": OPEN_FILES, "core": 0}


def _outside_usr(path: str) -> bool:
    return not (path == "/usr" or path.startswith("/usr/"))


@functools.cache
def python_mounts() -> tuple[str, ...]:
    """Directories the child's Python needs besides ``/usr``: its install, the venv and each site-packages.

    The project itself is not among them (nor any cache or upload directory): the runner is copied in as data.
    """
    paths = {sys.base_prefix, sys.prefix, os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    for key in ("purelib", "platlib"):
        paths.add(sysconfig.get_paths()[key])
    found = sorted(p for p in paths if p and os.path.isdir(p) and _outside_usr(p))
    # A directory inside another one on the list is bound with it.
    return tuple(p for p in found if not any(p != q and p.startswith(q + "/") for q in found))


def bwrap_path() -> str | None:
    """Debian's ``bwrap``, or None when bubblewrap is not installed."""
    return shutil.which("bwrap")


def bwrap_args(data_fds: dict[str, int]) -> list[str]:
    """Bubblewrap's arguments: namespaces, a read-only system, own /proc, allow-listed environment.

    Args:
        data_fds: For each runner file name, a readable descriptor of its bytes (``--ro-bind-data``).
    """
    args = [
        "--unshare-user",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--uid",
        str(INNER_UID),
        "--gid",
        str(INNER_UID),
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--hostname",
        "sandbox",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        top = Path("/") / name
        if top.is_symlink():
            args += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            args += ["--ro-bind", str(top), str(top)]
    args += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    # The tmpfs before the Python mounts: bwrap mounts in order, and a venv under /tmp (a checkout in /tmp)
    # bound first would be hidden by the tmpfs mounted over it ("execvp .../.venv/bin/python: No such file").
    args += ["--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    for path in python_mounts():
        args += ["--ro-bind", path, path]
    for name, fd in data_fds.items():
        args += ["--ro-bind-data", str(fd), f"{SANDBOX_DIR}/{name}"]
    args += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--remount-ro",
        "/",
        "--chdir",
        "/tmp",
        "--clearenv",
    ]
    for key, value in ENVIRONMENT.items():
        args += ["--setenv", key, value]
    return args


class PidsCgroup:
    """A cgroup with ``pids.max`` for one sandbox of a root server (the kernel does not apply RLIMIT_NPROC to root)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @staticmethod
    @functools.cache
    def base() -> Path | None:
        """The directory holding the sandboxes' cgroups (cgroup v1's pids hierarchy or v2), or None."""
        v1 = Path("/sys/fs/cgroup/pids")
        v2 = Path("/sys/fs/cgroup")
        try:
            if (v1 / "cgroup.procs").exists():
                base = v1 / "lstm-explorer-check"
                base.mkdir(exist_ok=True)
                return base
            if "pids" in (v2 / "cgroup.controllers").read_text().split():
                base = v2 / "lstm-explorer-check"
                base.mkdir(exist_ok=True)
                (base / "cgroup.subtree_control").write_text("+pids")
                return base
        except OSError:
            return None
        return None

    @classmethod
    def create(cls, max_pids: int) -> PidsCgroup:
        """A fresh cgroup limited to ``max_pids`` tasks.

        Raises:
            SandboxUnavailable: when no pids cgroup can be made here.
        """
        base = cls.base()
        if base is None:
            raise SandboxUnavailable(
                msg(
                    "the server runs as root, where the kernel does not apply a process limit, and it cannot make a "
                    "pids cgroup (/sys/fs/cgroup is not writable): run the server as an unprivileged user"
                )
            )
        path = base / f"{os.getpid()}-{next(_counter)}-{os.urandom(3).hex()}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(max_pids))
        except OSError as err:
            raise SandboxUnavailable(msg("the sandbox's pids cgroup could not be made ({error})", error=err)) from err
        return cls(path)

    def tasks(self) -> list[int]:
        """The ids of every task in the cgroup now."""
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def remove(self, grace_s: float = 2.0) -> bool:
        """Remove the cgroup once it is empty; False when tasks outlived ``grace_s`` and had to be killed here.

        The kernel ends every process of the sandbox's PID namespace when its first process ends, but not in
        the same instant: the cgroup empties a few milliseconds after bwrap itself has exited.
        """
        deadline = time.monotonic() + grace_s
        while self.tasks() and time.monotonic() < deadline:
            time.sleep(0.01)
        clean = True
        deadline = time.monotonic() + grace_s
        while True:
            left = self.tasks()
            if not left:
                break
            clean = False
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        try:
            self.path.rmdir()
        except OSError:
            log.warning("the sandbox cgroup %s could not be removed", self.path)
        return clean


_counter = itertools.count()


class _Spawner:
    """One long-lived thread that starts every sandbox of this process.

    bubblewrap's ``--die-with-parent`` ends the sandbox when the *thread* that started it ends; Streamlit runs
    each script run on a thread of its own, so a sandbox started there would die with the run.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def popen(self, args: list[str], **kwargs: object) -> subprocess.Popen:
        """``subprocess.Popen(args, **kwargs)`` on the spawner thread."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="check-sandbox-spawner", daemon=True)
                self._thread.start()
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._jobs.put((args, kwargs, future))
        return future.result()

    def _loop(self) -> None:
        while True:
            args, kwargs, future = self._jobs.get()
            try:
                future.set_result(subprocess.Popen(args, **kwargs))  # noqa: S603 - fixed argv, no shell input
            except BaseException as err:  # noqa: BLE001 - handed back to the caller
                future.set_exception(err)


_spawner = _Spawner()


def _uid_tasks(uid: int) -> int:
    """How many tasks (threads included) ``uid`` runs now: RLIMIT_NPROC counts them all without a user namespace."""
    count = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                count += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
    return count


@dataclass
class Outcome:
    """How one run of the child went: the frames it sent, what it printed, and why it ended.

    ``stopped`` is None when the child finished by itself, else one of ``"time"``, ``"printed"``, ``"results"``
    (oversized or malformed frames), ``"start"`` (it never became ready).
    """

    frames: list[protocol.Frame] = field(default_factory=list)
    printed: str = ""
    printed_bytes: int = 0
    returncode: int | None = None
    stopped: str | None = None
    detail: str = ""
    seconds: float = 0.0
    leftover: bool = False


class Sandbox:
    """One started child, sandboxed (``bwrap=True``) or plain (local mode): ready for one job, then ended."""

    def __init__(self, bwrap: bool = True, probe: bool = False) -> None:
        self.bwrap = bwrap
        self.started = time.monotonic()
        self.cgroup: PidsCgroup | None = None
        self.ready = False
        self._tmp: str | None = None
        self._reader = protocol.FrameReader(RESULTS_MAX)
        self._early: list[protocol.Frame] = []
        out_r, out_w = os.pipe()
        res_r, res_w = os.pipe()
        in_r, in_w = os.pipe()
        data_fds: dict[str, int] = {}
        try:
            options = {"results_fd": res_w, "limits": limits(), "probe": probe}
            if bwrap:
                cmd, data_fds = self._bwrap_command(options)
                cwd = None
            else:
                self._tmp = tempfile.mkdtemp(prefix="lstm-check-")
                # The runner's two files alone in the child's own directory, as in the sandbox: nothing else of
                # the package sits beside them (nor shadows a standard module on its path).
                for name in RUNNER_FILES:
                    shutil.copyfile(HERE / name, Path(self._tmp) / name)
                options["limits"] = limits(_uid_tasks(os.getuid()) + PROCESSES)
                cmd = [sys.executable, "-I", "-B", str(Path(self._tmp) / "runner.py"), json.dumps(options)]
                cwd = self._tmp
            nice = shutil.which("nice")
            if nice:
                cmd = [nice, "-n", "19", *cmd]
            if bwrap and os.geteuid() == 0:
                self.cgroup = PidsCgroup.create(PROCESSES)
                # The shell moves itself into the cgroup, then becomes nice, then bwrap: one process throughout.
                # The shell sets PWD; env drops it again, so bwrap's own environment (its /proc/1/environ inside)
                # holds the allow-list alone.
                env_cmd = shutil.which("env") or "/usr/bin/env"
                cmd = [
                    "/bin/sh",
                    "-c",
                    'echo $$ > "$0/cgroup.procs" && exec "$@"',
                    str(self.cgroup.path),
                    env_cmd,
                    "-u",
                    "PWD",
                    *cmd,
                ]
            self.proc = _spawner.popen(
                cmd,
                stdin=in_r,
                stdout=out_w,
                stderr=out_w,
                pass_fds=(res_w, *data_fds.values()),
                env=dict(ENVIRONMENT),
                cwd=cwd,
                start_new_session=True,
                close_fds=True,
            )
        except BaseException:
            for fd in (out_r, res_r, in_w):
                os.close(fd)
            self._cleanup_files()
            if self.cgroup is not None:
                self.cgroup.remove()
            raise
        finally:
            for fd in (out_w, res_w, in_r, *data_fds.values()):
                os.close(fd)
        self.out_r, self.res_r, self.in_w = out_r, res_r, in_w
        for fd in (out_r, res_r, in_w):
            os.set_blocking(fd, False)

    @staticmethod
    def _bwrap_command(options: dict) -> tuple[list[str], dict[str, int]]:
        exe = bwrap_path()
        if exe is None:
            raise SandboxUnavailable(NOT_INSTALLED)
        data_fds = {}
        for name in RUNNER_FILES:
            r, w = os.pipe()
            data = (HERE / name).read_bytes()
            # The files are a few KB: far below a pipe's buffer, so writing them all now cannot block.
            os.write(w, data)
            os.close(w)
            data_fds[name] = r
        python = Path(sys.executable)
        cmd = [exe, *bwrap_args(data_fds), str(python), "-I", "-B", f"{SANDBOX_DIR}/runner.py", json.dumps(options)]
        return cmd, data_fds

    def alive(self) -> bool:
        """Whether the child is still running."""
        return self.proc.poll() is None

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the child has imported torch and said 'ready' (True), or died or ran out of time (False)."""
        if self.ready:
            return True
        deadline = time.monotonic() + timeout
        sel = selectors.DefaultSelector()
        sel.register(self.res_r, selectors.EVENT_READ)
        try:
            while time.monotonic() < deadline:
                if not sel.select(timeout=min(0.2, max(deadline - time.monotonic(), 0))):
                    if not self.alive():
                        return False
                    continue
                data = _read(self.res_r)
                if not data:
                    return False
                for frame in self._reader.feed(data):
                    if frame.header.get("type") == "ready":
                        self.ready = True
                    else:
                        self._early.append(frame)
                if self.ready:
                    return True
        except protocol.ProtocolError:
            return False
        finally:
            sel.close()
        return False

    def run(self, job: bytes, wall_s: float = WALL_S, on_frame=None) -> Outcome:
        """Send the job, collect frames and prints until the child ends or is stopped; then end it.

        Args:
            job: The job frame (``runner.job_frame``).
            wall_s: Seconds from now after which the child is killed.
            on_frame: Called with each result frame as it arrives.
        """
        out = Outcome(frames=list(self._early))
        kept = bytearray()
        start = time.monotonic()
        deadline = start + wall_s
        pending = memoryview(job)
        sel = selectors.DefaultSelector()
        sel.register(self.out_r, selectors.EVENT_READ, "out")
        sel.register(self.res_r, selectors.EVENT_READ, "res")
        sel.register(self.in_w, selectors.EVENT_WRITE, "in")
        open_reads = 2
        try:
            while open_reads and out.stopped is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    out.stopped = "time"
                    break
                for key, _ in sel.select(timeout=min(left, 0.5)):
                    if key.data == "in":
                        try:
                            pending = pending[os.write(self.in_w, pending) :]
                        except (BrokenPipeError, BlockingIOError):
                            pending = pending[:0] if not self.alive() else pending
                        if not pending:
                            sel.unregister(self.in_w)
                            os.close(self.in_w)
                            self.in_w = -1
                        continue
                    data = _read(key.fd)
                    if data is None:
                        continue
                    if not data:
                        sel.unregister(key.fd)
                        open_reads -= 1
                        continue
                    if key.data == "out":
                        out.printed_bytes += len(data)
                        if len(kept) < PRINT_KEEP * 4:
                            kept += data[: PRINT_KEEP * 4 - len(kept)]
                        if out.printed_bytes > PRINT_STOP:
                            out.stopped = "printed"
                            break
                        continue
                    try:
                        frames = self._reader.feed(data)
                    except protocol.ProtocolError as err:
                        out.stopped, out.detail = "results", protocol_words(err)
                        break
                    for frame in frames:
                        if frame.header.get("type") == "ready":
                            continue
                        out.frames.append(frame)
                        if on_frame is not None:
                            on_frame(frame)
                if open_reads and not self.alive() and not sel.select(timeout=0):
                    # The child is gone and its pipes are drained (a grandchild may still hold them open).
                    break
        finally:
            sel.close()
            out.seconds = time.monotonic() - start
            out.returncode, out.leftover = self.end()
        text = kept.decode("utf-8", errors="replace")
        out.printed = text[:PRINT_KEEP]
        return out

    def end(self) -> tuple[int | None, bool]:
        """Kill the child and everything it started; close the pipes.

        Returns:
            ``(returncode, leftover)``: the child's exit status (negative: the signal that ended it) and whether
            any process was still left in its cgroup to be killed (only known for a root server's cgroup).
        """
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        returncode = self.proc.wait()
        leftover = False
        if self.cgroup is not None:
            leftover = not self.cgroup.remove()
            self.cgroup = None
        for name in ("out_r", "res_r", "in_w"):
            fd = getattr(self, name, -1)
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, name, -1)
        self._cleanup_files()
        return returncode, leftover

    def _cleanup_files(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _read(fd: int) -> bytes | None:
    """What a non-blocking pipe holds now: bytes, b'' at its end, None when nothing is there yet."""
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None
    except OSError:
        return b""


# --- Which mode, and the probe that decides it -------------------------------------------------------------------


@dataclass(frozen=True)
class Mode:
    """Where a learner's code runs on this server, and the words the page shows about it."""

    name: str  # one of MODES
    reason: str = ""


def probe_sandbox(timeout: float = 15.0) -> str | None:
    """Start a sandbox with the exact flags and check it from inside; None when it works, else why not."""
    if sys.platform != "linux":
        return msg("bubblewrap runs on Linux only")
    if bwrap_path() is None:
        return NOT_INSTALLED
    try:
        box = Sandbox(bwrap=True, probe=True)
    except (SandboxUnavailable, OSError) as err:
        return exception_words(err)
    deadline = time.monotonic() + timeout
    frames: list[protocol.Frame] = []
    reader = protocol.FrameReader(1 << 20)
    printed = b""
    try:
        while time.monotonic() < deadline:
            ready = selectors.DefaultSelector()
            ready.register(box.res_r, selectors.EVENT_READ)
            ready.register(box.out_r, selectors.EVENT_READ)
            events = ready.select(timeout=0.2)
            ready.close()
            done = False
            for key, _ in events:
                data = _read(key.fd)
                if key.fd == box.out_r:
                    printed += data or b""
                    continue
                if not data:
                    done = data == b""
                    continue
                frames += reader.feed(data)
            if frames or done or (not events and not box.alive()):
                break
    except protocol.ProtocolError as err:
        return msg("the test sandbox answered with a malformed frame ({error})", error=protocol_words(err))
    finally:
        box.end()
    if not frames:
        said = printed.decode("utf-8", "replace").strip().splitlines()
        if said:
            return msg("the test sandbox did not start: {printed}", printed=said[-1][:300])
        return msg("the test sandbox did not start")
    info = frames[0].header
    problems = []
    if info.get("uid") in (0, None):
        problems.append(msg("its code ran as root"))
    if set(info.get("environ", [])) != set(ENVIRONMENT):
        problems.append(msg("its environment holds more than the allow-list"))
    if set(info.get("interfaces", [])) - {"lo"}:
        problems.append(msg("it can see a network interface"))
    if info.get("niceness", 0) < 19:
        problems.append(msg("it does not run at nice 19"))
    if info.get("nproc") != PROCESSES:
        problems.append(msg("its process limit was not set"))
    if problems:
        return msg("the test sandbox is not isolated: {problems}", problems=together(problems))
    return None


_mode_lock = threading.Lock()
_probed: list[str | None] = []


def current_mode() -> Mode:
    """This server's mode from ``LSTM_EXPLORER_USER_CODE``: unset means ``sandbox`` if a test sandbox starts.

    The probe runs once per process (a few hundredths of a second); an explicit ``sandbox`` that does not
    start reports why, and an unknown value is ``off``, naming the values it takes.
    """
    raw = os.environ.get(MODE_ENV, "").strip().lower()
    if raw and raw not in MODES:
        return Mode(
            "off", msg("{name}={value!r} is not one of {allowed}", name=MODE_ENV, value=raw, allowed=", ".join(MODES))
        )
    if raw in ("off", "local"):
        return Mode(raw)
    with _mode_lock:
        if not _probed:
            _probed.append(probe_sandbox())
    problem = _probed[0]
    if problem is None:
        return Mode("sandbox")
    return Mode("off", problem)


# --- The pre-started idle sandbox ---------------------------------------------------------------------------------


class Pool:
    """At most one pre-started, idle sandbox per process: used once, then ended; a new one starts after a check.

    Its memory (Python and torch, about 0.3 GB) counts in the worker's budget; unused for ``IDLE_S`` it is ended.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: Sandbox | None = None
        self._starting = False
        self._timer: threading.Timer | None = None

    def take(self, bwrap: bool) -> Sandbox:
        """A started sandbox: the idle one if it is alive and of the right kind, else a fresh one."""
        with self._lock:
            box, self._idle = self._idle, None
        if box is not None and box.bwrap == bwrap and box.alive():
            return box
        if box is not None:
            box.end()
        return Sandbox(bwrap=bwrap)

    def refill(self, bwrap: bool) -> None:
        """Start an idle sandbox in the background unless a live one is there (or starting) already."""
        with self._lock:
            if self._starting or (self._idle is not None and self._idle.alive()):
                return
            self._starting = True
        threading.Thread(target=self._start, args=(bwrap,), name="check-sandbox-refill", daemon=True).start()

    def _start(self, bwrap: bool) -> None:
        try:
            box = Sandbox(bwrap=bwrap)
        except (SandboxUnavailable, OSError):
            log.warning("the idle sandbox did not start", exc_info=True)
            box = None
        with self._lock:
            self._starting = False
            if box is None:
                return
            old, self._idle = self._idle, box
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(IDLE_S, self.close)
            self._timer.daemon = True
            self._timer.start()
        if old is not None:
            old.end()  # it died while idle: the new one replaces it

    def close(self) -> None:
        """End the idle sandbox, if any."""
        with self._lock:
            box, self._idle = self._idle, None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if box is not None:
            box.end()


pool = Pool()
atexit.register(pool.close)
