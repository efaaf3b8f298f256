"""The Check your LSTM page's Streamlit parts: the editor and its load buttons, the queued check, the report."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import streamlit as st

from lstm_viz.check import classics, sandbox, slots
from lstm_viz.check.checker import NoSuchFunction, run_source
from lstm_viz.check.compare import FLOAT32, FLOAT64, CaseResult
from lstm_viz.check.report import STATUS_MARKS, STATUS_WORDS, VERDICT_WORDS, Report
from lstm_viz.check.source import (
    DEFAULT_FUNCTION,
    MAX_NOTEBOOK_BYTES,
    PASTED,
    Source,
    SourceProblem,
    read_source,
    signature_template,
)
from lstm_viz.check.words import exception_words
from lstm_viz.i18n import LANGUAGES, msg, t
from lstm_viz.settings import CARRIED_FLAGS
from lstm_viz.ui.charts import show_chart
from lstm_viz.ui.language import lang, say, tr
from lstm_viz.ui.markup import code, plain
from lstm_viz.ui.page import link_button

log = logging.getLogger("lstm_viz.check")

CODE, VERSION, REPORT, FILE = "check_code", "check_editor_version", "check_report", "check_file"
REQUESTED = "check_requested"
"""Session keys: the code in the editor, the editor's version (a load makes a fresh editor), the last report,
and the name of the file the code came from."""
EDITOR_HEIGHT = [16, 28]
"""The editor's height in lines: at least the tutorial's function without scrolling the page away."""
PRINT_LINES_SHOWN = 60


def _editor_component():
    """streamlit-code-editor (Ace, bundled with the package: nothing fetched from another host), or None."""
    try:
        from code_editor import code_editor
    except ImportError:
        return None
    return code_editor


@dataclass(frozen=True)
class CheckInput:
    """What the page will check: the code, its file name, the parsed source (or why it cannot be), the function."""

    code: str
    filename: str
    source: Source | None
    problem: str
    function: str | None


def mode_notice() -> sandbox.Mode:
    """Say where a learner's code runs here, or how to turn checking on when it is off; start a warm sandbox."""
    mode = sandbox.current_mode()
    if mode.name == "off":
        if mode.reason:
            words = tr(
                "Checking code is off on this server ({reason}). To turn it on, install Debian's bubblewrap "
                "(`apt-get install bubblewrap`) and restart it, or on your own laptop start it with `{env}=local`. "
                "In a notebook, `lstm_viz.check(lstm_forward)` checks your function in your own kernel.",
                reason=plain(say(mode.reason)),
                env=sandbox.MODE_ENV,
            )
        else:
            words = tr(
                "Checking code is off on this server. To turn it on, install Debian's bubblewrap "
                "(`apt-get install bubblewrap`) and restart it, or on your own laptop start it with `{env}=local`. "
                "In a notebook, `lstm_viz.check(lstm_forward)` checks your function in your own kernel.",
                env=sandbox.MODE_ENV,
            )
        st.info(words, icon=":material/block:")
    elif mode.name == "local":
        st.warning(
            tr(
                "Your code runs in a plain child process of this server ({env}=local), with limits but without a "
                "sandbox: right for your own laptop, never for a shared server.",
                env=sandbox.MODE_ENV,
            ),
            icon=":material/warning:",
        )
    if mode.name != "off":
        # The next check takes a sandbox that has imported torch already (about a second saved).
        sandbox.pool.refill(bwrap=mode.name == "sandbox")
    return mode


def _load(name: str) -> None:
    """Put an example (or the signature template) into a fresh editor and forget the last report."""
    st.session_state[CODE] = signature_template(lang()) if name == "template" else classics.example_code(name)
    st.session_state[FILE] = PASTED if name == "template" else f"{name}.py"
    st.session_state[VERSION] = st.session_state.get(VERSION, 0) + 1
    st.session_state.pop(REPORT, None)


def _uploaded() -> None:
    upload = st.session_state.get("check_upload")
    if upload is None:
        return
    data = upload.getvalue()
    try:
        source = read_source(data, upload.name)
    except SourceProblem as err:
        # The refusal kept as a message: said in the language the page is read in when it is drawn.
        st.session_state["check_upload_problem"] = exception_words(err)
        return
    st.session_state.pop("check_upload_problem", None)
    st.session_state[CODE] = source.code
    # The editor holds the notebook's code cells as one script now: read as Python from here on.
    if upload.name.endswith(".ipynb"):
        st.session_state[FILE] = msg("{name} (its code cells)", name=upload.name)
    else:
        st.session_state[FILE] = upload.name
    st.session_state[VERSION] = st.session_state.get(VERSION, 0) + 1
    st.session_state.pop(REPORT, None)


def _classic_words(name: str, language: str) -> str:
    return t(language, classics.CLASSICS[name])


def _template_in_language() -> None:
    """The untouched signature template follows the page's language (its comments are ours, not the learner's)."""
    template = signature_template(lang())
    code_text = st.session_state.setdefault(CODE, template)
    if code_text != template and code_text in {signature_template(other) for other in LANGUAGES}:
        st.session_state[CODE] = template
        st.session_state[VERSION] = st.session_state.get(VERSION, 0) + 1


def source_controls() -> CheckInput:
    """The load buttons, the upload, the editor and the function picker; returns what a check would run."""
    _template_in_language()
    st.session_state.setdefault(FILE, PASTED)
    row = st.container(horizontal=True, vertical_alignment="bottom")
    row.button(
        tr("Load the tutorial's function"),
        key="check_load_seed",
        on_click=_load,
        args=("seed",),
        help=tr(
            "The tutorial's code as the learner ran it: both definitions of lstm_forward and their tests. It passes."
        ),
    )
    classic = row.selectbox(
        tr("a classic mistake"),
        list(classics.CLASSICS),
        # The language bound now: the picker's labels are formatted again outside this run (AppTest, for one).
        format_func=functools.partial(_classic_words, language=lang()),
        key="check_classic",
        width=420,
    )
    row.button(
        tr("Load this mistake"),
        key="check_load_mistake",
        on_click=_load,
        args=(classic,),
        help=tr("A copy of the tutorial with this mistake."),
    )
    row.button(tr("Start from the signature"), key="check_load_template", on_click=_load, args=("template",))
    st.file_uploader(
        tr("or upload a .py or a notebook (.ipynb)"),
        type=["py", "ipynb"],
        key="check_upload",
        max_upload_size=MAX_NOTEBOOK_BYTES // 2**20,
        on_change=_uploaded,
        help=tr(
            "IPython magics and shell lines are left out; a function defined twice is taken at its last definition."
        ),
    )
    if st.session_state.get("check_upload_problem"):
        st.error(plain(say(st.session_state["check_upload_problem"])), icon=":material/error:")
    text = _editor(st.session_state[CODE])
    if text is not None and text != st.session_state[CODE]:
        st.session_state[CODE] = text
        st.session_state[FILE] = PASTED
    code_text = st.session_state[CODE]
    filename = st.session_state[FILE]
    try:
        source = read_source(code_text, filename)
    except SourceProblem as err:
        st.error(plain(say(err)), icon=":material/error:")
        return CheckInput(code_text, filename, None, str(err), None)
    names = list(source.functions)
    if not names:
        st.caption(tr("Your code defines no function yet: write lstm_forward (or load the tutorial's)."))
        return CheckInput(code_text, filename, source, "", None)
    default = source.default_function() or names[-1]
    if st.session_state.get("check_function") not in names:
        st.session_state["check_function"] = default if default in names else names[0]
    function = st.selectbox(
        tr("function to check"),
        names,
        key="check_function",
        help=tr(
            "By default {name}; any function taking the tutorial's arguments can be checked.", name=DEFAULT_FUNCTION
        ),
        width=320,
    )
    info = source.functions[function]
    if not info.takes_w_hr:
        st.caption(
            tr(
                "{function} takes no w_hr, so the projected cases will be skipped (add w_hr=None as its last "
                "argument to check the projection too).",
                function=function,
            )
        )
    return CheckInput(code_text, filename, source, "", function)


def _editor(text: str) -> str | None:
    """The code editor (Tab indents); its text after the learner's last edit, or None when it sent none yet."""
    component = _editor_component()
    version = st.session_state.get(VERSION, 0)
    if component is None:
        return st.text_area(tr("your code"), text, height=420, key=f"check_text_{version}")
    response = component(
        text,
        lang="python",
        height=EDITOR_HEIGHT,
        key=f"check_editor_{version}",
        # Sent when the editor loses focus (a click on Check) and on Ctrl+Enter: not a rerun per keystroke.
        response_mode="blur",
        allow_reset=True,
        # Line numbers: tracebacks and the report name lines of this code. No completion pop-ups: Enter in a
        # pasted line must be a new line, never a snippet.
        options={
            "tabSize": 4,
            "useSoftTabs": True,
            "showPrintMargin": False,
            "wrap": False,
            "showLineNumbers": True,
            "enableLiveAutocompletion": False,
            "enableBasicAutocompletion": False,
            "enableSnippets": False,
        },
        # Ace's own textmate theme: the component's streamlit themes load a font from Google's servers.
        props={"theme": "textmate", "showGutter": True, "highlightActiveLine": True},
        component_props={"css": "border: 1px solid #d0d3da; border-radius: 0.5rem;"},
    )
    if isinstance(response, dict) and response.get("id") and isinstance(response.get("text"), str):
        return response["text"]
    return None


def run_check(inp: CheckInput, mode: sandbox.Mode) -> None:
    """Check the code when Check is pressed: in the server's queue, each case's verdict shown as it comes."""
    ready = mode.name != "off" and inp.source is not None and inp.function is not None
    st.button(
        tr("Check"),
        key="check_run",
        type="primary",
        disabled=not ready,
        icon=":material/fact_check:",
        on_click=st.session_state.__setitem__,
        args=(REQUESTED, True),
        help=tr("Runs your function on the tutorial's two cases, then on a ladder of cases, against nn.LSTM."),
    )
    # A flag set by the click, not the button's return value: the check runs once per click whatever reruns.
    if not st.session_state.pop(REQUESTED, False) or not ready:
        return
    progress = st.status(tr("Checking your function…"), expanded=True)
    lines: list[str] = []
    shown = progress.empty()
    language = lang()

    def on_case(result: CaseResult) -> None:
        status = t(language, STATUS_WORDS[result.status])
        lines.append(
            t(
                language,
                "{mark} {case}: {status}",
                mark=STATUS_MARKS[result.status],
                case=result.spec.title,
                status=status,
            )
        )
        shown.markdown("  \n".join(plain(line) for line in lines))

    def on_wait(waiting: int) -> None:
        shown.markdown(t(language, "Waiting for a turn: {n} checks are waiting on this server.", n=waiting))

    try:
        with slots.turn(on_wait):
            report = run_source(inp.source, inp.function, mode.name, on_case, keep_warm=True)
    except slots.CheckBusy as err:
        progress.update(label=say(err), state="error")
        return
    except (NoSuchFunction, sandbox.SandboxUnavailable, OSError) as err:
        log.warning("a check could not run: %s", err)
        progress.update(label=tr("The check could not run: {problem}", problem=say(err)), state="error")
        return
    progress.update(
        label=tr(
            "Checked in {seconds:.1f} s: {verdict}.",
            seconds=report.seconds,
            verdict=tr(VERDICT_WORDS[report.verdict]),
        ),
        state="complete" if report.matches else "error",
        expanded=False,
    )
    st.session_state[REPORT] = report


def _case_table(report: Report) -> str:
    language = lang()
    rows = [tr("| | case | sizes | verdict | max \\|yours − nn.LSTM\\| | tolerance |"), "|---|---|---|---|---|---|"]
    for r in report.results:
        verdict = t(language, STATUS_WORDS[r.status]) + (f" ({r.error.type})" if r.error is not None else "")
        diff = f"{r.max_diff:.2e}" if r.max_diff is not None else ""
        tol = plain(r.tolerance.short(language)) if r.status in ("match", "differs") else ""
        rows.append(
            f"| {STATUS_MARKS[r.status]} | {plain(say(r.spec.title))} | {r.spec.size_words()} | {plain(verdict)} "
            f"| {diff} | {tol} |"
        )
    return "\n".join(rows)


def show_report(report: Report | None) -> None:
    """The last check's report: verdict, cases, notes, prints, errors, the first divergence and the diagnoses."""
    if report is None:
        return
    language = lang()
    if report.matches:
        st.success(plain(report.headline(language)), icon=":material/check_circle:")
    else:
        st.error(plain(report.headline(language)), icon=":material/error:")
    st.markdown(_case_table(report))
    st.caption(
        tr(
            "float32 decides, with torch.allclose's defaults as in the tutorial: {float32}. The float64 case is held "
            "to {float64}. Values are compared after casting both to float64.",
            float32=plain(FLOAT32.words(language)),
            float64=plain(FLOAT64.words(language)),
        )
    )
    show_chart(report.cases_figure(language), key="check_cases")
    for r in report.results:
        for note in r.notes:
            st.caption(tr("{case}: {note}", case=plain(say(r.spec.title)), note=plain(say(note))))
    if report.printed_bytes or report.printed:
        lines = report.printed.splitlines()
        more = len(lines) > PRINT_LINES_SHOWN or report.printed_bytes > len(report.printed.encode())
        if more:
            label = tr("What your code printed ({n:,} bytes, the start shown)", n=report.printed_bytes)
        else:
            label = tr("What your code printed ({n:,} bytes)", n=report.printed_bytes)
        with st.expander(label):
            st.code("\n".join(lines[:PRINT_LINES_SHOWN]) + ("\n…" if more else ""), language="text")
    if report.module_error is not None:
        st.warning(plain(report.module_error_words(language)), icon=":material/warning:")
    for _, words in report.explained_errors(language):
        st.error(plain(words), icon=":material/bug_report:")
    _divergence(report)
    _diagnoses(report)


def _divergence(report: Report) -> None:
    d = report.divergence
    if d is None:
        return
    language = lang()
    st.subheader(tr("Where it goes wrong"))
    st.markdown(plain(report.divergence_words(language)))
    heat = report.difference_figure(language)
    if heat is not None:
        show_chart(heat, key="check_difference")
    states = report.final_states_figure(language)
    if states is not None:
        show_chart(states, key="check_final_states")
    st.markdown(
        tr(
            "**nn.LSTM at step t = {step}, batch item {b}, unit {unit}**, from the explorer's own trace of this very "
            "case:",
            step=d.shown_step,
            b=d.batch_item,
            unit=d.unit,
        )
    )
    for line in d.equations_in(language):
        st.latex(line)
    flags = {k: st.query_params[k] for k in CARRIED_FLAGS if k in st.query_params}
    href = report.step_link()
    if flags:
        href += "&" + "&".join(f"{k}={v}" for k, v in flags.items())
    link_button(
        tr("Open this case in One step at t = {step}, unit {unit}", step=d.shown_step, unit=d.unit),
        href,
        help=tr("The same weights, input and initial state, drawn from the same seed as the check drew them."),
        primary=True,
    )


def _diagnoses(report: Report) -> None:
    if not report.diagnoses:
        return
    st.subheader(tr("The mistake") if len(report.diagnoses) == 1 else tr("The mistakes"))
    for d in report.diagnoses:
        with st.container(border=True):
            detail = say(d.detail)
            st.markdown(f"{code(d.id)} **{plain(detail)}**" if detail else code(d.id))
            st.markdown(plain(say(d.sentence)))
            for k, eq in enumerate(d.equations):
                if k == 0:
                    st.caption(tr("The right equation:") if len(d.equations) == 1 else tr("The right equations:"))
                st.latex(say(eq))
            if d.convention:
                st.markdown(tr("**PyTorch's convention:** {convention}", convention=plain(say(d.convention))))
            if d.evidence:
                st.caption(plain(say(d.evidence)))
