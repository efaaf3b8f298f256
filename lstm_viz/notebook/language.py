"""The language a notebook view speaks: checked once in ``show``/``show_text``, handed down, its errors said in it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lstm_viz.i18n import DEFAULT, LANGUAGE_NAMES, LANGUAGES, Message, msg, say

__all__ = ["LANGUAGES", "check_language", "speaking"]

ALIASES = {"zh": "zh-CN", "zh-hans": "zh-CN", "zh-hans-cn": "zh-CN"}
"""Other spellings of a language's code, matched after lower-casing and ``_`` -> ``-`` (``"zh_CN"``, ``"zh-cn"``)."""


def check_language(lang: object) -> str:
    """The canonical code of ``lang`` (one of ``LANGUAGES``): ``"zh"``, ``"zh-cn"`` and ``"zh_CN"`` are ``"zh-CN"``.

    Raises:
        ValueError: naming what was passed and the languages there are.
    """
    if isinstance(lang, str):
        key = lang.strip().replace("_", "-").lower()
        for code in LANGUAGES:
            if key == code.lower():
                return code
        if key in ALIASES:
            return ALIASES[key]
    known = ", ".join(f"{code!r} ({LANGUAGE_NAMES[code]})" for code in LANGUAGES)
    raise ValueError(msg("lang={lang!r} is not available: the views speak {languages}", lang=lang, languages=known))


@contextmanager
def speaking(lang: str, kinds: tuple[type[Exception], ...] = (TypeError, ValueError)) -> Iterator[None]:
    """Say the views' own errors in ``lang``: an exception of ``kinds`` whose message is a ``Message``.

    The exception stays the one raised (its type, traceback and cause); only its words change, so a notebook shows
    the mistake in the reader's language. English errors, and errors whose words are not a ``Message``, pass as
    they are.
    """
    try:
        yield
    except kinds as err:
        if lang != DEFAULT and len(err.args) == 1 and isinstance(err.args[0], Message):
            err.args = (say(err.args[0], lang),)
        raise
