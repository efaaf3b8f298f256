"""Run a learner's forward on every case (in their process, a sandbox or a local child) and build the report."""

from __future__ import annotations

import contextlib
import io
import signal
import time
from collections.abc import Callable, Iterator

import torch

from lstm_viz.check import runner, sandbox
from lstm_viz.check.cases import CASES, CaseData, CaseSpec, case_data
from lstm_viz.check.compare import CaseResult, ErrorInfo, compare_case, returned_from
from lstm_viz.check.diagnosis import THEN, Diagnosis, diagnose
from lstm_viz.check.divergence import first_divergence
from lstm_viz.check.protocol import Frame
from lstm_viz.check.report import Report
from lstm_viz.check.source import PASTED, Source, read_source
from lstm_viz.i18n import DEFAULT, Message, msg

OnCase = Callable[[CaseResult], None]
"""Called with each case's verdict as soon as it is known (the page shows the tutorial's two first)."""
WHERE = {
    "process": msg("in this Python process"),
    "sandbox": msg("in a bubblewrap sandbox"),
    "local": msg("in a local child process (no sandbox)"),
}


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Torch on one intra-op thread for the block (hundreds of tiny forwards: a thread pool makes each 50x slower).

    The app's server runs on one thread already (``lstm_viz.ui.runs``), so this changes nothing there; in a
    terminal or a notebook the previous count comes back after. Not ``tasks.train.one_thread``: its lock is held
    for a whole training, which a check must not wait for.
    """
    before = torch.get_num_threads()
    if before != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if before != 1:
            torch.set_num_threads(before)


class NoSuchFunction(LookupError):  # noqa: N818 - the name says what the learner is told
    """The code defines no function of that name (the message lists those it does define)."""


def all_case_data(specs: tuple[CaseSpec, ...] = CASES) -> dict[str, CaseData]:
    """Every case built, with nn.LSTM's outputs (each built once per process)."""
    return {spec.name: case_data(spec) for spec in specs}


class _Collector:
    """Turns runner frames into case verdicts as they arrive; remembers the rest for the report."""

    def __init__(self, data: dict[str, CaseData], on_case: OnCase | None) -> None:
        self.data = data
        self.on_case = on_case
        self.results: dict[str, CaseResult] = {}
        self.started: list[str] = []
        self.module_error: ErrorInfo | None = None
        self.function: dict | None = None
        self.done = False

    def frame(self, frame: Frame) -> None:
        header = frame.header
        kind = header.get("type")
        if kind == "module" and header.get("status") == "raised" and isinstance(header.get("error"), dict):
            self.module_error = ErrorInfo.from_header(header["error"])
        elif kind == "function":
            self.function = header
        elif kind == "start" and header.get("case") in self.data:
            self.started.append(header["case"])
        elif kind == "case" and header.get("case") in self.data and header["case"] not in self.results:
            self._case(header, frame.tensors)
        elif kind == "done":
            self.done = True

    def _case(self, header: dict, tensors: list[torch.Tensor]) -> None:
        data = self.data[header["case"]]
        seconds = header.get("seconds") if isinstance(header.get("seconds"), (int, float)) else None
        status = header.get("status")
        if status == "returned" and isinstance(header.get("value"), dict):
            result = compare_case(data, returned_from(header["value"], tensors), seconds)
        elif status == "raised" and isinstance(header.get("error"), dict):
            result = CaseResult(data.spec, "raised", error=ErrorInfo.from_header(header["error"]), seconds=seconds)
        elif status == "skipped" and data.spec.projected:
            result = CaseResult(data.spec, "skipped")
        else:
            result = CaseResult(data.spec, "differs", notes=(msg("The check could not read this case's result."),))
        self.results[data.spec.name] = result
        if self.on_case is not None:
            self.on_case(result)

    def ordered(self) -> list[CaseResult]:
        """Every case's result in running order: one that was running when the run ended is 'stopped'."""
        out = []
        running = self.started[-1] if self.started else None
        for name, data in self.data.items():
            if name in self.results:
                out.append(self.results[name])
            elif name == running:
                out.append(CaseResult(data.spec, "stopped"))
            else:
                out.append(CaseResult(data.spec, "not_run"))
        return out

    def running_words(self) -> str:
        """What was running when a run ended early: a case's title, or the module-level code."""
        if self.started and self.started[-1] not in self.results:
            return msg("while {case} ran", case=self.data[self.started[-1]].spec.title)
        if self.function is None:
            return msg("while your module-level code ran")
        return msg("after the last case")


def _finish(
    collector: _Collector,
    function: str,
    where: str,
    problems: list[Diagnosis],
    printed: str,
    printed_bytes: int,
    seconds: float,
    filename: str | None = None,
    lang: str = DEFAULT,
) -> Report:
    results = collector.ordered()
    diagnoses = list(problems)
    ran = any(r.status not in ("not_run", "skipped") for r in results)
    # Hundreds of tiny forwards: one intra-op thread, or a loaded machine's thread pool makes each 50x slower.
    with _one_thread():
        if ran:
            diagnoses += diagnose(results)
        divergence = first_divergence(results, collector.data)
    return Report(
        function=function,
        where=where,
        results=results,
        diagnoses=diagnoses,
        divergence=divergence,
        printed=printed,
        printed_bytes=printed_bytes,
        module_error=collector.module_error,
        signature=str((collector.function or {}).get("signature", ""))[:300],
        seconds=seconds,
        filename=filename,
        lang=lang,
    )


def check(fn: Callable, on_case: OnCase | None = None, lang: str = DEFAULT) -> Report:
    """Check a forward in this process (a notebook's kernel is the learner's own) against nn.LSTM on every case.

    Args:
        fn: ``lstm_forward(inp, initial_states, w_ih, w_hh, b_ih, b_hh[, w_hr])``, returning ``output, (h_n, c_n)``.
        on_case: Called with each case's verdict as it comes.
        lang: The language the report prints and draws in (``"en"`` or ``"zh-CN"``); its text methods take
            another too.

    Returns:
        The report: prints as text, draws its figures in Jupyter.

    Shapes:
        ``fn`` gets ``inp`` [B, T, I], ``(h0 [B, H_out], c0 [B, H])``, ``w_ih`` [4H, I], ``w_hh`` [4H, H_out],
        ``b_ih``/``b_hh`` [4H], ``w_hr`` [P, H]; returns output [B, T, H_out], (h_n [B, H_out], c_n [B, H]).
    """
    if not callable(fn):
        raise TypeError(msg("lstm_viz.check takes your forward function, not {type}", type=type(fn).__name__))
    data = all_case_data()
    collector = _Collector(data, on_case)
    start = time.perf_counter()

    def emit(header: dict, tensors: list) -> None:
        collector.frame(Frame(header, list(tensors)))

    collector.frame(Frame({"type": "function", "found": True, "signature": runner.signature_text(fn)}))
    runner.run_cases(fn, [(name, d.inputs) for name, d in data.items()], None, emit)
    name = getattr(fn, "__name__", None) or msg("your function")
    return _finish(collector, name, WHERE["process"], [], "", 0, time.perf_counter() - start, lang=lang)


class _Bounded(io.TextIOBase):
    """A text sink keeping the first ``limit`` characters and counting the rest (prints in this process)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.kept = 0
        self.total = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.total += len(s)
        if self.kept < self.limit:
            piece = s[: self.limit - self.kept]
            self.parts.append(piece)
            self.kept += len(piece)
        return len(s)

    def text(self) -> str:
        return "".join(self.parts)


def _problems_from(outcome: sandbox.Outcome, collector: _Collector) -> list[Diagnosis]:
    """What stopped a sandboxed run, as diagnoses with their ids (time, output, a malformed stream, an early end)."""
    running = collector.running_words()
    if outcome.stopped == "time":
        return [
            Diagnosis(
                "time_limit",
                msg("stopped after {seconds:.0f} s {running}", seconds=sandbox.WALL_S, running=running),
                msg(
                    "Your code was still running after {seconds:.0f} seconds ({running}), so the check stopped it. "
                    "The cases are tiny: a loop that never ends, a sleep or a wait is the usual cause.",
                    seconds=sandbox.WALL_S,
                    running=running,
                ),
            )
        ]
    if outcome.returncode == -signal.SIGXCPU and not collector.done:
        return [
            Diagnosis(
                "time_limit",
                msg("used {seconds:.0f} s of CPU {running}", seconds=sandbox.CPU_S, running=running),
                msg(
                    "Your code used more than {seconds:.0f} seconds of CPU time ({running}), so the check stopped it.",
                    seconds=sandbox.CPU_S,
                    running=running,
                ),
            )
        ]
    if outcome.stopped == "printed":
        return [
            Diagnosis(
                "printed_too_much",
                msg("more than {mb} MB printed {running}", mb=sandbox.PRINT_STOP // 2**20, running=running),
                msg(
                    "Your code printed more than {mb} MB ({running}), so the check stopped it; the first {kept:,} "
                    "characters are shown.",
                    mb=sandbox.PRINT_STOP // 2**20,
                    running=running,
                    kept=sandbox.PRINT_KEEP,
                ),
            )
        ]
    if outcome.stopped == "results":
        return [
            Diagnosis(
                "process_ended",
                msg("the results stream was broken {running}: {detail}", running=running, detail=outcome.detail),
                msg(
                    "The check's results came back malformed ({detail}), {running}: code that writes to the check's "
                    "own pipe ends the check.",
                    detail=outcome.detail,
                    running=running,
                ),
            )
        ]
    if outcome.stopped == "start":
        return [Diagnosis("process_ended", outcome.detail, outcome.detail)]
    if not collector.done:
        code = outcome.returncode
        if code is not None and code < 0:
            how = msg("was killed by signal {signal}", signal=-code)
        else:
            how = msg("exited with code {code}", code=code)
        return [
            Diagnosis(
                "process_ended",
                msg("the process {how} {running}", how=how, running=running),
                msg(
                    "The process running your code {how} {running}, before every case had run (os._exit, sys.exit "
                    "in a thread, or a crash); the cases that did not finish count as not matching.",
                    how=how,
                    running=running,
                ),
            )
        ]
    return []


def _no_function(function: str, names: list[str], module_error: ErrorInfo | None) -> Diagnosis:
    defined = ", ".join(names) if names else msg("none")
    sentence = msg(
        "Your code defines no function called {function}; the functions it defines: {defined}.",
        function=function,
        defined=defined,
    )
    if module_error is not None:
        why = msg("Your module-level code raised {error} before the definition could run.", error=module_error.type)
        sentence = Message(THEN, sentence=sentence, then=why)
    return Diagnosis(
        "no_function",
        msg("no function called {function} (defined: {defined})", function=function, defined=defined),
        sentence,
    )


def run_source(
    source: Source, function: str, mode: str, on_case: OnCase | None = None, keep_warm: bool = False
) -> Report:
    """Run parsed code's ``function`` on every case, ``mode`` being ``process``, ``sandbox`` or ``local``.

    Args:
        source: The code (``read_source``).
        function: The function's name.
        mode: Where it runs.
        on_case: Called with each case's verdict as it comes.
        keep_warm: Take this process's pre-started sandbox and start the next one after (a server); a terminal
            starts one sandbox for its one check.

    Raises:
        NoSuchFunction: the code defines no function of that name (checked before anything runs).
        sandbox.SandboxUnavailable: the sandbox cannot start here.
    """
    if function not in source.functions:
        defined = ", ".join(source.functions) or msg("no function at all")
        if source.filename == PASTED:
            said = msg(
                "your code defines no function called {function} (it defines {defined}).",
                function=function,
                defined=defined,
            )
        else:
            said = msg(
                "{filename} defines no function called {function} (it defines {defined}).",
                filename=source.filename,
                function=function,
                defined=defined,
            )
        raise NoSuchFunction(said)
    data = all_case_data()
    collector = _Collector(data, on_case)
    cases = [(name, d.inputs) for name, d in data.items()]
    start = time.perf_counter()
    where = WHERE[mode]
    if mode == "process":
        sink = _Bounded(sandbox.PRINT_KEEP)

        def emit(header: dict, tensors: list) -> None:
            collector.frame(Frame(header, list(tensors)))

        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            runner.run_job(source.code, source.filename, function, cases, emit)
        collector.done = True
        problems = _function_problems(collector, function)
        return _finish(
            collector, function, where, problems, sink.text(), sink.total, time.perf_counter() - start, source.filename
        )
    bwrap = mode == "sandbox"
    box = sandbox.pool.take(bwrap) if keep_warm else sandbox.Sandbox(bwrap)
    try:
        if not box.wait_ready(sandbox.START_S):
            outcome = sandbox.Outcome(stopped="start")
            outcome.returncode, _ = box.end()
            said = msg("bubblewrap refused to start") if mode == "sandbox" else msg("Python did not start")
            outcome.detail = msg(
                "The checker's process did not start ({why}, exit {code}).", why=said, code=outcome.returncode
            )
            return _finish(
                collector,
                function,
                where,
                _problems_from(outcome, collector),
                "",
                0,
                time.perf_counter() - start,
                source.filename,
            )
        job = runner.job_frame(source.code, source.filename, function, cases, sandbox.CPU_S)
        outcome = box.run(job, sandbox.WALL_S, collector.frame)
    finally:
        box.end()
        if keep_warm:
            sandbox.pool.refill(bwrap)
    problems = _problems_from(outcome, collector) + _function_problems(collector, function)
    return _finish(
        collector,
        function,
        where,
        problems,
        outcome.printed,
        outcome.printed_bytes,
        time.perf_counter() - start,
        source.filename,
    )


def _function_problems(collector: _Collector, function: str) -> list[Diagnosis]:
    info = collector.function
    if info is not None and info.get("found") is False:
        names = [str(n)[:80] for n in (info.get("names") or [])][:50]
        return [_no_function(function, names, collector.module_error)]
    return []


def check_source(
    code: str | bytes,
    function: str | None = None,
    filename: str = PASTED,
    mode: str = "sandbox",
    on_case: OnCase | None = None,
    keep_warm: bool = False,
    lang: str = DEFAULT,
) -> Report:
    """Read code (pasted, a ``.py`` or an ``.ipynb``) and check its function, by default ``lstm_forward``.

    ``lang`` is the language the report prints and draws in (its text methods take another too).

    Raises:
        source.SourceProblem: the code cannot be read or parsed.
        NoSuchFunction: it defines no such function.
        sandbox.SandboxUnavailable: ``mode`` is ``sandbox`` and no sandbox starts here.
    """
    source = read_source(code, filename)
    name = function or source.default_function() or "lstm_forward"
    report = run_source(source, name, mode, on_case, keep_warm)
    report.lang = lang
    return report
