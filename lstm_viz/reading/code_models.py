"""What the "Cells that read code" page computes, pure: its models, their found cells, the match corpus's states."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from lstm_viz import analysis, tasks
from lstm_viz.engine import CellClamp
from lstm_viz.i18n import DEFAULT, N_, msg
from lstm_viz.reading import finder, headline, tracking
from lstm_viz.tasks import TaskModel, corpus
from lstm_viz.tasks.alice import TEXT

MODELS = {
    "code": N_("trained on Python (the shipped `code` model)"),
    "code_untrained": N_("the same network before training (the weights it started from)"),
    "chars": N_("trained on Alice in Wonderland (the shipped `chars` model)"),
}
"""The page's model choices (URL values of ``code_model``) and words for each (English, said with ``i18n.t``)."""
STATES = {"tanh_c": "tanh(c)", "h": "h"}
"""What a panel colours by (a ``TextRun.state``) and how the page names it (URL values of ``code_state``)."""
STATE_KEYS = {v: k for k, v in STATES.items()}
"""Each state by the page's name for it (``"tanh(c)"`` -> ``"tanh_c"``)."""
FOUND = "found"
"""The unit choice that means the finder's unit for the chosen track (``code_unit=found``)."""


def load(name: str) -> TaskModel:
    """The model called ``name`` (a key of ``MODELS``).

    Raises:
        ValueError: naming the choices.
    """
    if name == "code":
        return tasks.pretrained("code")
    if name == "code_untrained":
        info = tasks.shipped_info("code")
        return tasks.init_model(tasks.get("code"), int(info["hidden_size"]), int(info["seed"]), info["forget_bias"])
    if name == "chars":
        return tasks.pretrained("chars")
    raise ValueError(
        msg("there is no model {name}: choose one of {options}", name=repr(name), options=", ".join(MODELS))
    )


def shipped_findings() -> list[finder.CellFinding]:
    """The cells the finder named for the shipped `code` model when its weights were made (stored with them)."""
    return [finder.CellFinding(**f) for f in tasks.shipped_info("code")["cells"]]


def findings(name: str) -> list[finder.CellFinding]:
    """Every track's best unit for model ``name``, beside the untrained weights' best (clearest first).

    For the untrained `code` network the roles swap: its own best unit per track is what it has, and the
    trained model's r stands beside it.
    """
    if name == "code":
        return shipped_findings()
    if name == "code_untrained":
        return [
            finder.CellFinding(f.track, f.untrained_unit, f.untrained_state, f.untrained_r, f.unit, f.state, f.r)
            for f in shipped_findings()
        ]
    model = load(name)
    x = model.encode(TEXT)[0]  # [N, I]
    info = model.info
    untrained = tasks.init_model(model.task, int(info["hidden_size"]), int(info["seed"]), info["forget_bias"])
    return finder.find_in_corpus(model.lstm, untrained.lstm, x, finder.text_tracks([TEXT]))


@dataclass(frozen=True)
class MatchCorpus:
    """The fixed held-out analysis corpus with every character's states, kept per server.

    Attributes:
        text: The corpus (whole held-out files).
        paths: Its files; ``starts`` their offsets in ``text``.
        starts: Offset of each file.
        states: ``"tanh_c"`` and ``"h"`` of every character, float16 (both lie in -1..1). Shapes: [N, H].
        c_mean: Mean of ``c`` per unit over the corpus (the "clamp to its mean" value). Shapes: [H].
    """

    text: str
    paths: tuple[str, ...]
    starts: tuple[int, ...]
    states: dict[str, Tensor]
    c_mean: Tensor


def match_corpus(model: TaskModel) -> MatchCorpus:
    """Run ``model`` over the held-out analysis corpus once (``finder.corpus_states``) and keep what matching needs.

    About 60,000 characters x H units x 2 states in float16 (~60 MB at H = 256).
    """
    held = corpus.analysis()
    x = model.encode(held.text)[0]  # [N, I]
    st = finder.corpus_states(model.lstm, x)
    states = {"tanh_c": torch.tanh(st["c"]).half(), "h": st["h"].half()}
    return MatchCorpus(held.text, held.paths, held.starts, states, st["c"].double().mean(0))


def state_key(finding: finder.CellFinding) -> str:
    """The page's state for a finding: ``"tanh_c"`` for a cell (its c, shown as tanh(c)), else ``"h"``."""
    return "tanh_c" if finding.state == "c" else "h"


def opening_track(found: list[finder.CellFinding], track: str | None) -> str:
    """The track a model opens on: ``track`` when the model has a finding for it, else its clearest."""
    tracks = [f.track for f in found]
    return track if track in tracks else tracks[0]


@dataclass(frozen=True)
class PanelCell:
    """What one panel of the text view colours by: a unit's state, and the track it was found for (or None)."""

    unit: int
    state: str
    track: str | None


def panel_cells(
    found: list[finder.CellFinding], track: str, unit: str | int, state: str, more: list[str] | tuple[str, ...]
) -> list[PanelCell]:
    """The text view's panels: the chosen cell (``unit``: ``FOUND`` or a unit), then each further track's own cell.

    The first panel is named after ``track`` whatever unit is picked; each further one shows its finding's
    unit in its finding's state.
    """
    by_track = {f.track: f for f in found}
    first = by_track[track].unit if unit == FOUND else int(unit)
    return [PanelCell(first, state, track)] + [PanelCell(by_track[t].unit, state_key(by_track[t]), t) for t in more]


def corpus_tracks() -> dict[str, Tensor]:
    """Every track of the held-out analysis corpus, each file read on its own. Shapes: each [N]."""
    return finder.text_tracks(corpus.analysis().texts)


def corpus_regions(tracks: dict[str, Tensor]) -> Tensor:
    """The region (``headline.REGIONS``) of every character of the analysis corpus. Shapes: [N] int64."""
    return headline.regions(tracks, headline.file_heads(corpus.analysis().texts))


def unit_correlations(mc: MatchCorpus, tracks: dict[str, Tensor]) -> dict[str, Tensor]:
    """Pearson's r of every unit of tanh(c) and of h with every track (``tracking.TRACKS`` order) on the corpus.

    Shapes: -> each [tracks, H].
    """
    return analysis.correlations(mc.states, {k: tracks[k] for k in tracking.TRACKS})


@dataclass(frozen=True)
class Headline:
    """A finding made visible: where its cell is on over held-out code, and the window that shows it.

    Attributes:
        finding: The finder's unit for a track.
        profile: Where that unit is on, on its track and off it.
        window: The held-out file and line whose first lines show it best.
    """

    finding: finder.CellFinding
    profile: headline.OnProfile
    window: headline.Window

    def sentence(self, lang: str = DEFAULT) -> str:
        """Where else the cell is on, in words: 'Beyond +0.5 it is on at ...; also at the start of a file ...'."""
        return self.profile.sentence(tracking.TRACKS[self.finding.track].inside, lang)


def headline_of(finding: finder.CellFinding, mc: MatchCorpus, tracks: dict[str, Tensor], where: Tensor) -> Headline:
    """Measure ``finding``'s unit over the analysis corpus: where it is on, and the window that shows it.

    Its sign is that of its r; inside its track is where the track is above 0.

    Shapes: each track and ``where`` [N], the corpus's characters.
    """
    values = mc.states[state_key(finding)][:, finding.unit]
    sign = 1 if finding.r >= 0 else -1
    inside = tracks[finding.track] > 0
    profile = headline.on_profile(values, sign, inside, where)
    return Headline(finding, profile, headline.opening_window(values, sign, inside, corpus.analysis().texts))


CLAMPS = {
    "none": N_("no clamp"),
    "zero": N_("clamped to 0"),
    "mean": N_("clamped to its mean on held-out code"),
}
"""Each clamp of a cell, and words for it."""
CLAMP_CHOICES = {"none": "none", "to 0": "zero", "to its mean": "mean"}
"""The page's clamp choices (URL values of ``code_clamp``) and the clamp (a key of ``CLAMPS``) each names."""
CLAMP_TITLES = {
    "zero": N_("What clamping cell {unit} to 0 changes"),
    "mean": N_("What clamping cell {unit} to its mean on held-out code changes"),
}
"""The title of what a clamp changes, per clamp."""


def clamp_for(kind: str, unit: int, c_mean: Tensor) -> CellClamp | None:
    """The clamp of one unit: none, to 0, or to its held-out mean.

    Raises:
        ValueError: for an unknown kind.
    """
    if kind == "none":
        return None
    if kind == "zero":
        return CellClamp((unit,), (0.0,))
    if kind == "mean":
        return CellClamp((unit,), (float(c_mean[unit]),))
    raise ValueError(
        msg("there is no clamp {kind}: choose one of {options}", kind=repr(kind), options=", ".join(CLAMPS))
    )


def held_out_window(path_index: int, line: int, limit: int) -> tuple[str, str, int, int]:
    """Up to ``limit`` characters of a held-out analysis file from line ``line`` (1-based), cut at a line end.

    Returns:
        ``(path, text, first line shown, offset of the text in the analysis corpus)``.
    """
    held = corpus.analysis()
    path_index = min(max(path_index, 0), len(held.paths) - 1)
    lines = held.texts[path_index].split("\n")
    line = min(max(line, 1), max(len(lines), 1))
    skipped = sum(len(x) + 1 for x in lines[: line - 1])
    text = held.texts[path_index][skipped:]
    if len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        text = text[: cut + 1 if cut > 0 else limit]
    return held.paths[path_index], text, line, held.starts[path_index] + skipped
