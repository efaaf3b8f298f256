"""Presentation of finished figures: a colour-blind-safe palette swapped in by meaning, and slide styling."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import plotly.colors
import plotly.graph_objects as go

from lstm_viz.figures.base import integer_dtick, named_ticks, plot_height, unit_dtick
from lstm_viz.figures.gradients import title_pad
from lstm_viz.figures.paint import PaintedFigure, json_ready
from lstm_viz.figures.scales import ERROR_SCALE, FONT, GATE_SCALE, SIGNED_SCALE
from lstm_viz.i18n import N_


@dataclass(frozen=True)
class Palette:
    """Three colour scales, one per meaning: gates (0..1), signed values (symmetric around 0), |errors|."""

    name: str
    words: str
    """What the palette looks like, in English, marked for the catalogue (said with ``i18n.t(lang, words)``)."""
    gate: str
    signed: str
    error: str


PALETTES = {
    p.name: p
    for p in (
        Palette("viridis", N_("viridis gates, blue-red signed (default)"), GATE_SCALE, SIGNED_SCALE, ERROR_SCALE),
        Palette("cividis", N_("cividis gates, purple-orange signed"), "Cividis", "PuOr_r", "Viridis"),
        Palette("magma", N_("magma gates, purple-green signed"), "Magma", "PRGn", "Cividis"),
        Palette("grey", N_("greys, for print (signed: red-grey)"), "Greys", "RdGy_r", "Greys"),
    )
}
"""Every scale is perceptually ordered and readable under the common colour blindnesses; ranges never change."""


def _key(scale: object) -> tuple[tuple[float, str], ...]:
    # A figure stores a named scale resolved to (position, colour) pairs, positions rounded differently
    # from plotly.colors' own: compare at 6 decimals.
    return tuple((round(float(p), 6), c) for p, c in scale)


def _resolved(name: str) -> tuple[tuple[float, str], ...]:
    return _key(plotly.colors.get_colorscale(name))


_MEANINGS = {"gate": _resolved(GATE_SCALE), "signed": _resolved(SIGNED_SCALE), "error": _resolved(ERROR_SCALE)}


def recolour(fig: go.Figure, palette: Palette) -> go.Figure:
    """Swap the default scale of each meaning for ``palette``'s, in heatmaps and coloured markers, in place."""
    if palette.name == "viridis":
        return fig
    swap = {scale: getattr(palette, meaning) for meaning, scale in _MEANINGS.items()}
    for trace in fig.data:
        if "colorscale" in trace and trace.colorscale is not None:
            new = swap.get(_key(trace.colorscale))
            if new:
                trace.colorscale = new
        marker = getattr(trace, "marker", None)
        if marker is not None and "colorscale" in marker and marker.colorscale is not None:
            new = swap.get(_key(marker.colorscale))
            if new:
                marker.colorscale = new
    # Shared colour axes (the Gates figure's, one per range), and the heatmap images painted from them.
    for name in [k for k in fig.layout if k.startswith("coloraxis")]:
        axis = fig.layout[name]
        new = swap.get(_key(axis.colorscale)) if axis.colorscale is not None else None
        if new:
            axis.colorscale = new
    if isinstance(fig, PaintedFigure):
        fig.paint()
    return fig


SLIDE_FONT = 20
SLIDE_TITLE_CHARS = 48
"""A half-width chart's title at slide size fits about this many Latin characters per line (``text_width``)."""
SLIDE_TITLE_CHARS_FULL = 100
"""A full-width chart's (the one-figure view) title at slide size fits about this many."""
WIDE_CHAR = 2
"""A Chinese (East Asian wide) character is drawn about twice as wide as an average Latin one."""
_OPENING = set("（《「『〈【")
"""Wide punctuation that stays with the character after it: a line never ends with it."""
_CLOSING = set("，。、；：！？）》」』〉】")
"""Wide punctuation that stays with the character before it: a line never starts with it."""
_NUMBER = re.compile(r"[−+-]?\d[\d.,:]*%?")


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def text_width(text: str) -> int:
    """How wide ``text`` is drawn, in average Latin characters: a Chinese character counts ``WIDE_CHAR``."""
    return sum(WIDE_CHAR if _wide(c) else 1 for c in text)


def _atoms(chunk: str) -> list[str]:
    """A space-free run of text in the pieces a line may break between.

    A Latin word or number is one piece; each Chinese character is one, with the punctuation that may not start
    (or end) a line kept on it.
    """
    atoms: list[str] = []
    opening = ""
    for c in chunk:
        if c in _CLOSING and atoms:
            atoms[-1] += c
        elif c in _OPENING:
            opening += c
        elif _wide(c) or not atoms or _wide(atoms[-1][-1]) or opening:
            atoms.append(opening + c)
            opening = ""
        else:
            atoms[-1] += c
    if opening:
        atoms.append(opening)
    return atoms


def _words(text: str) -> list[tuple[str, str]]:
    """The title's pieces to break between, each with what joins it to the piece before (a space or nothing).

    Latin words are split at spaces, Chinese between characters (it has no spaces), never inside a Latin word or a
    number. Short Latin words ("0", "t", "=") stay with the piece before, and "=" with the one after; a number
    stays with the Chinese characters either side of it ("第 3 步").
    """
    words: list[tuple[str, str]] = []
    for k, chunk in enumerate(text.split(" ")):
        for n, atom in enumerate(_atoms(chunk) or [""]):
            sep = " " if k and not n else ""
            core = atom.rstrip("".join(_CLOSING))  # "4，" is the number 4 and its comma
            latin = not any(_wide(c) for c in core)
            if words and (
                (latin and len(core.rstrip(",")) <= 2)
                or words[-1][0].endswith("=")
                or (latin and _NUMBER.fullmatch(core) and _wide(words[-1][0][-1:] or "a"))
                or (not latin and words[-1][0][-1:].isdigit())
            ):
                words[-1] = (words[-1][0] + sep + atom, words[-1][1])
            else:
                words.append((atom, sep))
    return words


def _lines(text: str, width: int) -> list[str]:
    """Greedy lines at most ``width`` wide (``text_width``), broken between pieces (a longer piece has its own)."""
    lines, line = [], ""
    for word, sep in _words(text):
        if line and text_width(line) + text_width(sep) + text_width(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line}{sep}{word}" if line else word
    return [*lines, line]


def _wrap(text: str, width: int) -> str:
    """Break a title into as few lines at most ``width`` wide as fit, of even width (Plotly wraps nothing).

    Widths are measured, not counted (``text_width``): a Chinese title has half the characters of an English one,
    each twice as wide, and no spaces: it breaks between characters. Even lines, never "layer" on one line and
    its number on the next: a greedy break would leave "batch item" on one line and its "0" alone on the next.
    """
    lines = _lines(text, width)
    best = None
    for even in range(-(-text_width(text) // len(lines)), width + 1):
        balanced = _lines(text, even)
        if len(balanced) == len(lines):
            # The most even lines that break where a reader pauses: after Chinese punctuation or at a space,
            # rather than between two characters of a word ("状<br>态").
            cost = _mid_word_breaks(balanced)
            if best is None or cost < best[0]:
                best = (cost, balanced)
            if cost == 0:
                break
    return "<br>".join(best[1] if best else lines)


def _mid_word_breaks(lines: list[str]) -> int:
    """How many of the breaks between ``lines`` fall between two Chinese characters, not at punctuation."""
    return sum(
        1
        for before, after in zip(lines, lines[1:], strict=False)
        if before and after and _wide(before[-1]) and _wide(after[0]) and before[-1] not in _CLOSING
    )


SLIDE_LINE_PX = 32
"""Height of one line of a slide title (its font, 24 px, times Plotly's line spacing of 1.3)."""
SLIDE_DETAIL_WIDTH = 1.45
"""A ``<sup>`` line (details, the run's config) holds this many times the characters of a title line."""


def _detail_lines(text: str, width: int) -> list[str]:
    """Lines of a smaller second title line, each in its own ``<sup>``."""
    return [f"<sup>{line}</sup>" for line in _wrap(text, width).split("<br>")] if text else []


def for_slides(fig: go.Figure, config_words: str, title_chars: int = SLIDE_TITLE_CHARS) -> go.Figure:
    """Large fonts, a white background and the run's config under the title, in place, for a projected slide.

    The title is broken into lines of at most ``title_chars`` characters (``SLIDE_TITLE_CHARS_FULL`` for a
    chart as wide as the page); its smaller detail lines (``<sup>``) and the config words into lines about
    ``SLIDE_DETAIL_WIDTH`` times as long, so no line runs past the chart's edge.
    """
    text = fig.layout.title.text or ""
    main, _, rest = text.partition("<br>")
    detail = rest.replace("<sup>", "").replace("</sup>", "").replace("<br>", " ")
    wide = int(title_chars * SLIDE_DETAIL_WIDTH)
    title_lines = _wrap(main, title_chars).split("<br>")
    small = [*_detail_lines(detail, wide), *_detail_lines(config_words, wide)]
    height = fig.layout.height or 300
    # Panel titles above the plot (the step bars' i, f, g, ...) grow too, and get a row of their own.
    panel_titles = [a for a in fig.layout.annotations if a.yref == "paper" and (a.y or 0) >= 1]
    for annotation in panel_titles:
        annotation.font.size = SLIDE_FONT - 4
    legend_on_top = fig.layout.legend.yanchor == "bottom" and (fig.layout.legend.y or 0) >= 1
    # Plotly spaces every line of a title by the title's font, <sup> lines too: about 1.3 x 24 px each.
    lines = len(title_lines) + len(small)
    top = 40 + SLIDE_LINE_PX * lines + (SLIDE_FONT + 8 if panel_titles else 0)
    fig.update_layout(
        font=dict(size=SLIDE_FONT),
        # Pinned to the top edge: however many lines, the title grows down into its margin, never into the plot.
        title=dict(
            text="<br>".join([*title_lines, *small]),
            font=dict(size=SLIDE_FONT + 4),
            yref="container",
            y=1.0,
            yanchor="top",
            pad=dict(t=title_pad("<br>".join([*title_lines, *small]), SLIDE_FONT + 4)),
        ),
        paper_bgcolor="white",
        plot_bgcolor="white",
        height=int(height * 1.35),
        # A legend above the plot sits under the title: room for it too.
        margin=dict(t=top + (60 if legend_on_top else 0)),
    )
    # Stated per axis: Streamlit's chart theme sizes axis text itself, over the layout's font.
    # automargin: slide-size tick labels and axis titles widen the margins instead of being cut at the edge.
    axis_text = dict(tickfont=dict(size=SLIDE_FONT - 2), title_font=dict(size=SLIDE_FONT), automargin=True)
    fig.update_xaxes(**axis_text)
    fig.update_yaxes(**axis_text)
    _fit_unit_ticks(fig, SLIDE_FONT - 2)
    _fit_colour_bar_ticks(fig)
    if getattr(fig, "raw_frames", None):
        _fit_animated(fig, height)
    elif fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False:
        _fit_diagram(fig)
    return fig


def _fit_diagram(fig: go.Figure) -> None:
    """A diagram drawn in annotations (One step's cell): every box's text grows with the slide's titles.

    Its boxes carry their own font sizes, which the layout's slide font does not reach; the figure is already
    1.35 times as tall, so the larger boxes keep their distance.
    """
    for annotation in fig.layout.annotations:
        size = annotation.font.size or FONT["size"]
        annotation.font.size = round(size * SLIDE_FONT / FONT["size"])


def _fit_animated(fig: go.Figure, height: int) -> None:
    """The Gates figure at slide size: as tall as before (it already fills a screen), its row labels larger.

    Its rows share one unit axis with labels packed for 13 px text; its bar ranges sit in 13 px gaps.
    """
    fig.layout.height = height
    fig.layout.margin.l = (fig.layout.margin.l or 0) + 40
    # Slide-size time-axis text is taller: the slider and buttons move down under it.
    fig.layout.margin.b = (fig.layout.margin.b or 0) + 28
    plot_px = height - fig.layout.margin.t - fig.layout.margin.b
    for slider in fig.layout.sliders:
        slider.y = -72 / plot_px
    for menu in fig.layout.updatemenus:
        menu.y = -68 / plot_px
    fig.update_yaxes(tickfont=dict(size=SLIDE_FONT - 6))
    for annotation in fig.layout.annotations:
        if annotation.xref == "paper" and annotation.x == 0:  # the row labels, in the left margin
            annotation.font.size = SLIDE_FONT - 2
    fig.update_traces(textfont_size=12, selector=dict(name="bar ranges"))  # the ends of each row's bar range
    for menu in fig.layout.updatemenus:
        menu.font.size = SLIDE_FONT - 4


def _colour_bars(fig: go.Figure) -> list[tuple]:
    """Every colour bar ``fig`` draws, with its colour range where it is fixed: ``(bar, low, high)``.

    Its traces' own bars, their markers', and those of its shared colour axes; only bars that are drawn
    (touching a trace's unused ``colorbar`` would make Plotly draw an empty one).
    """
    bars = []
    for trace in fig.data:
        if "colorbar" in trace and trace.showscale is not False and not trace.coloraxis:
            bars.append((trace.colorbar, trace.zmin, trace.zmax))
        marker = trace.marker if "marker" in trace else None
        if marker is not None and "colorbar" in marker and marker.showscale and not marker.coloraxis:
            bars.append((marker.colorbar, marker.cmin, marker.cmax))
    for name in fig.layout:
        axis = fig.layout[name]
        if name.startswith("coloraxis") and axis.showscale is not False:
            bars.append((axis.colorbar, axis.cmin, axis.cmax))
    return bars


def _fit_colour_bar_ticks(fig: go.Figure) -> None:
    """At most as many ticks on each colour bar as its length holds in slide-size text.

    A one-row heatmap's bar (``h_n``) is short: its default ticks at 20 px overprint each other, and Plotly's
    own choice for so few ticks is often a lone 0. A bar that holds three or fewer is labelled at its ends (and 0).
    """
    margin = fig.layout.margin
    plot_px = plot_height({"height": fig.layout.height, "margin": {"t": margin.t or 0, "b": margin.b or 0}})
    for bar, low, high in _colour_bars(fig):
        font = bar.tickfont.size or SLIDE_FONT
        long = bar.len if bar.lenmode == "pixels" else (1.0 if bar.len is None else bar.len) * plot_px
        room = int(long // (2 * font))  # a label and a label's height of space between two ticks
        if room <= 3 and low is not None and high is not None and bar.tickvals is None:
            ends = [low, 0.0, high] if room == 3 and low < 0 < high else [low, high]
            bar.update(named_ticks(ends))
        elif not bar.nticks or bar.nticks > room:
            bar.nticks = max(room, 2)


def _fit_unit_ticks(fig: go.Figure, text_px: int) -> None:
    """Space every-unit labels (``dtick`` 1) of unit axes whose rows no longer hold ``text_px`` text.

    The new spacing is a whole number (2, 5, 10, ...): a unit is never labelled 2.5.
    """
    rows = {}
    for trace in fig.data:
        if trace.type == "heatmap" and trace.z is not None:
            rows[trace.yaxis or "y"] = len(trace.z)  # z is [units, T]
        elif trace.type == "bar" and trace.orientation == "h" and trace.y is not None:
            rows[trace.yaxis or "y"] = len(trace.y)
    for ref, n in rows.items():
        axis = fig.layout[f"yaxis{ref[1:]}"]
        if axis.dtick == 1 and unit_dtick(n, plot_height(fig.layout), text_px) is None:
            axis.tickmode = "linear"
            axis.dtick = integer_dtick(n, max(int(plot_height(fig.layout) // (text_px + 4)), 1))


class SharedFigure(go.Figure):
    """A finished figure that many sessions draw at once, its Plotly dict made once instead of on every draw.

    ``st.plotly_chart`` calls ``to_dict()`` on each draw: a deep copy that also base64-encodes every array,
    about a quarter of a Gates page's server time, paid again by each of a class's sessions showing the same
    figure. Read-only once made: a change to the figure would not reach the dict that is drawn.
    """

    def __init__(self, figure: go.Figure) -> None:
        """Copy ``figure`` (finished: coloured, slide-styled) and make its dict once.

        An animated figure's frames (``raw_frames``, plain dicts) are kept as they are, and are in the dict.
        """
        super().__init__(figure)
        self._raw_frames = getattr(figure, "raw_frames", None)
        # The figure's own dict: a copy made by go.Figure drops frames that are not graph objects.
        self._shared_dict = json_ready(figure.to_dict() if self._raw_frames else super().to_dict())

    @property
    def raw_frames(self) -> list[dict] | None:
        """A painted figure's frames as plain dicts (``figures.paint.PaintedFigure``), or None."""
        return self._raw_frames

    def to_dict(self) -> dict:
        """The figure's dict, made once; a new top-level dict around the shared (never mutated) parts."""
        return dict(self._shared_dict)
