"""Cells that read code: real Python coloured by the cells that follow its strings, comments and blocks."""

import streamlit as st

from lstm_viz import ui
from lstm_viz.figures.code_text import TextPanel, text_figure
from lstm_viz.reading import code_models, matchlines, spans, texts, tracking, words
from lstm_viz.ui import code_reading as cr
from lstm_viz.ui.markup import code

ui.require_app()
lang = ui.lang()
st.title(ui.tr("Cells that read code"))

# In display order; filled below once what each shows is known (the headline needs the model and the track).
head = st.container()
pick = st.columns([1.6, 1.2, 4])
view_box = st.container()
below = st.container()

more_cols = below.columns([1.2, 1, 1.1, 2, 2])
model_name = cr.selectbox(more_cols[0], "code_model", on_change=cr.new_cell, help=cr.option_help("code_model"))
found = cr.findings(model_name)
track = cr.selectbox(
    pick[0], "code_track", [f.track for f in found], help=words.findings_list(found, lang), on_change=cr.new_cell
)
best = next(f for f in found if f.track == track)
unit_choice = cr.selectbox(
    more_cols[1], "code_unit", [code_models.FOUND, *range(cr.model(model_name).lstm.hidden_size)]
)
states = list(code_models.STATES.values())
state_label = cr.selectbox(
    more_cols[2], "code_state", index=states.index(code_models.STATES[code_models.state_key(best)])
)
state = code_models.STATE_KEYS[state_label]
told = cr.headline(model_name, track)
with head:
    ui.run_note(
        "success" if best.clear else "info",
        ui.tr("**{finding}.** {elsewhere}", finding=best.sentence(lang), elsewhere=told.sentence(lang)),
        icon=":material/lightbulb:",
    )

source = cr.selectbox(pick[1], "code_source", help=cr.option_help("code_source"))
with pick[2]:
    if source == texts.HELD_OUT:
        held = code_models.corpus.analysis()
        cols = st.columns([3, 1])
        cr.open_unless_linked(model_name, track)  # a link with no file or line: where the cell shows it
        index = cr.selectbox(
            cols[0], "code_file", range(len(held.paths)), format_func=lambda k: held.paths[k], on_change=cr.new_file
        )
        line = cr.number(cols[1], "code_line", step=10, set_by_page=True)
        shown = texts.held_out(index, int(line))
    elif source == texts.OWN:
        upload = st.file_uploader(ui.tr("a .py file (or paste below)"), type=["py", "txt"], key=cr.UPLOAD)
        typed = cr.text_area(st, "code_text", height=160)
        if upload is None:
            shown = texts.own(typed)
        else:
            shown = texts.own(cr.uploaded_text(upload), upload.name)
    else:
        cols = st.columns(4)
        prime = cr.text(cols[0], "code_prime")
        temperature = cr.slider(cols[1], "code_temp", step=0.1)
        seed = cr.number(cols[2], "code_seed", step=1)
        length = cr.number(cols[3], "code_len", step=1)
        if not prime:
            st.warning(ui.tr("Generation needs at least one character to start from."), icon=":material/warning:")
            st.stop()
        prime = prime[: cr.row("code_prime").limits[1]]
        written = cr.generated(model_name, prime, int(length), float(temperature), int(seed))
        shown = texts.generated(written, float(temperature), int(seed))

if shown.cut:
    st.warning(
        ui.tr(
            "The text has {n:,} characters; the page reads the first {high:,} (every gate of every character is "
            "recorded). Pick a shorter part to read the rest.",
            n=shown.length,
            high=len(shown.text),
        ),
        icon=":material/warning:",
    )
if not shown.text:
    st.warning(
        ui.tr("The text is empty: type or paste some Python, or pick a held-out file."), icon=":material/warning:"
    )
    st.stop()

r = cr.run(model_name, shown.text, *shown.in_file)
track_help = words.track_list(lang)
more = cr.multiselect(more_cols[3], "code_more", [f.track for f in found if f.track != track], help=track_help)
bars = cr.multiselect(more_cols[4], "code_bars", list(tracking.TRACKS), default=[track], help=track_help)
panel_cells = code_models.panel_cells(found, track, unit_choice, state, more)

cr.take_selection(r.text, len(panel_cells), len(bars))
st.subheader(ui.tr("Select and match"))
row = st.columns([1, 2])
span_text = cr.text(row[0], "code_span")
threshold = cr.slider(row[1], "code_threshold", step=0.05)
span = None
if (span_text or "").strip():
    try:
        span = spans.parse_span(span_text, r.steps)
    except ValueError as err:
        st.warning(ui.tr("The span was not used: {why}.", why=ui.say(err)), icon=":material/warning:")


def _view():
    return text_figure(
        r.text,
        [
            TextPanel(r.state(c.state)[:, c.unit], words.panel_label(c, lang), quantity=code_models.STATES[c.state])
            for c in panel_cells
        ],
        ui.say(shown.where),
        subtitle=ui.tr("coloured by each cell, −1 blue to +1 red"),
        tracks={words.track_name(t, lang): r.tracks[t] for t in bars},
        selected=span,
        writing=shown.generated,
        first_line=shown.first_line,
        lang=lang,
    )


with view_box:
    ui.show_chart(
        _view,
        key=cr.VIEW,
        cache=("code_view", model_name, shown.text, shown.where, shown.offset, tuple(panel_cells), tuple(bars), span),
        on_select="rerun",
        selection_mode=("box", "lasso", "points"),
    )
    st.caption(words.view_caption(r, shown, lang))

with below:
    st.markdown(
        ui.tr(
            "A character LSTM trained to predict the next character of real Python (the `.py` files of the "
            "installed PyTorch, one file in twenty held out) is never told where strings, comments or blocks are. "
            "The finder ranks every cell against each hypothesis on held-out files and names the clearest; pick "
            "one, read a file coloured by it, select a span to find where else the same cells fire, or clamp the "
            "cell and watch what the model gets wrong."
        )
    )
    with st.expander(ui.tr("Every hypothesis and its best cell")):
        # A Markdown table: a dataframe would be built and converted to Arrow on every run of every student's page.
        st.markdown(words.findings_table(found, lang))

if span is None:
    st.info(
        ui.tr(
            "Drag across characters of the text (a word, a string, a line of a docstring, a block) or type a span: "
            "the page names the cells that stand out across it and finds where else they fire."
        ),
        icon=":material/ads_click:",
    )
else:
    # Match reads the cells (tanh(c)) whatever the view shows: on them it names a cell that follows the
    # selection's track in most natural selections (tests/test_match_finds_natural_selections.py).
    base = cr.baseline(model_name, "tanh_c")
    r_units = cr.unit_r(model_name)["tanh_c"]
    named = spans.named_cells(r.state("tanh_c"), span, base, r_units, threshold)
    st.markdown(words.selection(code(words.quoted(r.text, span)), span, named, threshold, lang))
    cells = tuple(c.cell for c in named)
    groups = cr.matches(model_name, "tanh_c", cells, threshold, span[1] - span[0], shown.exclude(span))
    need = spans.cells_needed(len(cells))
    if not groups.total:
        st.info(
            ui.tr(
                "At ±{threshold:.2f}, {need} of these cells are never on together anywhere else in the held-out "
                "corpus; lower the threshold to find more.",
                threshold=threshold,
                need=need,
            ),
            icon=":material/search_off:",
        )
    else:
        st.markdown(
            ui.tr(
                "**Where else** at least {need} of them are beyond ±{threshold:.2f} together in the {size:,} "
                "held-out characters: {total:,} places, by what they are (a lower threshold finds every place a "
                "higher one finds, and more).",
                need=need,
                threshold=threshold,
                size=len(cr.corpus(model_name).text),
                total=groups.total,
            )
        )
        st.markdown(matchlines.groups_html(groups, lang), unsafe_allow_html=True)

st.subheader(ui.tr("Break it: clamp the cell"))
clamp_captions = None if lang == "en" else [ui.tr(code_models.CLAMPS[k]) for k in code_models.CLAMP_CHOICES.values()]
clamp_kind = code_models.CLAMP_CHOICES[cr.radio(st, "code_clamp", captions=clamp_captions)]
if clamp_kind != "none":
    unit = panel_cells[0].unit
    clamp, effect = cr.clamped(model_name, shown.text, clamp_kind, unit, track, shown.in_file)
    ui.run_note(
        "success" if effect.check.allclose else "warning", ui.say(effect.check.verdict), icon=":material/verified:"
    )
    cols = st.columns(3)
    inside = ui.tr(tracking.TRACKS[track].label)
    cols[0].metric(ui.tr("loss rise {where}", where=inside), ui.tr("{rise:+.3f} nats/char", rise=effect.rise_inside))
    cols[1].metric(ui.tr("loss rise elsewhere"), ui.tr("{rise:+.3f} nats/char", rise=effect.rise_outside))
    cols[2].metric(ui.tr("cell held at"), f"{clamp.values[0]:+.3f}")

    def _dp_fig():
        return text_figure(
            r.text,
            [TextPanel(effect.dp_by_step, ui.tr("change in p(next character)"))],
            ui.tr(code_models.CLAMP_TITLES[clamp_kind], unit=unit),
            subtitle=ui.tr(
                "{where}; the true next character becomes likelier (red) or less likely (blue)",
                where=ui.say(shown.where),
            ),
            tracks={words.track_name(track, lang): r.tracks[track]},
            first_line=shown.first_line,
            lang=lang,
        )

    ui.show_chart(
        _dp_fig,
        key=cr.CLAMP_VIEW,
        cache=("code_dp", model_name, shown.text, shown.where, shown.offset, clamp_kind, unit, track),
    )
