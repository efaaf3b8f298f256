"""The figure a notebook view returns: the app's figure, plus its still and the app's exports as methods."""

from __future__ import annotations

import functools
import io
import os
import threading
from pathlib import Path
from typing import IO, Any

import plotly.graph_objects as go
import plotly.io as pio

from lstm_viz.export.html import figures_html
from lstm_viz.export.images import PNG_SCALE, ExportUnavailable, FigureRenderer
from lstm_viz.figures.still import still_figure
from lstm_viz.i18n import DEFAULT, N_, msg, t
from lstm_viz.notebook.language import speaking

NOTEBOOK_WIDTH = 900
"""Pixels of a notebook's output area that every view is laid out for (it stretches to the area it gets)."""
FORMATS = ("png", "svg")
HTML_TITLES = {
    "gates": N_("LSTM Explorer: gates"),
    "compare": N_("LSTM Explorer: compare"),
    "step": N_("LSTM Explorer: step"),
    "parameters": N_("LSTM Explorer: parameters"),
    "gradients": N_("LSTM Explorer: gradients"),
    "text": N_("LSTM Explorer: text"),
}
"""The HTML export's default heading per view (said with ``t(lang, ...)``: another language names the page)."""


class ViewFigure:
    """What a view's figure does beyond drawing itself: a still at any step and the app's exports.

    Mixed into the figure class the app's builder returned (``go.Figure``, or the Gates figure's painted
    ``AnimatedFigure``), so the figure is the app's own: it draws in Jupyter, VS Code and Colab, its time cursor
    plays in the browser, and ``update_layout`` and friends work as on any Plotly figure.
    """

    _view_key = "figure"
    _view_caption = ""
    _view_lang = DEFAULT

    def still(self, step: int | None = None) -> go.Figure:
        """The figure as a still image shows it: at ``step`` (default the step it opens at), without controls.

        A figure of its own, with the same exports (``write_image`` of a still draws it as it is).
        """
        return as_view(
            still_figure(self, step),  # type: ignore[arg-type]
            self._view_key,
            self._view_caption,
            self._view_lang,
        )

    def to_image(
        self,
        format: str = "png",  # noqa: A002 - Plotly's own name
        scale: float | None = None,
        width: int | None = None,
        height: int | None = None,
        *,
        step: int | None = None,
    ) -> bytes:
        """The still as the app exports it: PNG at 3x (``scale``) or SVG, drawn by kaleido in Chrome or Chromium.

        Args:
            format: ``"png"`` or ``"svg"``.
            scale: Device pixels per layout pixel of a PNG (default 3, crisp on a slide).
            width: Layout width in pixels (default the figure's, else ``NOTEBOOK_WIDTH``).
            height: Layout height (default the still's).
            step: The step an animated figure shows (default the one it opens at).

        Raises:
            ValueError: for another format.
            ExportUnavailable: without kaleido (the ``export`` extra) or a Chrome or Chromium to draw with.
        """
        with speaking(self._view_lang, (ValueError, ExportUnavailable)):
            if format not in FORMATS:
                raise ValueError(
                    msg("format={format!r} is not one of {choices}", format=format, choices="'png', 'svg'")
                )
            still = self.still(step)
            w = int(width or still.layout.width or NOTEBOOK_WIDTH)
            h = int(height or still.layout.height or 450)
            with _renderer().job():
                return _renderer().render(still, format, w, h, (scale or PNG_SCALE) if format == "png" else 1)

    def write_image(
        self,
        file: str | os.PathLike | IO[bytes],
        format: str | None = None,  # noqa: A002 - Plotly's own name
        scale: float | None = None,
        width: int | None = None,
        height: int | None = None,
        *,
        step: int | None = None,
    ) -> None:
        """Write ``to_image`` to a path (its format from the extension unless given) or a binary file."""
        if format is None:
            suffix = Path(file).suffix.lstrip(".").lower() if isinstance(file, (str, os.PathLike)) else ""
            format = suffix or "png"  # noqa: A001 - Plotly's own name
        data = self.to_image(format, scale, width, height, step=step)
        if isinstance(file, (str, os.PathLike)):
            Path(file).write_bytes(data)
        else:
            file.write(data)

    def write_html(
        self, file: str | os.PathLike | IO[str], title: str | None = None, caption: str | None = None
    ) -> None:
        """Write the figure as the app's HTML export: one file, plotly.js inside, interactive and offline.

        Its time cursor (the Gates figure's) plays from its buttons and slider, as in the app; nothing is fetched
        from another host. The document is in the view's language (``<html lang>``, its default heading and caption).

        Args:
            file: A path or a text file.
            title: The page's heading (default the view's name).
            caption: A line under it (default what was drawn: the LSTM and its input).
        """
        default = HTML_TITLES.get(self._view_key)
        page = figures_html(
            [(self._view_key, self)],  # type: ignore[list-item]
            title or (t(self._view_lang, default) if default else f"LSTM Explorer: {self._view_key}"),
            self._view_caption if caption is None else caption,
            lang=self._view_lang,
        )
        if isinstance(file, (str, os.PathLike)):
            Path(file).write_text(page, encoding="utf-8")
        else:
            file.write(page)

    def html(self, title: str | None = None, caption: str | None = None) -> str:
        """``write_html``'s document as a string."""
        buffer = io.StringIO()
        self.write_html(buffer, title, caption)
        return buffer.getvalue()

    def _plotly_config(self) -> dict:
        # The camera button saves a 3x PNG named after the view, as the app's charts do.
        return {
            "displaylogo": False,
            "toImageButtonOptions": {"format": "png", "scale": PNG_SCALE, "filename": f"lstm_{self._view_key}"},
        }

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, validate: bool = True, **kwargs: Any) -> dict:
        return super()._repr_mimebundle_(  # type: ignore[misc]
            include, exclude, validate, **{"config": self._plotly_config(), **kwargs}
        )

    def _ipython_display_(self) -> None:
        if pio.renderers.render_on_display and pio.renderers.default:
            pio.show(self, config=self._plotly_config())
        else:
            super()._ipython_display_()  # type: ignore[misc]


@functools.cache
def view_class(base: type[go.Figure]) -> type:
    """``base`` with ``ViewFigure``'s methods (``NotebookFigure``, ``NotebookAnimatedFigure``), made once each.

    Named in this module, so that pickle finds the class of a figure it saves.
    """
    name = f"Notebook{base.__name__}"
    cls = type(name, (ViewFigure, base), {"__module__": __name__, "__qualname__": name, "__doc__": base.__doc__})
    globals()[name] = cls
    return cls


def as_view(fig: go.Figure, key: str, caption: str, lang: str = DEFAULT) -> go.Figure:
    """The builder's figure itself, given ``ViewFigure``'s methods (its class extended in place, nothing copied).

    A figure that has them already keeps its class.

    Args:
        fig: A finished figure from a builder or from ``compose``.
        key: The view's name, in file names and the HTML export's heading.
        caption: What was drawn, for the HTML export (in ``lang``).
        lang: The language the figure's words are in: its HTML export's too.
    """
    if not isinstance(fig, ViewFigure):
        fig.__class__ = view_class(type(fig))
    fig._view_key = key
    fig._view_caption = caption
    fig._view_lang = lang
    return fig


_RENDERER: FigureRenderer | None = None
_RENDERER_LOCK = threading.Lock()


def _renderer() -> FigureRenderer:
    """This kernel's one kaleido renderer (started on the first still, kept for the next)."""
    global _RENDERER
    with _RENDERER_LOCK:
        if _RENDERER is None:
            try:
                import kaleido  # noqa: F401 - only its presence is checked here
                from choreographer.browsers.chromium import Chromium
            except ImportError as err:
                raise ExportUnavailable(
                    msg(
                        "still images need kaleido: pip install 'lstm-explorer[export]' (and a Chrome or Chromium "
                        "for it to draw with)"
                    )
                ) from err
            # A Chrome that kaleido downloaded itself (kaleido.get_chrome_sync()) counts here, unlike on a server.
            path = Chromium.find_browser(skip_local=False)
            if not path:
                raise ExportUnavailable(
                    msg(
                        "kaleido found no Chrome or Chromium to draw with: install one (Debian: apt-get install "
                        "chromium) or run kaleido.get_chrome_sync()"
                    )
                )
            _RENDERER = FigureRenderer(browser_path=str(path))
        return _RENDERER
