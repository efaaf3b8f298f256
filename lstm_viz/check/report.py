"""A check's report: the verdict, every case, the first divergence and the diagnoses, as text, HTML and figures."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lstm_viz.check.compare import CaseResult, ErrorInfo
from lstm_viz.check.diagnosis import RUN_PROBLEMS, Diagnosis, explain_error
from lstm_viz.check.divergence import Divergence
from lstm_viz.check.latex import latex_text

if TYPE_CHECKING:  # Plotly loads only when a figure is drawn: ``import lstm_viz`` stays light
    import plotly.graph_objects as go

STATUS_MARKS = {"match": "✓", "differs": "✗", "raised": "✗", "skipped": "–", "stopped": "✗", "not_run": "·"}
STATUS_WORDS = {
    "match": "matches",
    "differs": "differs",
    "raised": "raised",
    "skipped": "skipped",
    "stopped": "stopped",
    "not_run": "not run",
}


@dataclass
class Report:
    """Everything a check found; ``str(report)`` is the terminal's text, Jupyter draws it with its figures.

    Attributes:
        function: The function's name.
        where: Where it ran ("in a bubblewrap sandbox", "in this Python process", ...).
        results: Every case's verdict, in running order.
        diagnoses: What is wrong, by id (English ids), run problems first.
        divergence: Where the first case that returned other numbers parts from nn.LSTM, or None.
        printed: The first characters the code printed; ``printed_bytes`` how much it printed in all.
        module_error: The exception the code's module-level lines raised, if any.
        signature: The function's signature as written.
        seconds: How long the check took.
        filename: The file checked, if any.
    """

    function: str
    where: str
    results: list[CaseResult]
    diagnoses: list[Diagnosis] = field(default_factory=list)
    divergence: Divergence | None = None
    printed: str = ""
    printed_bytes: int = 0
    module_error: ErrorInfo | None = None
    signature: str = ""
    seconds: float = 0.0
    filename: str | None = None

    # --- The verdict --------------------------------------------------------------------------------------------

    @property
    def ran(self) -> list[CaseResult]:
        """The cases that were not skipped."""
        return [r for r in self.results if r.status != "skipped"]

    @property
    def skipped(self) -> list[CaseResult]:
        """Projected cases skipped because the function takes no ``w_hr``."""
        return [r for r in self.results if r.status == "skipped"]

    @property
    def problems(self) -> list[Diagnosis]:
        """What stopped the run itself (time, output, an early end, no such function)."""
        return [d for d in self.diagnoses if d.id in RUN_PROBLEMS]

    @property
    def matches(self) -> bool:
        """Every case that ran matched nn.LSTM and nothing stopped the run."""
        return bool(self.ran) and all(r.ok for r in self.ran) and not self.problems

    @property
    def verdict(self) -> str:
        """``match`` or ``differs``."""
        return "match" if self.matches else "differs"

    @property
    def exit_code(self) -> int:
        """The terminal's exit status: 0 when every case matches, 1 when any differs or raises."""
        return 0 if self.matches else 1

    def headline(self) -> str:
        """The verdict in one sentence."""
        n, name = len(self.ran), self.function
        if self.matches:
            skipped = ""
            if self.skipped:
                skipped = (
                    f" The {len(self.skipped)} projected cases were skipped: your function takes no w_hr "
                    "(add w_hr=None to check the projection too)."
                )
            return f"Your {name} matches nn.LSTM on all {n} cases it ran.{skipped}"
        if self.problems:
            return f"The check of {name} did not finish: {self.problems[0].sentence}"
        bad = [r for r in self.ran if r.failed]
        ids = ", ".join(dict.fromkeys(d.id for d in self.diagnoses))
        return f"Your {name} differs from nn.LSTM on {len(bad)} of {n} cases" + (f" ({ids})." if ids else ".")

    def module_error_words(self) -> str:
        """What the code's module-level lines raised, from which line, and that the check went on."""
        e = self.module_error
        if e is None:
            return ""
        first, deepest = (e.frames[0], e.frames[-1]) if e.frames else (None, None)
        called = f" (line {first['line']}: `{first['text']}`)" if first and first is not deepest else ""
        at = f" at line {deepest['line']} (`{deepest['text']}`)" if deepest else ""
        went_on = (
            " The check went on with the function as it was defined by then."
            if any(r.status != "not_run" for r in self.results)
            else ""
        )
        return f"Your module-level code{called} raised {e.type}{at}: {e.message[:500]}.{went_on}"

    def explained_errors(self) -> list[tuple[CaseResult, str]]:
        """Each distinct exception a case raised, explained in the LSTM's terms (the first case that raised it)."""
        seen, out = set(), []
        for r in self.results:
            if r.status == "raised" and r.error is not None:
                key = (r.error.type, r.error.message)
                if key not in seen:
                    seen.add(key)
                    out.append((r, explain_error(r.error, r.spec)))
        return out

    # --- Text ---------------------------------------------------------------------------------------------------

    def case_line(self, r: CaseResult) -> str:
        """One case as a line: mark, title, sizes, verdict, max |difference| and tolerance."""
        verdict = STATUS_WORDS[r.status]
        if r.status == "raised" and r.error is not None:
            verdict = f"raised {r.error.type}"
        diff = f"max |diff| {r.max_diff:.2e}" if r.max_diff is not None else ""
        tol = f"tolerance {r.tolerance.words()}" if r.status in ("match", "differs") else ""
        line = f"  {STATUS_MARKS[r.status]} {r.spec.title:<34} {r.spec.size_words():<28} {verdict:<22} {diff:<20} {tol}"
        return line.rstrip()

    def text(self) -> str:
        """The whole report as plain text (what ``print(report)`` and the terminal show)."""
        lines = [f"Check of {self.function} {self.where}: {len(self.results)} cases, {self.seconds:.2f} s"]
        if self.signature:
            lines.append(f"  signature: {self.function}{self.signature}")
        lines += [self.case_line(r) for r in self.results]
        notes = [f"  note ({r.spec.title}): {note}" for r in self.results for note in r.notes]
        lines += notes
        if self.printed_bytes or self.printed:
            lines.append(f"Printed by your code ({_size_words(self.printed_bytes or len(self.printed))}):")
            shown = self.printed.rstrip("\n").splitlines()[:40]
            lines += [f"  | {line}" for line in shown]
            if len(self.printed.splitlines()) > 40 or (self.printed_bytes and self.printed_bytes > len(self.printed)):
                lines.append("  | …")
        if self.module_error is not None:
            lines.append(self.module_error_words())
        for _, words in self.explained_errors():
            lines.append(words)
        if self.divergence is not None:
            lines += self._divergence_text()
        for d in self.diagnoses:
            lines.append(f"diagnosis: {d.id} {d.detail}".rstrip())
            lines.append(f"  {d.sentence}")
            for k, eq in enumerate(d.equations):
                lines.append(f"  {'right:' if k == 0 else '      '} {latex_text(eq)}")
            if d.convention:
                lines.append(f"  PyTorch: {d.convention}")
            if d.evidence:
                lines.append(f"  found: {d.evidence}")
        lines.append(f"verdict: {self.verdict}. {self.headline()}")
        return "\n".join(lines)

    def divergence_words(self) -> str:
        """Where the first case that returned other numbers parts from nn.LSTM, in one or two sentences."""
        d = self.divergence
        if d is None:
            return ""
        parts = []
        if d.step is not None:
            units = ", ".join(map(str, d.units))
            parts.append(
                f"The output parts from nn.LSTM's at step t = {d.step}, unit{'s' if len(d.units) > 1 else ''} "
                f"{units} (batch item {d.batch_item}, unit {d.unit}: yours {d.yours:.4f}, nn.LSTM {d.theirs:.4f})."
            )
        else:
            parts.append("The output matches nn.LSTM's at every step it could be compared on.")
        for name, units in (("h_n", d.h_units), ("c_n", d.c_units)):
            if units:
                parts.append(f"{name} parts at unit{'s' if len(units) > 1 else ''} {', '.join(map(str, units))}.")
        return f"In {d.spec.title} ({d.spec.size_words()}): " + " ".join(parts)

    def _divergence_text(self) -> list[str]:
        d = self.divergence
        lines = [f"First divergence. {self.divergence_words()}"]
        lines.append(
            f"nn.LSTM at step t = {d.shown_step}, batch item {d.batch_item}, unit {d.unit} (from its own trace):"
        )
        lines += [f"  {latex_text(eq)}" for eq in d.equations]
        lines.append(f"  One step opens this case there: {self.step_link()}")
        return lines

    def step_link(self) -> str:
        """A relative link that opens One step on the first divergence's case, step and unit."""
        if self.divergence is None:
            return ""
        from lstm_viz.settings import href, model_defaults

        values, flags = self.divergence.link()
        return href("step", {**model_defaults("random"), **values}, flags)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<lstm_viz.check report: {self.verdict}, {self.headline()}>"

    # --- Figures ------------------------------------------------------------------------------------------------

    def cases_figure(self) -> go.Figure:
        """Each case's largest difference over its tolerance."""
        from lstm_viz.figures.check import STATUS_WORDS as NOTES
        from lstm_viz.figures.check import cases_figure

        ratios, notes, hovers = [], [], []
        for r in self.results:
            excess = [float(t.excess.max()) for t in r.tensors if t.excess is not None and t.excess.numel()]
            shapes_wrong = r.status == "differs" and not excess
            ratios.append(max(excess) if excess else None)
            error = r.error.type if r.error is not None else ""
            notes.append("wrong shape or type" if shapes_wrong else NOTES.get(r.status, "").format(error=error))
            diff = f"max |diff| {r.max_diff:.3g}" if r.max_diff is not None else STATUS_WORDS[r.status]
            hovers.append(f"{diff}; tolerance {r.tolerance.words()}")
        return cases_figure([r.spec.title for r in self.results], ratios, notes, hovers, self.function)

    def difference_figure(self) -> go.Figure | None:
        """The first divergent case's |yours - nn.LSTM| over steps and units, or None without one."""
        from lstm_viz.figures.check import difference_figure

        d = self.divergence
        if d is None or d.heat is None:
            return None
        first = (d.step, d.unit) if d.step is not None else None
        parting = d.excess > 1 if d.excess is not None else None
        return difference_figure(d.heat, d.spec.dtype, first, parting, f"{d.spec.title}: {d.spec.size_words()}")

    def final_states_figure(self) -> go.Figure | None:
        """|yours - nn.LSTM| of h_n and c_n of the first divergent case, or None."""
        from lstm_viz.figures.check import final_states_figure

        d = self.divergence
        if d is None or (d.h_diff is None and d.c_diff is None):
            return None
        return final_states_figure(d.h_diff, d.c_diff, d.spec.dtype, f"{d.spec.title}: {d.spec.size_words()}")

    def figure(self) -> go.Figure:
        """The report's main figure: where the output parts when it does, else every case against its tolerance."""
        return self.difference_figure() or self.cases_figure()

    # --- Jupyter ------------------------------------------------------------------------------------------------

    def _repr_html_(self) -> str:
        """The report as HTML (equations in LaTeX, which Jupyter typesets); figures come with ``_ipython_display_``."""
        esc = html.escape
        colour = "#1a7f37" if self.matches else "#cf222e"
        rows = []
        for r in self.results:
            diff = f"{r.max_diff:.2e}" if r.max_diff is not None else ""
            verdict = STATUS_WORDS[r.status] + (f" ({esc(r.error.type)})" if r.error is not None else "")
            tol = esc(r.tolerance.words()) if r.status in ("match", "differs") else ""
            rows.append(
                f"<tr><td>{STATUS_MARKS[r.status]}</td><td>{esc(r.spec.title)}</td><td>{esc(r.spec.size_words())}</td>"
                f"<td>{verdict}</td><td>{diff}</td><td>{tol}</td></tr>"
            )
        parts = [
            '<div style="font-family:sans-serif">',
            f'<p style="color:{colour};font-weight:bold">{esc(self.headline())}</p>',
            "<table><tr><th></th><th>case</th><th>sizes</th><th>verdict</th><th>max |diff|</th><th>tolerance</th></tr>",
            *rows,
            "</table>",
        ]
        for r in self.results:
            parts += [f"<p><i>{esc(r.spec.title)}</i>: {esc(note)}</p>" for note in r.notes]
        if self.printed:
            parts.append(f"<details><summary>Printed by your code</summary><pre>{esc(self.printed)}</pre></details>")
        for _, words in self.explained_errors():
            parts.append(f"<p>{esc(words)}</p>")
        if self.divergence is not None:
            d = self.divergence
            parts.append(f"<h4>First divergence</h4><p>{esc(self.divergence_words())}</p>")
            parts.append(f"<p>nn.LSTM at step t = {d.shown_step}, batch item {d.batch_item}, unit {d.unit}:</p>")
            parts += [f"<p>$${esc(eq)}$$</p>" for eq in d.equations]
        for diag in self.diagnoses:
            parts.append(
                f"<h4>diagnosis: <code>{esc(diag.id)}</code> {esc(diag.detail)}</h4><p>{esc(diag.sentence)}</p>"
            )
            parts += [f"<p>$${esc(eq)}$$</p>" for eq in diag.equations]
            if diag.convention:
                parts.append(f"<p><b>PyTorch:</b> {esc(diag.convention)}</p>")
            if diag.evidence:
                parts.append(f"<p><i>{esc(diag.evidence)}</i></p>")
        parts.append("</div>")
        return "".join(parts)

    def _ipython_display_(self) -> None:
        """Jupyter: the HTML report, then its figures drawn by Plotly's own notebook renderer."""
        from IPython.display import HTML, display

        display(HTML(self._repr_html_()))
        for fig in (self.cases_figure(), self.difference_figure(), self.final_states_figure()):
            if fig is not None:
                display(fig)


def _size_words(n: int) -> str:
    if n < 10_000:
        return f"{n:,} characters"
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"
