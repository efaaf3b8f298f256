"""Cells that read code: real Python coloured by the cells that follow its strings, comments and blocks."""

import streamlit as st
import torch
from streamlit.errors import StreamlitAPIException

from lstm_viz import ui
from lstm_viz.figures.code_text import TextPanel, box_span, text_figure
from lstm_viz.reading import code_models, matchlines, spans, tracking
from lstm_viz.reading.generate import MAX_CHARS, TEMPERATURES
from lstm_viz.reading.reader import MAX_TEXT
from lstm_viz.ui import code_reading
from lstm_viz.ui.markup import code

ui.require_app()
st.title("Cells that read code")

SOURCES = ("held-out file", "your text", "generated")
STATES = {"tanh_c": "tanh(c)", "h": "h"}
VIEW_KEY = "code_view"
CLAMP_LABELS = {"none": "none", "to 0": "zero", "to its mean": "mean"}  # URL words -> code_models.CLAMPS
WINDOW = 1200  # characters of a held-out file shown at once (the text view stays a screen or two tall)
WINDOW_KEYS = ("code_file", "code_line")  # where a held-out file is shown; opened where the cell shows its track
SELECTED_SHOWN = 80  # characters of a selection quoted above its cells


def _first(customdata) -> float:
    # A selected point's customdata arrives as a list, or as an index-keyed dict when it was sent as a typed array.
    return customdata["0"] if isinstance(customdata, dict) and "0" in customdata else customdata[0]


def _open_window(model_: str, track_: str, first: bool = False) -> None:
    """Show the held-out window where the cell for ``track_`` shows its track best (its file and first line).

    Set through the widgets' state, their defaults staying file 0 from line 1, so a link that names a file or
    a line keeps the meaning it had. A bound widget set from a callback puts its value in the page's link
    itself; on the page's ``first`` run the widgets are not bound yet, and the link is written here.
    """
    window = code_reading.headline(model_, track_).window
    st.session_state["code_file"], st.session_state["code_line"] = window.file, window.line
    if first:
        try:
            st.query_params["code_file"] = code_models.corpus.analysis().paths[window.file]
            st.query_params["code_line"] = str(window.line)
        except StreamlitAPIException:  # bound since an earlier visit: the widgets write their own link
            pass


def _new_cell() -> None:
    """Another model or track: open on the window that shows its own cell (the first track of a new model)."""
    model_ = st.session_state["code_model"]
    tracks = [f.track for f in code_reading.findings(model_)]
    track_ = st.session_state.get("code_track")
    _open_window(model_, track_ if track_ in tracks else tracks[0])


def _new_file() -> None:
    """Another file opens at its first line (the widget's default, so the link leaves the line out)."""
    st.session_state["code_line"] = 1


# In display order; filled below once what each shows is known (the headline needs the model and the track).
head = st.container()
pick = st.columns([1.6, 1.2, 4])
view_box = st.container()
below = st.container()

more_cols = below.columns([1.2, 1, 1.1, 2, 2])
model_name = more_cols[0].selectbox(
    "model",
    list(code_models.MODELS),
    key="code_model",
    bind="query-params",
    on_change=_new_cell,
    help="; ".join(f"{k}: {v}" for k, v in code_models.MODELS.items()),
)
found = code_reading.findings(model_name)
by_track = {f.track: f for f in found}
track = pick[0].selectbox(
    "cell that follows",
    [f.track for f in found],
    key="code_track",
    bind="query-params",
    on_change=_new_cell,
    help="Each hypothesis, clearest first: "
    + "; ".join(f"{f.track}: {tracking.TRACKS[f.track].label} ({f.name}, r = {f.r:+.2f})" for f in found),
)
best = by_track[track]
hidden = code_reading.model(model_name).lstm.hidden_size
unit_choice = more_cols[1].selectbox(
    "unit",
    ["found", *range(hidden)],
    key="code_unit",
    bind="query-params",
    help="'found' is the finder's unit for the chosen hypothesis; or pick any unit.",
)
unit = best.unit if unit_choice == "found" else int(unit_choice)
default_state = code_models.state_key(best)
state_label = more_cols[2].selectbox(
    "state",
    list(STATES.values()),
    index=list(STATES).index(default_state),
    key="code_state",
    bind="query-params",
)
state = next(k for k, v in STATES.items() if v == state_label)
told = code_reading.headline(model_name, track)
with head:
    ui.run_note(
        "success" if best.margin >= 0.25 else "info",
        f"**{best.sentence()}.** {told.sentence()}",
        icon=":material/lightbulb:",
    )

source = pick[1].selectbox("text", SOURCES, key="code_source", bind="query-params")
text, where, offset = "", "", None
with pick[2]:
    if source == "held-out file":
        held = code_models.corpus.analysis()
        cols = st.columns([3, 1])
        if not any(k in st.session_state or k in st.query_params for k in WINDOW_KEYS):
            _open_window(model_name, track, first=True)  # a link with no file or line: where the cell shows it
        index = cols[0].selectbox(
            "held-out file (never trained on)",
            range(len(held.paths)),
            format_func=lambda k: held.paths[k],
            key="code_file",
            bind="query-params",
            on_change=_new_file,
            help="Opens where the cell above shows its track best (its first lines); pick any file and line.",
        )
        line = cols[1].number_input("from line", min_value=1, step=10, key="code_line", bind="query-params")
        path, text, first, offset = code_models.held_out_window(index, int(line), WINDOW)
        where = f"torch/{path}, from line {first}"
    elif source == "your text":
        upload = st.file_uploader("a .py file (or paste below)", type=["py", "txt"], key="code_upload")
        typed = st.text_area(
            f"Python to read (at most {MAX_TEXT:,} characters)",
            value='def area(r):\n    """The area of a circle."""\n    return 3.14159 * (r ** 2)  # pi r^2\n',
            height=160,
            key="code_text",
            bind="query-params",
        )
        text = upload.getvalue().decode("utf-8", errors="replace") if upload is not None else typed
        where = f"your file {upload.name}" if upload is not None else "your text"
    else:
        cols = st.columns(4)
        prime = cols[0].text_input("starts with", value="def ", key="code_prime", bind="query-params")
        temperature = cols[1].slider(
            "temperature", *TEMPERATURES, value=0.7, step=0.1, key="code_temp", bind="query-params"
        )
        seed = cols[2].number_input("seed", min_value=0, value=0, step=1, key="code_seed", bind="query-params")
        length = cols[3].number_input(
            f"characters (≤ {MAX_CHARS:,})",
            min_value=1,
            max_value=MAX_CHARS,
            value=600,
            key="code_len",
            bind="query-params",
        )
        if not prime:
            st.warning("Generation needs at least one character to start from.", icon=":material/warning:")
            st.stop()
        text = code_reading.generated(model_name, prime[:200], int(length), float(temperature), int(seed))
        where = f"written by the model (temperature {temperature:.1f}, seed {seed})"

if len(text) > MAX_TEXT:
    st.warning(
        f"The text has {len(text):,} characters; the page reads the first {MAX_TEXT:,} (every gate of every "
        "character is recorded). Pick a shorter part to read the rest.",
        icon=":material/warning:",
    )
    text = text[:MAX_TEXT]
if not text:
    st.warning("The text is empty: type or paste some Python, or pick a held-out file.", icon=":material/warning:")
    st.stop()

if offset is None:
    r = code_reading.run(model_name, text)
else:  # a window of a held-out file: read as inside its file (its state and tracks from the file's start)
    r = code_reading.run(model_name, text, index, offset - held.starts[index])
more = more_cols[3].multiselect(
    "also show the cells that follow",
    [f.track for f in found if f.track != track],
    key="code_more",
    bind="query-params",
)
bars = more_cols[4].multiselect(
    "tracks drawn as bars under the text",
    list(tracking.TRACKS),
    default=[track],
    key="code_bars",
    bind="query-params",
)
panel_specs = [(unit, state, track)] + [(by_track[t].unit, code_models.state_key(by_track[t]), t) for t in more]


def _take_selection() -> None:
    """Turn the text view's last drag or click into the span control (before that control is drawn).

    A drag selects the characters it covers as an editor would (``box_span``); a short drag inside a word, or a
    click where the chart's drag mode allows one, selects that word.
    """
    event = st.session_state.get(VIEW_KEY)
    selection = (event or {}).get("selection", {}) if event else {}
    # A lasso counts by the box around it (Plotly also reports a box no wider than a line as a lasso's path).
    boxes = [
        {"x": [min(b["x"]), max(b["x"])], "y": [min(b["y"]), max(b["y"])]}
        for b in [*(selection.get("box") or []), *(selection.get("lasso") or [])]
        if len(b.get("x", [])) >= 2 and len(b.get("y", [])) >= 2
    ]
    # Only the character markers carry customdata (the bars under the text do not); its first entry is the step.
    steps = sorted(
        {int(_first(p["customdata"])) for p in selection.get("points", []) if p.get("customdata") is not None}
    )
    made = repr(boxes[-1] if boxes else steps)
    if (not boxes and not steps) or st.session_state.get("_code_selection_taken") == made:
        return
    st.session_state["_code_selection_taken"] = made
    if boxes:
        got = box_span(r.text, boxes[-1]["x"], boxes[-1]["y"], len(panel_specs), len(bars))
        if got is not None and got[1] - got[0] == 1:  # a short drag inside a word, as a click would
            got = spans.word_span(r.text, got[0])
    elif len(steps) == 1 and steps[0] < r.steps:  # a click, where the chart's drag mode lets one select
        got = spans.word_span(r.text, steps[0])
    else:
        got = (steps[0], min(steps[-1] + 1, r.steps))
    if got is not None:
        st.session_state["code_span"] = f"{got[0]}-{got[1]}"


_take_selection()
st.subheader("Select and match")
row = st.columns([1, 2])
span_text = row[0].text_input(
    "span (start-stop), or drag across characters above",
    value=None,
    key="code_span",
    bind="query-params",
)
threshold = row[1].slider(
    "a cell is on beyond ±", 0.1, 0.95, value=0.5, step=0.05, key="code_threshold", bind="query-params"
)
span = None
if (span_text or "").strip():
    try:
        span = spans.parse_span(span_text, r.steps)
    except ValueError as err:
        st.warning(f"The span was not used: {err}.", icon=":material/warning:")


def _panel(unit_: int, state_: str, label_track: str | None) -> TextPanel:
    what = f"{STATES[state_]} of {'cell' if state_ == 'tanh_c' else 'unit'} {unit_}"
    if label_track is not None:
        what += f" ({tracking.TRACKS[label_track].label})"
    return TextPanel(r.state(state_)[:, unit_], what)


def _view():
    return text_figure(
        r.text,
        [_panel(*p) for p in panel_specs],
        where,
        subtitle="coloured by each cell, −1 blue to +1 red",
        tracks={t: r.tracks[t] for t in bars},
        selected=span,
        writing=source == "generated",
        first_line=first if offset is not None else 1,
    )


with view_box:
    ui.show_chart(
        _view,
        key=VIEW_KEY,
        cache=("code_view", model_name, text, offset, tuple(panel_specs), tuple(bars), span, source == "generated"),
        on_select="rerun",
        selection_mode=("box", "lasso", "points"),
    )
    replay = (
        " ▶ write replays the model writing it (the slider scrubs through it), the cell's colour appearing with "
        "each character."
        if source == "generated"
        else ""
    )
    read_from = (
        f" The window is read as inside its file: the model starts from `nn.LSTM`'s state after line {first - 1}."
        if offset is not None and first > 1
        else ""
    )
    st.caption(
        f"{r.steps:,} characters; hover a character for its step and value, drag across characters to select "
        f"them (a short drag inside a word selects the word). Tracks by Python's tokenize ({r.tracks.method})."
        f"{read_from} The hand-written forward {r.comparison.headline}.{replay}"
    )

with below:
    st.markdown(
        "A character LSTM trained to predict the next character of real Python (the `.py` files of the installed "
        "PyTorch, one file in twenty held out) is never told where strings, comments or blocks are. The finder "
        "ranks every cell against each hypothesis on held-out files and names the clearest; pick one, read a "
        "file coloured by it, select a span to find where else the same cells fire, or clamp the cell and watch "
        "what the model gets wrong."
    )
    with st.expander("Every hypothesis and its best cell"):
        # A Markdown table: a dataframe would be built and converted to Arrow on every run of every student's page.
        st.markdown(
            "| hypothesis | kind | best unit | r | untrained best \\|r\\| | margin |\n|---|---|---|---:|---:|---:|\n"
            + "\n".join(
                f"| {tracking.TRACKS[f.track].label} | {tracking.TRACKS[f.track].kind} | {f.name} | {f.r:+.3f} | "
                f"{abs(f.untrained_r):.3f} | {f.margin:+.3f} |"
                for f in found
            )
        )


def _follows(r_units: torch.Tensor, c: spans.SpanCell) -> str:
    """What a named cell follows on held-out code: its clearest track in its sign, or that it follows none."""
    k, r_k = spans.clearest_track(r_units, c)
    words = f"{tracking.TRACKS[list(tracking.TRACKS)[k]].inside} (r = {r_k:+.2f})"
    return words if c.sign * r_k >= spans.FOLLOWS else f"no track clearly (best: {words})"


if span is None:
    st.info(
        "Drag across characters of the text (a word, a string, a line of a docstring, a block) or type a span: "
        "the page names the cells that stand out across it and finds where else they fire.",
        icon=":material/ads_click:",
    )
else:
    # Match reads the cells (tanh(c)) whatever the view shows: on them it names a cell that follows the
    # selection's track in most natural selections (tests/test_match_finds_natural_selections.py).
    a, b = span
    values = r.state("tanh_c")
    base = code_reading.baseline(model_name, "tanh_c")
    named = spans.name_cells(values, span, base)
    shares = spans.share_on(values, span, named, threshold)
    r_units = code_reading.unit_r(model_name)["tanh_c"]
    chosen = r.text[a:b]
    quoted = code(chosen if len(chosen) <= SELECTED_SHOWN else chosen[: SELECTED_SHOWN - 1] + "…")
    st.markdown(
        f"**Selected** {quoted} (characters {a}-{b}). The {len(named)} cells that stand out most across it: "
        "the value of tanh(c) that 4 in 5 of its characters reach, against where the cell usually sits on "
        "held-out code (no threshold; the threshold says where each is on).\n\n"
        f"| cell | 4 in 5 reach | usually | standard deviations out | on beyond ±{threshold:.2f} | follows on "
        "held-out code |\n|---|---:|---:|---:|---:|---|\n"
        + "\n".join(
            f"| cell {c.unit} ({'+' if c.sign > 0 else '−'}) | {c.sign * c.level:+.2f} | "
            f"{float(base.mean[c.unit]):+.2f} | {c.score:.1f} | {share:.0%} of it | {_follows(r_units, c)} |"
            for c, share in zip(named, shares, strict=True)
        )
    )
    # The selection itself, when it lies in the corpus searched, is not a match of itself.
    exclude = None if offset is None else (offset + a, offset + b)
    groups = code_reading.matches(model_name, "tanh_c", tuple(named), threshold, b - a, exclude)
    need = -(-len(named) // 2)
    if not groups.total:
        st.info(
            f"At ±{threshold:.2f}, {need} of these cells are never on together anywhere else in the held-out "
            "corpus; lower the threshold to find more.",
            icon=":material/search_off:",
        )
    else:
        st.markdown(
            f"**Where else** at least {need} of them are beyond ±{threshold:.2f} together in the "
            f"{len(code_reading.corpus(model_name).text):,} held-out characters: {groups.total:,} places, "
            "by what they are (a lower threshold finds every place a higher one finds, and more)."
        )
        st.markdown(matchlines.groups_html(groups), unsafe_allow_html=True)

st.subheader("Break it: clamp the cell")
clamp_label = st.radio(
    "clamp",
    list(CLAMP_LABELS),
    key="code_clamp",
    bind="query-params",
    horizontal=True,
    help="After every character the cell's memory c is set to the value, in the hand-written forward and in "
    "nn.LSTM stepped one character at a time: it keeps nothing from one character to the next.",
)
clamp_kind = CLAMP_LABELS[clamp_label]
if clamp_kind != "none":
    file_where = () if offset is None else (index, offset - held.starts[index])
    clamp, effect = code_reading.clamped(model_name, text, clamp_kind, unit, track, file_where)
    ui.run_note("success" if effect.check.allclose else "warning", effect.check.verdict, icon=":material/verified:")
    cols = st.columns(3)
    label = tracking.TRACKS[track].label
    cols[0].metric(f"loss rise {label}", f"{effect.rise_inside:+.3f} nats/char")
    cols[1].metric("loss rise elsewhere", f"{effect.rise_outside:+.3f} nats/char")
    cols[2].metric("cell held at", f"{clamp.values[0]:+.3f}")
    dp = torch.cat([effect.dp.float(), torch.zeros(1)])

    def _dp_fig():
        return text_figure(
            r.text,
            [TextPanel(dp, "change in p(next character)")],
            f"What clamping cell {unit} {code_models.CLAMPS[clamp_kind].removeprefix('clamped ')} changes",
            subtitle=f"{where}; the true next character becomes likelier (red) or less likely (blue)",
            tracks={track: r.tracks[track]},
            first_line=first if offset is not None else 1,
        )

    ui.show_chart(_dp_fig, key="code_clamp_dp", cache=("code_dp", model_name, text, offset, clamp_kind, unit, track))
