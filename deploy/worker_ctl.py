"""Helpers of scripts/serve.sh: warm a Streamlit worker through its websocket, and talk to HAProxy's admin socket.

    python deploy/worker_ctl.py warm --port 8502 [--page "" --page gates] [--timeout 120]
    python deploy/worker_ctl.py haproxy /run/dir/haproxy.sock "enable server workers/w1"
    python deploy/worker_ctl.py render --template deploy/haproxy.cfg.template --bind :8501 \
        --stats-socket /tmp/h.sock --server w1=127.0.0.1:8502 [--resolver 127.0.0.11:53]

``warm`` waits for ``/_stcore/health``, then opens each page once as a browser does (``/_stcore/stream``,
subprotocol ``streamlit``, one ``rerun_script``) and waits for its ``script_finished``: the worker has imported
torch and Plotly and holds the default run in its cache before the balancer sends it a student.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import time
import urllib.request
from pathlib import Path


def wait_healthy(port: int, timeout: float) -> None:
    """Poll ``/_stcore/health`` on 127.0.0.1:port until it answers 200.

    Raises:
        TimeoutError: when it did not within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the worker on port {port} did not answer /_stcore/health within {timeout:.0f} s")
        time.sleep(0.2)


async def open_page(port: int, page_name: str, timeout: float) -> None:
    """One full run of ``page_name`` ('' is the default page) in a fresh session, as a browser's first visit.

    Raises:
        RuntimeError: the run ended with an exception on the page, a compile error or no such page.
        TimeoutError: no ``script_finished`` within ``timeout`` seconds.
    """
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect

    msg = BackMsg()
    state = msg.rerun_script
    state.page_name = page_name
    info = state.context_info
    info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
    info.url = f"http://127.0.0.1:{port}/{page_name}"
    async with connect(
        f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None, open_timeout=timeout
    ) as ws:
        await ws.send(msg.SerializeToString())
        async with asyncio.timeout(timeout):
            async for data in ws:
                fwd = ForwardMsg()
                fwd.ParseFromString(data)
                kind = fwd.WhichOneof("type")
                if kind == "page_not_found":
                    raise RuntimeError(f"the worker has no page {page_name!r}")
                if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                    if fwd.delta.new_element.WhichOneof("type") == "exception":
                        exc = fwd.delta.new_element.exception
                        raise RuntimeError(f"page {page_name!r} raised {exc.type}: {exc.message[:200]}")
                if kind == "script_finished":
                    if fwd.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                        raise RuntimeError(f"page {page_name!r} did not compile")
                    if fwd.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                        return


def haproxy_command(sock_path: str, command: str, timeout: float = 5.0) -> str:
    """Send one command to HAProxy's admin socket and return its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def render(
    template: str,
    bind: str,
    stats_socket: str,
    servers: list[str],
    resolver: str = "",
    disabled: bool = False,
    agent_port: int = 0,
) -> str:
    """The HAProxy config: ``template`` with its placeholders filled.

    Args:
        template: Text of deploy/haproxy.cfg.template.
        bind: What the frontend listens on, e.g. ``:8501`` or ``127.0.0.1:8501``.
        stats_socket: Path of the admin socket.
        servers: ``name=host:port`` per worker; each gets its name as its cookie value. With ``resolver`` the
            host names are looked up through it again at run time (containers change address on restart).
        resolver: A DNS server ``ip:port`` (Docker's is 127.0.0.11:53), or '' for fixed addresses.
        disabled: Start every server in maintenance: its supervisor enables it once it is warm.
        agent_port: Each worker's warm agent (``deploy/worker_boot.py``): HAProxy asks it every second and keeps
            the worker in maintenance until it answers that the worker is warm (a worker restarted by its container
            runtime then takes no student before its imports and first run); 0 for none (serve.sh enables its
            workers itself).
    """
    lines = []
    for item in servers:
        name, _, address = item.partition("=")
        if not name or not address:
            raise ValueError(f"a server is given as name=host:port, not {item!r}")
        extra = " resolvers dns init-addr last,libc,none" if resolver else ""
        extra += " disabled" if disabled else ""
        extra += f" agent-check agent-port {agent_port} agent-inter 1s" if agent_port else ""
        lines.append(f"    server {name} {address} check cookie {name}{extra}")
    resolvers = f"\nresolvers dns\n    nameserver dns1 {resolver}\n    hold valid 5s\n" if resolver else ""
    return (
        template.replace("@BIND@", bind)
        .replace("@STATS_SOCKET@", stats_socket)
        .replace("@RESOLVERS@", resolvers)
        .replace("@SERVERS@", "\n".join(lines))
    )


def main() -> int:
    """The command line; 0 on success (a failure raises, so the exit status is 1)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    warm = sub.add_parser("warm", help="wait for a worker's health, then open its pages once")
    warm.add_argument("--port", type=int, required=True)
    warm.add_argument("--page", action="append", help="page_name to open ('' = default page); repeatable")
    warm.add_argument("--timeout", type=float, default=180.0)
    ctl = sub.add_parser("haproxy", help="one command on HAProxy's admin socket")
    ctl.add_argument("socket")
    ctl.add_argument("command")
    rend = sub.add_parser("render", help="print the HAProxy config from the template")
    rend.add_argument("--template", type=Path, default=Path(__file__).with_name("haproxy.cfg.template"))
    rend.add_argument("--bind", required=True)
    rend.add_argument("--stats-socket", required=True)
    rend.add_argument("--server", action="append", required=True, help="name=host:port; repeatable")
    rend.add_argument("--resolver", default="")
    rend.add_argument("--disabled", action="store_true", help="servers start in maintenance until enabled")
    rend.add_argument("--agent-port", type=int, default=0, help="each worker's warm agent port (worker_boot.py)")
    args = parser.parse_args()
    if args.cmd == "warm":
        start = time.monotonic()
        wait_healthy(args.port, args.timeout)
        for page in args.page if args.page is not None else [""]:
            asyncio.run(open_page(args.port, page, args.timeout))
        sys.stderr.write(f"worker_ctl: port {args.port} warm in {time.monotonic() - start:.1f} s\n")
    elif args.cmd == "haproxy":
        sys.stdout.write(haproxy_command(args.socket, args.command))
    else:
        template = args.template.read_text()
        config = render(
            template, args.bind, args.stats_socket, args.server, args.resolver, args.disabled, args.agent_port
        )
        sys.stdout.write(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
