"""What the code page says in words, in the reader's language: its lists, labels, tables and captions (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lstm_viz.i18n import DEFAULT, say, t
from lstm_viz.reading import code_models, spans, tracking
from lstm_viz.reading.finder import CellFinding
from lstm_viz.reading.reader import TextRun
from lstm_viz.reading.texts import ShownText
from lstm_viz.reference import Comparison

SELECTED_SHOWN = 80
"""Characters of a selection quoted above its cells (a longer one ends in '…')."""
_SENTENCE_GAP = {"zh-CN": ""}
"""What stands between two sentences, where it is not a space (Chinese sentences end in '。' and run on)."""


def sentences(parts: Iterable[str], lang: str = DEFAULT) -> str:
    """Whole sentences, each said in ``lang`` already, one after the other (empty ones left out)."""
    return _SENTENCE_GAP.get(lang, " ").join(p for p in parts if p)


def option_list(words: Mapping[str, str], lang: str = DEFAULT) -> str:
    """'code: trained on Python (...); chars: ...': each option (an identifier, as it is) and its words in ``lang``."""
    return t(lang, "; ").join(t(lang, "{option}: {words}", option=k, words=t(lang, v)) for k, v in words.items())


def track_name(track: str, lang: str = DEFAULT) -> str:
    """A track's short name in ``lang`` (``"string"``; in English its URL value)."""
    return t(lang, tracking.TRACKS[track].name)


def track_list(lang: str = DEFAULT) -> str:
    """'string: inside a string; comment: inside a comment; ...': every track and what it is, in ``lang``."""
    return option_list({k: info.label for k, info in tracking.TRACKS.items()}, lang)


def findings_list(found: list[CellFinding], lang: str = DEFAULT) -> str:
    """'string: inside a string (cell 18, r = +0.80); ...': each hypothesis, clearest first, and its best cell."""
    return t(lang, "; ").join(
        t(
            lang,
            "{track}: {label} ({cell}, r = {r:+.2f})",
            track=f.track,
            label=t(lang, tracking.TRACKS[f.track].label),
            cell=f.name,
            r=f.r,
        )
        for f in found
    )


def panel_label(cell: code_models.PanelCell, lang: str = DEFAULT) -> str:
    """'tanh(c) of cell 18 (inside a string)', 'h of unit 3': what one panel of the text view colours by."""
    state = code_models.STATES[cell.state]
    if cell.track is None:
        if cell.state == "tanh_c":
            return t(lang, "{state} of cell {unit}", state=state, unit=cell.unit)
        return t(lang, "{state} of unit {unit}", state=state, unit=cell.unit)
    label = t(lang, tracking.TRACKS[cell.track].label)
    if cell.state == "tanh_c":
        return t(lang, "{state} of cell {unit} ({track})", state=state, unit=cell.unit, track=label)
    return t(lang, "{state} of unit {unit} ({track})", state=state, unit=cell.unit, track=label)


def findings_table(found: list[CellFinding], lang: str = DEFAULT) -> str:
    """Every hypothesis and its best cell beside the untrained weights' best, as a Markdown table."""
    head = [
        t(lang, "hypothesis"),
        t(lang, "kind"),
        t(lang, "best unit"),
        "r",
        t(lang, "untrained best \\|r\\|"),
        t(lang, "margin"),
    ]
    rows = [
        [
            t(lang, tracking.TRACKS[f.track].label),
            t(lang, tracking.TRACKS[f.track].kind),
            say(f.name, lang),
            f"{f.r:+.3f}",
            f"{abs(f.untrained_r):.3f}",
            f"{f.margin:+.3f}",
        ]
        for f in found
    ]
    return _table(head, "|---|---|---|---:|---:|---:|", rows)


def _table(head: list[str], rule: str, rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", rule, *("| " + " | ".join(r) + " |" for r in rows)]
    return "\n".join(lines)


def quoted(text: str, span: tuple[int, int], limit: int = SELECTED_SHOWN) -> str:
    """The selected characters as quoted above their cells: at most ``limit``, a longer selection cut with '…'."""
    chosen = text[span[0] : span[1]]
    return chosen if len(chosen) <= limit else chosen[: limit - 1] + "…"


def follows(cell: spans.NamedCell, lang: str = DEFAULT) -> str:
    """What a named cell follows on held-out code: 'inside a string (r = +0.81)', or that it follows no track."""
    inside = t(lang, tracking.TRACKS[list(tracking.TRACKS)[cell.track]].inside)
    if cell.follows:
        return t(lang, "{inside} (r = {r:+.2f})", inside=inside, r=cell.track_r)
    return t(lang, "no track clearly (best: {inside} (r = {r:+.2f}))", inside=inside, r=cell.track_r)


def selection(quote: str, span: tuple[int, int], named: list[spans.NamedCell], threshold: float, lang: str) -> str:
    """The selection, its named cells and what each follows, as Markdown (``quote``: the selection, as code).

    Shapes: none (numbers already measured by ``spans.named_cells``).
    """
    said = t(
        lang,
        "**Selected** {quote} (characters {start}-{stop}). The {n} cells that stand out most across it: the value "
        "of tanh(c) that 4 in 5 of its characters reach, against where the cell usually sits on held-out code (no "
        "threshold; the threshold says where each is on).",
        quote=quote,
        start=span[0],
        stop=span[1],
        n=len(named),
    )
    head = [
        t(lang, "cell"),
        t(lang, "4 in 5 reach"),
        t(lang, "usually"),
        t(lang, "standard deviations out"),
        t(lang, "on beyond ±{threshold:.2f}", threshold=threshold),
        t(lang, "follows on held-out code"),
    ]
    rows = [
        [
            t(lang, "cell {unit} ({sign})", unit=c.cell.unit, sign="+" if c.cell.sign > 0 else "−"),
            f"{c.cell.sign * c.cell.level:+.2f}",
            f"{c.usually:+.2f}",
            f"{c.cell.score:.1f}",
            t(lang, "{share:.0%} of it", share=c.share),
            follows(c, lang),
        ]
        for c in named
    ]
    return said + "\n\n" + _table(head, "|---|---:|---:|---:|---:|---|", rows)


def forward_verdict(comparison: Comparison, lang: str = DEFAULT) -> str:
    """'The hand-written forward matches nn.LSTM: the largest difference ... is 1.2e-07 (float32).' in ``lang``."""
    dtype = str(comparison.dtype).removeprefix("torch.")
    if comparison.allclose:
        return t(
            lang,
            "The hand-written forward matches nn.LSTM: the largest difference from PyTorch's own output is "
            "{diff:.1e} ({dtype}).",
            diff=comparison.max_diff,
            dtype=dtype,
        )
    return t(
        lang,
        "The hand-written forward DOES NOT match nn.LSTM: the outputs differ by up to {diff:.1e} ({dtype}).",
        diff=comparison.max_diff,
        dtype=dtype,
    )


def view_caption(r: TextRun, shown: ShownText, lang: str = DEFAULT) -> str:
    """The text view's caption: how to select, where the tracks come from, how the window is read, the verdict."""
    if r.tracks.method == "tokenize":
        tracks = t(lang, "Tracks by Python's tokenize (tokenize).")
    else:
        tracks = t(lang, "Tracks by Python's tokenize ({method}).", method=r.tracks.method)
    read_from = ""
    if shown.file is not None and shown.first_line > 1:
        read_from = t(
            lang,
            "The window is read as inside its file: the model starts from `nn.LSTM`'s state after line {line}.",
            line=shown.first_line - 1,
        )
    replay = ""
    if shown.generated:
        replay = t(
            lang,
            "▶ write replays the model writing it (the slider scrubs through it), the cell's colour appearing with "
            "each character.",
        )
    return sentences(
        [
            t(
                lang,
                "{n:,} characters; hover a character for its step and value, drag across characters to select them "
                "(a short drag inside a word selects the word).",
                n=r.steps,
            ),
            tracks,
            read_from,
            forward_verdict(r.comparison, lang),
            replay,
        ],
        lang,
    )
