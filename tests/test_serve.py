"""scripts/serve.sh end to end: two workers behind HAProxy, sticky sessions, an upload, a killed worker, SIGTERM."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI") == "true"
# A link a student shares: the same query must give the same charts on any worker.
LINK = ("gates", "model=random&seq_len=12&seed=3")

needs_haproxy = pytest.mark.skipif(
    not Path(HAPROXY).is_file() and not IN_CI, reason="Debian's haproxy is not installed (CI installs it)"
)


def test_the_rendered_config_has_stickiness_checks_tunnel_timeout_and_failover(tmp_path):
    out = subprocess.run(
        ["scripts/serve.sh", "--workers", "3", "--port", "9000", "--run-dir", str(tmp_path), "--config-only"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in [
        "bind :9000",
        "cookie SERVERID insert indirect nocache",
        "option httpchk GET /_stcore/health",
        "timeout tunnel 2h",
        "option redispatch 1",
        "retries 2",
        "on-marked-down shutdown-sessions",
        "timeout check 5s",
        "server w3 127.0.0.1:9003 check cookie w3 disabled",
        f"stats socket {tmp_path}/haproxy.sock",
    ]:
        assert line in out, line
    assert "@" not in out.replace("# Placeholders, each between at-signs", ""), "every placeholder is filled"
    if Path(HAPROXY).is_file():
        (tmp_path / "c.cfg").write_text(out)
        subprocess.run([HAPROXY, "-c", "-q", "-f", str(tmp_path / "c.cfg")], check=True)


def test_compose_renders_the_same_template_with_container_dns():
    from deploy.worker_ctl import render

    text = render(
        (ROOT / "deploy" / "haproxy.cfg.template").read_text(),
        ":8501",
        "/tmp/h.sock",
        ["w1=worker1:8501"],
        "127.0.0.11:53",
    )
    assert "nameserver dns1 127.0.0.11:53" in text
    assert "server w1 worker1:8501 check cookie w1 resolvers dns init-addr last,libc,none" in text
    with pytest.raises(ValueError, match="name=host:port"):
        render("", ":1", "/s", ["worker1:8501"])


def _agent_answer(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        return conn.recv(64).decode()


def test_a_workers_warm_agent_says_maint_until_the_worker_has_opened_its_pages_itself(monkeypatch):
    import threading
    import types

    import deploy.worker_boot as boot

    opened, release = [], threading.Event()

    async def open_page(port, page, timeout):
        release.wait(30)
        opened.append((port, page))

    fake = types.SimpleNamespace(wait_healthy=lambda port, timeout: None, open_page=open_page)
    monkeypatch.setitem(sys.modules, "worker_ctl", fake)
    agent = boot.WarmAgent(0, 8999)
    assert _agent_answer(agent.port) == "maint\n", "not warm yet: HAProxy keeps it in maintenance"
    release.set()
    assert agent.warm.wait(30)
    assert opened == [(8999, page) for page in boot.WARM_PAGES], "each warm page once, on its own port"
    assert boot.WARM_PAGES == ("", "gates", "code")
    assert _agent_answer(agent.port) == "ready up\n"
    assert boot._server_port(["app.py", "--server.port=8502"]) == 8502
    assert boot._server_port(["app.py", "--server.port", "8503"]) == 8503


@needs_haproxy
def test_haproxy_keeps_a_worker_its_agent_calls_cold_in_maintenance_and_sends_it_students_once_warm(tmp_path):
    from deploy.worker_ctl import haproxy_command, render

    agent = socket.create_server(("127.0.0.1", 0))
    answer = [b"maint\n"]

    def serve() -> None:
        while True:
            conn, _ = agent.accept()
            with conn:
                conn.sendall(answer[0])

    import threading

    threading.Thread(target=serve, daemon=True).start()
    backend = subprocess.Popen(
        [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1"], stdout=subprocess.PIPE
    )
    try:
        line = backend.stdout.readline().decode()
        port = int(line.split("port ")[1].split(" ")[0])
        sock = tmp_path / "h.sock"
        cfg = render(
            (ROOT / "deploy" / "haproxy.cfg.template").read_text().replace("GET /_stcore/health", "GET /"),
            f"127.0.0.1:{_free_ports(1)}",
            str(sock),
            [f"w1=127.0.0.1:{port}"],
            agent_port=agent.getsockname()[1],
        )
        assert f"agent-check agent-port {agent.getsockname()[1]} agent-inter 1s" in cfg
        (tmp_path / "h.cfg").write_text(cfg)
        proxy = subprocess.Popen([HAPROXY, "-db", "-f", str(tmp_path / "h.cfg")], stderr=subprocess.DEVNULL)
        try:

            def admin_state() -> int | None:
                """w1's srv_admin_state (the 7th field; non-zero: in maintenance), or None before HAProxy answers."""
                text = haproxy_command(str(sock), "show servers state workers") if sock.exists() else ""
                row = next((line for line in text.splitlines() if " w1 " in line), None)
                return None if row is None else int(row.split()[6])

            deadline = time.monotonic() + 20
            while admin_state() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(3)  # health checks have passed by now: only the agent keeps it out
            assert admin_state() != 0, "cold: in maintenance"
            answer[0] = b"ready up\n"
            deadline = time.monotonic() + 10
            while admin_state() != 0 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert admin_state() == 0, "warm: takes students"
        finally:
            proxy.terminate()
            proxy.wait(10)
    finally:
        backend.terminate()
        backend.wait(10)
        agent.close()


def test_worker_k_of_n_is_pinned_to_a_core_only_when_the_workers_fill_the_cores_evenly():
    from deploy.worker_boot import core_for

    assert [core_for(f"{k}/2", {0, 1}) for k in (1, 2)] == [0, 1]
    assert [core_for(f"{k}/4", {0, 1}) for k in (1, 2, 3, 4)] == [0, 1, 0, 1]
    # A container's cpuset: the cores it may use, whatever their numbers.
    assert [core_for(f"{k}/2", {7, 4}) for k in (1, 2)] == [4, 7]
    assert core_for("1/1", {3}) == 3
    # Fewer workers than cores, or an uneven share: the kernel places them.
    assert core_for("1/1", {0, 1}) is None
    assert core_for("2/3", {0, 1}) is None
    for bad in ("0/2", "3/2", "x/2", "2", "-1/2", ""):
        with pytest.raises(ValueError, match="give k/N"):
            core_for(bad, {0, 1})


def test_a_malformed_worker_slot_stops_the_worker_with_a_message_not_a_traceback():
    env = {**os.environ, "LSTM_EXPLORER_WORKER_SLOT": "two/2"}
    out = subprocess.run(
        [sys.executable, "deploy/worker_boot.py", "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "LSTM_EXPLORER_WORKER_SLOT='two/2': give k/N" in out.stderr
    assert "Traceback" not in out.stderr


def _cores_of(pid: int) -> set[str]:
    """The Cpus_allowed_list of every thread of a process, e.g. {'1'}."""
    lists = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("Cpus_allowed_list:"):
                lists.add(line.split(":", 1)[1].strip())
    return lists


def _free_ports(count: int) -> int:
    """A port p with p .. p+count-1 all free on 127.0.0.1 (serve.sh puts its workers right after HAProxy)."""
    for _ in range(200):
        base = random.randrange(20_000, 60_000)
        socks = []
        try:
            for p in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free ports")


class Served:
    """``scripts/serve.sh --workers 2`` on free loopback ports, its run directory readable by the tests."""

    def __init__(self, tmp: Path) -> None:
        self.port = _free_ports(3)
        self.run_dir = tmp / "run"
        self.log_path = tmp / "serve.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115
        env = {**os.environ, "LSTM_EXPLORER_CACHE_DIR": str(tmp / "cache")}
        cmd = ["scripts/serve.sh", "--workers", "2", "--port", str(self.port), "--bind", "127.0.0.1"]
        cmd += ["--run-dir", str(self.run_dir)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.wait_for(lambda: "serve.sh: ready" in self.log_path.read_text(), 150, "serve.sh to get ready")

    def wait_for(self, condition, timeout: float, what: str) -> float:
        """Poll ``condition`` until it holds; the seconds it took."""
        start = time.monotonic()
        while not condition():
            if self.proc.poll() is not None:
                raise AssertionError(f"serve.sh exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            if time.monotonic() - start > timeout:
                raise AssertionError(f"waited {timeout} s for {what}:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        return time.monotonic() - start

    def workers(self) -> dict[str, int]:
        """Worker name -> pid, as serve.sh last wrote them."""
        rows = (self.run_dir / "workers").read_text().split("\n")
        return {name: int(pid) for name, _, pid in (r.split() for r in rows if r)}

    def status(self) -> dict[str, str]:
        """Worker name -> HAProxy's view of it (UP, DOWN, MAINT, ...), from its admin socket."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.run_dir / "haproxy.sock"))
            s.sendall(b"show stat\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        header, *rows = data.decode().splitlines()
        cols = header.lstrip("# ").split(",")
        out = {}
        for r in rows:
            cells = dict(zip(cols, r.split(","), strict=False))
            if cells.get("pxname") == "workers" and cells.get("svname", "").startswith("w"):
                out[cells["svname"]] = cells["status"]
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)
        self.log.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``scripts/serve.sh --workers 2``, shared by the tests below (the last one stops it with SIGTERM)."""
    if not Path(HAPROXY).is_file():
        pytest.fail("CI needs Debian's haproxy for these tests: apt-get install -y --no-install-recommends haproxy")
    s = Served(tmp_path_factory.mktemp("serve"))
    yield s
    s.stop()


class Student:
    """One browser tab through the balancer: loads the page (SERVERID cookie), then runs it over the websocket."""

    def __init__(self, port: int, cookie: str = "") -> None:
        self.port = port
        self.cookie = cookie
        self.worker = cookie.partition("=")[2]
        self.session_id = ""
        self.fragments: set[str] = set()
        self.ws = None

    def _load(self, page: str, query: str) -> None:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/{page}?{query}")
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            self._take_cookie(r.headers.get_all("Set-Cookie") or [])

    def _take_cookie(self, headers: list[str]) -> None:
        jar = SimpleCookie()
        for h in headers:
            jar.load(h)
        if "SERVERID" in jar:
            self.worker = jar["SERVERID"].value
            self.cookie = f"SERVERID={self.worker}"

    async def connect(self, page: str, query: str, resume: bool = False) -> None:
        """Open the websocket (with the old session id if ``resume``, as Streamlit's frontend reconnects)."""
        from websockets.asyncio.client import connect

        if not self.cookie:
            await asyncio.to_thread(self._load, page, query)
        protocols = ["streamlit", "xsrf", self.session_id] if resume and self.session_id else ["streamlit"]
        self.ws = await connect(
            f"ws://127.0.0.1:{self.port}/_stcore/stream",
            subprotocols=protocols,
            additional_headers={"Cookie": self.cookie} if self.cookie else None,
            max_size=None,
            open_timeout=30,
        )
        # A request redispatched away from a dead worker comes back with the new worker's cookie.
        self._take_cookie(self.ws.response.headers.get_all("Set-Cookie"))

    async def run(self, page: str, query: str, timeout: float = 60, fragment: str = "") -> list[str]:
        """One full run of the page; digests of its Plotly figures. Raises on an exception shown on the page.

        ``fragment`` sends a rerun of that fragment alone (a click on Gates' time cursor); this still waits for a
        full run's end, so the worker must answer it with the whole page.
        """
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.fragment_id = fragment
        msg.rerun_script.page_name = page
        msg.rerun_script.query_string = query
        info = msg.rerun_script.context_info
        info.timezone, info.locale = "UTC", "en-US"
        await self.ws.send(msg.SerializeToString())
        figures = []
        async with asyncio.timeout(timeout):
            async for data in self.ws:
                fwd = ForwardMsg()
                fwd.ParseFromString(data)
                kind = fwd.WhichOneof("type")
                if kind == "new_session":
                    self.session_id = fwd.new_session.initialize.session_id
                if kind == "delta" and fwd.delta.fragment_id:
                    self.fragments.add(fwd.delta.fragment_id)
                if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                    el = fwd.delta.new_element
                    assert el.WhichOneof("type") != "exception", el.exception.message
                    if el.WhichOneof("type") == "plotly_chart":
                        figures.append(hashlib.sha256(el.plotly_chart.spec.encode()).hexdigest())
                elif kind == "script_finished" and fwd.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    return figures
        raise AssertionError("the websocket closed before the run finished")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


async def _students_on_each_worker(port: int) -> dict[str, Student]:
    """Open students until each worker holds one (round robin sends new sessions to each in turn)."""
    held: dict[str, Student] = {}
    for _ in range(6):
        s = Student(port)
        await s.connect(*LINK)
        await s.run(*LINK)
        if s.worker in held:
            await s.close()
        else:
            held[s.worker] = s
        if len(held) == 2:
            return held
    raise AssertionError(f"new sessions all went to {list(held)}")


@needs_haproxy
def test_each_session_stays_on_its_worker_across_reruns_and_reconnects(served):
    async def scenario():
        students = await _students_on_each_worker(served.port)
        assert sorted(students) == ["w1", "w2"]
        figures = {}
        for name, s in students.items():
            first = await s.run(*LINK)
            assert await s.run(*LINK) == first, "a rerun on the same worker draws the same charts"
            figures[name] = first
            session = s.session_id
            await s.close()
            # A reconnect (as after a network blip) carries the cookie and the old session id: the same worker
            # still holds that session, so it is resumed rather than replaced.
            await s.connect(*LINK, resume=True)
            assert s.worker == name
            assert await s.run(*LINK) == first
            assert s.session_id == session, "the reconnect reached the worker that holds the session"
            await s.close()
        assert figures["w1"] == figures["w2"], "a link draws the same charts on every worker"

    asyncio.run(scenario())


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
@needs_haproxy
def test_an_upload_through_the_balancer_reaches_the_worker_that_holds_the_session(served, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_app_uploads import _checkpoint

    path = tmp_path / "tagger.pt"
    path.write_bytes(_checkpoint())
    args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    args += ["--disable-component-update", "--disable-sync"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"http://127.0.0.1:{served.port}/gates?model=file")
            picker = page.locator('[data-testid="stSidebar"] input[type="file"]').first
            picker.wait_for(state="attached", timeout=60_000)
            # The PUT /_stcore/upload_file/<session>/<file> must reach the session's worker (another says 400).
            picker.set_input_files(str(path))
            page.wait_for_selector("text=from tagger.pt", timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            cookies = {c["name"]: c["value"] for c in page.context.cookies()}
            assert cookies.get("SERVERID") in ("w1", "w2")
        finally:
            browser.close()


@needs_haproxy
def test_each_worker_runs_on_its_own_core_when_there_is_one_per_core(served):
    from deploy.worker_boot import core_for

    expected = {name: core_for(f"{name[1:]}/2", os.sched_getaffinity(0)) for name in ("w1", "w2")}
    for name, pid in served.workers().items():
        want = {str(expected[name])} if expected[name] is not None else {_cores_of(os.getpid()).pop()}
        # Every thread: the script threads a class starts later inherit the main thread's core.
        assert _cores_of(pid) == want, (name, _cores_of(pid), want)


@needs_haproxy
def test_a_killed_worker_is_taken_out_its_students_reconnect_elsewhere_and_it_comes_back(served):
    async def scenario():
        students = await _students_on_each_worker(served.port)
        victim, survivor = students["w1"], students["w2"]
        before = await victim.run(*LINK)
        pid = served.workers()["w1"]
        pinned = _cores_of(pid)
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        # The other worker's students see nothing: their reruns go on while w1 is taken out.
        for _ in range(3):
            assert await survivor.run(*LINK) == before
        # Out for good: DOWN or in maintenance (not "UP 1/2", still inside the check interval).
        out = lambda: served.status()["w1"] == "DOWN" or served.status()["w1"].startswith("MAINT")  # noqa: E731
        took = served.wait_for(out, 5, "HAProxy to take w1 out")
        assert time.monotonic() - killed < 3.5, f"w1 still counted as up {took:.1f} s after it died"
        # Requests that still carry w1's cookie are answered by w2, none by the dead worker.
        for _ in range(10):
            req = urllib.request.Request(f"http://127.0.0.1:{served.port}/_stcore/health")
            req.add_header("Cookie", "SERVERID=w1")
            with urllib.request.urlopen(req, timeout=5) as r:
                assert r.status == 200
        # The victim's page reconnects as Streamlit's frontend does (old cookie, old session id) and lands on w2
        # in a fresh session. The frontend does not rerun the page then; if the student's next click is inside a
        # fragment, w2 has never run it (Streamlit would drop the request): deploy/worker_boot.py answers it
        # with the whole page, and the link draws the same run. Any id stands for a fragment of the dead worker.
        await victim.close()
        old_session, fragment = victim.session_id, min(victim.fragments, default="fragment-of-the-dead-worker")
        await victim.connect(*LINK, resume=True)
        assert victim.worker == "w2", "the reconnect was sent to the live worker and given its cookie"
        assert await victim.run(*LINK, fragment=fragment) == before
        assert victim.session_id != old_session, "a fresh session: the dead worker's sessions are gone"
        newcomers = []
        for _ in range(3):
            s = Student(served.port)
            await s.connect(*LINK)
            newcomers.append(s)
        assert {s.worker for s in newcomers} == {"w2"}, "new sessions land on the live worker"
        for s in newcomers:
            await s.close()
        # serve.sh restarts w1, warms it and lets HAProxy send it new sessions again.
        served.wait_for(lambda: served.workers()["w1"] != pid and served.status()["w1"] == "UP", 120, "w1 back")
        comers = [Student(served.port) for _ in range(2)]
        for s in comers:
            await s.connect(*LINK)
        comeback = next((s for s in comers if s.worker == "w1"), None)
        assert comeback is not None, "the restarted worker takes its turn of new sessions"
        assert await comeback.run(*LINK) == before
        assert _cores_of(served.workers()["w1"]) == pinned, "the restarted worker is on its core again"
        for s in (*comers, victim, survivor):
            await s.close()

    asyncio.run(scenario())


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if text in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


@needs_haproxy
def test_sigterm_stops_haproxy_and_every_worker(served):
    pids = [*served.workers().values(), int((served.run_dir / "haproxy.pid").read_text())]
    served.proc.send_signal(signal.SIGTERM)
    served.proc.wait(30)
    assert served.proc.returncode == 143
    alive = [p for p in pids if Path(f"/proc/{p}").exists() and "zombie" not in Path(f"/proc/{p}/status").read_text()]
    assert not alive, f"left running: {alive}"
    ports = [f"--server.port {served.port + k}" for k in (1, 2)]
    assert not [p for text in [str(served.run_dir), *ports] for p in _processes_mentioning(text)], "no orphans"
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{served.port}/_stcore/health", timeout=2)
