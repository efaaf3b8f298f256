"""The language a notebook view speaks: checked once in ``show``/``show_text`` and handed down from there."""

from __future__ import annotations

LANGUAGES = ("en",)
"""Languages the views speak. The Chinese catalogue comes later: it adds ``"zh"`` here and its words below."""


def check_language(lang: str) -> str:
    """``lang`` if the views speak it.

    Raises:
        ValueError: naming what was passed and the languages there are.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang={lang!r} is not available: the views speak {', '.join(map(repr, LANGUAGES))} for now")
    return lang


def say(text: str, lang: str) -> str:
    """``text`` (written in English) in ``lang``: the one place a catalogue will translate the notebook's words."""
    check_language(lang)
    return text
