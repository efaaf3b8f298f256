"""The unit finder: every unit of a character model ranked against every track, beside the untrained weights."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lstm_viz.analysis import correlations
from lstm_viz.i18n import DEFAULT, Message, msg, t
from lstm_viz.reading.tracking import TRACKS, tracks

CLEAR_MARGIN = 0.25
"""A finding is clear when its |r| beats the untrained weights' best by at least this much."""


@dataclass(frozen=True)
class CellFinding:
    """The unit that best follows one track, beside the best unit of the untrained weights.

    Attributes:
        track: The track's name.
        unit: The unit's index.
        state: ``"c"`` (reported as ``tanh(c)``'s unit, the cell) or ``"h"``.
        r: Pearson's r of the unit's state with the track over the text.
        untrained_unit: The best unit of the untrained weights on the same text.
        untrained_state: Its state.
        untrained_r: Its r.
    """

    track: str
    unit: int
    state: str
    r: float
    untrained_unit: int
    untrained_state: str
    untrained_r: float

    @property
    def margin(self) -> float:
        """How much more the trained unit follows the track than any untrained one: |r| - |r untrained|."""
        return abs(self.r) - abs(self.untrained_r)

    @property
    def clear(self) -> bool:
        """Whether the trained unit follows its track clearly better than any untrained one (``CLEAR_MARGIN``)."""
        return self.margin >= CLEAR_MARGIN

    @property
    def name(self) -> Message:
        """'cell 18' for a cell state, 'hidden unit 18' for h (said in another language with ``i18n.say``)."""
        return msg("cell {unit}", unit=self.unit) if self.state == "c" else msg("hidden unit {unit}", unit=self.unit)

    def sentence(self, lang: str = DEFAULT) -> str:
        """'cell 18 counts the indentation, r = +0.80; untrained best 0.17', in ``lang``."""
        return t(
            lang,
            "{cell} {verb}, r = {r:+.2f}; untrained best {untrained:.2f}",
            cell=self.name,
            verb=t(lang, TRACKS[self.track].verb),
            r=self.r,
            untrained=abs(self.untrained_r),
        )


def _best(r: dict[str, Tensor], k: int) -> tuple[int, str, float]:
    best = (0, "c", 0.0)
    for state, table in r.items():
        unit = int(table[k].abs().argmax())
        value = float(table[k, unit])
        if math.isfinite(value) and abs(value) > abs(best[2]):
            best = (unit, state, value)
    return best


def find_cells(
    trained: dict[str, Tensor], untrained: dict[str, Tensor], values: dict[str, Tensor]
) -> list[CellFinding]:
    """For every track, the unit (of c or h) whose state follows it best, beside the untrained weights' best.

    Found by ranking every unit against every track, nothing named in advance; the clearest (largest
    margin over the untrained weights) first.

    Shapes: each state [N, H] (trained and untrained on the same N characters); each track [N].
    """
    r_trained, r_untrained = correlations(trained, values), correlations(untrained, values)
    found = []
    for k, name in enumerate(values):
        unit, state, r = _best(r_trained, k)
        u_unit, u_state, u_r = _best(r_untrained, k)
        found.append(CellFinding(name, unit, state, r, u_unit, u_state, u_r))
    return sorted(found, key=lambda f: -f.margin)


# ---------------------------------------------------------------- states of every character, from nn.LSTM


def corpus_states(lstm: nn.LSTM, x: Tensor, segments: int = 16, warmup: int = 256, chunk: int = 1024) -> dict:
    """The cell state ``c`` and hidden state ``h`` of a one-layer ``nn.LSTM`` at every character of a long text.

    ``nn.LSTM`` itself runs the text, cut into ``segments`` pieces run side by side; each piece after the first
    starts ``warmup`` characters early from a zero state (those steps are dropped), as a reader who has just
    come in. ``h`` is ``nn.LSTM``'s output; ``c`` is rebuilt from it with the same weights
    (``c_t = f_t c_(t-1) + i_t g_t``, gates from ``x_t`` and ``nn.LSTM``'s ``h_(t-1)``), restarted from
    ``nn.LSTM``'s own ``c_n`` at every chunk so rounding never accumulates; ``c_check`` is the largest
    difference between the rebuilt ``c`` and ``nn.LSTM``'s ``c_n`` at the chunk ends.

    Shapes: ``x`` [N, I] (one text, float) -> ``{"c": [N, H], "h": [N, H], "c_check": float}``.
    """
    n, hidden = x.shape[0], lstm.hidden_size
    length = -(-n // segments)
    segments = -(-n // length)
    lead = warmup if segments > 1 else 0
    # [S, lead + length, I]: segment s reads x[s*length - lead : (s+1)*length], zero input past the end.
    padded = torch.cat([x.new_zeros(lead, x.shape[1]), x, x.new_zeros(segments * length - n, x.shape[1])])
    idx = torch.arange(segments).view(-1, 1) * length + torch.arange(lead + length).view(1, -1)
    xs = padded[idx]  # [S, lead + length, I]
    w_ih, w_hh = lstm.weight_ih_l0, lstm.weight_hh_l0
    b = lstm.bias_ih_l0 + lstm.bias_hh_l0 if lstm.bias else torch.zeros(4 * hidden, dtype=x.dtype)
    hs, cs, check = [], [], 0.0
    state = None
    with torch.inference_mode():
        if lead:
            _, (h_n, c_n) = lstm(xs[:, :lead])
            h_n[:, 0], c_n[:, 0] = 0.0, 0.0  # segment 0 starts at the text's start, from a zero state
            state = (h_n, c_n)
        for s in range(lead, lead + length, chunk):
            part = xs[:, s : s + chunk]  # [S, t, I]
            h, (h_n, c_n) = lstm(part, state)  # h [S, t, H]
            h0 = state[0][0] if state is not None else h.new_zeros(segments, hidden)
            c_prev = state[1][0] if state is not None else h.new_zeros(segments, hidden)
            h_prev = torch.cat([h0.unsqueeze(1), h[:, :-1]], 1)  # [S, t, H]
            pre = part @ w_ih.t() + h_prev @ w_hh.t() + b  # [S, t, 4H]
            i, f, g, o = pre.chunk(4, -1)
            i, f, g = i.sigmoid(), f.sigmoid(), g.tanh()
            c = torch.empty_like(h)
            for t in range(part.shape[1]):
                c_prev = f[:, t] * c_prev + i[:, t] * g[:, t]
                c[:, t] = c_prev
            check = max(check, float((c[:, -1] - c_n[0]).abs().max()))
            hs.append(h)
            cs.append(c)
            state = (h_n, c_n)
    h_all = torch.cat(hs, 1)  # [S, length, H]
    c_all = torch.cat(cs, 1)
    return {
        "c": c_all.reshape(-1, hidden)[:n],
        "h": h_all.reshape(-1, hidden)[:n],
        "c_check": check,
    }


def text_tracks(texts: tuple[str, ...] | list[str]) -> dict[str, Tensor]:
    """Every track of several texts (each read on its own), concatenated. Shapes: each [sum of lengths]."""
    each = [tracks(t) for t in texts]
    return {name: torch.cat([t[name] for t in each]) for name in TRACKS}


def find_in_corpus(lstm: nn.LSTM, untrained: nn.LSTM, x: Tensor, values: dict[str, Tensor]) -> list[CellFinding]:
    """Rank every unit of ``lstm`` and of ``untrained`` against every track on one long input (``corpus_states``).

    Shapes: ``x`` [N, I]; each track [N].
    """
    trained = corpus_states(lstm, x)
    base = corpus_states(untrained, x)
    return find_cells({k: trained[k] for k in ("c", "h")}, {k: base[k] for k in ("c", "h")}, values)
