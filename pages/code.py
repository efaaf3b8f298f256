"""Cells that read code: real Python coloured by the cells that follow its strings, comments and blocks."""

import pandas as pd
import streamlit as st
import torch

from lstm_viz import cells, spans, textcells, ui
from lstm_viz.figures.text import TextPanel, text_figure
from lstm_viz.generate import MAX_CHARS, TEMPERATURES
from lstm_viz.textrun import MAX_TEXT
from lstm_viz.ui import codecache

ui.require_app()
st.title("Cells that read code")

SOURCES = ("held-out file", "your text", "generated")
STATES = {"tanh_c": "tanh(c)", "h": "h"}
VIEW_KEY = "code_view"
CONTEXT = 80  # characters shown either side of a matched span
TOP_SHOWN = 3  # matches drawn coloured; the rest are listed
CLAMP_LABELS = {"none": "none", "to 0": "zero", "to its mean": "mean"}  # URL words -> textcells.CLAMPS
WINDOW = 1200  # characters of a held-out file shown at once (the text view stays a screen or two tall)


def _first(customdata) -> float:
    # A selected point's customdata arrives as a list, or as an index-keyed dict when it was sent as a typed array.
    return customdata["0"] if isinstance(customdata, dict) and "0" in customdata else customdata[0]


def _take_selection() -> None:
    """Turn the text view's last box or click selection into the span control (before that control is drawn)."""
    event = st.session_state.get(VIEW_KEY)
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    # Only the character markers carry customdata (the bars under the text do not); its first entry is the step.
    steps = sorted({int(_first(p["customdata"])) for p in points if p.get("customdata") is not None})
    if steps:
        span = f"{steps[0]}-{steps[-1] + 1}"
        if st.session_state.get("_code_span_taken") != span:
            st.session_state["_code_span_taken"] = span
            st.session_state["code_span"] = span


_take_selection()
st.markdown(
    "A character LSTM trained to predict the next character of real Python (the `.py` files of the installed "
    "PyTorch, one file in twenty held out) is never told where strings, comments or blocks are. The finder "
    "ranks every cell against each hypothesis below on held-out files and names the clearest; pick one, read a "
    "file coloured by it, select a span to find where else the same cells fire, or clamp the cell and watch "
    "what the model gets wrong."
)

top = st.columns([2, 2, 1, 1])
model_name = top[0].selectbox(
    "model",
    list(textcells.MODELS),
    key="code_model",
    bind="query-params",
    help="; ".join(f"{k}: {v}" for k, v in textcells.MODELS.items()),
)
found = codecache.findings(model_name)
by_track = {f.track: f for f in found}
track = top[1].selectbox(
    "cell that follows",
    [f.track for f in found],
    key="code_track",
    bind="query-params",
    help="Each hypothesis, clearest first: "
    + "; ".join(f"{f.track}: {cells.TRACKS[f.track].label} ({f.name}, r = {f.r:+.2f})" for f in found),
)
best = by_track[track]
hidden = codecache.model(model_name).lstm.hidden_size
unit_choice = top[2].selectbox(
    "unit",
    ["found", *range(hidden)],
    key="code_unit",
    bind="query-params",
    help="'found' is the finder's unit for the chosen hypothesis; or pick any unit.",
)
unit = best.unit if unit_choice == "found" else int(unit_choice)
default_state = "tanh_c" if best.state == "c" else "h"
state_label = top[3].selectbox(
    "state",
    list(STATES.values()),
    index=list(STATES).index(default_state),
    key="code_state",
    bind="query-params",
)
state = next(k for k, v in STATES.items() if v == state_label)
ui.run_note(
    "success" if best.margin >= 0.25 else "info",
    f"**{best.sentence()}** (on {len(textcells.corpus.analysis().text):,} held-out characters, "
    "`nn.LSTM`'s own states).",
    icon=":material/lightbulb:",
)
with st.expander("Every hypothesis and its best cell"):
    # A Markdown table: a dataframe would be built and converted to Arrow on every run of every student's page.
    st.markdown(
        "| hypothesis | kind | best unit | r | untrained best \\|r\\| | margin |\n|---|---|---|---:|---:|---:|\n"
        + "\n".join(
            f"| {cells.TRACKS[f.track].label} | {cells.TRACKS[f.track].kind} | {f.name} | {f.r:+.3f} | "
            f"{abs(f.untrained_r):.3f} | {f.margin:+.3f} |"
            for f in found
        )
    )

row = st.columns([1, 3])
source = row[0].radio("text", SOURCES, key="code_source", bind="query-params")
text, where, offset = "", "", None
with row[1]:
    if source == "held-out file":
        held = textcells.corpus.analysis()
        cols = st.columns([3, 1])
        index = cols[0].selectbox(
            "held-out file (never trained on)",
            range(len(held.paths)),
            format_func=lambda k: held.paths[k],
            key="code_file",
            bind="query-params",
        )
        line = cols[1].number_input("from line", min_value=1, value=1, step=10, key="code_line", bind="query-params")
        path, text, first, offset = textcells.held_out_window(index, int(line), WINDOW)
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
        text = codecache.generated(model_name, prime[:200], int(length), float(temperature), int(seed))
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
    r = codecache.run(model_name, text)
else:  # a window of a held-out file: its tracks as read in the whole file
    r = codecache.run(model_name, text, index, offset - held.starts[index])
row = st.columns(2)
more = row[0].multiselect(
    "also show the cells that follow",
    [f.track for f in found if f.track != track],
    key="code_more",
    bind="query-params",
)
bars = row[1].multiselect(
    "tracks drawn as bars under the text",
    list(cells.TRACKS),
    default=[track],
    key="code_bars",
    bind="query-params",
)
view_box = st.container()
st.subheader("Select and match")
row = st.columns([1, 2])
span_text = row[0].text_input(
    "span (start-stop), or select characters above with the box tool",
    value="",
    key="code_span",
    bind="query-params",
)
threshold = row[1].slider(
    "a cell is on beyond ±", 0.1, 0.95, value=0.5, step=0.05, key="code_threshold", bind="query-params"
)
span = None
if span_text.strip():
    try:
        span = spans.parse_span(span_text, r.steps)
    except ValueError as err:
        st.warning(f"The span was not used: {err}.", icon=":material/warning:")


def _panel(unit_: int, state_: str, label_track: str | None) -> TextPanel:
    what = f"{STATES[state_]} of {'cell' if state_ == 'tanh_c' else 'unit'} {unit_}"
    if label_track is not None:
        what += f" ({cells.TRACKS[label_track].label})"
    return TextPanel(r.state(state_)[:, unit_], what)


panel_specs = [(unit, state, track)] + [
    (by_track[t].unit, "tanh_c" if by_track[t].state == "c" else "h", t) for t in more
]


def _view():
    return text_figure(
        r.text,
        [_panel(*p) for p in panel_specs],
        f"{where}<br><sup>coloured by each cell, −1 blue to +1 red</sup>",
        tracks={t: r.tracks[t] for t in bars},
        selected=span,
        writing=source == "generated",
    )


with view_box:
    ui.show_chart(
        _view,
        key=VIEW_KEY,
        cache=("code_view", model_name, text, tuple(panel_specs), tuple(bars), span, source == "generated"),
        on_select="rerun",
        selection_mode=("box", "points"),
    )
    replay = (
        " ▶ write replays the model writing it (the slider scrubs through it), the cell's colour appearing with "
        "each character."
        if source == "generated"
        else ""
    )
    st.caption(
        f"{r.steps:,} characters; hover a character for its step and value. Tracks by Python's tokenize "
        f"({r.tracks.method}). The hand-written forward {r.comparison.headline}.{replay}"
    )

if span is None:
    st.info("Select characters on the text (box tool) or type a span to find where else its cells fire.")
else:
    values = r.state(state)
    on = spans.cells_on(values, span, threshold)
    if not on:
        st.info(
            f"No {STATES[state]} unit is beyond ±{threshold:.2f} across characters {span[0]}-{span[1]} and "
            "below it just around it; lower the threshold or select a different span."
        )
    else:
        st.markdown(
            "Cells on across the span and off around it: "
            + ", ".join(
                f"{'cell' if state == 'tanh_c' else 'unit'} {c.unit} ({'+' if c.sign > 0 else '−'})" for c in on
            )
        )
        mc = codecache.corpus(model_name)
        # The selection itself, when it lies in the corpus searched, is not a match of itself.
        exclude = None if offset is None else (offset + span[0], offset + span[1])
        matches = spans.match_spans(mc.states[state].float(), on, threshold, span[1] - span[0], top=10, exclude=exclude)
        rows = []
        for k, m in enumerate(matches):
            file_index = max(i for i, s in enumerate(mc.starts) if s <= m.start)
            line = mc.text.count("\n", mc.starts[file_index], m.start) + 1
            rows.append(
                {
                    "rank": k + 1,
                    "file": mc.paths[file_index],
                    "line": line,
                    "text": mc.text[m.start : m.stop][:60].replace("\n", "↵"),
                    "length": m.stop - m.start,
                    "overlap": round(m.overlap, 2),
                }
            )
        if not rows:
            st.info("The same cells fire nowhere else in the held-out corpus at this threshold.")
        else:
            st.dataframe(pd.DataFrame(rows), hide_index=True)
            for k, m in enumerate(matches[:TOP_SHOWN]):
                a, b = max(m.start - CONTEXT, 0), min(m.stop + CONTEXT, len(mc.text))
                a = mc.text.rfind("\n", 0, a) + 1 if mc.text.rfind("\n", 0, a) >= 0 else a
                c = on[0]
                values_k = mc.states[state][a:b, c.unit].float()
                fig_title = f"Match {k + 1}: torch/{rows[k]['file']} line {rows[k]['line']}, overlap {m.overlap:.2f}"

                def _match_fig(a=a, b=b, values_k=values_k, m=m, c=c, fig_title=fig_title):
                    label = f"{STATES[state]} of {'cell' if state == 'tanh_c' else 'unit'} {c.unit}"
                    return text_figure(
                        mc.text[a:b], [TextPanel(values_k, label)], fig_title, first_step=a, selected=(m.start, m.stop)
                    )

                ui.show_chart(
                    _match_fig, key=f"code_match_{k}", cache=("code_match", model_name, state, c.unit, a, b, m.start)
                )

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
    clamp, effect = codecache.clamped(model_name, text, clamp_kind, unit, track, file_where)
    ui.run_note("success" if effect.check.allclose else "warning", effect.check.verdict, icon=":material/verified:")
    cols = st.columns(3)
    label = cells.TRACKS[track].label
    cols[0].metric(f"loss rise {label}", f"{effect.rise_inside:+.3f} nats/char")
    cols[1].metric("loss rise elsewhere", f"{effect.rise_outside:+.3f} nats/char")
    cols[2].metric("cell held at", f"{clamp.values[0]:+.3f}")
    dp = torch.cat([effect.dp.float(), torch.zeros(1)])

    def _dp_fig():
        return text_figure(
            r.text,
            [TextPanel(dp, "change in p(next character)")],
            f"{where}: how much likelier (red) or less likely (blue) the true next character becomes with "
            f"{'cell' if state == 'tanh_c' else 'unit'} {unit} {textcells.CLAMPS[clamp_kind]}",
            tracks={track: r.tracks[track]},
        )

    ui.show_chart(_dp_fig, key="code_clamp_dp", cache=("code_dp", model_name, text, clamp_kind, unit, track))
