"""``python -m lstm_viz.check FILE [--function NAME] [--sandbox] [--lang zh-CN]``: check a forward from a terminal.

Exit status: 0 when every case matches nn.LSTM, 1 when any differs or raises (or the run was stopped), 2 when the
file cannot be read, does not parse, has no such function, or (with ``--sandbox``) no sandbox starts here. The
report is in English unless ``--lang zh-CN`` asks for Simplified Chinese (the diagnosis ids, the code and Python's
own error messages are the same in both).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lstm_viz.check.checker import NoSuchFunction, run_source
from lstm_viz.check.sandbox import SandboxUnavailable, probe_sandbox
from lstm_viz.check.source import SourceProblem, read_source
from lstm_viz.check.words import exception_words
from lstm_viz.i18n import DEFAULT, LANGUAGES, t


def _language(argv: list[str] | None) -> str:
    """The ``--lang`` asked for, read before the parser is built (so ``--help`` is in it too); else English."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang", choices=LANGUAGES, default=DEFAULT)
    known, _ = early.parse_known_args(argv)
    return known.lang


def _parser(lang: str = DEFAULT) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lstm_viz.check",
        description=t(
            lang,
            "Check a hand-written LSTM forward (the tutorial's lstm_forward) against nn.LSTM on a ladder of cases, "
            "show where it parts, and name the mistake.",
        ),
        epilog=t(lang, "Exit status: 0 every case matches, 1 a case differs or raises, 2 the file cannot be checked."),
    )
    parser.add_argument("file", help=t(lang, "a .py file or a Jupyter notebook (.ipynb)"))
    parser.add_argument("--function", default=None, help=t(lang, "the function to check (default: lstm_forward)"))
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help=t(
            lang,
            "run it exactly as the hosted app does: in a bubblewrap sandbox, with its limits (default: in this "
            "process, as a notebook would)",
        ),
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=DEFAULT,
        help=t(lang, "the language of the report: en (English, the default) or zh-CN (Simplified Chinese)"),
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the check and print the report, one ``diagnosis: <id> <detail>`` line per diagnosis; return the status."""
    lang = _language(argv)
    args = _parser(lang).parse_args(argv)
    path = Path(args.file)
    out = sys.stdout
    try:
        data = path.read_bytes()
    except OSError as err:
        out.write(t(lang, "error: cannot read {path}: {reason}", path=path, reason=err.strerror or err) + "\n")
        return 2
    try:
        source = read_source(data, path.name)
    except SourceProblem as err:
        out.write(t(lang, "error: {problem}", problem=exception_words(err)) + "\n")
        return 2
    function = args.function or source.default_function() or "lstm_forward"
    mode = "process"
    if args.sandbox:
        problem = probe_sandbox()
        if problem is not None:
            out.write(t(lang, "error: the sandbox does not start here: {problem}", problem=problem) + "\n")
            return 2
        mode = "sandbox"
    try:
        report = run_source(source, function, mode)
    except NoSuchFunction as err:
        out.write(t(lang, "error: {problem}", problem=exception_words(err)) + "\n")
        return 2
    except SandboxUnavailable as err:
        out.write(t(lang, "error: the sandbox does not start here: {problem}", problem=exception_words(err)) + "\n")
        return 2
    out.write(report.text(lang) + "\n")
    out.flush()
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
