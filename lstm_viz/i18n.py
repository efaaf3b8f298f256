"""Words in the reader's language: one gettext catalogue per language, chosen per call, never process-wide.

Many sessions share one server process, each in its own language, so nothing here is global: every function
takes the language (``"en"`` or ``"zh-CN"``), figures take it as an argument, and the Streamlit layer passes
each session's own. A sentence is one message with named placeholders (``"{steps} steps"``), never glued from
fragments that another language would order differently. Library code that raises or returns English for a
person to read gives a ``Message``: a ``str`` in English (so ``str(err)`` and every test still read English)
that remembers its message id and values, so a page can say it again in the reader's language (``say``).

Catalogues: ``lstm_viz/locale/<ll_CC>/LC_MESSAGES/lstm_viz.po`` (kept in the repository), compiled to ``.mo``
beside it (``scripts/i18n.sh``: Babel's extract, update, compile); the markers Babel extracts are ``t`` (its
second argument), ``tn`` (its second and third), ``msg`` and ``N_``.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Mapping
from pathlib import Path

LANGUAGES = ("en", "zh-CN")
"""Every language the app speaks, as a link names it (``lang=zh-CN``)."""
DEFAULT = "en"
DOMAIN = "lstm_viz"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_GETTEXT_LOCALE = {"en": "en", "zh-CN": "zh_CN"}
LANGUAGE_NAMES = {"en": "English", "zh-CN": "简体中文"}
"""Each language in its own words, for the language switch."""


@functools.cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (English has none: its messages are their own translation)."""
    if lang == DEFAULT:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, [_GETTEXT_LOCALE[lang]], fallback=False)


def t(lang: str, message: str, /, **values: object) -> str:
    """``message`` in ``lang`` with its named placeholders filled (values that are ``Message`` translated too).

    Args:
        lang: One of ``LANGUAGES``.
        message: The English sentence, its placeholders named (``"{steps} steps"``): the catalogue's id.
        **values: The placeholders' values.
    """
    text = catalogue(lang).gettext(message) if lang != DEFAULT else message
    if not values:
        return text
    return text.format(**{k: say(v, lang) if isinstance(v, Message) else v for k, v in values.items()})


def tn(lang: str, singular: str, plural: str, n: int, /, **values: object) -> str:
    """The singular or plural sentence for ``n`` in ``lang`` (Chinese has one form), ``{n}`` filled too."""
    text = catalogue(lang).ngettext(singular, plural, n) if lang != DEFAULT else (singular if n == 1 else plural)
    return text.format(n=n, **values)


def N_(message: str) -> str:  # noqa: N802 - gettext's own name for a marker that translates later
    """Mark ``message`` for the catalogue where it is defined (a table's label); ``t`` translates it where shown."""
    return message


class Message(str):
    """An English sentence that can be said again in another language: a ``str`` with its id and values.

    ``Message("{n} steps", n=3)`` is the string ``"3 steps"``; ``say(message, "zh-CN")`` looks its id up in the
    Chinese catalogue and fills the same values. Values that are messages are translated with it.
    """

    msgid: str
    values: Mapping[str, object]

    def __new__(cls, msgid: str, **values: object) -> Message:
        """The English sentence ``msgid`` with ``values`` filled in."""
        text = msgid.format(**values) if values else msgid
        made = super().__new__(cls, text)
        made.msgid = msgid
        made.values = values
        return made

    def __reduce__(self):  # noqa: ANN204 - keeps its id and values through pickling and copying
        return (_rebuild, (self.msgid, dict(self.values)))


def _rebuild(msgid: str, values: dict[str, object]) -> Message:
    return Message(msgid, **values)


def msg(msgid: str, /, **values: object) -> Message:
    """A ``Message`` (and a marker for the catalogue): what library code raises and returns for people to read."""
    return Message(msgid, **values)


def say(value: object, lang: str) -> str:
    """Anything a page shows, in ``lang``: a ``Message`` translated, an exception by its message, else as it is.

    An exception whose first argument is a ``Message`` is said in ``lang``; another exception (or a plain
    ``str``) is shown as it is: English, or what a user typed.
    """
    if isinstance(value, BaseException):
        value = value.args[0] if len(value.args) == 1 else str(value)
    if isinstance(value, Message):
        return t(lang, value.msgid, **value.values)
    return str(value)


def language(requested: str | None, browser_locale: str | None) -> str:
    """The language a session reads: the link's (``lang=``), else the browser's when it is Chinese, else English.

    Args:
        requested: The link's ``lang`` value, or None.
        browser_locale: The browser's language (``st.context.locale``, e.g. ``"zh-TW"``, ``"en-GB"``), or None.
    """
    if requested in LANGUAGES:
        return requested
    if browser_locale and browser_locale.lower().startswith("zh"):
        return "zh-CN"
    return DEFAULT
