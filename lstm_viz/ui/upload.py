"""A checkpoint uploaded in the sidebar: read safely, kept by digest, one of its LSTMs chosen as the model."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lstm_viz.i18n import msg
from lstm_viz.server import uploads
from lstm_viz.settings import TABLE
from lstm_viz.sources import FileSource
from lstm_viz.ui import state
from lstm_viz.ui.language import refusal, say, tr
from lstm_viz.ui.markup import code, plain
from lstm_viz.ui.page import link_button, settings_href
from lstm_viz.ui.share import current_settings
from lstm_viz.weights import MAX_FILE_BYTES, check_file_size

UPLOAD_KEY = TABLE["file"].key
"""Query parameter naming (by its digest's start) the checkpoint this session uploaded: a session that moved to
another server process after its own restarted can then say its upload was lost."""


def checkpoint_controls(sb: Any, page_path: str) -> tuple[FileSource | None, str | None]:
    """An upload that makes a checkpoint's LSTM the model every page shows, with a picker for several.

    Returns the chosen LSTM (None until a file holds one) and the reason the current file is refused.
    """
    back = settings_href(page_path, {**current_settings(), "model": "random"})
    upload = sb.file_uploader(
        tr("checkpoint (.pt, .pth, .bin, .safetensors)"),
        key="model_file",
        help=tr(
            "A state_dict or checkpoint holding an nn.LSTM, at most {mb} MB. Read with "
            "torch.load(weights_only=True): nothing in the file runs.",
            mb=MAX_FILE_BYTES // 2**20,
        ),
    )
    if upload is not None and st.session_state.get(state.MODEL_FILE_ID) != upload.file_id:
        st.session_state[state.MODEL_FILE_ID] = upload.file_id
        try:
            check_file_size(upload.size)
            # The name stays this session's: the same bytes uploaded by someone else keep their own name.
            st.session_state[state.MODEL_FILE] = uploads.add_model_file(upload.getvalue(), upload.name)
            st.session_state[state.MODEL_FILE_ERROR] = None
            # In the URL too: should this server process restart, the session's next one can say what was lost.
            st.query_params[UPLOAD_KEY] = st.session_state[state.MODEL_FILE].digest[:12]
        except ValueError as err:
            # Kept as a message: a switch of language says the refusal again in the new one.
            st.session_state[state.MODEL_FILE_ERROR] = msg(
                "{filename}: {error}", filename=upload.name, error=refusal(err)
            )
    if st.session_state.get(state.MODEL_FILE_ERROR):
        sb.error(plain(say(st.session_state[state.MODEL_FILE_ERROR])), icon=":material/block:")
    held: uploads.ModelUpload | None = st.session_state.get(state.MODEL_FILE)
    item = None
    if held is not None:
        try:
            item = held.model()
        except LookupError:
            sb.warning(
                tr(
                    "Your checkpoint is no longer on this server (it was restarted, or the file was dropped to make "
                    "room): upload it again."
                ),
                icon=":material/cloud_off:",
            )
            st.session_state.pop(state.MODEL_FILE, None)
    lost = st.query_params.get(UPLOAD_KEY)
    if item is None and lost and st.session_state.get(state.MODEL_FILE_ID) is None:
        # The URL names an upload this session never made here: its server process restarted (or was another).
        sb.warning(
            tr(
                "The checkpoint this page showed ({digest}…) is not on this server process: the one that held your "
                "session restarted (or the link was copied), and a link cannot carry a file. Upload it again; until "
                "then random weights are shown.",
                digest=code(lost),
            ),
            icon=":material/cloud_off:",
        )
    elif item is None:
        sb.info(
            tr(
                "Upload a checkpoint to see its LSTM. A link cannot carry a file: whoever opens a shared link uploads "
                "it again; until then random weights are shown."
            ),
            icon=":material/upload_file:",
        )
    if item is None:
        link_button(tr("back to random weights"), back, container=sb)
        return None, None
    filename = held.filename
    prefixes = [f.prefix for f in item.found]
    top = tr("(top level)")
    prefix = sb.selectbox(
        tr("LSTM in the file"),
        prefixes,
        # Not bound to the URL (a link cannot carry the file), so its options may be said in the reader's language.
        format_func=lambda p: f"{p or top}: {item.lstm(p).call}",
        key=f"file_lstm_{item.digest[:12]}",
        disabled=len(prefixes) == 1,
    )
    found = item.lstm(prefix)
    # Each note is a whole clause; the reader's language lists them with its own punctuation.
    notes = [tr("from {filename}", filename=filename)]
    if found.converted:
        notes.append(tr("stored as {stored}, widened exactly to {dtype}", stored=found.file_dtype, dtype=found.dtype))
    if found.others:
        notes.append(tr("{n} other tensors beside it", n=len(found.others)))
    notes.append(tr("a link cannot carry the file: share it with the file"))
    joined = tr("; ").join(notes)
    sb.caption(plain(tr("{notes}.", notes=joined)))
    link_button(tr("back to random weights"), back, container=sb)
    return FileSource(item.digest, prefix, filename), None
