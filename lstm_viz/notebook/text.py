"""The text view: a text as a character model read it, each character on the colour of one of its cells."""

from __future__ import annotations

import plotly.graph_objects as go

from lstm_viz.figures.code_text import TextPanel, text_figure
from lstm_viz.i18n import msg, t
from lstm_viz.reading import code_models, finder, tracking
from lstm_viz.reading.reader import TextRun, run_text
from lstm_viz.reading.words import panel_label, track_name
from lstm_viz.tasks import TaskModel

STATES = code_models.STATES
"""What a panel colours by: the cell's tanh(c) (in -1..1, as h is) or the unit's h."""


def text_model(model: TaskModel | str) -> TaskModel:
    """The character model to read with: a task's model, or a name of the code page's models.

    Raises:
        TypeError: for something that is not a model or a name.
        ValueError: for a name that is not one of the page's models, or a model that does not read characters.
    """
    if isinstance(model, str):
        return code_models.load(model)
    if not isinstance(model, TaskModel):
        raise TypeError(
            msg(
                "show_text reads with a character model: lstm_viz.tasks.pretrained('code') or 'chars', or one of "
                "{models}; it was given {kind}",
                models=", ".join(map(repr, code_models.MODELS)),
                kind=type(model).__name__,
            )
        )
    if model.task.encode is None:
        raise ValueError(
            msg(
                "the {task} task's model reads {title} symbols, not text: show_text draws the code and chars "
                "models; draw this one with show(model)",
                task=model.task.name,
                title=msg(model.task.title),
            )
        )
    return model


def findings_of(model: TaskModel) -> list[finder.CellFinding]:
    """The cells found for the model, clearest first, as stored with its shipped weights (none for others)."""
    return [finder.CellFinding(**f) for f in model.info.get("cells", [])]


def text_view(
    model: TaskModel,
    text: str,
    cell: int | str | None,
    state: str | None,
    tracks: list[str] | tuple[str, ...] | None,
    lang: str,
) -> tuple[go.Figure, TextRun]:
    """The code page's text view: ``text`` coloured by one cell, the chosen tracks as bars under each row.

    Args:
        model: The character model.
        text: At most ``lstm_viz.reading.reader.MAX_TEXT`` characters.
        cell: A unit number, or a track (``"string"``, ``"indentation"``, ...) whose found cell to show; default the
            clearest found cell.
        state: ``"tanh_c"`` or ``"h"``; default the found cell's (``"tanh_c"`` for a unit number).
        tracks: Tracks drawn as bars (``lstm_viz.reading.tracking.TRACKS``); default the shown cell's track.
        lang: The language of the words added here.

    Raises:
        ValueError: for an empty or too long text, a unit or track the model does not have, or an unknown state.
    """
    found = {f.track: f for f in findings_of(model)}
    hidden = model.lstm.hidden_size
    track = None
    if cell is None:
        if not found:
            raise ValueError(
                msg("no cells were found and stored for this model: pass cell=a unit, 0..{last}", last=hidden - 1)
            )
        cell = next(iter(found))
    if isinstance(cell, str):
        if cell not in found:
            if found:
                raise ValueError(
                    msg(
                        "cell={cell!r} is not a track with a found cell: its found cells follow {tracks}; or pass a "
                        "unit 0..{last}",
                        cell=cell,
                        tracks=", ".join(map(repr, found)),
                        last=hidden - 1,
                    )
                )
            raise ValueError(
                msg(
                    "cell={cell!r} is not a track with a found cell: it has no found cells; or pass a unit 0..{last}",
                    cell=cell,
                    last=hidden - 1,
                )
            )
        track, finding = cell, found[cell]
        unit, state = finding.unit, state or code_models.state_key(finding)
    elif isinstance(cell, int) and not isinstance(cell, bool) and 0 <= cell < hidden:
        unit, state = cell, state or "tanh_c"
    else:
        raise ValueError(
            msg(
                "cell={cell!r}: a unit is 0..{last}, or a track name ({tracks})",
                cell=cell,
                last=hidden - 1,
                tracks=", ".join(tracking.TRACKS),
            )
        )
    if state not in STATES:
        raise ValueError(
            msg("state={state!r} is not one of {choices}", state=state, choices=", ".join(map(repr, STATES)))
        )
    bars = list(tracks) if tracks is not None else ([track] if track else [])
    unknown = [name for name in bars if name not in tracking.TRACKS]
    if unknown:
        raise ValueError(
            msg("tracks {unknown} are not tracks: {tracks}", unknown=unknown, tracks=", ".join(tracking.TRACKS))
        )
    r = run_text(model, text)
    label = panel_label(code_models.PanelCell(unit, state, track), lang)
    fig = text_figure(
        r.text,
        [TextPanel(r.state(state)[:, unit], label, quantity=STATES[state])],
        t(lang, "your text"),
        subtitle=t(lang, "coloured by each cell, −1 blue to +1 red"),
        tracks={track_name(name, lang): r.tracks[name] for name in bars},
        lang=lang,
    )
    return fig, r
