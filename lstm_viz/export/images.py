"""Static images of figures (PNG at 3x, SVG) and a page's ZIP, drawn by one kept-alive, server-wide kaleido."""

from __future__ import annotations

import asyncio
import atexit
import functools
import io
import logging
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import plotly.graph_objects as go

from lstm_viz.export.names import figure_filename
from lstm_viz.figures.still import still_figure
from lstm_viz.i18n import msg
from lstm_viz.server import file_slots

log = logging.getLogger("lstm_viz.export")

Progress = Callable[[int, int, str], None]
"""``progress(done, total, what)``: called before each piece of work and once at the end (done == total); ``what``
is a file name or an ``i18n.Message`` (a page says it in its reader's language)."""

PNG_SCALE = 3
"""Slides want crisp text: three device pixels per layout pixel, like the charts' own camera button."""
DEFAULT_WIDTH = 1000
"""Layout width of a figure that has none (the app's charts stretch to their column)."""
DEFAULT_HEIGHT = 450
RENDER_TIMEOUT_S = 60.0
"""A single image that takes longer has hung the browser: it is restarted on the next call."""
WAIT_FOR_SLOT_S = 30.0
"""How long an export waits for the renderer before telling the user it is busy."""
SERVER_EXPORT_JOBS = 1
"""Exports running at once over all the worker processes of a server (``scripts/serve.sh`` starts several)."""
RELOAD_EVERY = 32
"""Renders between reloads of kaleido's tab. Stock kaleido reloads after every figure (~0.3 s, half of a warm
render), though each render already purges its plot; a reload every 32 keeps the tab's memory bounded."""


class ExportUnavailable(RuntimeError):  # noqa: N818 - the name the app and its issue use
    """Server-side image export cannot run here: no Chromium (or it does not start). The chart buttons still work."""


class ExportBusy(RuntimeError):  # noqa: N818 - pairs with ExportUnavailable
    """Every export slot of the server stayed taken for the whole wait: try again in a moment."""


@functools.cache
def find_chromium() -> str | None:
    """The Chromium kaleido would use (``BROWSER_PATH``, then ``chromium``/``chrome`` on PATH), or None.

    Looked up once per process: pages ask on every run, and a server's browsers do not come and go.
    """
    from choreographer.browsers.chromium import Chromium

    # skip_local: never a browser downloaded into site-packages; this project uses Debian's.
    path = Chromium.find_browser(skip_local=True)
    return path if path and Path(path).is_file() else None


def layout_size(fig: go.Figure) -> tuple[int, int]:
    """The figure's layout width and height in CSS pixels (defaults where the layout leaves them to the page)."""
    return int(fig.layout.width or DEFAULT_WIDTH), int(fig.layout.height or DEFAULT_HEIGHT)


class FigureRenderer:
    """One Chromium (through kaleido) kept alive on its own event-loop thread and shared by every session.

    Starting Chromium costs 2-3 s, a warm render 0.1-0.4 s, so the process is started on the first export and
    kept. Renders are bounded: at most ``jobs`` exports (a ZIP, a GIF, one image) run at once in the process, and
    with ``server_slots`` at most as many as it has over every worker of the server; the others wait up to
    ``WAIT_FOR_SLOT_S``, so one class exporting together cannot starve the server's cores; kaleido itself draws
    one figure at a time in its single tab.
    """

    def __init__(
        self,
        browser_path: str | None = None,
        jobs: int = 1,
        reload_every: int = RELOAD_EVERY,
        server_slots: file_slots.FileSlots | None = None,
    ) -> None:
        """Prepare a renderer; nothing starts until the first render.

        Args:
            browser_path: The Chromium executable; None finds one (``find_chromium``).
            jobs: How many exports may run at once in this process.
            reload_every: Renders between reloads of kaleido's tab (1: after every render, as stock kaleido).
            server_slots: Slots shared with the server's other worker processes: an export also holds one of
                them, so N workers still run only as many exports at once as the server has slots.
        """
        self._browser_path = browser_path
        self._reload_every = max(1, reload_every)
        self._slots = threading.BoundedSemaphore(jobs)
        self._server_slots = server_slots
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None

    @property
    def available(self) -> bool:
        """Whether a Chromium to render with exists (it may still fail to start)."""
        path = self._browser_path or find_chromium()
        return path is not None and Path(path).is_file()

    @contextmanager
    def job(self, wait_s: float = WAIT_FOR_SLOT_S) -> Iterator[None]:
        """Hold one of the process's export slots (and of the server's, if shared) for a whole export.

        Raises:
            ExportBusy: when no slot frees up within ``wait_s`` seconds.
        """
        busy = msg(
            "the server is busy with other exports; try again in a moment (waited {wait_s:.0f} s)", wait_s=wait_s
        )
        deadline = time.monotonic() + wait_s
        if not self._slots.acquire(timeout=wait_s):
            raise ExportBusy(busy)
        try:
            fd = None
            if self._server_slots is not None:
                try:
                    fd = self._server_slots.acquire(timeout=max(deadline - time.monotonic(), 0.0))
                except TimeoutError:
                    raise ExportBusy(busy) from None
            try:
                yield
            finally:
                if fd is not None:
                    file_slots.release(fd)
        finally:
            self._slots.release()

    def _start(self) -> None:
        """Start the event-loop thread and Chromium (under ``self._lock``)."""
        path = self._browser_path or find_chromium()
        if path is None or not Path(path).is_file():
            raise ExportUnavailable(
                msg(
                    "no Chromium is installed on this server, so figures cannot be exported here "
                    "(install it with: apt-get install -y --no-install-recommends chromium); "
                    "each chart's camera button still downloads a PNG"
                )
            )
        import kaleido

        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="kaleido-loop", daemon=True)
        thread.start()
        # mathjax=False: kaleido would fetch MathJax from a CDN; no figure uses LaTeX.
        k = _kaleido_class(kaleido.Kaleido)(n=1, timeout=RENDER_TIMEOUT_S, mathjax=False, path=path)
        k.reload_every = self._reload_every
        try:
            asyncio.run_coroutine_threadsafe(k.open(), loop).result(RENDER_TIMEOUT_S)
        except Exception as err:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
            raise ExportUnavailable(msg("Chromium ({path}) did not start: {err}", path=path, err=str(err))) from err
        self._loop, self._thread, self._kaleido = loop, thread, k
        # Chromium is a child process: close it with the server rather than leave it running.
        atexit.register(self.close)
        log.info("kaleido started with %s", path)

    def render(self, fig: go.Figure | dict, fmt: str, width: int, height: int, scale: float = 1) -> bytes:
        """One figure as PNG or SVG bytes, ``width`` x ``height`` layout pixels (PNG: times ``scale``).

        Call it inside ``job()``; it starts Chromium on first use and restarts it after a failure.

        Raises:
            ExportUnavailable: no Chromium, or it would not start.
        """
        with self._lock:
            if self._kaleido is None:
                self._start()
            loop, k = self._loop, self._kaleido
        opts = {"format": fmt, "width": width, "height": height, "scale": scale}
        future = asyncio.run_coroutine_threadsafe(k.calc_fig(fig, opts=opts), loop)
        try:
            return future.result(RENDER_TIMEOUT_S + 5)
        except Exception as err:  # noqa: BLE001 - kaleido raises its own errors too; all leave the tab suspect
            # A hung or crashed browser, or a plot that failed in its tab (not reloaded after every render any
            # more): drop the browser so the next render starts a fresh one.
            future.cancel()
            self.close()
            raise ExportUnavailable(
                msg("rendering the figure failed ({kind}: {err}); try again", kind=type(err).__name__, err=str(err))
            ) from err

    def close(self) -> None:
        """Stop Chromium and the loop thread (a later render starts them again)."""
        with self._lock:
            loop, thread, k = self._loop, self._thread, self._kaleido
            self._loop = self._thread = self._kaleido = None
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(k.close(), loop).result(15)
        except Exception:  # noqa: BLE001 - closing a broken browser is best effort
            log.warning("kaleido did not close cleanly", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(5)


def _kaleido_class(base: type) -> type:
    """``base`` (kaleido 1.5's ``Kaleido``) reloading its tab every ``reload_every`` renders instead of after each.

    Falls back to ``base`` itself if a kaleido version no longer has the tab queue this relies on.
    """
    if not (hasattr(base, "_return_kaleido_tab") and "tabs_ready" in getattr(base, "__annotations__", {})):
        return base

    class ReloadingKaleido(base):
        reload_every = RELOAD_EVERY
        renders_since_reload = 0
        reloads = 0

        async def _return_kaleido_tab(self, tab: object) -> None:
            self.renders_since_reload += 1
            if self.renders_since_reload < self.reload_every:
                await self.tabs_ready.put(tab)
                return
            self.renders_since_reload = 0
            self.reloads += 1
            await super()._return_kaleido_tab(tab)

    return ReloadingKaleido


_renderer: FigureRenderer | None = None
_renderer_lock = threading.Lock()


def renderer() -> FigureRenderer:
    """The worker's one renderer (created on first use, shared by every session and thread).

    Its exports also take one of ``SERVER_EXPORT_JOBS`` slots shared by every worker of the server (flock files
    in ``$LSTM_EXPLORER_CACHE_DIR``), so several workers do not run several exports at once.
    """
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            slots = file_slots.FileSlots(file_slots.shared_dir() / "exports", "export", SERVER_EXPORT_JOBS)
            _renderer = FigureRenderer(server_slots=slots)
        return _renderer


def figure_png(
    fig: go.Figure, scale: float = PNG_SCALE, renderer_: FigureRenderer | None = None, step: int | None = None
) -> bytes:
    """One figure as a PNG at ``scale`` times its layout size (3x by default), in a server export slot.

    An animated figure is drawn as a still (``figures.still.still_figure``): at ``step`` (default the step it
    opens at), without its play buttons or slider.

    Raises:
        ExportUnavailable: no Chromium here.
        ExportBusy: the server's export slots stayed taken.
    """
    r = renderer_ or renderer()
    fig = still_figure(fig, step)
    width, height = layout_size(fig)
    with r.job():
        return r.render(fig, "png", width, height, scale)


def figure_svg(fig: go.Figure, renderer_: FigureRenderer | None = None, step: int | None = None) -> bytes:
    """One figure as SVG at its layout size, a still at ``step``, in a server export slot (as ``figure_png``)."""
    r = renderer_ or renderer()
    fig = still_figure(fig, step)
    width, height = layout_size(fig)
    with r.job():
        return r.render(fig, "svg", width, height)


def figures_zip(
    figures: list[tuple[str, go.Figure]],
    config_summary: str,
    progress: Progress | None = None,
    renderer_: FigureRenderer | None = None,
    step: int | None = None,
) -> bytes:
    """A ZIP with every figure of a page as a PNG at 3x and an SVG, named by ``figure_filename``.

    Animated figures are stills at ``step`` (default each one's opening step), as ``figure_png`` draws them.

    The whole ZIP is one export job: it holds one server export slot from the first image to the last.

    Args:
        figures: ``(key, figure)`` pairs in page order (keys as on the page, e.g. ``heat_c``).
        config_summary: Names the run in every file name (``config_summary(...)``).
        progress: Called with ``(done, total, file name)`` before each image and once at the end.
        renderer_: The renderer to use; the server's one by default.
        step: The step animated figures show.

    Raises:
        ExportUnavailable: no Chromium here (raised before any work).
        ExportBusy: the server's export slots stayed taken.
    """
    r = renderer_ or renderer()
    if not r.available:
        raise ExportUnavailable(
            msg(
                "no Chromium is installed on this server, so the page's figures cannot be exported here; "
                "each chart's camera button still downloads a PNG"
            )
        )
    total = 2 * len(figures)
    buffer = io.BytesIO()
    with r.job(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        done = 0
        for key, fig in figures:
            fig = still_figure(fig, step)
            width, height = layout_size(fig)
            for fmt, scale in (("png", PNG_SCALE), ("svg", 1)):
                name = figure_filename(key, config_summary, fmt)
                if progress is not None:
                    progress(done, total, name)
                # PNG is compressed already; deflating it again only costs time.
                kind = zipfile.ZIP_STORED if fmt == "png" else zipfile.ZIP_DEFLATED
                zf.writestr(name, r.render(fig, fmt, width, height, scale), compress_type=kind)
                done += 1
    if progress is not None:
        progress(total, total, msg("done"))
    return buffer.getvalue()
