"""Task views: the memory unit as a person sees it, every unit's correlation, a gate or state, the loss curve."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from torch import Tensor

from lstm_viz.figures.base import (
    HEATMAP_MARGIN,
    base_layout,
    colour_bar,
    integer_dtick,
    log_axis,
    make_figure,
    step_pairs,
    step_words,
    time_axis,
    to_numpy,
    two_line_title,
)
from lstm_viz.figures.gradients import LEGEND_ON_TOP, title_on_top
from lstm_viz.figures.scales import CURSOR_COLOUR, SIGNED_SCALE
from lstm_viz.i18n import N_, t
from lstm_viz.tasks.units import UnitScore

STATE_COLOUR = "#0072b2"  # Okabe-Ito blue and vermillion: tell apart under every common colour blindness
LATENT_COLOUR = "#d55e00"
UNTRAINED_COLOUR = "#999999"
BIT_COLOURS = {1: STATE_COLOUR, -1: LATENT_COLOUR}
"""The held bit + and −, in the blue and vermillion that stay apart under every common colour blindness."""
STATE_WORDS = {"c": N_("cell state c"), "h": N_("hidden state h")}
"""Each state's name (a catalogue id, said with ``t(lang, ...)``)."""
MAX_SCORED_UNITS = 16
"""The per-unit chart shows at most this many units, those with the largest |r|: a row each stays readable."""


def memory_split_figure(
    values: Tensor,
    latent: Tensor,
    labels: list[list[str]],
    score: UnitScore,
    state: str = "c",
    *,
    lang: str = "en",
) -> go.Figure:
    """The proof for remember_bit: one unit's state on several sequences, aligned at their marker, coloured by the bit.

    Before the marker the lines run together; at the marker they split by the bit and stay apart while the
    bit is held. The x axis counts steps from each sequence's marker (0), so sequences whose marker comes at
    different steps line up.

    Args:
        values: The unit's state on each sequence.
        latent: The held bit: 0 before the marker, then +1 or -1.
        labels: Each step's input symbol, for the hover.
        score: The unit's score, for the title (measured on the finder's sequences).
        state: Which state ``values`` holds.
        lang: The language of its words.

    Shapes:
        values [N, T]; latent [N, T]; labels [N][T].
    """
    v = to_numpy(values).astype(np.float64)
    lat = to_numpy(latent)
    n, steps = v.shape
    data, shown = [], set()
    for k in range(n):
        held = lat[k] != 0
        marker = int(np.argmax(held)) if held.any() else steps - 1
        bit = 1 if lat[k, -1] >= 0 else -1
        steps_k = np.arange(steps, dtype=np.int32)
        sign = "+" if bit > 0 else "−"
        data.append(
            dict(
                type="scatter",
                mode="lines",
                x=steps_k - marker,
                y=v[k],
                line=dict(color=BIT_COLOURS[bit], width=1.5),
                opacity=0.85,
                name=t(lang, "held bit {bit}", bit=sign),
                legendgroup=str(bit),
                showlegend=bit not in shown,
                customdata=np.stack([steps_k, np.asarray(labels[k], dtype=object)], axis=1),
                hovertemplate=t(
                    lang,
                    "sequence {k}, bit {bit}, marker at step {marker}"
                    "<br>step %{{customdata[0]}} (input %{{customdata[1]}}), %{{x:+d}} from the marker"
                    "<br>{state} of unit {unit} %{{y:.4f}}<extra></extra>",
                    k=k,
                    bit=sign,
                    marker=marker,
                    state=state,
                    unit=score.unit,
                ),
            )
        )
        shown.add(bit)
    # Widest offset first to last: markers at different steps give different spans.
    span = steps - 1
    layout = base_layout(
        two_line_title(
            t(
                lang,
                "Unit {unit}'s {state_words} splits at the marker by the held bit",
                unit=score.unit,
                state_words=t(lang, STATE_WORDS[state]),
            ),
            t(lang, "{n} fresh sequences aligned at their marker ★; r = {r:+.2f} with the held bit", n=n, r=score.r),
        ),
        360,
        xaxis=dict(
            title=dict(text=t(lang, "steps from the marker ★ (negative: before it)")),
            tickmode="linear",
            tick0=0,
            dtick=integer_dtick(2 * span, 12),
            zeroline=False,
            showgrid=False,
        ),
        yaxis=dict(
            title=dict(text=t(lang, "{state} of unit {unit}", state=state, unit=score.unit)),
            zeroline=True,
            zerolinecolor="#ccc",
        ),
        shapes=[dict(type="line", x0=0, x1=0, yref="paper", y0=0, y1=1, line=dict(color="#444", dash="dot"))],
        annotations=[
            dict(text=t(lang, "marker ★"), x=0, xanchor="left", yref="paper", y=1.0, yanchor="top", showarrow=False)
        ],
        legend=dict(orientation="h", x=0, y=-0.3, yanchor="top"),
        margin=dict(l=70, r=30, t=64, b=100),
    )
    return make_figure(data, layout)


def memory_against_figure(
    values: Tensor,
    latent: Tensor,
    labels: list[list[str]],
    score: UnitScore,
    latent_name: str,
    state: str = "c",
    *,
    lang: str = "en",
) -> go.Figure:
    """The proof for brackets and counting: one unit's state at every step of several sequences, against the latent.

    A counter's cell state is a staircase: one level per depth (or count), so the points sit on a line. The
    mean at each value of the latent is drawn over the points. ``latent_name`` is a catalogue id (a task's
    ``latent_name``), said in ``lang`` like every other word.

    Shapes:
        values [N, T]; latent [N, T] (whole numbers); labels [N][T].
    """
    latent_words = t(lang, latent_name)
    v = to_numpy(values).astype(np.float64)
    lat = to_numpy(latent).astype(np.float64)
    n, steps = v.shape
    seq, step = np.meshgrid(np.arange(n), np.arange(steps), indexing="ij")  # [N, T] each
    # A fixed, small horizontal spread so points of one level do not hide each other.
    jitter = (np.random.default_rng(0).random(v.size) - 0.5) * 0.3
    symbols = np.asarray(labels, dtype=object).reshape(-1)
    levels = np.unique(lat)
    means = [float(v[lat == x].mean()) for x in levels]
    data = [
        dict(
            type="scatter",
            mode="markers",
            x=lat.reshape(-1) + jitter,
            y=v.reshape(-1),
            marker=dict(size=5, color=STATE_COLOUR, opacity=0.35),
            name=t(lang, "{state} at a step", state=state),
            # The latent in words: whole numbers as such ("3", not d3's "3.00000").
            customdata=np.stack([seq.reshape(-1), step.reshape(-1), symbols, [f"{x:g}" for x in lat.reshape(-1)]], 1),
            hovertemplate=t(
                lang,
                "sequence %{{customdata[0]}}, step %{{customdata[1]}} (input %{{customdata[2]}})"
                "<br>{latent} %{{customdata[3]}}<br>{state} of unit {unit} %{{y:.4f}}<extra></extra>",
                latent=latent_words,
                state=state,
                unit=score.unit,
            ),
        ),
        dict(
            type="scatter",
            mode="lines+markers",
            x=levels,
            y=means,
            line=dict(color=LATENT_COLOUR, width=2),
            marker=dict(size=9, symbol="diamond"),
            name=t(lang, "mean {state} at each {latent}", state=state, latent=latent_words),
            hovertemplate=t(
                lang, "{latent} %{{x:g}}<br>mean {state} %{{y:.4f}}<extra></extra>", latent=latent_words, state=state
            ),
        ),
    ]
    top = float(levels.max()) if levels.size else 1.0
    layout = base_layout(
        two_line_title(
            t(
                lang,
                "Unit {unit}'s {state_words} against the {latent}",
                unit=score.unit,
                state_words=t(lang, STATE_WORDS[state]),
                latent=latent_words,
            ),
            t(
                lang,
                "every step of {n} fresh sequences; r = {r:+.2f} ({slope:+.3f} per 1)",
                n=n,
                r=score.r,
                slope=score.slope,
            ),
        ),
        360,
        xaxis=dict(
            title=dict(text=latent_words),
            tickmode="linear",
            tick0=0,
            dtick=integer_dtick(int(top) + 1, 12),
            zeroline=False,
        ),
        yaxis=dict(
            title=dict(text=t(lang, "{state} of unit {unit}", state=state, unit=score.unit)),
            zeroline=True,
            zerolinecolor="#ccc",
        ),
        legend=dict(orientation="h", x=0, y=-0.3, yanchor="top"),
        margin=dict(l=70, r=30, t=64, b=100),
    )
    return make_figure(data, layout)


TEXT_COLUMNS = 32
"""Characters per row of the text proof: a row of the page holds this many cells with their letter legible."""


def memory_text_figure(
    values: Tensor,
    labels: list[list[str]],
    score: UnitScore,
    latent_name: str,
    state: str = "c",
    *,
    lang: str = "en",
) -> go.Figure:
    """A character model's proof: the text of several sequences, each character's cell coloured by the unit's state.

    The way Karpathy, Johnson and Fei-Fei (2015) show a cell over text: a reader sees where in the words the
    unit rises and falls. Each sequence is laid out in rows of ``TEXT_COLUMNS`` characters, one blank row
    between sequences. ``latent_name`` is a catalogue id, said in ``lang``.

    Shapes:
        values [N, T]; labels [N][T] -> a [rows, TEXT_COLUMNS] grid of cells.
    """
    # One look-up for every cell: the sentence's template, filled per character below.
    where = t(lang, "sequence {k}, step {t}")
    v = to_numpy(values).astype(np.float64)
    n, steps = v.shape
    per = -(-steps // TEXT_COLUMNS)  # rows per sequence
    rows = n * (per + 1) - 1
    z = np.full((rows, TEXT_COLUMNS), np.nan)
    text = np.full((rows, TEXT_COLUMNS), "", dtype=object)
    custom = np.full((rows, TEXT_COLUMNS, 2), "", dtype=object)
    for k in range(n):
        for step in range(steps):
            row, col = k * (per + 1) + step // TEXT_COLUMNS, step % TEXT_COLUMNS
            z[row, col] = v[k, step]
            text[row, col] = labels[k][step]
            custom[row, col] = (where.format(k=k, t=step), labels[k][step])
    limit = max(float(np.nanmax(np.abs(v))) if v.size else 0.0, 1e-12)
    heat = dict(
        type="heatmap",
        z=z,
        text=text,
        texttemplate="%{text}",
        textfont=dict(size=13),
        customdata=custom,
        zmin=-limit,
        zmax=limit,
        colorscale=SIGNED_SCALE,
        colorbar=colour_bar(t(lang, "{state} of unit {unit}", state=state, unit=score.unit)),
        xgap=1,
        ygap=1,
        hovertemplate=t(
            lang,
            "%{{customdata[0]}} (input %{{customdata[1]}})<br>{state} of unit {unit} %{{z:.4f}}<extra></extra>",
            state=state,
            unit=score.unit,
        ),
        hoverongaps=False,
    )
    layout = base_layout(
        two_line_title(
            t(
                lang,
                "Unit {unit}'s {state_words} over the text",
                unit=score.unit,
                state_words=t(lang, STATE_WORDS[state]),
            ),
            t(
                lang,
                "{n} fresh passages, each character coloured by it; r = {r:+.2f} with the {latent}",
                n=n,
                r=score.r,
                latent=t(lang, latent_name),
            ),
        ),
        72 + 22 * rows,
        xaxis=dict(visible=False, range=[-0.5, TEXT_COLUMNS - 0.5]),
        yaxis=dict(visible=False, autorange="reversed"),
        margin=dict(HEATMAP_MARGIN, l=20, t=64, b=10),
    )
    return make_figure([heat], layout)


def unit_latent_figure(
    values: Tensor,
    latent: Tensor,
    score: UnitScore,
    latent_name: str,
    step_labels: list[str] | None,
    where: str,
    state: str | None = None,
    *,
    lang: str = "en",
) -> go.Figure:
    """One unit's state and the task's latent variable over the same steps of one sequence, on two y axes.

    Args:
        values: The unit's ``c`` or ``h`` at every step of one sequence.
        latent: The latent variable at the same steps.
        score: The unit's score (its r is measured on fresh sequences, not only this one).
        latent_name: Words for the latent (``"nesting depth"``): a catalogue id, said in ``lang``.
        step_labels: Input symbols for the time axis, or None.
        where: Which record and sequence (``"layer 0 forward, batch item 0"``) for the title, in ``lang``.
        state: Which state ``values`` holds; default the score's.
        lang: The language of its words.

    Shapes: ``values`` [T]; ``latent`` [T].
    """
    state = state or score.state
    latent_words = t(lang, latent_name)
    state_words = t(lang, STATE_WORDS[state])
    steps = values.shape[0]
    x = np.arange(steps, dtype=np.int32)
    hover = step_pairs(step_labels)
    words = step_words(step_labels, lang=lang)
    data = [
        dict(
            type="scatter",
            x=x,
            y=to_numpy(values),
            mode="lines+markers",
            name=t(lang, "unit {unit} {state_words}", unit=score.unit, state_words=state_words),
            line=dict(color=STATE_COLOUR, width=2),
            marker=dict(size=5),
            customdata=hover,
            hovertemplate=t(
                lang,
                "{step}<br>{state} of unit {unit} %{{y:.4f}}<extra></extra>",
                step=words,
                state=state,
                unit=score.unit,
            ),
        ),
        dict(
            type="scatter",
            x=x,
            y=to_numpy(latent),
            yaxis="y2",
            mode="lines",
            line=dict(color=LATENT_COLOUR, width=2, dash="dot", shape="hv"),
            name=latent_words,
            customdata=hover,
            hovertemplate=t(lang, "{step}<br>{latent} %{{y:g}}<extra></extra>", step=words, latent=latent_words),
        ),
    ]
    layout = base_layout(
        two_line_title(
            t(
                lang,
                "Unit {unit}'s {state_words} over one sequence, beside the {latent}",
                unit=score.unit,
                state_words=state_words,
                latent=latent_words,
            ),
            t(lang, "{where}; r = {r:+.2f} on fresh sequences", where=where, r=score.r),
        ),
        340,
        xaxis=time_axis(steps, step_labels, max_ticks=12, max_symbols=64, lang=lang),
        yaxis=dict(
            title=dict(
                text=t(lang, "{state} of unit {unit}", state=state, unit=score.unit), font=dict(color=STATE_COLOUR)
            ),
            zeroline=True,
            zerolinecolor="#ccc",
        ),
        yaxis2=dict(
            title=dict(text=latent_words, font=dict(color=LATENT_COLOUR)),
            overlaying="y",
            side="right",
            # Not synced to the left axis: the latent keeps its own whole-number ticks.
            tickmode="linear",
            tick0=0,
            dtick=integer_dtick(int(latent.max() - latent.min()) + 1 if steps else 1, 6),
            showgrid=False,
            zeroline=False,
        ),
        legend=dict(orientation="h", x=0, y=-0.3, yanchor="top"),
        margin=dict(l=70, r=70, t=64, b=100),
    )
    return make_figure(data, layout)


def unit_scores_figure(
    scores: list[UnitScore], untrained: list[UnitScore], latent_name: str, *, lang: str = "en"
) -> go.Figure:
    """Each unit's Pearson r with the latent, c and h, as horizontal bars sorted by |r|; untrained as a band.

    With more than ``MAX_SCORED_UNITS`` units only those with the largest |r| are drawn (said in the title), so
    each row keeps its label at 32 units and more. The best |r| of the untrained model of the same size is
    the shaded band: a unit outside it is something training added. ``latent_name`` is a catalogue id, said in
    ``lang`` like every other word.
    """
    best = {}
    for s in scores:
        best[s.unit] = max(best.get(s.unit, 0.0), abs(s.r))
    order = sorted(best, key=lambda u: -best[u])[:MAX_SCORED_UNITS]
    unit_words = t(lang, "unit {unit}")
    rows = [unit_words.format(unit=u) for u in order]
    data = []
    for state, colour, pattern in (("c", STATE_COLOUR, ""), ("h", "#56b4e9", "/")):
        by_unit = {s.unit: s.r for s in scores if s.state == state}
        data.append(
            dict(
                type="bar",
                orientation="h",
                y=rows,
                x=[by_unit.get(u, 0.0) for u in order],
                name=t(lang, "{state} ({state_words})", state=state, state_words=t(lang, STATE_WORDS[state])),
                marker=dict(color=colour, pattern=dict(shape=pattern), line=dict(color=colour, width=1)),
                hovertemplate=f"%{{y}}<br>{state}: r = %{{x:+.3f}}<extra></extra>",
            )
        )
    chance = max((abs(s.r) for s in untrained), default=0.0)
    n_units = len(best)
    title = t(lang, "Pearson r with the {latent}", latent=t(lang, latent_name))
    if n_units <= len(order):
        detail = t(lang, "all {n} units, largest |r| first; grey band: untrained best |r|", n=n_units)
    else:
        detail = t(
            lang, "{shown} of {n} units, largest |r| first; grey band: untrained best |r|", shown=len(order), n=n_units
        )
    height = max(300, 142 + 2 * 14 * len(order))
    layout = base_layout(
        two_line_title(title, detail),
        height,
        barmode="group",
        xaxis=dict(
            title=dict(text=t(lang, "Pearson r")), range=[-1, 1], zeroline=True, zerolinecolor="#999", dtick=0.5
        ),
        yaxis=dict(
            title=dict(text=""), type="category", autorange="reversed", categoryorder="array", categoryarray=rows
        ),
        shapes=[
            dict(
                type="rect",
                x0=-chance,
                x1=chance,
                yref="paper",
                y0=0,
                y1=1,
                fillcolor=UNTRAINED_COLOUR,
                opacity=0.2,
                line=dict(width=0),
                layer="below",
            )
        ],
        legend=LEGEND_ON_TOP,
        margin=dict(l=70, r=20, t=100, b=50),
    )
    return make_figure(data, title_on_top(layout))


def loss_curve_figure(losses: list[float], title: str, live_step: int | None = None, *, lang: str = "en") -> go.Figure:
    """The training loss at every Adam step, on a log axis (``live_step`` marks a training still running).

    ``title`` is the caller's, already in ``lang``; the axes, legend and hover are said in ``lang`` here.
    """
    y = np.maximum(np.asarray(losses, dtype=np.float64), 1e-6)
    data = [
        dict(
            type="scatter",
            x=np.arange(1, len(y) + 1, dtype=np.int32),
            y=y,
            mode="lines",
            line=dict(color=STATE_COLOUR, width=1.5),
            hovertemplate=t(lang, "Adam step %{x}<br>loss %{y:.4f}<extra></extra>"),
            name=t(lang, "training loss"),
        )
    ]
    shapes = []
    if live_step is not None:
        shapes.append(
            dict(type="line", x0=live_step, x1=live_step, yref="paper", y0=0, y1=1, line=dict(color=CURSOR_COLOUR))
        )
    low, high = (float(y.min()), float(y.max())) if y.size else (0.1, 1.0)
    layout = base_layout(
        title,
        280,
        xaxis=dict(title=dict(text=t(lang, "Adam step")), rangemode="tozero", tickformat="d"),
        yaxis=log_axis(t(lang, "loss (log scale)"), low, high),
        shapes=shapes,
        showlegend=False,
    )
    return make_figure(data, layout)
