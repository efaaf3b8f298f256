"""The text the code page reads: a window of a held-out file, the reader's own, or the model's writing."""

from __future__ import annotations

from dataclasses import dataclass

from lstm_viz.i18n import N_, Message, msg
from lstm_viz.reading.code_models import held_out_window
from lstm_viz.reading.reader import MAX_TEXT
from lstm_viz.tasks import corpus

SOURCES = {
    "held-out file": N_("a file of PyTorch's own source that the model never trained on"),
    "your text": N_("Python you type, paste or upload"),
    "generated": N_("text the model writes itself, one character at a time"),
}
"""Where the page's text comes from (URL values of ``code_source``) and words for each (English, said with
``i18n.t``)."""
HELD_OUT, OWN, GENERATED = SOURCES
WINDOW = 1200
"""Characters of a held-out file shown at once (the text view stays a screen or two tall)."""


@dataclass(frozen=True)
class ShownText:
    """A text as the page reads it, and where it is from.

    Attributes:
        text: The characters read (at most ``MAX_TEXT``: a longer text is cut).
        where: Where it is from, in words (the text view's title): ``"torch/nn/init.py, from line 12"``.
        length: How many characters it had before it was cut (``len(text)`` when it was not).
        first_line: The line number of its first line (a held-out window's, in its file).
        file: The held-out file it is a window of (an index into the analysis corpus's files), or None.
        skip: Characters of that file before the window (read first, so the model reads it as in its file).
        offset: Where the window starts in the analysis corpus (the text searched by select and match), or None.
        generated: Whether the model wrote it (the view replays the writing).
    """

    text: str
    where: Message
    length: int
    first_line: int = 1
    file: int | None = None
    skip: int = 0
    offset: int | None = None
    generated: bool = False

    @property
    def cut(self) -> bool:
        """Whether the text was longer than ``MAX_TEXT`` and only its start is read."""
        return self.length > len(self.text)

    @property
    def in_file(self) -> tuple[int, int] | tuple[()]:
        """``(file, skip)`` for a held-out window (how the model reads it as inside its file), else ``()``."""
        return () if self.file is None else (self.file, self.skip)

    def exclude(self, span: tuple[int, int]) -> tuple[int, int] | None:
        """The span as a span of the analysis corpus, when the text lies in it (a selection does not match itself)."""
        return None if self.offset is None else (self.offset + span[0], self.offset + span[1])


def _shown(text: str, where: Message, **kw: object) -> ShownText:
    return ShownText(text[:MAX_TEXT], where, len(text), **kw)  # type: ignore[arg-type]


def held_out(file: int, line: int) -> ShownText:
    """``WINDOW`` characters of held-out analysis file ``file`` from line ``line`` (both clamped to the file)."""
    path, text, first, offset = held_out_window(file, line, WINDOW)
    index = corpus.analysis().paths.index(path)
    where = msg("torch/{path}, from line {line}", path=path, line=first)
    skip = offset - corpus.analysis().starts[index]
    return _shown(text, where, first_line=first, file=index, skip=skip, offset=offset)


def own(text: str, file_name: str | None = None) -> ShownText:
    """The reader's own text, typed or from an uploaded file called ``file_name``."""
    where = msg("your text") if file_name is None else msg("your file {name}", name=file_name)
    return _shown(text, where)


def generated(text: str, temperature: float, seed: int) -> ShownText:
    """What the model wrote at ``temperature`` from ``seed``."""
    where = msg("written by the model (temperature {temperature:.1f}, seed {seed})", temperature=temperature, seed=seed)
    return _shown(text, where, generated=True)
