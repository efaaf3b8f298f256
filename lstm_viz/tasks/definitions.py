"""The built-in tasks: bracket depth, remember a bit, counting, and character models on real text and code."""

from __future__ import annotations

import functools

import torch
from torch import Tensor

from lstm_viz.i18n import N_, msg
from lstm_viz.reading import tracking
from lstm_viz.tasks import code_train, corpus
from lstm_viz.tasks.alice import TEXT
from lstm_viz.tasks.base import Batch, Task, one_hot

# ---------------------------------------------------------------- bracket depth

BRACKET_SYMBOLS = ("(", ")", "a", "b")
TRAINED_DEPTH = 4
MAX_DEPTH = 8
"""Depths beyond ``TRAINED_DEPTH`` appear only in sequences longer than the trained 40 steps."""


def _depth_cap(seq_len: int) -> int:
    # Longer sequences than the trained 40 steps nest deeper, one level per 40 extra steps: that is what
    # "outside the trained range" looks like for this task.
    return min(TRAINED_DEPTH + max(seq_len - 40, 0) // 40, MAX_DEPTH)


def _brackets(batch: int, seq_len: int, gen: torch.Generator) -> Batch:
    cap = _depth_cap(seq_len)
    u = torch.rand(batch, seq_len, generator=gen)
    other = torch.randint(2, 4, (batch, seq_len), generator=gen)
    tokens = torch.empty(batch, seq_len, dtype=torch.long)
    depth = torch.zeros(batch, seq_len, dtype=torch.long)
    d = torch.zeros(batch, dtype=torch.long)
    for t in range(seq_len):
        can_open, can_close = d < cap, d > 0
        p_open = torch.where(can_close, 0.3, 0.4) * can_open
        p_close = torch.where(can_open, 0.3, 0.4) * can_close
        opens = u[:, t] < p_open
        closes = ~opens & (u[:, t] < p_open + p_close)
        tokens[:, t] = torch.where(opens, 0, torch.where(closes, 1, other[:, t]))
        d = d + opens.long() - closes.long()
        depth[:, t] = d
    return Batch(
        tokens=tokens,
        x=one_hot(tokens, 4),
        latent=depth.double(),
        target=depth.float(),
        mask=torch.ones(batch, seq_len, dtype=torch.bool),
    )


def _bracket_phases(b: Batch) -> dict[str, Tensor]:
    return {N_("at '('"): b.tokens == 0, N_("at ')'"): b.tokens == 1, N_("at other symbols"): b.tokens >= 2}


def _bracket_range(b: Batch) -> str | None:
    steps, depth = b.tokens.shape[1], int(b.latent.max())
    if steps > 40 or depth > TRAINED_DEPTH:
        return msg(
            "trained on 40 steps and depth ≤ {trained}; this input has {steps} steps, depth up to {depth}",
            trained=TRAINED_DEPTH,
            steps=steps,
            depth=depth,
        )
    return None


BRACKETS = Task(
    name="brackets",
    title=N_("bracket depth"),
    story=N_(
        "A stream of `(`, `)` and other symbols; at every step the network reports how deeply the brackets are "
        "nested. One cell has to count up at `(` and down at `)`, and ignore everything else."
    ),
    symbols=BRACKET_SYMBOLS,
    latent_name=N_("nesting depth"),
    input_size=4,
    n_out=1,
    regression=True,
    metric_name=N_("per-step accuracy (|prediction − depth| < 0.5)"),
    higher_is_better=True,
    target_metric=0.98,
    hidden_size=4,
    seq_len=40,
    forget_bias=1.0,
    train_steps=300,
    batch_size=32,
    lr=1e-2,
    sample=_brackets,
    phases=_bracket_phases,
    trained_range=_bracket_range,
)

# ---------------------------------------------------------------- remember a bit

BIT_SYMBOLS = ("−", "+", "★−", "★+", "?")
"""Distractor bits, the marked bit to remember, and the query step."""
_BIT_FEATURES = torch.tensor(
    [[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [-1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
)  # [symbol, (bit, marker flag, query flag)]
BIT_TRAINED_STEPS = 20


def _bit(batch: int, seq_len: int, gen: torch.Generator) -> Batch:
    if seq_len < 2:
        raise ValueError(msg("remember a bit needs at least 2 steps: the marked bit and the query"))
    bits = torch.randint(0, 2, (batch, seq_len), generator=gen)  # distractors everywhere at first
    marker_at = torch.randint(0, max(seq_len // 2, 1), (batch,), generator=gen)
    held = torch.randint(0, 2, (batch,), generator=gen)
    steps = torch.arange(seq_len).view(1, seq_len)
    at_marker = steps == marker_at.view(batch, 1)
    tokens = torch.where(at_marker, 2 + held.view(batch, 1), bits)
    tokens[:, -1] = 4
    latent = torch.where(steps >= marker_at.view(batch, 1), (2 * held - 1).view(batch, 1), 0).double()
    mask = torch.zeros(batch, seq_len, dtype=torch.bool)
    mask[:, -1] = True
    return Batch(
        tokens=tokens,
        x=_BIT_FEATURES[tokens],  # [B, T, 3]
        latent=latent,
        target=held.view(batch, 1).expand(batch, seq_len).contiguous(),
        mask=mask,
    )


def _bit_phases(b: Batch) -> dict[str, Tensor]:
    marker = b.tokens >= 2
    marker &= b.tokens <= 3
    holding = (b.latent != 0) & ~marker
    return {
        N_("at the marker"): marker,
        N_("while the bit is held"): holding,
        N_("before the marker"): b.latent == 0,
    }


def _bit_range(b: Batch) -> str | None:
    steps = b.tokens.shape[1]
    if steps > BIT_TRAINED_STEPS:
        return msg(
            "trained on {trained} steps; this input holds the bit for up to {held}",
            trained=BIT_TRAINED_STEPS,
            held=steps - 1,
        )
    return None


REMEMBER_BIT = Task(
    name="remember_bit",
    title=N_("remember a bit"),
    story=N_(
        "Each step carries a bit, + or −; one step is marked ★ and only its bit matters. At the last step (?) the "
        "network must recall the marked bit. One cell must open its input gate at the marker and then hold "
        "its value, forget gate near 1, through every distractor."
    ),
    symbols=BIT_SYMBOLS,
    latent_name=N_("held bit"),
    input_size=3,
    n_out=2,
    regression=False,
    metric_name=N_("accuracy at the query"),
    higher_is_better=True,
    target_metric=0.98,
    hidden_size=4,
    seq_len=BIT_TRAINED_STEPS,
    forget_bias=2.0,
    train_steps=300,
    batch_size=64,
    lr=1e-2,
    sample=_bit,
    phases=_bit_phases,
    trained_range=_bit_range,
    min_steps=2,
)

# ---------------------------------------------------------------- counting

COUNT_SYMBOLS = ("a", "b", "c")
COUNT_TRAINED_STEPS = 30


def _count(batch: int, seq_len: int, gen: torch.Generator) -> Batch:
    tokens = torch.randint(0, 3, (batch, seq_len), generator=gen)
    count = (tokens == 0).long().cumsum(1)
    return Batch(
        tokens=tokens,
        x=one_hot(tokens, 3),
        latent=count.double(),
        target=count.float(),
        mask=torch.ones(batch, seq_len, dtype=torch.bool),
    )


def _count_phases(b: Batch) -> dict[str, Tensor]:
    return {N_("at 'a'"): b.tokens == 0, N_("at other symbols"): b.tokens != 0}


def _count_range(b: Batch) -> str | None:
    steps = b.tokens.shape[1]
    if steps > COUNT_TRAINED_STEPS:
        return msg(
            "trained on {trained} steps; this input has {steps}, counts up to {count}",
            trained=COUNT_TRAINED_STEPS,
            steps=steps,
            count=int(b.latent.max()),
        )
    return None


COUNTING = Task(
    name="counting",
    title=N_("counting"),
    story=N_(
        "A stream of a, b and c; at every step the network reports how many a's it has seen so far. A cell "
        "that adds a fixed amount at each a and keeps everything else (forget gate near 1) is a counter."
    ),
    symbols=COUNT_SYMBOLS,
    latent_name=N_("count of a so far"),
    input_size=3,
    n_out=1,
    regression=True,
    metric_name=N_("per-step accuracy (|prediction − count| < 0.5)"),
    higher_is_better=True,
    target_metric=0.97,
    hidden_size=4,
    seq_len=COUNT_TRAINED_STEPS,
    forget_bias=2.0,
    train_steps=800,
    batch_size=32,
    lr=2e-2,
    sample=_count,
    phases=_count_phases,
    trained_range=_count_range,
)

# ---------------------------------------------------------------- characters of real text

ALPHABET = tuple(sorted(set(TEXT)))
_CODES = torch.tensor([ALPHABET.index(ch) for ch in TEXT])
CHAR_SYMBOLS = tuple({" ": "␣", "\n": "↵"}.get(ch, ch) for ch in ALPHABET)
CHAR_TRAINED_STEPS = 64
_SPACE = ALPHABET.index(" ")


def _char_ids(text: str) -> Tensor:
    """Symbol ids of any text for the `chars` model; a character outside its alphabet becomes a space."""
    return torch.tensor([ALPHABET.index(ch) if ch in ALPHABET else _SPACE for ch in text], dtype=torch.long)


def _chars(batch: int, seq_len: int, gen: torch.Generator) -> Batch:
    start = torch.randint(0, len(TEXT) - 1, (batch, 1), generator=gen)
    idx = (start + torch.arange(seq_len + 1).view(1, -1)) % len(TEXT)  # [B, T + 1]
    codes = _CODES[idx]
    tokens, target = codes[:, :-1], codes[:, 1:]
    # Letters since the last space: reset at a space or line break, +1 otherwise.
    is_break = (tokens == _SPACE) | (tokens == ALPHABET.index("\n"))
    since = torch.zeros(batch, seq_len)
    run = torch.zeros(batch)
    for t in range(seq_len):
        run = torch.where(is_break[:, t], torch.zeros(batch), run + 1)
        since[:, t] = run
    return Batch(
        tokens=tokens,
        x=one_hot(tokens, len(ALPHABET)),
        latent=since.double(),
        target=target,
        mask=torch.ones(batch, seq_len, dtype=torch.bool),
    )


def _char_phases(b: Batch) -> dict[str, Tensor]:
    breaks = (b.tokens == _SPACE) | (b.tokens == ALPHABET.index("\n"))
    return {N_("at a space or line break"): breaks, N_("inside a word"): ~breaks}


def _char_range(b: Batch) -> str | None:
    steps = b.tokens.shape[1]
    if steps > CHAR_TRAINED_STEPS:
        return msg(
            "trained on windows of {trained} characters; this input has {steps}",
            trained=CHAR_TRAINED_STEPS,
            steps=steps,
        )
    return None


CHARS = Task(
    name="chars",
    title=N_("characters of real text"),
    story=N_(
        "Predict the next character of a short public-domain text (the opening of Lewis Carroll's *Alice's "
        "Adventures in Wonderland*, 1865). Real text is messy: the model mostly memorises this small text, and "
        "no single unit has to mean anything. The finder still reports the best unit for “letters since the "
        "last space”, and how weak the link is."
    ),
    symbols=CHAR_SYMBOLS,
    latent_name=N_("letters since the last space"),
    input_size=len(ALPHABET),
    n_out=len(ALPHABET),
    regression=False,
    metric_name=N_("next-character loss (nats per character)"),
    higher_is_better=False,
    target_metric=0.8,
    hidden_size=32,
    seq_len=CHAR_TRAINED_STEPS,
    forget_bias=1.0,
    train_steps=300,
    batch_size=32,
    lr=1e-2,
    sample=_chars,
    phases=_char_phases,
    trained_range=_char_range,
    shipped_steps=1500,
    chars=ALPHABET,
    encode=_char_ids,
)

# ---------------------------------------------------------------- characters of real Python source

CODE_SYMBOLS = tuple({" ": "␣", "\n": "↵", "\t": "⇥"}.get(ch, ch) for ch in corpus.SYMBOLS)
CODE_WINDOW = 128
"""Characters per held-out window the page shows and the metric scores (each from a zero state)."""


@functools.cache
def _held_out_arrays() -> tuple[Tensor, Tensor, Tensor]:
    """Symbol ids, indentation and window starts (line starts) of the fixed held-out corpus."""
    held = corpus.held_out()
    ids = corpus.encode_ids(held.text).long()
    indent = torch.cat([tracking.indentation(t) for t in held.texts])
    starts = torch.tensor([0] + [i + 1 for i, ch in enumerate(held.text) if ch == "\n"])
    return ids, indent, starts


def _code(batch: int, seq_len: int, gen: torch.Generator) -> Batch:
    ids, indent, starts = _held_out_arrays()
    starts = starts[starts + seq_len + 1 <= ids.numel()]
    pick = starts[torch.randint(0, starts.numel(), (batch,), generator=gen)]
    idx = pick.view(-1, 1) + torch.arange(seq_len + 1).view(1, -1)  # [B, T + 1]
    codes = ids[idx]
    return Batch(
        tokens=codes[:, :-1],
        x=one_hot(codes[:, :-1], corpus.VOCAB),
        latent=indent[idx[:, :-1]],
        target=codes[:, 1:],
        mask=torch.ones(batch, seq_len, dtype=torch.bool),
    )


def _code_phases(b: Batch) -> dict[str, Tensor]:
    newline = b.tokens == corpus.SYMBOLS.index("\n")
    return {
        N_("at a line break"): newline,
        N_("on an indented line"): (b.latent > 0) & ~newline,
        N_("at the margin"): b.latent == 0,
    }


def _code_range(b: Batch) -> str | None:
    steps = b.tokens.shape[1]
    if steps > 2 * CODE_WINDOW:
        return msg(
            "trained on chunks of 128 characters, the state carried between them; this input runs {steps} "
            "characters from a zero state",
            steps=steps,
        )
    return None


CODE = Task(
    name="code",
    title=N_("characters of Python source"),
    story=N_(
        "Predict the next character of real Python: the source files of the installed PyTorch package, one file "
        "in twenty held out and never trained on. Nothing tells the network where strings, comments or "
        "blocks are; to predict well, some cells learn to follow the indentation, the bracket depth or whether "
        "it is inside a string or a comment, as in Karpathy, Johnson and Fei-Fei (2015). The finder looks for "
        "the unit that follows the line's indentation."
    ),
    symbols=CODE_SYMBOLS,
    latent_name=N_("indentation of the line"),
    input_size=corpus.VOCAB,
    n_out=corpus.VOCAB,
    regression=False,
    metric_name=N_("held-out next-character loss (nats per character)"),
    higher_is_better=False,
    target_metric=1.3,
    hidden_size=256,
    seq_len=CODE_WINDOW,
    forget_bias=1.0,
    train_steps=200,
    batch_size=32,
    lr=2e-3,
    sample=_code,
    phases=_code_phases,
    trained_range=_code_range,
    eval_batch=128,
    shipped_steps=12_000,
    fit=code_train.fit,
    chars=corpus.SYMBOLS,
    encode=corpus.encode_ids,
)

TASKS: dict[str, Task] = {t.name: t for t in (BRACKETS, REMEMBER_BIT, COUNTING, CHARS, CODE)}
