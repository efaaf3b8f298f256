"""The checker's sentences built from parts: lists joined in the reader's language, a terminal's columns padded.

A diagnosis is made once and shown in whatever language a page or a terminal reads, so what the checker says
is kept as ``i18n.Message``s (English ``str``s that remember their id and values); a list of them (two gate
orders, two mistakes, the problems of a sandbox) is one message per joint, each translated when it is said.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from lstm_viz.i18n import N_, Message


def _fold(items: Iterable[str], joint: str) -> str:
    """``items`` joined two at a time by the message ``joint`` (placeholders ``first`` and ``then``)."""
    parts = list(items)
    if not parts:
        return ""
    joined = parts[0]
    for part in parts[1:]:
        joined = Message(joint, first=joined, then=part)
    return joined


def either(items: Iterable[str]) -> str:
    """``a or b or c``: alternatives (the details of mistakes that each reproduce the learner's tensors)."""
    return _fold(items, N_("{first} or {then}"))


def together(items: Iterable[str]) -> str:
    """``a; b``: things that are all true at once (two mistakes in one function, a sandbox's problems)."""
    return _fold(items, N_("{first}; {then}"))


def exception_words(err: BaseException) -> str:
    """What an exception says, as a ``Message`` when it was raised with one (so a page can translate it)."""
    if len(err.args) == 1 and isinstance(err.args[0], Message):
        return err.args[0]
    return str(err)


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """``text`` padded with spaces to ``columns`` terminal columns (``f"{text:<n}"`` for wide characters too)."""
    return text + " " * max(columns - width(text), 0)
