"""Check a learner's own LSTM forward against nn.LSTM: cases, where it parts, and the name of the mistake.

``lstm_viz.check(fn)`` checks a function in the caller's own process (a notebook's kernel) and returns a
``Report``; ``python -m lstm_viz.check FILE`` checks a file from a terminal; the app's page runs the learner's
code only in a sandboxed child (``lstm_viz.check.sandbox``). The module itself is callable, so that
``lstm_viz.check`` is both this package and the function. Reports speak English unless asked otherwise
(``lstm_viz.check(fn, lang="zh-CN")``, ``report.text("zh-CN")``, ``--lang zh-CN``); diagnosis ids never change.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable

from lstm_viz.check.cases import CASES, CaseSpec
from lstm_viz.check.checker import NoSuchFunction, check, check_source, run_source
from lstm_viz.check.diagnosis import Diagnosis
from lstm_viz.check.report import Report
from lstm_viz.check.sandbox import MODE_ENV, SandboxUnavailable, current_mode
from lstm_viz.check.source import SourceProblem, read_source

__all__ = [
    "CASES",
    "MODE_ENV",
    "CaseSpec",
    "Diagnosis",
    "NoSuchFunction",
    "Report",
    "SandboxUnavailable",
    "SourceProblem",
    "check",
    "check_source",
    "current_mode",
    "read_source",
    "run_source",
]


class _CallableModule(types.ModuleType):
    """This package, callable: ``lstm_viz.check(fn)`` is ``lstm_viz.check.check(fn)``."""

    def __call__(self, fn: Callable, **kwargs: object) -> Report:
        return check(fn, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
