"""``python -m lstm_viz.check FILE [--function NAME] [--sandbox]``: check a learner's forward from a terminal.

Exit status: 0 when every case matches nn.LSTM, 1 when any differs or raises (or the run was stopped), 2 when the
file cannot be read, does not parse, has no such function, or (with ``--sandbox``) no sandbox starts here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lstm_viz.check.checker import NoSuchFunction, run_source
from lstm_viz.check.sandbox import SandboxUnavailable, probe_sandbox
from lstm_viz.check.source import SourceProblem, read_source


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lstm_viz.check",
        description="Check a hand-written LSTM forward (the tutorial's lstm_forward) against nn.LSTM on a ladder of "
        "cases, show where it parts, and name the mistake.",
        epilog="Exit status: 0 every case matches, 1 a case differs or raises, 2 the file cannot be checked.",
    )
    parser.add_argument("file", help="a .py file or a Jupyter notebook (.ipynb)")
    parser.add_argument("--function", default=None, help="the function to check (default: lstm_forward)")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run it exactly as the hosted app does: in a bubblewrap sandbox, with its limits (default: in this "
        "process, as a notebook would)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the check and print the report, one ``diagnosis: <id> <detail>`` line per diagnosis; return the status."""
    args = _parser().parse_args(argv)
    path = Path(args.file)
    out = sys.stdout
    try:
        data = path.read_bytes()
    except OSError as err:
        out.write(f"error: cannot read {path}: {err.strerror or err}\n")
        return 2
    try:
        source = read_source(data, path.name)
    except SourceProblem as err:
        out.write(f"error: {err}\n")
        return 2
    function = args.function or source.default_function() or "lstm_forward"
    mode = "process"
    if args.sandbox:
        problem = probe_sandbox()
        if problem is not None:
            out.write(f"error: the sandbox does not start here: {problem}\n")
            return 2
        mode = "sandbox"
    try:
        report = run_source(source, function, mode)
    except NoSuchFunction as err:
        out.write(f"error: {err}\n")
        return 2
    except SandboxUnavailable as err:
        out.write(f"error: the sandbox does not start here: {err}\n")
        return 2
    out.write(report.text() + "\n")
    out.flush()
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
