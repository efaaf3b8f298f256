"""The sidebar's widgets, each drawn from its row of the settings table and bound to its URL key."""

from __future__ import annotations

from typing import Any

from lstm_viz.settings import TABLE
from lstm_viz.ui.language import lang


def number(container: Any, key: str, default: Any, width: int | str = "stretch", step: float = 1) -> Any:
    """A number input for setting ``key``, bound to the URL; no min or max, so validation names the limit."""
    s, language = TABLE[key], lang()
    return container.number_input(
        s.label_text(language),
        value=default,
        step=step,
        key=key,
        bind="query-params",
        help=s.help_text(language),
        width=width,
    )


def choice(container: Any, key: str, default: str, **kwargs: Any) -> Any:
    """A select box for setting ``key``, its options as they are (a bound widget writes its label into the link)."""
    s, language = TABLE[key], lang()
    options = list(s.options)
    return container.selectbox(
        s.label_text(language),
        options,
        index=options.index(default),
        key=key,
        bind="query-params",
        help=s.help_text(language),
        **kwargs,
    )


def flag(container: Any, key: str, default: bool) -> bool:
    """A checkbox for setting ``key``, bound to the URL."""
    s, language = TABLE[key], lang()
    return container.checkbox(
        s.label_text(language), value=default, key=key, bind="query-params", help=s.help_text(language)
    )


def segments(container: Any, key: str, default: str) -> str:
    """One-click options for setting ``key`` (always one chosen), bound to the URL."""
    s, language = TABLE[key], lang()
    picked = container.segmented_control(
        s.label_text(language),
        s.options,
        default=default,
        required=True,
        key=key,
        bind="query-params",
        help=s.help_text(language),
    )
    return picked or default
