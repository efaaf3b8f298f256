"""The one Streamlit helper module: shared controls -> config, the cached run, record pickers, chart display."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import streamlit as st
import torch

from lstm_viz.config import DTYPES, INITIAL_STATES, INPUT_KINDS, LSTMConfig
from lstm_viz.figures import direction_label, unit_pages
from lstm_viz.run import Run, run
from lstm_viz.trace import LayerTrace

DEFAULTS: dict[str, Any] = dict(
    batch=2,
    seq_len=40,
    input_size=4,
    hidden_size=16,
    proj_size=0,
    num_layers=1,
    bidirectional=False,
    bias=True,
    batch_first=False,
    dtype="float32",
    seed=0,
    input_kind="step",
    initial_state="zeros",
)
"""The first run a newcomer sees: one layer, 16 units, 40 steps of steps and impulses, so the cell state
visibly takes up and holds each change."""

PRESETS: dict[str, dict[str, Any]] = {
    "gate dynamics (default)": DEFAULTS,
    "the tutorial (2, 3, 4, 5, proj 3)": {
        **DEFAULTS,
        "batch": 2,
        "seq_len": 3,
        "input_size": 4,
        "hidden_size": 5,
        "proj_size": 3,
        "input_kind": "random",
        "initial_state": "random",
    },
    "larger: 2 bidirectional layers": {
        **DEFAULTS,
        "batch": 8,
        "seq_len": 128,
        "input_size": 16,
        "hidden_size": 64,
        "proj_size": 16,
        "num_layers": 2,
        "bidirectional": True,
        "input_kind": "text",
    },
}

_NUMBERS = (
    ("batch", "batch size B", "Sequences run side by side (1-32)."),
    ("seq_len", "sequence length T", "Time steps per sequence (1-512)."),
    ("input_size", "input size I", "Features per step, nn.LSTM's input_size (1-512)."),
    ("hidden_size", "hidden size H", "Cell units, nn.LSTM's hidden_size (1-512)."),
    ("proj_size", "projection size P (0 = none)", "nn.LSTM's proj_size: h_t = W_hr m_t; must be < H."),
    ("num_layers", "layers L", "Stacked LSTM layers, nn.LSTM's num_layers (1-4)."),
    ("seed", "seed", "Seeds the weights, the input and the initial state (0 to 2^31-1)."),
)
_FLAGS = (
    ("bidirectional", "bidirectional", "Adds a reverse direction (the *_reverse parameters)."),
    ("bias", "bias", "Include b_ih and b_hh."),
    ("batch_first", "batch_first", "Input laid out [B, T, I] instead of [T, B, I]."),
)
_CHOICES = (
    ("input_kind", "input", INPUT_KINDS, "sine waves, normal noise, steps/impulses or one-hot text"),
    ("initial_state", "initial state (h0, c0)", INITIAL_STATES, "zeros = hx omitted; random = hx given"),
    ("dtype", "dtype", DTYPES, "float64 shows the difference to nn.LSTM is rounding"),
)
# Many sessions share a server's few cores and these matrices are small: one thread per forward avoids
# the oversubscription that made a 40-step run take 300 ms instead of 1 ms under load.
torch.set_num_threads(1)

log = logging.getLogger("lstm_viz.ui")
if os.environ.get("LSTM_EXPLORER_LOG"):
    # Lets the browser tests see which reruns were full and which were fragment-only.
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler())

LAST_GOOD = "_last_good_config"
ERROR = "_config_error"


def _apply_preset() -> None:
    name = st.session_state.get("_preset")
    if name in PRESETS:
        for key, value in PRESETS[name].items():
            st.session_state[key] = value
    st.session_state["_preset"] = None


def lstm_controls() -> LSTMConfig:
    """Sidebar controls for every ``LSTMConfig`` field, each bound to the URL, returning the run to show.

    An invalid combination shows its message beside the controls and returns the last valid config.
    """
    sb = st.sidebar
    sb.header("LSTM settings")
    sb.selectbox(
        "preset",
        list(PRESETS),
        index=None,
        placeholder="load a preset…",
        key="_preset",
        on_change=_apply_preset,
    )
    values: dict[str, Any] = {}
    cols = sb.columns(2)
    for n, (key, label, help_text) in enumerate(_NUMBERS):
        # No min/max on the widget: out-of-range values, also typed into the URL, must reach
        # validation so the user gets a message rather than a silent reset.
        values[key] = cols[n % 2].number_input(
            label, value=DEFAULTS[key], step=1, key=key, bind="query-params", help=help_text
        )
    for key, label, help_text in _FLAGS:
        values[key] = sb.checkbox(label, value=DEFAULTS[key], key=key, bind="query-params", help=help_text)
    for key, label, options, help_text in _CHOICES:
        values[key] = sb.selectbox(
            label,
            options,
            index=options.index(DEFAULTS[key]),
            key=key,
            bind="query-params",
            help=help_text,
        )
    sb.caption("Every setting lives in the page URL: copy the link to share this exact run, seed included.")
    try:
        config = LSTMConfig(**values)
    except ValueError as err:
        st.session_state[ERROR] = str(err)
        sb.error(f"Not applied: {err}. Still showing the last valid run.", icon=":material/warning:")
        return st.session_state.get(LAST_GOOD) or LSTMConfig(**DEFAULTS)
    st.session_state[ERROR] = None
    st.session_state[LAST_GOOD] = config
    return config


@st.cache_resource(max_entries=24, show_spinner="Running the LSTM…")
def cached_run(config: LSTMConfig) -> Run:
    """The run for ``config``, computed once and shared read-only by every session."""
    return run(config)


def current_run() -> Run:
    """The run of the settings in the sidebar (the last valid ones if the current ones are not)."""
    config = st.session_state.get("config") or LSTMConfig(**DEFAULTS)
    log.info("full page run")
    if st.session_state.get(ERROR):
        st.warning(
            f"Your settings were not applied ({st.session_state[ERROR]}). The page shows the last valid run.",
            icon=":material/warning:",
        )
    return cached_run(config)


@dataclass(frozen=True)
class Selection:
    """Which layer-direction, batch item and window of units a page shows."""

    record: LayerTrace
    batch_item: int
    units: tuple[int, int]


def record_controls(r: Run, key: str, units_of: str = "hidden") -> Selection:
    """Pickers for layer, direction, batch item and (for wide layers) a page of units.

    Args:
        r: The run shown.
        key: Prefix keeping each page's pickers apart.
        units_of: ``"hidden"`` to page over H units, ``"out"`` over H_out features.
    """
    cfg = r.config
    cols = st.columns(4)
    layer = cols[0].selectbox("layer", range(cfg.num_layers), key=f"{key}_layer", disabled=cfg.num_layers == 1)
    reverse = cols[1].selectbox(
        "direction",
        [False, True] if cfg.bidirectional else [False],
        format_func=direction_label,
        key=f"{key}_dir",
        disabled=not cfg.bidirectional,
    )
    batch_item = cols[2].selectbox("batch item", range(cfg.batch), key=f"{key}_batch", disabled=cfg.batch == 1)
    n_units = cfg.hidden_size if units_of == "hidden" else cfg.out_size
    window = unit_window(n_units, "units shown", f"{key}_units", cols[3])
    return Selection(r.trace.layer(layer, reverse=reverse), batch_item, window)


def unit_window(n_units: int, label: str, key: str, container: Any = st) -> tuple[int, int]:
    """A picker for which page of ``MAX_UNITS_SHOWN`` units the heatmaps show (disabled when one page)."""
    pages = unit_pages(n_units)
    return container.selectbox(
        label,
        pages,
        format_func=lambda p: f"{p[0]}–{p[1] - 1} of {n_units}",
        # The size in the key: a new size starts on its first page instead of a page that no longer exists.
        key=f"{key}_{n_units}",
        disabled=len(pages) == 1,
    )


def show_chart(fig: go.Figure, key: str, **kwargs: Any) -> Any:
    """Draw a figure with a high-resolution PNG download button in its toolbar."""
    config = {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "scale": 3, "filename": key},
    }
    return st.plotly_chart(fig, key=key, config=config, width="stretch", **kwargs)


def verdict_banner(r: Run) -> None:
    """The green (or red) 'matches nn.LSTM' verdict with the measured error."""
    c = r.comparison
    text = f"**{c.verdict}**"
    if c.allclose:
        st.success(text, icon=":material/check_circle:")
    else:
        st.error(text, icon=":material/error:")
