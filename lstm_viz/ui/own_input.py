"""The user's own sequences for random weights or an uploaded LSTM: a CSV or NPY file, typed numbers, token ids."""

from __future__ import annotations

import functools
from typing import Any

import streamlit as st
import torch

from lstm_viz.i18n import N_, msg, t
from lstm_viz.inputs import MAX_TEXT_CHARS, embed_tokens, parse_sequence, parse_token_ids, parse_typed, random_token_ids
from lstm_viz.run import own_input_width
from lstm_viz.server import uploads
from lstm_viz.settings import model_defaults
from lstm_viz.sources import FileSource
from lstm_viz.ui import state
from lstm_viz.ui.language import lang, refusal, say, tr
from lstm_viz.ui.markup import plain

INPUT_SOURCES = (N_("generated"), N_("your file"), N_("typed numbers"), N_("token ids"))
"""Where the sequences come from (token ids only for a checkpoint with an embedding); the choice's values stay
English (the session's state), each is shown in the reader's language."""
INPUT_IDS = "input_ids"
"""The token ids' text box (empty: random ids of the run's shape)."""


def input_controls(sb: Any, input_size: int, file: FileSource | None) -> tuple[str | None, str | None, str | None]:
    """Where the sequences come from: generated, a CSV/NPY upload, typed numbers, or (a file's) token ids.

    Token ids go through the checkpoint's embedding. A bad input keeps the last valid one on screen, its
    message beside the control.

    Returns:
        The digest of the user's input (None: generated), the input's shape in words when the input decides
        the batch and the length (so those controls are not drawn), and an error.
    """
    found = file.found() if file is not None else None
    has_embedding = found is not None and found.embedding_name() is not None
    options = list(INPUT_SOURCES if has_embedding else INPUT_SOURCES[:3])
    how = sb.radio(
        tr("sequences"),
        options,
        # Not bound to the URL, so its options may be said in the reader's language (fixed now, not read later).
        format_func=functools.partial(t, lang()),
        key="input_source",
        horizontal=True,
        help=tr("Your own sequences are not carried by a link (a URL cannot hold a file)."),
    )
    if how == "generated":
        return None, None, None
    key, make = None, None
    if how == "your file":
        up = sb.file_uploader(
            tr("sequence: CSV of T rows x {size} columns, or NPY [T, {size}] / [B, T, {size}]", size=input_size),
            type=["csv", "txt", "npy"],
            key="input_file",
        )
        if up is not None:
            key = ("file", up.file_id, input_size)
            # The upload as a file: read lazily, so the row and line limits stop it before it is all in memory.
            make = lambda: (parse_sequence(_rewound(up), up.name, input_size), up.name, None)  # noqa: E731
    elif how == "typed numbers":
        text = sb.text_area(
            tr("one step per line, {size} number(s) each", size=input_size),
            key="input_text",
            max_chars=MAX_TEXT_CHARS,
            placeholder="\n".join([", ".join(["0.5"] * input_size)] * 3),
        )
        if text.strip():
            key = ("typed", text, input_size)
            make = lambda: (parse_typed(text, input_size), msg("typed numbers"), None)  # noqa: E731
    else:
        # The weight is copied out of the file's tensors, so only when token ids are what the user feeds.
        embedding = found.embedding_weight()
        vocab = embedding.shape[0]
        text = sb.text_area(
            tr("token ids 0..{last}, one sequence per line (empty: random ids)", last=vocab - 1),
            key=INPUT_IDS,
            max_chars=MAX_TEXT_CHARS,
            placeholder="3, 14, 15, 92, 65",
        )
        # Random ids (an empty box) take the batch, the length and the seed of the controls below.
        defaults = model_defaults("file")
        shape = tuple(int(st.session_state.get(k, defaults[k])) for k in ("seq_len", "batch", "seed"))
        key = ("ids", text, vocab, *(() if text.strip() else shape))

        def make() -> tuple[torch.Tensor, str, list[list[str]]]:
            ids = parse_token_ids(text, vocab) if text.strip() else random_token_ids(vocab, *shape)
            labels = [[str(k) for k in row] for row in ids.tolist()]
            return embed_tokens(ids, embedding), msg("token ids through the embedding"), labels

    if key is not None and key != st.session_state.get(state.OWN_INPUT_KEY):
        st.session_state[state.OWN_INPUT_KEY] = key
        try:
            st.session_state[state.OWN_INPUT] = uploads.add_input(*make()).digest
            st.session_state[state.OWN_INPUT_ERROR] = None
        except (ValueError, TypeError) as err:
            # Kept as the refusal's message, so a switch of language says it again in the new one.
            st.session_state[state.OWN_INPUT_ERROR] = refusal(err)
    if st.session_state.get(state.OWN_INPUT_ERROR):
        sb.error(
            tr(
                "Not applied: {error}. Still showing the last valid input.",
                error=plain(say(st.session_state[state.OWN_INPUT_ERROR])),
            )
        )
    digest = st.session_state.get(state.OWN_INPUT)
    if digest is None:
        return None, None, None
    try:
        x = uploads.store().get(digest).x
    except LookupError as err:
        return None, None, refusal(err)
    if x.shape[-1] != input_size:
        return None, None, own_input_width(x.shape[-1], input_size)
    if how == "token ids" and not st.session_state.get(INPUT_IDS, "").strip():
        return digest, None, None
    batch, steps = (x.shape[0], x.shape[1]) if x.dim() == 3 else (1, x.shape[0])
    return digest, tr("Your input decides the shape: batch {batch}, {steps} steps.", batch=batch, steps=steps), None


def _rewound(upload: Any) -> Any:
    upload.seek(0)
    return upload
