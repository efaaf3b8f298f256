"""Helpers for the translation tests: the words a figure shows a reader, and the messages a module marks."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file

KEYWORDS = {"t": (2,), "tn": (2, 3), "msg": None, "N_": None, "tr": None, "trn": (1, 2)}
"""The markers ``scripts/i18n.sh`` gives Babel (lstm_viz.i18n and lstm_viz.ui)."""


def figure_texts(fig) -> list[str]:  # noqa: ANN001 - a Plotly figure
    """Every text a figure shows a reader: title, axis and colour-bar titles, annotations, buttons, legend names
    (of traces in the legend), hovers, a readout's text, and the words of each frame (Plotly draws them as the
    frame says)."""
    spec = fig.to_dict()
    layout = spec["layout"]
    texts = [layout.get("title", {}).get("text", "")]
    for key, value in layout.items():
        if key.startswith(("xaxis", "yaxis")) and isinstance(value, dict):
            texts.append(value.get("title", {}).get("text", ""))
        if key.startswith("coloraxis"):
            texts.append(value.get("colorbar", {}).get("title", {}).get("text", ""))
    texts += [a.get("text", "") for a in layout.get("annotations", [])]
    texts += [b["label"] for m in layout.get("updatemenus", []) for b in m.get("buttons", [])]
    for trace in spec["data"]:
        texts.append(trace.get("hovertemplate") or "")
        texts.append(trace.get("colorbar", {}).get("title", {}).get("text", ""))
        texts.append(trace.get("marker", {}).get("colorbar", {}).get("title", {}).get("text", ""))
        if trace.get("showlegend") is not False and trace.get("name"):
            texts.append(trace["name"])
        if trace.get("mode") == "text" and trace.get("name") == "readout":
            texts += list(trace.get("text") or [])
    for frame in getattr(fig, "raw_frames", None) or spec.get("frames", []):
        for update in frame["data"]:
            texts += [str(v) for v in update.get("text") or []]
            texts += [str(v) for v in (update.get("meta") or [])[1:]]
    return [str(x) for x in texts if x]


def marked_messages(root: Path, files: list[str]) -> list[str]:
    """The messages ``files`` (paths under ``root``) mark for translation, as Babel extracts them (a plural's
    singular), sorted and without repeats."""
    found = []
    for name in files:
        for _line, message, _comments, _context in extract_from_file(
            "python", str(root / name), keywords=KEYWORDS, comment_tags=()
        ):
            found.append(message[0] if isinstance(message, tuple) else message)
    return sorted(set(found))
