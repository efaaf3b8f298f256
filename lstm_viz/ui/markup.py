"""Text for Streamlit's Markdown: what users and links say escaped (never a link or markup), link buttons (pure)."""

from __future__ import annotations

import html

_SPECIAL = set("\\`*~[]()<>$:@&")
"""Characters that can start a link, an autolink (``http:``, ``a@b.c``), emphasis, code, math, HTML, an entity,
or Streamlit's ``:colour[...]`` and ``:material/...:`` extensions."""


def plain(text: str) -> str:
    """``text`` escaped so that Streamlit's Markdown shows it as written, never as a link or markup.

    A shared link's value (``?colours=[x](https://example.com)``) or a file's name then reads as the characters
    it is made of. Newlines become spaces: a message stays one paragraph, so nothing starts a heading or a list.
    An underscore is escaped only where it could open or close emphasis (``hidden_size`` stays as it is), and
    the dot of ``www.`` so that no bare address becomes a link.
    """
    out = []
    for n, ch in enumerate(text):
        if ch in "\r\n":
            out.append(" ")
        elif ch in _SPECIAL:
            out.append("\\" + ch)
        elif ch == "_" and not (0 < n < len(text) - 1 and text[n - 1].isalnum() and text[n + 1].isalnum()):
            out.append("\\_")
        elif ch == "." and text[max(n - 3, 0) : n].lower() == "www":
            out.append("\\.")
        else:
            out.append(ch)
    return "".join(out)


def code(text: str) -> str:
    """``text`` as one inline code span: shown verbatim (no link, emphasis or icon), backticks replaced by ``'``."""
    return "`" + text.replace("`", "'").replace("\r", " ").replace("\n", " ") + "`"


def link_html(label: str, href: str, help: str = "", primary: bool = False) -> str:
    """An ``<a>`` styled as a button (the app's ``lstm-link`` class), every attribute and the label escaped."""
    kind = "lstm-link primary" if primary else "lstm-link"
    tip = f' title="{html.escape(help)}"' if help else ""
    return f'<a class="{kind}" href="{html.escape(href)}" target="_self"{tip}>{html.escape(label)}</a>'
