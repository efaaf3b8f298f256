"""Every key the app keeps in a session's state, named once (the sidebar's widgets use their URL keys)."""

from __future__ import annotations

# The run.
SPEC = "spec"
"""The run the sidebar (or a teacher link) describes: a ``RunSpec``."""
ERROR = "_config_error"
"""Why the settings could not run (the page then shows the last valid run), or None."""
LAST_GOOD = "_last_good_config"
"""The last ``RunSpec`` that could run."""
RUN = "_current_run"
"""The ``Run`` the page draws."""
SETTINGS = "_settings"
"""Every setting of the run shown (the sidebar's, or the link's in the teacher view), by URL key."""

# The link that opened the session.
LINK_READ = "_link_read"
"""Whether the link was read (once per session)."""
URL_SETTINGS = "_url_settings"
"""The settings read from the link (the teacher view draws no controls)."""
LINK_PROBLEMS = "_link_problems"
"""What the link said that the app could not read, or that its model does not take."""
CURSOR = "_cursor"
"""The step and unit last opened or picked on any page: ``(t, unit or None)``."""

# The page being drawn.
VIEW = "_view_mode"
"""The view flags of this run (slide, teacher, one figure)."""
FIGURES = "_page_figures"
"""The page's finished figures by chart key, for its exports and its one-figure links."""
CHART_KEYS = "_chart_keys"
"""The page's chart keys in drawing order (drawn or not, in the one-figure view)."""

# Uploads.
MODEL_FILE, MODEL_FILE_ID, MODEL_FILE_ERROR = "_model_file", "_model_file_id", "_model_file_error"
"""This session's checkpoint upload (a ``ModelUpload``), the uploader's file id it came from, and its refusal."""
OWN_INPUT, OWN_INPUT_KEY, OWN_INPUT_ERROR = "_own_input", "_own_input_key", "_own_input_error"
"""This session's own input (a digest), what it was made from, and its refusal."""

# Dialogs.
SHARE_ASKED = "_share_asked"
"""The share button was clicked in this run: the dialog opens after the page's charts."""
EXPORT_READY = "_export_ready"
"""The one slow export made last: ``(what it is for, file name, bytes)``."""

# Pages' own widgets read through the state (the sidebar's are their settings' URL keys).
STEP_T, STEP_UNIT, STEP_LOSS, STEP_GRID = "step_t", "unit_j", "step_loss", "click_grid"
"""One step's pickers, its loss and its clickable heatmap."""
GRAD_LOSS = "grad_loss"
"""Gradient flow's loss."""

# The language.
LANG, LANG_SWITCH = "_lang", "_lang_switch"
"""The session's language (``lstm_viz.i18n.LANGUAGES``) and the sidebar's switch."""

# The Cells that read code page.
CODE_VIEW, CODE_SELECTION_TAKEN, CODE_UPLOAD = "code_view", "_code_selection_taken", "code_upload"
"""Its text view's chart (its selection event is kept under this key), the selection last turned into a span,
and its .py upload."""
