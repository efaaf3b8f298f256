"""File names for exports that say which figure and which run they hold."""

from __future__ import annotations

import functools
import re

from lstm_viz.config import LSTMConfig

_UNSAFE = re.compile(r"[^A-Za-z0-9.+-]+")


def _slug(text: str) -> str:
    """``text`` with every run of characters unsafe in a file name (spaces, slashes, ×) made one ``_``."""
    return _UNSAFE.sub("_", text).strip("_")


def config_summary(config: LSTMConfig, task: str | None = None, edited: bool = False) -> str:
    """A short, file-name-safe summary of a run, e.g. ``B2_T40_I4_H16_L1_float32_step_seed0``.

    Only what differs from a plain one-layer run is spelled out beyond the sizes (projection, bidirectional,
    no bias, batch_first, random hx), so two files of different runs never share a name.

    Args:
        config: The run's settings (for a task run, the sizes of the task's model).
        task: The task whose model ran (its name), or None for random weights.
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
    if task is not None:
        parts.append(f"task-{task}")
    else:
        parts.append(config.input_kind)
        if config.initial_state != "zeros":
            parts.append(f"hx-{config.initial_state}")
    parts.append(f"seed{config.seed}")
    if edited:
        parts.append("edited")
    return _slug("_".join(parts))


@functools.lru_cache(maxsize=256)
def spec_summary(config: LSTMConfig, task: str | None, edited: bool) -> str:
    """``config_summary`` made once per run: every chart of every page run names its PNG after the run."""
    return config_summary(config, task, edited)


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
