"""A page's figures as one self-contained, interactive HTML file that opens offline."""

from __future__ import annotations

import html

import plotly.graph_objects as go
import plotly.io as pio

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def figures_html(figures: list[tuple[str, go.Figure]], title: str, caption: str = "", *, lang: str = "en") -> str:
    """One HTML document holding every figure, interactive (hover, zoom), with plotly.js inlined once.

    Nothing is fetched from any host: plotly.js is written into the file and MathJax is left out (no figure
    uses LaTeX), so the file opens on a classroom laptop without a network.

    Args:
        figures: ``(key, figure)`` pairs in page order; the key becomes the figure's element id.
        title: The document's title and heading (e.g. the page and the run).
        caption: A line under the heading (e.g. the run's settings), or empty.
        lang: The language the title, caption and figures are written in (``"en"``, ``"zh-CN"``): the document
            says it (``<html lang>``), so a browser picks fonts and reads it aloud in that language.
    """
    parts = []
    for n, (key, fig) in enumerate(figures):
        parts.append(
            pio.to_html(
                fig,
                config={**PLOTLY_CONFIG, "toImageButtonOptions": {"format": "png", "scale": 3, "filename": key}},
                # The first figure carries plotly.js itself; the others use it.
                include_plotlyjs=n == 0,
                include_mathjax=False,
                full_html=False,
                div_id=f"fig-{key}",
                default_width="100%",
                # An animated figure (the Gates figure's frames) waits for its play button, as in the app.
                auto_play=False,
            )
        )
    body = "\n".join(f'<section class="figure">{part}</section>' for part in parts)
    caption_html = f"<p>{html.escape(caption)}</p>" if caption else ""
    return f"""<!DOCTYPE html>
<html lang="{html.escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5rem; background: white; color: #222; }}
.figure {{ margin-bottom: 1.5rem; }}
</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
{caption_html}
{body}
</body>
</html>
"""
