"""A checkpoint uploaded in the sidebar: read safely, kept by digest, one of its LSTMs chosen as the model."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lstm_viz.server import uploads
from lstm_viz.settings import TABLE
from lstm_viz.sources import FileSource
from lstm_viz.ui import state
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
        "checkpoint (.pt, .pth, .bin, .safetensors)",
        key="model_file",
        help=f"A state_dict or checkpoint holding an nn.LSTM, at most {MAX_FILE_BYTES // 2**20} MB. Read with "
        "torch.load(weights_only=True): nothing in the file runs.",
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
            st.session_state[state.MODEL_FILE_ERROR] = f"{upload.name}: {err}"
    if st.session_state.get(state.MODEL_FILE_ERROR):
        sb.error(plain(st.session_state[state.MODEL_FILE_ERROR]), icon=":material/block:")
    held: uploads.ModelUpload | None = st.session_state.get(state.MODEL_FILE)
    item = None
    if held is not None:
        try:
            item = held.model()
        except LookupError:
            sb.warning(
                "Your checkpoint is no longer on this server (it was restarted, or the file was dropped to make "
                "room): upload it again.",
                icon=":material/cloud_off:",
            )
            st.session_state.pop(state.MODEL_FILE, None)
    lost = st.query_params.get(UPLOAD_KEY)
    if item is None and lost and st.session_state.get(state.MODEL_FILE_ID) is None:
        # The URL names an upload this session never made here: its server process restarted (or was another).
        sb.warning(
            f"The checkpoint this page showed ({code(lost)}…) is not on this server process: the one that held "
            "your session restarted (or the link was copied), and a link cannot carry a file. Upload it again; "
            "until then random weights are shown.",
            icon=":material/cloud_off:",
        )
    elif item is None:
        sb.info(
            "Upload a checkpoint to see its LSTM. A link cannot carry a file: whoever opens a shared link "
            "uploads it again; until then random weights are shown.",
            icon=":material/upload_file:",
        )
    if item is None:
        link_button("back to random weights", back, container=sb)
        return None, None
    filename = held.filename
    prefixes = [f.prefix for f in item.found]
    prefix = sb.selectbox(
        "LSTM in the file",
        prefixes,
        format_func=lambda p: f"{p or '(top level)'}: {item.lstm(p).call}",
        key=f"file_lstm_{item.digest[:12]}",
        disabled=len(prefixes) == 1,
    )
    found = item.lstm(prefix)
    notes = [f"from {filename}"]
    if found.converted:
        notes.append(f"stored as {found.file_dtype}, widened exactly to {found.dtype}")
    if found.others:
        notes.append(f"{len(found.others)} other tensors beside it")
    notes.append("a link cannot carry the file: share it with the file")
    sb.caption(plain("; ".join(notes) + "."))
    link_button("back to random weights", back, container=sb)
    return FileSource(item.digest, prefix, filename), None
