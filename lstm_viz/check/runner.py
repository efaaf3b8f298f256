"""Runs a learner's code on the cases and reports what it returned or raised, never a verdict.

The same functions run in three places: inside the bubblewrap sandbox (``python runner.py OPTIONS``, this file
copied in beside ``protocol.py``), in a plain child process (``LSTM_EXPLORER_USER_CODE=local``), and in the
learner's own process (``lstm_viz.check(fn)``, a notebook kernel). It imports only the standard library and
torch (where tensors are handled), and it never sees ``nn.LSTM``'s outputs: the server computes those and every verdict.
"""

from __future__ import annotations

import builtins
import inspect
import json
import linecache
import math
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable

try:
    from lstm_viz.check import protocol
except ImportError:  # inside the sandbox: protocol.py sits beside this file, and lstm_viz is not there
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import protocol  # type: ignore[no-redef]

Emit = Callable[[dict, list], None]
"""``emit(header, tensors)``: hand one result frame to the server (or to the in-process collector)."""

INPUT_NAMES = ("inp", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh", "w_hr")
"""The tensors of a case, in the order a job frame carries them (``w_hr`` only in a projected case)."""
MAX_MESSAGE_CHARS = 4000
MAX_FRAMES = 12
"""Traceback frames of the learner's code kept per exception (the deepest ones)."""
MAX_DEPTH = 3
MAX_ITEMS = 8
MAX_JOB_BYTES = 8 * 1024 * 1024
"""A job frame holds the source (at most a few hundred KB) and the cases' small input tensors."""


UNREADABLE = "<the message could not be turned into text>"
"""What stands for an exception's message whose ``__str__`` raised (the server says it in the reader's language)."""


def safe_text(value: object, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``str(value)`` cut to ``limit`` characters, or a placeholder when its ``__str__`` itself fails."""
    try:
        text = str(value)
    except BaseException:  # noqa: BLE001 - a learner's exception may raise from its own __str__
        return UNREADABLE
    return text if len(text) <= limit else text[:limit] + " …"


def describe_error(err: BaseException, filename: str | None, skip: int = 0) -> dict:
    """An exception as plain data: type, message, and the frames of the learner's code, deepest last.

    Args:
        err: The exception.
        filename: The name the learner's source was compiled under; None keeps every frame outside torch
            (a function defined in a notebook cell has the cell's own name).
        skip: Leading frames to drop (the runner's own call into the learner's code).
    """
    import torch

    frames = []
    torch_dir = os.path.dirname(torch.__file__)
    for summary in traceback.extract_tb(err.__traceback__)[skip:]:
        mine = summary.filename == filename if filename is not None else not summary.filename.startswith(torch_dir)
        if mine:
            line = (summary.line or linecache.getline(summary.filename, summary.lineno or 0)).strip()
            frames.append({"line": summary.lineno, "text": line[:300], "function": summary.name[:80]})
    return {
        "type": type(err).__name__[:80],
        "message": safe_text(err),
        "frames": frames[-MAX_FRAMES:],
    }


def _structure(value: object, tensors: list, depth: int = 0) -> dict:
    """What a function returned, as JSON: containers by kind, tensors by their index in ``tensors``."""
    import torch

    if isinstance(value, torch.Tensor):
        t = value.detach()
        name = str(t.dtype).removeprefix("torch.")
        if name not in protocol.DTYPES or t.is_complex() or t.numel() > protocol.MAX_TENSOR_ELEMENTS:
            return {"kind": "unsent", "dtype": name, "shape": list(t.shape)}
        tensors.append(t.to("cpu").clone())
        return {"kind": "tensor", "index": len(tensors) - 1}
    if type(value).__module__ == "numpy" and hasattr(value, "dtype") and hasattr(value, "shape"):
        try:
            converted = torch.as_tensor(value)
        except (TypeError, ValueError, RuntimeError):
            return {"kind": "other", "type": "numpy." + type(value).__name__}
        inner = _structure(converted, tensors, depth)
        return {**inner, "numpy": True}
    if isinstance(value, (tuple, list)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        if depth >= MAX_DEPTH or len(value) > MAX_ITEMS:
            return {"kind": "other", "type": f"{kind} of {len(value)}"}
        return {"kind": kind, "items": [_structure(v, tensors, depth + 1) for v in value]}
    if value is None:
        return {"kind": "none"}
    return {"kind": "other", "type": type(value).__name__[:80]}


def accepts_projection(fn: Callable) -> bool:
    """Whether ``fn`` can be called with a seventh argument, ``w_hr`` (True when its signature cannot be read)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    try:
        sig.bind(*range(7))
    except TypeError:
        return False
    return True


def signature_text(fn: Callable) -> str:
    """``fn``'s signature as written, e.g. ``(inp, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None)``."""
    try:
        return safe_text(inspect.signature(fn), 300)
    except (TypeError, ValueError):
        return "(…)"


def call_case(fn: Callable, name: str, inputs: dict, filename: str | None, emit: Emit) -> None:
    """Call ``fn`` on one case and emit what it returned (tensors raw) or raised.

    Shapes: ``inputs``: ``inp`` [B, T, I], ``h0`` [B, H_out], ``c0`` [B, H], ``w_ih`` [4H, I], ``w_hh`` [4H, H_out],
    ``b_ih`` and ``b_hh`` [4H], ``w_hr`` [P, H] when the case is projected.
    """
    args = [inputs["inp"], (inputs["h0"], inputs["c0"]), inputs["w_ih"], inputs["w_hh"], inputs["b_ih"], inputs["b_hh"]]
    if "w_hr" in inputs:
        args.append(inputs["w_hr"])
    emit({"type": "start", "case": name}, [])
    start = time.perf_counter()
    try:
        value = fn(*args)
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: BLE001 - SystemExit from the learner's code is a result too
        seconds = time.perf_counter() - start
        emit(
            {
                "type": "case",
                "case": name,
                "status": "raised",
                "error": describe_error(err, filename, 1),
                "seconds": seconds,
            },
            [],
        )
        return
    seconds = time.perf_counter() - start
    tensors: list = []
    try:
        structure = _structure(value, tensors)
    except BaseException as err:  # noqa: BLE001 - a returned object can fail while it is read
        error = describe_error(err, filename)
        emit({"type": "case", "case": name, "status": "raised", "error": error, "seconds": seconds}, [])
        return
    emit({"type": "case", "case": name, "status": "returned", "value": structure, "seconds": seconds}, tensors)


def run_cases(fn: Callable, cases: list[tuple[str, dict]], filename: str | None, emit: Emit) -> None:
    """Call ``fn`` on every case in order; a projected case is skipped when ``fn`` takes no ``w_hr``."""
    projection = accepts_projection(fn)
    for name, inputs in cases:
        if "w_hr" in inputs and not projection:
            emit({"type": "case", "case": name, "status": "skipped"}, [])
            continue
        call_case(fn, name, {k: v.clone() for k, v in inputs.items()}, filename, emit)


def run_module(source: str, filename: str, emit: Emit) -> dict:
    """Execute the learner's source as a script (``__name__ == "__main__"``) and emit how it went.

    Returns:
        The module's namespace (what it defined, even when a later line raised).
    """
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    start = time.perf_counter()
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
        exec(code, namespace)  # noqa: S102 - running the learner's code is this module's purpose
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: BLE001 - SystemExit and every error are reported, not raised
        emit({"type": "module", "status": "raised", "error": describe_error(err, filename, 1)}, [])
    else:
        emit({"type": "module", "status": "ok", "seconds": time.perf_counter() - start}, [])
    finally:
        sys.stdout.flush()
    return namespace


def run_job(source: str, filename: str, function: str, cases: list[tuple[str, dict]], emit: Emit) -> None:
    """Run a learner's source, find ``function`` in it, call it on every case; emit each step's outcome."""
    namespace = run_module(source, filename, emit)
    fn = namespace.get(function)
    names = sorted(k for k, v in namespace.items() if inspect.isfunction(v) and not k.startswith("__"))[:50]
    if not callable(fn):
        emit({"type": "function", "found": False, "names": names}, [])
        return
    emit(
        {
            "type": "function",
            "found": True,
            "names": names,
            "projection": accepts_projection(fn),
            "signature": signature_text(fn),
        },
        [],
    )
    run_cases(fn, cases, filename, emit)
    sys.stdout.flush()


def job_cases(frame: protocol.Frame) -> list[tuple[str, dict]]:
    """The cases of a job frame: each name with its input tensors, in order."""
    cases, at = [], 0
    for case in frame.header["cases"]:
        names = INPUT_NAMES if case["projected"] else INPUT_NAMES[:-1]
        cases.append((case["name"], dict(zip(names, frame.tensors[at : at + len(names)], strict=True))))
        at += len(names)
    return cases


def job_frame(source: str, filename: str, function: str, cases: list[tuple[str, dict]], cpu_s: float) -> bytes:
    """The frame the server sends: the source, the function's name and every case's input tensors."""
    tensors = []
    specs = []
    for name, inputs in cases:
        projected = "w_hr" in inputs
        specs.append({"name": name, "projected": projected})
        tensors += [inputs[k] for k in (INPUT_NAMES if projected else INPUT_NAMES[:-1])]
    header = {"type": "job", "source": source, "filename": filename, "function": function, "cases": specs}
    return protocol.encode({**header, "cpu_s": cpu_s}, tensors)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def apply_limits(limits: dict) -> None:
    """Lower this process's resource limits (inherited by everything it starts; never raised again)."""
    for name, value in limits.items():
        which = getattr(resource, f"RLIMIT_{name.upper()}")
        resource.setrlimit(which, (value, value))


def _probe() -> dict:
    """What the sandbox looks like from inside: the mode check reads it (it is not trusted for anything else)."""
    import socket

    return {
        "type": "probe",
        "uid": os.getuid(),
        "pid": os.getpid(),
        "environ": sorted(os.environ),
        "interfaces": [name for _, name in socket.if_nameindex()],
        "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0],
        "niceness": os.getpriority(os.PRIO_PROCESS, 0),
    }


def main(argv: list[str]) -> None:
    """The sandboxed child: limits, torch, 'ready', then one job from stdin; frames go to the results fd."""
    options = json.loads(argv[1])
    fd = int(options["results_fd"])
    # bubblewrap sets PWD after its --chdir; the environment is the allow-list alone.
    os.environ.pop("PWD", None)
    apply_limits(options["limits"])
    os.setpriority(os.PRIO_PROCESS, 0, max(os.getpriority(os.PRIO_PROCESS, 0), 19))
    # Nothing but stdin, the output pipe and the results pipe stays open for the learner's code.
    os.closerange(3, fd)
    os.closerange(fd + 1, 1 << 16)

    def emit(header: dict, tensors: list) -> None:
        _write_all(fd, protocol.encode(header, tensors))

    if options.get("probe"):
        emit(_probe(), [])
        return
    # Imported here, not at the top: the probe above must answer without paying for torch.
    import torch

    torch.set_num_threads(1)
    sys.stdout.reconfigure(line_buffering=True)
    emit({"type": "ready"}, [])
    job = protocol.read_frame(sys.stdin.buffer, MAX_JOB_BYTES)
    if job is None:
        return
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = math.ceil(usage.ru_utime + usage.ru_stime)
    cpu = used + math.ceil(float(job.header["cpu_s"]))
    # The soft limit sends SIGXCPU (the default action ends the process), the hard one SIGKILL a second later.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    header = job.header
    run_job(header["source"], header["filename"], header["function"], job_cases(job), emit)
    emit({"type": "done"}, [])
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown (and any atexit hook the learner registered): the job is over.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
