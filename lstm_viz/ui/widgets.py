"""The sidebar's widgets, each drawn from its row of the settings table and bound to its URL key."""

from __future__ import annotations

from typing import Any

from lstm_viz.settings import TABLE
from lstm_viz.ui.language import lang


def number(container: Any, key: str, default: Any, width: int | str = "stretch", step: float = 1) -> Any:
    """A number input for setting ``key``, bound to the URL; no min or max, so validation names the limit."""
    s = TABLE[key]
    return container.number_input(
        s.label_text(lang()),
        value=default,
        step=step,
        key=key,
        bind="query-params",
        help=s.help_text(lang()),
        width=width,
    )


def choice(container: Any, key: str, default: str, **kwargs: Any) -> Any:
    """A select box for setting ``key``, its options as they are (a bound widget writes its label into the link)."""
    s = TABLE[key]
    options = list(s.options)
    return container.selectbox(
        s.label_text(lang()),
        options,
        index=options.index(default),
        key=key,
        bind="query-params",
        help=s.help_text(lang()),
        **kwargs,
    )


def flag(container: Any, key: str, default: bool) -> bool:
    """A checkbox for setting ``key``, bound to the URL."""
    s = TABLE[key]
    return container.checkbox(
        s.label_text(lang()), value=default, key=key, bind="query-params", help=s.help_text(lang())
    )


def segments(container: Any, key: str, default: str) -> str:
    """One-click options for setting ``key`` (always one chosen), bound to the URL."""
    s = TABLE[key]
    picked = container.segmented_control(
        s.label_text(lang()),
        s.options,
        default=default,
        required=True,
        key=key,
        bind="query-params",
        help=s.help_text(lang()),
    )
    return picked or default
