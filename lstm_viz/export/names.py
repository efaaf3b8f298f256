"""File names for exports that say which figure and which run they hold."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from lstm_viz.config import LSTMConfig

if TYPE_CHECKING:
    from lstm_viz.run import RunSpec

_UNSAFE = re.compile(r"[^A-Za-z0-9.+-]+")


def _slug(text: str) -> str:
    """``text`` with every run of characters unsafe in a file name (spaces, slashes, ×) made one ``_``."""
    return _UNSAFE.sub("_", text).strip("_")


def config_summary(config: LSTMConfig, source: str = "", fixed_input: bool = False, edited: bool = False) -> str:
    """A short, file-name-safe summary of a run, e.g. ``B2_T40_I4_H16_L1_float32_step_seed0``.

    Only what differs from a plain one-layer run is spelled out beyond the sizes (projection, bidirectional,
    no bias, batch_first, random hx), so two files of different runs never share a name.

    Args:
        config: The run's settings as run (a task's or a file's sizes in place).
        source: The model source's slug (``ModelSource.slug()``: ``task-brackets``, ``file-tagger``); empty for
            random weights.
        fixed_input: Whether the source fixes the input (a task's own sequences): the input kind is then left out.
        edited: Whether weight edits were applied.
    """
    parts = [f"B{config.batch}", f"T{config.seq_len}", f"I{config.input_size}", f"H{config.hidden_size}"]
    if config.proj_size:
        parts.append(f"P{config.proj_size}")
    parts.append(f"L{config.num_layers}")
    if config.bidirectional:
        parts.append("bidir")
    if not config.bias:
        parts.append("nobias")
    if config.batch_first:
        parts.append("batchfirst")
    parts.append(config.dtype)
    if source:
        parts.append(source)
    if not fixed_input:
        parts.append(config.input_kind)
        if config.initial_state != "zeros":
            parts.append(f"hx-{config.initial_state}")
    parts.append(f"seed{config.seed}")
    if edited:
        parts.append("edited")
    return _slug("_".join(parts))


@functools.lru_cache(maxsize=256)
def spec_summary(spec: RunSpec, config: LSTMConfig) -> str:
    """``config_summary`` of a run (its spec, and its config as run), made once: every chart names its PNG after it."""
    source = spec.source
    return config_summary(config, source.slug(), "input_kind" in source.fixed(), spec.edits.active)


def figure_filename(key: str, config_summary: str, ext: str = "png") -> str:
    """The file name of one exported figure: ``lstm_<figure>_<run>.<ext>``.

    Args:
        key: The figure's name on its page (e.g. ``heat_c``, ``bars``).
        config_summary: ``config_summary(...)`` of the run it shows (any text; it is made file-name safe).
        ext: The file extension without its dot (``png``, ``svg``, ``gif``, ``html``, ...).

    Example:
        ``figure_filename("heat_c", "B2_T40_H16", "svg") == "lstm_heat_c_B2_T40_H16.svg"``
    """
    return f"lstm_{_slug(key)}_{_slug(config_summary)}.{_slug(ext)}"
