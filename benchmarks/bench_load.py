"""A class at once: N concurrent sessions driven through Streamlit's websocket protocol against a fresh server.

Starts the app itself on 127.0.0.1 (``--port``, default 8611), then for each page and each N opens N websocket
sessions the way a browser does (``/_stcore/stream``, subprotocol ``streamlit``), sends every session's first
``rerun_script`` BackMsg (a ``ClientState`` whose ``page_name`` opens the page) at the same moment, and times each
until its ``script_finished`` ForwardMsg; then ``--reruns`` rounds in which every session reruns at once (the
widget states kept, the hashes of cached messages sent as the browser does), and as many rounds in which every
session reruns only the page's fragment, as a time-cursor move on Gates does. Prints p50/p95 of each, errors
(exceptions on the page, compile errors, timeouts, dropped connections), the server's RSS, and the server's CPU
time per script run (all threads; the GIL lets about one core of it run at once, so it bounds a class's throughput).

The server reads ``.streamlit/config.toml``; ``--set section.option=value`` overrides it (e.g.
``--set runner.postScriptGC=true --set server.fileWatcherType=auto`` measures Streamlit's defaults).
``--hook freeze`` calls ``lstm_viz.server.startup.freeze_after_first_run()`` after every ``page.run()``, as
app.py would;
``--hook memo-figures`` shares figures between sessions of the same run (an emulation of a figure cache in
the pages). Before the timed levels one session opens each page, so the timings are those of a started server
whose run is cached (pass ``--cold`` to skip that warm-up and include the imports and the forward).

Other developers' half-saved edits break a shared working tree's app mid-measurement: serve a snapshot with
``--root`` (``git archive HEAD | tar -x -C /tmp/snap``, plus any files under test, and ``.venv`` linked in).

``--query controls=hidden`` opens the pages as the teacher link does (no controls drawn).

``--balancer 1 2`` measures a class behind HAProxy instead (issue 16): one ``scripts/serve.sh --workers K`` per
value, all started at once on their own ports, and every level measured on each of them in turn (the order
alternating from level to level), so 1 and 2 workers are compared side by side under the same machine load.
Each simulated student first loads the page over HTTP through the balancer, keeps the ``SERVERID`` cookie it
is given and opens its websocket with it, as a browser does; the table then shows every worker's CPU time,
RSS and number of sessions, and a line per level gives the p95 ratios of the first setup to the others. ``K:off``
is K workers with ``serve.sh --pin off`` (not pinned to cores), e.g. ``--balancer 1 2 2:off``. Pass the same N
several times (``--sessions 30 100 100 100 100 100``) to sample it again: a level's p95 on a shared machine moves
by a fifth from one level to the next, so the last table gives, for every page and N measured more than once,
each setup's median p95 and the median of the levels' ratios.

Run: .venv/bin/python benchmarks/bench_load.py [--sessions 1 10 20 30] [--pages home gates] [--repeat 2]
     .venv/bin/python benchmarks/bench_load.py --balancer 1 2 --sessions 1 10 30 60 100 100 100 100 100
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"home": "", "gates": "gates", "code": "code"}
"""Page key -> ``page_name`` (the URL path ``st.navigation`` gives the page; '' is the default page).

Home and Gates by default; ``--pages code`` adds Cells that read code (issue 17: within the others' figures).
"""
MAX_SESSIONS = 100
"""A hard cap so a typo cannot open thousands of sockets on a shared machine."""

# Runs inside the server process: optional hooks, then Streamlit's own command line.
BOOT = r"""
import os, sys
hooks = set(filter(None, os.environ.get("BENCH_LOAD_HOOKS", "").split(",")))
import gc, time
_gc_start = [0.0]
def _gc_log(phase, info):
    # Full collections stall every session at once (they hold the GIL): log each one's length.
    # Only after app.py's gc.freeze(): the collections of start-up (imports, the first run) are not timed.
    if info["generation"] != 2 or not gc.get_freeze_count():
        return
    if phase == "start":
        _gc_start[0] = time.perf_counter()
    else:
        ms = 1e3 * (time.perf_counter() - _gc_start[0])
        left, freed = len(gc.get_objects(2)), info["collected"]
        print(f"bench_load: gen2 gc {ms:.1f} ms {left} objects left, {freed} freed", flush=True)
gc.callbacks.append(_gc_log)
if "freeze" in hooks:
    from streamlit.navigation.page import StreamlitPage
    _run = StreamlitPage.run
    def run(self):
        _run(self)
        from lstm_viz.server import startup  # imported lazily: the first script run pays for torch, as in app.py
        if startup.freeze_after_first_run():
            print(f"bench_load: gc.freeze() moved {startup.frozen_objects()} objects", flush=True)
    StreamlitPage.run = run
if "memo-figures" in hooks:
    import functools, threading
    import lstm_viz.figures as figures
    from torch import Tensor
    lock = threading.Lock()
    def key_of(v):
        # Runs are shared read-only by every session, so identity (or a tensor's storage view) names a value.
        if isinstance(v, Tensor):
            return ("T", v.data_ptr(), tuple(v.shape), tuple(v.stride()), str(v.dtype))
        if isinstance(v, (list, tuple)):
            return tuple(key_of(x) for x in v)
        if isinstance(v, dict):
            return tuple(sorted((k, key_of(x)) for k, x in v.items()))
        if isinstance(v, (int, float, str, bool, type(None))):
            return v
        return ("id", id(v))
    def memo(fn):
        cache = {}
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            key = (key_of(args), key_of(kwargs))
            with lock:
                hit = cache.get(key)
            if hit is not None:
                return hit[0]
            fig = fn(*args, **kwargs)
            with lock:
                if len(cache) > 512:
                    cache.clear()
                cache[key] = (fig, args, kwargs)  # args kept alive so their ids cannot be reused
            return fig
        return wrapper
    for name in ("state_heatmap_figure", "step_bars_figure", "output_heatmap_figure"):
        setattr(figures, name, memo(getattr(figures, name)))
from streamlit.web.cli import main
sys.argv = ["streamlit", "run", *sys.argv[1:]]
main(prog_name="streamlit")
"""


@dataclass
class Level:
    """What one page at one N measured."""

    page: str
    sessions: int
    first: list[float] = field(default_factory=list)
    rerun: list[float] = field(default_factory=list)
    fragment: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rss_peak_mb: float = 0.0
    rss_after_mb: float = 0.0
    kb_per_run: float = 0.0
    cpu_ms_per_run: float = 0.0
    setup: str = ""
    workers: dict[str, tuple[float, float, int]] = field(default_factory=dict)
    """Behind a balancer: worker name -> (CPU seconds used in the level, RSS peak MB, sessions it held)."""
    others_cpu_s: dict[str, float] = field(default_factory=dict)
    """CPU seconds of the rest in the level: this benchmark's own process (the students) and HAProxy."""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list; NaN for an empty one."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process (all its threads) has used, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    if os.environ.get("BENCH_SYS"):
        print("utime", fields[11], "stime", fields[12])
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> tuple[float, float]:
    """The process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


class Server:
    """The app on 127.0.0.1:port in its own process group, killed on exit."""

    def __init__(self, root: Path, port: int, overrides: list[str], hooks: list[str]) -> None:
        self.port = port
        flags = ["--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1"]
        flags += ["--browser.gatherUsageStats", "false"]
        for item in overrides:
            key, _, value = item.partition("=")
            flags += [f"--{key}", value]
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench_load_server_", suffix=".log", delete=False)  # noqa: SIM115
        env = {**os.environ, "BENCH_LOAD_HOOKS": ",".join(hooks), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", BOOT, str(root / "app.py"), *flags],
            cwd=root,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; log: {self.log.name}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not answer /_stcore/health within 60 s; log: {self.log.name}")

    def pids(self) -> dict[str, int]:
        """The server processes to measure, by name."""
        return {"server": self.proc.pid}

    def stop(self) -> None:
        """Terminate the server's process group, then kill it if it lingers."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


class Balanced:
    """``scripts/serve.sh --workers K`` on 127.0.0.1:port: K warmed workers behind HAProxy, stopped on exit."""

    cookies = True

    def __init__(self, root: Path, port: int, workers: int, pin: bool = True) -> None:
        self.port, self.workers = port, workers
        self.name = f"{workers}w" + ("" if pin else "-off")
        self.run_dir = Path(tempfile.mkdtemp(prefix=f"bench_load_{self.name}_"))
        self.log = open(self.run_dir / "serve.log", "w+")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(root / "scripts" / "serve.sh"), "--workers", str(workers), "--port", str(port), "--bind", "127.0.0.1"]
            + ["--worker-port", str(port + 1), "--run-dir", str(self.run_dir), "--pin", "auto" if pin else "off"],
            cwd=root,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 240.0) -> None:
        """Wait until serve.sh says every worker is warm and enabled in HAProxy."""
        deadline = time.monotonic() + timeout
        while "serve.sh: ready" not in (log := (self.run_dir / "serve.log").read_text()):
            if "did not warm up" in log:
                self.stop()
                raise RuntimeError(f"the app fails on its first run; see the worker logs in {self.run_dir}")
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"serve.sh --workers {self.workers} did not get ready; log: {self.log.name}")
            time.sleep(0.3)

    def pids(self) -> dict[str, int]:
        """The workers' processes by name (w1, w2, ...), from serve.sh's ``workers`` file."""
        out = {}
        for line in (self.run_dir / "workers").read_text().splitlines():
            name, _, pid = line.split()
            out[name] = int(pid)
        return out

    def helpers(self) -> dict[str, int]:
        """HAProxy's process (its CPU is reported beside the workers')."""
        return {"haproxy": int((self.run_dir / "haproxy.pid").read_text())}

    def stop(self) -> None:
        """SIGTERM to serve.sh (it stops HAProxy and its workers), then kill the group if anything lingers."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


class Session:
    """One browser tab: a websocket session that runs the page and times each run to ``script_finished``."""

    def __init__(self, port: int, page_name: str, query: str = "", cookies: bool = False) -> None:
        self.port = port
        self.page_name = page_name
        self.query = query
        self.cookies = cookies
        self.cookie_header = ""
        self.worker = ""
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.finished = asyncio.Event()
        self.finished_at = 0.0
        self.cached_hashes: set[str] = set()
        self.fragments: set[str] = set()
        self.fragment_run = False
        self.errors: list[str] = []
        self.bytes = 0

    def load_page(self) -> None:
        """GET the page as a browser's first request does, keeping the cookies the balancer sets (SERVERID)."""
        url = f"http://127.0.0.1:{self.port}/{self.page_name}" + (f"?{self.query}" if self.query else "")
        with urllib.request.urlopen(url, timeout=30) as r:
            r.read()
            jar = SimpleCookie()
            for header in r.headers.get_all("Set-Cookie") or []:
                jar.load(header)
        self.worker = jar["SERVERID"].value if "SERVERID" in jar else ""
        self.cookie_header = "; ".join(f"{k}={m.value}" for k, m in jar.items())

    async def open(self) -> None:
        """Connect as the browser does: the subprotocol list carries 'streamlit' (then XSRF token, session id).

        Behind a balancer the page is loaded first and its cookies go with the websocket's upgrade request.
        """
        if self.cookies:
            await asyncio.to_thread(self.load_page)
        self.ws = await connect(
            f"ws://127.0.0.1:{self.port}/_stcore/stream",
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=30,
            ping_interval=None,
            compression=None,
            additional_headers={"Cookie": self.cookie_header} if self.cookie_header else None,
        )
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                self.bytes += len(data)
                msg = ForwardMsg()
                msg.ParseFromString(data)
                kind = msg.WhichOneof("type")
                if msg.metadata.cacheable and msg.hash:
                    self.cached_hashes.add(msg.hash)
                if kind == "delta" and msg.delta.fragment_id:
                    self.fragments.add(msg.delta.fragment_id)
                if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                    if msg.delta.new_element.WhichOneof("type") == "exception":
                        exc = msg.delta.new_element.exception
                        self.errors.append(f"exception on the page: {exc.type}: {exc.message[:200]}")
                elif kind == "page_not_found":
                    self.errors.append(f"page not found: {msg.page_not_found.page_name!r}")
                elif kind == "script_finished":
                    status = msg.script_finished
                    if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                        self.errors.append("script compile error")
                    done = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)
                    if self.fragment_run:
                        done = (ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)
                    if status in done:
                        self.finished_at = time.perf_counter()
                        self.finished.set()
                    # FINISHED_EARLY_FOR_RERUN (an st.rerun), and a fragment's end in a full run: not done yet.
        except Exception as err:  # noqa: BLE001 - any failure of the connection is an error to report
            self.errors.append(f"connection: {type(err).__name__}: {err}")
            self.finished.set()

    async def run(self, first: bool, timeout: float, fragment: str = "") -> float | None:
        """Send one rerun BackMsg and wait for the run's end; seconds taken, or None on timeout or error.

        ``fragment`` names a fragment to rerun alone (as a time-cursor move does) instead of the whole page.
        """
        msg = BackMsg()
        state = msg.rerun_script
        state.fragment_id = fragment
        self.fragment_run = bool(fragment)
        state.query_string = self.query
        state.page_name = self.page_name
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url = f"http://127.0.0.1:{self.port}/{self.page_name}" + (f"?{self.query}" if self.query else "")
        if not first:
            # Kept widget states are the server's; a browser rerun also lists the big messages it holds.
            state.cached_message_hashes.extend(sorted(self.cached_hashes))
        self.finished.clear()
        errors_before = len(self.errors)
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        try:
            await asyncio.wait_for(self.finished.wait(), timeout)
        except TimeoutError:
            self.errors.append(f"no script_finished within {timeout:.0f} s")
            return None
        if len(self.errors) > errors_before:
            return None
        return self.finished_at - start

    async def close(self) -> None:
        """Close the websocket and stop reading."""
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


async def measure(server, page: str, n: int, reruns: int, timeout: float, query: str = "") -> Level:
    """N sessions open ``page`` (with the URL query ``query``) at the same moment, then rerun together."""
    level = Level(page, n, setup=getattr(server, "name", ""))
    cookies = getattr(server, "cookies", False)
    sessions = [Session(server.port, PAGES[page], query, cookies) for _ in range(n)]
    pids = server.pids()
    peak = dict.fromkeys(pids, 0.0)
    stop = asyncio.Event()

    async def sample_rss() -> None:
        while not stop.is_set():
            for name, pid in pids.items():
                peak[name] = max(peak[name], rss_mb(pid)[0])
            await asyncio.sleep(0.05)

    def cpu() -> dict[str, float]:
        return {name: cpu_seconds(pid) for name, pid in pids.items()}

    sampler = asyncio.create_task(sample_rss())
    others = {"students": os.getpid(), **getattr(server, "helpers", dict)()}
    others_start = {name: cpu_seconds(pid) for name, pid in others.items()}
    cpu_start = cpu()
    cpu_pages = None
    try:
        await asyncio.gather(*(s.open() for s in sessions))
        times = await asyncio.gather(*(s.run(True, timeout) for s in sessions))
        level.first = [t for t in times if t is not None]
        for _ in range(reruns):
            await asyncio.sleep(0.3)  # students do not all click within the same millisecond twice
            times = await asyncio.gather(*(s.run(False, timeout) for s in sessions))
            level.rerun += [t for t in times if t is not None]
        cpu_pages = cpu()
        level.kb_per_run = sum(s.bytes for s in sessions) / 1024 / max(n * (1 + reruns), 1)
        for _ in range(reruns if all(s.fragments for s in sessions) else 0):
            # The page's fragment (Gates: the time cursor and its charts) reruns alone, as a cursor move does.
            await asyncio.sleep(0.3)
            times = await asyncio.gather(*(s.run(False, timeout, min(s.fragments)) for s in sessions))
            level.fragment += [t for t in times if t is not None]
    except Exception as err:  # noqa: BLE001 - a failed connect counts as an error of the level
        level.errors.append(f"{type(err).__name__}: {err}")
    finally:
        # Whole-page runs only: the cheaper fragment runs after them are not counted in.
        runs = len(level.first) + len(level.rerun)
        end = cpu_pages if cpu_pages is not None else cpu()
        used = {name: end[name] - cpu_start[name] for name in pids}
        level.cpu_ms_per_run = 1e3 * sum(used.values()) / max(runs, 1)
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        stop.set()
        await sampler
    for s in sessions:
        level.errors += s.errors
    level.rss_peak_mb = sum(peak.values())
    level.rss_after_mb = sum(rss_mb(pid)[0] for pid in pids.values())
    if cookies:
        held = {name: sum(s.worker == name for s in sessions) for name in pids}
        level.workers = {name: (used[name], peak[name], held[name]) for name in pids}
        level.others_cpu_s = {name: cpu_seconds(pid) - others_start[name] for name, pid in others.items()}
        if sum(held.values()) != n:
            level.errors.append(f"{n - sum(held.values())} session(s) got no SERVERID cookie of a live worker")
    return level


async def warm_up(server, pages: list[str], timeout: float, query: str = "") -> None:
    """One session opens each page once: imports, the forward and the cached run are paid before timing."""
    for page in pages:
        s = Session(server.port, PAGES[page], query, getattr(server, "cookies", False))
        await s.open()
        await s.run(True, timeout)
        await s.close()
        if s.errors:
            raise RuntimeError(f"warm-up of {page} failed: {s.errors[:3]}")


def one_server(args: argparse.Namespace) -> list[Level]:
    """Start a fresh server, measure every page and N on it, stop it."""
    server = Server(args.root.resolve(), args.port, args.set, args.hook)
    levels = []
    deadline = time.monotonic() + args.max_seconds
    try:
        if not args.cold:
            asyncio.run(warm_up(server, args.pages, args.timeout, args.query))
        for page in args.pages:
            for n in args.sessions:
                if time.monotonic() > deadline:
                    print(f"  stopped: --max-seconds {args.max_seconds} reached before {page} N={n}")
                    return levels
                level = asyncio.run(measure(server, page, n, args.reruns, args.timeout, args.query))
                print("  " + row(level), flush=True)
                levels.append(level)
                time.sleep(args.pause)
    finally:
        server.stop()
        print("  " + gc_summary(Path(server.log.name)))
    return levels


def balanced(args: argparse.Namespace, specs: list[tuple[int, bool]]) -> list[Level]:
    """Every setup (workers, pinned) started at once; each level measured on each setup in turn, order alternating."""
    setups = [Balanced(args.root.resolve(), args.port + 100 * k, w, pin) for k, (w, pin) in enumerate(specs)]
    order = {setup.name: k for k, setup in enumerate(setups)}
    levels = []
    deadline = time.monotonic() + args.max_seconds
    try:
        for setup in setups:
            setup.wait_ready()
        for setup in setups:
            asyncio.run(warm_up(setup, args.pages, args.timeout, args.query))
        print(f"  load average before: {load_average()}", flush=True)
        k = 0
        for page in args.pages:
            for n in args.sessions:
                if time.monotonic() > deadline:
                    print(f"  stopped: --max-seconds {args.max_seconds} reached before {page} N={n}")
                    return levels
                pair = []
                for setup in setups[:: 1 if k % 2 == 0 else -1]:
                    level = asyncio.run(measure(setup, page, n, args.reruns, args.timeout, args.query))
                    pair.append(level)
                    time.sleep(args.pause)
                k += 1
                pair.sort(key=lambda lv: order[lv.setup])
                for level in pair:
                    print("  " + row(level) + "  " + worker_cells(level), flush=True)
                print("  " + ratios(pair) + f"  load {load_average()}", flush=True)
                levels += pair
    finally:
        for setup in setups:
            setup.stop()
    print(f"  load average after: {load_average()}")
    return levels


def parse_setup(spec: str) -> tuple[int, bool]:
    """``"2"`` -> (2 workers, pinned as serve.sh does by default); ``"2:off"`` -> (2, not pinned)."""
    match = re.fullmatch(r"(\d+)(:off)?", spec)
    if match is None:
        raise ValueError(f"--balancer {spec!r}: give K or K:off (K workers)")
    return int(match.group(1)), match.group(2) is None


def repeated_summary(levels: list[Level]) -> list[str]:
    """For every page and N measured more than once: each setup's median p95s, and the median of the ratios.

    ``levels`` holds the balancer's levels in measuring order, each pair's setups together and in order.
    """
    groups: dict[tuple[str, int], list[list[Level]]] = {}
    names = list(dict.fromkeys(level.setup for level in levels))
    for k in range(0, len(levels), len(names)):
        pair = levels[k : k + len(names)]
        groups.setdefault((pair[0].page, pair[0].sessions), []).append(pair)
    lines = []
    for (page, n), pairs in groups.items():
        if len(pairs) < 2:
            continue
        cells = []
        for j, name in enumerate(names):
            first = statistics.median(percentile(pair[j].first, 95) for pair in pairs)
            rerun = statistics.median(percentile(pair[j].rerun, 95) for pair in pairs)
            cells.append(f"{name} {first:.3f} / {rerun:.3f} s")
        for j, name in enumerate(names[1:], start=1):
            first = [percentile(p[0].first, 95) / percentile(p[j].first, 95) for p in pairs]
            rerun = [percentile(p[0].rerun, 95) / percentile(p[j].rerun, 95) for p in pairs]
            cells.append(
                f"{names[0]}/{name}: first x{statistics.median(first):.2f} ({min(first):.2f}-{max(first):.2f}), "
                f"rerun x{statistics.median(rerun):.2f} ({min(rerun):.2f}-{max(rerun):.2f})"
            )
        lines.append(f"{page} N={n}, {len(pairs)} levels, median p95 first / rerun: " + "; ".join(cells))
    return lines


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def worker_cells(level: Level) -> str:
    """Each worker's CPU seconds in the level, RSS peak and sessions held, e.g. 'w1 3.1 s 410 MB 50 |'."""
    cells = [f"{name} {cpu:.1f} s {rss:.0f} MB {held:3d}" for name, (cpu, rss, held) in level.workers.items()]
    cells += [f"{name} {cpu:.1f} s" for name, cpu in level.others_cpu_s.items()]
    return " | ".join(cells)


def ratios(pair: list[Level]) -> str:
    """How many times the first setup's p95 (first run, rerun) is the others'."""
    base = pair[0]
    cells = []
    for other in pair[1:]:
        first = percentile(base.first, 95) / percentile(other.first, 95)
        rerun = percentile(base.rerun, 95) / percentile(other.rerun, 95)
        cells.append(f"p95 {base.setup}/{other.setup}: first x{first:.2f}, rerun x{rerun:.2f}")
    return f"{base.page} N={base.sessions}: " + "; ".join(cells)


def gc_summary(log: Path) -> str:
    """Count, median, max and total of the server's full (gen-2) collections, from its log."""
    pauses = [float(line.split()[3]) for line in log.read_text().splitlines() if line.startswith("bench_load: gen2")]
    if not pauses:
        return "gen-2 collections after the start-up freeze: none"
    objects = [int(line.split()[5]) for line in log.read_text().splitlines() if line.startswith("bench_load: gen2")]
    return (
        f"gen-2 collections after the start-up freeze: {len(pauses)}, median {statistics.median(pauses):.0f} ms, "
        f"max {max(pauses):.0f} ms, total {sum(pauses) / 1e3:.1f} s (each stalls every session); "
        f"{statistics.median(objects) / 1e3:.0f}k objects left in the oldest generation (median)"
    )


HEADER = (
    f"{'setup':6s} {'page':6s} {'N':>3s} {'first p50':>9s} {'first p95':>9s} {'rerun p50':>9s} {'rerun p95':>9s} "
    f"{'cursor p50':>10s} {'cursor p95':>10s} {'errors':>6s} {'RSS peak MB':>11s} {'RSS after MB':>12s} {'KB/run':>7s} "
    f"{'CPU ms/run':>10s}"
)


def _seconds(values: list[float], q: float, width: int) -> str:
    value = percentile(values, q)
    return f"{'-':>{width}s}" if math.isnan(value) else f"{value:{width}.3f}"


def row(level: Level) -> str:
    """One table line; times in seconds ('-' where the page has no fragment to rerun alone)."""
    return (
        f"{level.setup or '1p':6s} {level.page:6s} {level.sessions:3d} "
        f"{_seconds(level.first, 50, 9)} {_seconds(level.first, 95, 9)} "
        f"{_seconds(level.rerun, 50, 9)} {_seconds(level.rerun, 95, 9)} "
        f"{_seconds(level.fragment, 50, 10)} {_seconds(level.fragment, 95, 10)} {len(level.errors):6d} "
        f"{level.rss_peak_mb:11.0f} {level.rss_after_mb:12.0f} {level.kb_per_run:7.0f} {level.cpu_ms_per_run:10.1f}"
    )


def median_level(runs: list[Level]) -> Level:
    """A level whose percentiles are the medians of the repeats' (a Level holding those values as samples)."""
    first = Level(runs[0].page, runs[0].sessions, setup=runs[0].setup)
    for q_name in ("first", "rerun", "fragment"):
        p50 = statistics.median(percentile(getattr(r, q_name), 50) for r in runs)
        p95 = statistics.median(percentile(getattr(r, q_name), 95) for r in runs)
        # Nearest-rank of [p50, p95] gives p50 at 50 and p95 at 95.
        setattr(first, q_name, [p50, p95])
    first.errors = [e for r in runs for e in r.errors]
    first.rss_peak_mb = statistics.median(r.rss_peak_mb for r in runs)
    first.rss_after_mb = statistics.median(r.rss_after_mb for r in runs)
    first.kb_per_run = statistics.median(r.kb_per_run for r in runs)
    first.cpu_ms_per_run = statistics.median(r.cpu_ms_per_run for r in runs)
    return first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 20, 30], help="values of N")
    parser.add_argument("--pages", nargs="+", choices=list(PAGES), default=["home", "gates"])
    parser.add_argument("--reruns", type=int, default=3, help="rerun rounds per level")
    parser.add_argument("--repeat", type=int, default=1, help="fresh servers; the table shows medians")
    parser.add_argument("--port", type=int, default=8611)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a run may take before it is an error")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="per server: no new level after this")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between levels")
    parser.add_argument("--set", action="append", default=[], metavar="OPTION=VALUE", help="config override")
    parser.add_argument("--hook", action="append", default=[], choices=["freeze", "memo-figures"])
    parser.add_argument("--cold", action="store_true", help="no warm-up session before the timed levels")
    parser.add_argument(
        "--query", default="", help="the link's query, e.g. 'controls=hidden' for the teacher link a class opens"
    )
    parser.add_argument("--label", default="", help="printed above the table")
    parser.add_argument(
        "--balancer",
        nargs="+",
        metavar="K",
        help="measure scripts/serve.sh --workers K for each K (e.g. 1 2; K:off for --pin off) side by side, "
        "through HAProxy",
    )
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the app to serve (e.g. a snapshot made with git archive)"
    )
    args = parser.parse_args()
    # A terminated benchmark must still stop its server (the finally blocks run on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if max(args.sessions) > MAX_SESSIONS or min(args.sessions) < 1:
        parser.error(f"N must lie in 1..{MAX_SESSIONS}")
    if args.port == 8501:
        parser.error("8501 is the developers' own server: pick another port")
    settings = " ".join(args.set + [f"hook={h}" for h in args.hook]) or "the config file as it is"
    settings += f"; pages opened with ?{args.query}" if args.query else ""
    if args.balancer:
        if args.set or args.hook or args.repeat != 1 or args.cold:
            parser.error("--balancer serves the app as serve.sh does: no --set, --hook, --repeat or --cold")
        try:
            specs = [parse_setup(spec) for spec in args.balancer]
        except ValueError as err:
            parser.error(str(err))
        if len(set(specs)) < len(specs):
            parser.error("--balancer: each setup once")
        where = ", ".join(f"{k} worker(s)" + ("" if pin else " not pinned") for k, pin in specs)
        print(f"{args.label or 'bench_load'}: scripts/serve.sh behind HAProxy with {where}; {args.reruns} rerun rounds")
        print(f"  {HEADER}  per worker: CPU in the level, RSS peak, sessions; CPU of the students and HAProxy")
        levels = balanced(args, specs)
        errors = [e for level in levels for e in level.errors]
        for err in sorted(set(errors))[:10]:
            print(f"  error x{errors.count(err)}: {err}")
        for line in repeated_summary(levels):
            print("  " + line)
        print("times in seconds from sending the rerun BackMsg to script_finished; targets (issue 16), 2 workers:")
        print("  N=100: >= 1.6x faster than 1 worker at p95, first p95 <= 1.0, rerun p95 <= 0.75; N=30: 0.35 / 0.3")
        return
    print(f"{args.label or 'bench_load'}: {settings}; {args.reruns} rerun rounds, {args.repeat} server(s)")
    print(f"  {HEADER}")
    repeats = [one_server(args) for _ in range(args.repeat)]
    if args.repeat > 1:
        print(f"medians of {args.repeat} servers:\n  {HEADER}")
        for k in range(min(len(r) for r in repeats)):
            print("  " + row(median_level([r[k] for r in repeats])))
    errors = [e for r in repeats for level in r for e in level.errors]
    for err in sorted(set(errors))[:10]:
        print(f"  error x{errors.count(err)}: {err}")
    print("times in seconds from sending the rerun BackMsg to script_finished; targets (issue 7):")
    print("  N=20: first p95 <= 0.8, rerun p95 <= 0.45; N=30: first <= 1.5, rerun <= 0.75; 0 errors")


if __name__ == "__main__":
    main()
