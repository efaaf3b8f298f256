"""A check's report: the verdict, every case, the first divergence and the diagnoses, as text, HTML and figures."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lstm_viz.check.compare import CaseResult, ErrorInfo
from lstm_viz.check.diagnosis import RUN_PROBLEMS, THEN, Diagnosis, explain_error
from lstm_viz.check.divergence import Divergence
from lstm_viz.check.latex import latex_text
from lstm_viz.check.words import pad, width
from lstm_viz.i18n import DEFAULT, N_, say, t

if TYPE_CHECKING:  # Plotly loads only when a figure is drawn: ``import lstm_viz`` stays light
    import plotly.graph_objects as go

STATUS_MARKS = {"match": "✓", "differs": "✗", "raised": "✗", "skipped": "–", "stopped": "✗", "not_run": "·"}
STATUS_WORDS = {
    "match": N_("matches"),
    "differs": N_("differs"),
    "raised": N_("raised"),
    "skipped": N_("skipped"),
    "stopped": N_("stopped"),
    "not_run": N_("not run"),
}
"""Each case status in words (English; ``t(lang, word)`` says it in another language)."""
VERDICT_WORDS = {"match": N_("match"), "differs": N_("differs")}


def sentences(lang: str, *parts: str) -> str:
    """Sentences one after another in ``lang`` (a space between them in English, none after a Chinese full stop)."""
    said = [say(p, lang) for p in parts if p]
    out = said[0] if said else ""
    for part in said[1:]:
        out = t(lang, THEN, sentence=out, then=part)
    return out


@dataclass
class Report:
    """Everything a check found; ``str(report)`` is the terminal's text, Jupyter draws it with its figures.

    Every text method takes ``lang`` (``"en"`` or ``"zh-CN"``); left out, it is the report's own ``lang``, English
    unless the check was asked for another (``lstm_viz.check(fn, lang="zh-CN")``). The learner's code, Python's
    error messages and the diagnosis ids are the same in every language.

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
        lang: The language ``str(report)`` and Jupyter show it in.
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
    lang: str = DEFAULT

    def _lang(self, lang: str | None) -> str:
        return self.lang if lang is None else lang

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

    def headline(self, lang: str | None = None) -> str:
        """The verdict in one sentence."""
        lang = self._lang(lang)
        n, name = len(self.ran), say(self.function, lang)
        if self.matches:
            said = t(lang, "Your {name} matches nn.LSTM on all {n} cases it ran.", name=name, n=n)
            if not self.skipped:
                return said
            skipped = t(
                lang,
                "The {n} projected cases were skipped: your function takes no w_hr (add w_hr=None to check the "
                "projection too).",
                n=len(self.skipped),
            )
            return sentences(lang, said, skipped)
        if self.problems:
            return t(
                lang, "The check of {name} did not finish: {problem}", name=name, problem=self.problems[0].sentence
            )
        bad = [r for r in self.ran if r.failed]
        ids = ", ".join(dict.fromkeys(d.id for d in self.diagnoses))
        if ids:
            return t(
                lang,
                "Your {name} differs from nn.LSTM on {bad} of {n} cases ({ids}).",
                name=name,
                bad=len(bad),
                n=n,
                ids=ids,
            )
        return t(lang, "Your {name} differs from nn.LSTM on {bad} of {n} cases.", name=name, bad=len(bad), n=n)

    def module_error_words(self, lang: str | None = None) -> str:
        """What the code's module-level lines raised, from which line, and that the check went on."""
        lang = self._lang(lang)
        e = self.module_error
        if e is None:
            return ""
        first, deepest = (e.frames[0], e.frames[-1]) if e.frames else (None, None)
        message = e.message[:500]
        if deepest is None:
            said = t(lang, "Your module-level code raised {error}: {message}.", error=e.type, message=message)
        elif first is deepest:
            said = t(
                lang,
                "Your module-level code raised {error} at line {line} (`{code}`): {message}.",
                error=e.type,
                line=deepest["line"],
                code=deepest["text"],
                message=message,
            )
        else:
            said = t(
                lang,
                "Your module-level code (line {first_line}: `{first_code}`) raised {error} at line {line} (`{code}`): "
                "{message}.",
                first_line=first["line"],
                first_code=first["text"],
                error=e.type,
                line=deepest["line"],
                code=deepest["text"],
                message=message,
            )
        if any(r.status != "not_run" for r in self.results):
            return sentences(lang, said, t(lang, "The check went on with the function as it was defined by then."))
        return said

    def explained_errors(self, lang: str | None = None) -> list[tuple[CaseResult, str]]:
        """Each distinct exception a case raised, explained in the LSTM's terms (the first case that raised it)."""
        lang = self._lang(lang)
        seen, out = set(), []
        for r in self.results:
            if r.status == "raised" and r.error is not None:
                key = (r.error.type, r.error.message)
                if key not in seen:
                    seen.add(key)
                    out.append((r, explain_error(r.error, r.spec, lang)))
        return out

    # --- Text ---------------------------------------------------------------------------------------------------

    def case_line(self, r: CaseResult, lang: str | None = None) -> str:
        """One case as a line: mark, title, sizes, verdict, max |difference| and tolerance."""
        lang = self._lang(lang)
        verdict = t(lang, STATUS_WORDS[r.status])
        if r.status == "raised" and r.error is not None:
            verdict = t(lang, "raised {error}", error=r.error.type)
        diff = t(lang, "max |diff| {diff:.2e}", diff=r.max_diff) if r.max_diff is not None else ""
        tol = t(lang, "tolerance {rule}", rule=r.tolerance.words(lang)) if r.status in ("match", "differs") else ""
        title = say(r.spec.title, lang)
        line = f"  {STATUS_MARKS[r.status]} {pad(title, 34)} {pad(r.spec.size_words(), 28)} {pad(verdict, 22)} "
        return (line + f"{pad(diff, 20)} {tol}").rstrip()

    def text(self, lang: str | None = None) -> str:
        """The whole report as plain text (what ``print(report)`` and the terminal show)."""
        lang = self._lang(lang)
        lines = [
            t(
                lang,
                "Check of {function} {where}: {n} cases, {seconds:.2f} s",
                function=say(self.function, lang),
                where=self.where,
                n=len(self.results),
                seconds=self.seconds,
            )
        ]
        if self.signature:
            lines.append(
                "  " + t(lang, "signature: {function}{signature}", function=self.function, signature=self.signature)
            )
        lines += [self.case_line(r, lang) for r in self.results]
        notes = [
            "  " + t(lang, "note ({case}): {note}", case=r.spec.title, note=note)
            for r in self.results
            for note in r.notes
        ]
        lines += notes
        if self.printed_bytes or self.printed:
            size = _size_words(self.printed_bytes or len(self.printed), lang)
            lines.append(t(lang, "Printed by your code ({size}):", size=size))
            shown = self.printed.rstrip("\n").splitlines()[:40]
            lines += [f"  | {line}" for line in shown]
            if len(self.printed.splitlines()) > 40 or (self.printed_bytes and self.printed_bytes > len(self.printed)):
                lines.append("  | …")
        if self.module_error is not None:
            lines.append(self.module_error_words(lang))
        for _, words in self.explained_errors(lang):
            lines.append(words)
        if self.divergence is not None:
            lines += self._divergence_text(lang)
        right = t(lang, "right:")
        for d in self.diagnoses:
            lines.append(t(lang, "diagnosis: {id} {detail}", id=d.id, detail=d.detail).rstrip())
            lines.append(f"  {say(d.sentence, lang)}")
            for k, eq in enumerate(d.equations):
                lines.append(f"  {right if k == 0 else ' ' * width(right)} {latex_text(say(eq, lang))}")
            if d.convention:
                lines.append("  " + t(lang, "PyTorch: {convention}", convention=d.convention))
            if d.evidence:
                lines.append("  " + t(lang, "found: {evidence}", evidence=d.evidence))
        verdict = t(lang, VERDICT_WORDS[self.verdict])
        lines.append(t(lang, "verdict: {verdict}. {headline}", verdict=verdict, headline=self.headline(lang)))
        return "\n".join(lines)

    def divergence_words(self, lang: str | None = None) -> str:
        """Where the first case that returned other numbers parts from nn.LSTM, in one or two sentences."""
        lang = self._lang(lang)
        d = self.divergence
        if d is None:
            return ""
        parts = []
        if d.step is not None:
            values = {
                "step": d.step,
                "units": ", ".join(map(str, d.units)),
                "b": d.batch_item,
                "unit": d.unit,
                "yours": d.yours,
                "theirs": d.theirs,
            }
            if len(d.units) > 1:
                parts.append(
                    t(
                        lang,
                        "The output parts from nn.LSTM's at step t = {step}, units {units} (batch item {b}, "
                        "unit {unit}: yours {yours:.4f}, nn.LSTM {theirs:.4f}).",
                        **values,
                    )
                )
            else:
                parts.append(
                    t(
                        lang,
                        "The output parts from nn.LSTM's at step t = {step}, unit {units} (batch item {b}, "
                        "unit {unit}: yours {yours:.4f}, nn.LSTM {theirs:.4f}).",
                        **values,
                    )
                )
        else:
            parts.append(t(lang, "The output matches nn.LSTM's at every step it could be compared on."))
        for name, units in (("h_n", d.h_units), ("c_n", d.c_units)):
            if len(units) > 1:
                parts.append(t(lang, "{name} parts at units {units}.", name=name, units=", ".join(map(str, units))))
            elif units:
                parts.append(t(lang, "{name} parts at unit {units}.", name=name, units=", ".join(map(str, units))))
        return t(
            lang,
            "In {case} ({sizes}): {where}",
            case=d.spec.title,
            sizes=d.spec.size_words(),
            where=sentences(lang, *parts),
        )

    def _divergence_text(self, lang: str) -> list[str]:
        d = self.divergence
        lines = [t(lang, "First divergence. {where}", where=self.divergence_words(lang))]
        lines.append(
            t(
                lang,
                "nn.LSTM at step t = {step}, batch item {b}, unit {unit} (from its own trace):",
                step=d.shown_step,
                b=d.batch_item,
                unit=d.unit,
            )
        )
        lines += [f"  {latex_text(eq)}" for eq in d.equations_in(lang)]
        lines.append("  " + t(lang, "One step opens this case there: {link}", link=self.step_link()))
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

    def cases_figure(self, lang: str | None = None) -> go.Figure:
        """Each case's largest difference over its tolerance."""
        from lstm_viz.figures.check import STATUS_WORDS as NOTES
        from lstm_viz.figures.check import cases_figure

        lang = self._lang(lang)
        ratios, notes, hovers = [], [], []
        for r in self.results:
            excess = [float(x.excess.max()) for x in r.tensors if x.excess is not None and x.excess.numel()]
            shapes_wrong = r.status == "differs" and not excess
            ratios.append(max(excess) if excess else None)
            error = r.error.type if r.error is not None else ""
            if shapes_wrong:
                notes.append(t(lang, "wrong shape or type"))
            else:
                notes.append(t(lang, NOTES[r.status], error=error) if r.status in NOTES else "")
            if r.max_diff is not None:
                diff = t(lang, "max |diff| {diff:.3g}", diff=r.max_diff)
            else:
                diff = t(lang, STATUS_WORDS[r.status])
            hovers.append(t(lang, "{diff}; tolerance {rule}", diff=diff, rule=r.tolerance.words(lang)))
        names = [say(r.spec.title, lang) for r in self.results]
        return cases_figure(names, ratios, notes, hovers, say(self.function, lang), lang=lang)

    def difference_figure(self, lang: str | None = None) -> go.Figure | None:
        """The first divergent case's |yours - nn.LSTM| over steps and units, or None without one."""
        from lstm_viz.figures.check import difference_figure

        lang = self._lang(lang)
        d = self.divergence
        if d is None or d.heat is None:
            return None
        first = (d.step, d.unit) if d.step is not None else None
        parting = d.excess > 1 if d.excess is not None else None
        return difference_figure(d.heat, d.spec.dtype, first, parting, _case_words(d, lang), lang=lang)

    def final_states_figure(self, lang: str | None = None) -> go.Figure | None:
        """|yours - nn.LSTM| of h_n and c_n of the first divergent case, or None."""
        from lstm_viz.figures.check import final_states_figure

        lang = self._lang(lang)
        d = self.divergence
        if d is None or (d.h_diff is None and d.c_diff is None):
            return None
        return final_states_figure(d.h_diff, d.c_diff, d.spec.dtype, _case_words(d, lang), lang=lang)

    def figure(self, lang: str | None = None) -> go.Figure:
        """The report's main figure: where the output parts when it does, else every case against its tolerance."""
        return self.difference_figure(lang) or self.cases_figure(lang)

    # --- Jupyter ------------------------------------------------------------------------------------------------

    def html(self, lang: str | None = None) -> str:
        """The report as HTML (equations in LaTeX, which Jupyter typesets)."""
        lang = self._lang(lang)
        esc = html.escape
        colour = "#1a7f37" if self.matches else "#cf222e"
        rows = []
        for r in self.results:
            diff = f"{r.max_diff:.2e}" if r.max_diff is not None else ""
            verdict = t(lang, STATUS_WORDS[r.status]) + (f" ({esc(r.error.type)})" if r.error is not None else "")
            tol = esc(r.tolerance.words(lang)) if r.status in ("match", "differs") else ""
            rows.append(
                f"<tr><td>{STATUS_MARKS[r.status]}</td><td>{esc(say(r.spec.title, lang))}</td>"
                f"<td>{esc(r.spec.size_words())}</td><td>{verdict}</td><td>{diff}</td><td>{tol}</td></tr>"
            )
        header = "".join(
            f"<th>{t(lang, word)}</th>"
            for word in (N_("case"), N_("sizes"), N_("verdict"), N_("max |diff|"), N_("tolerance"))
        )
        parts = [
            '<div style="font-family:sans-serif">',
            f'<p style="color:{colour};font-weight:bold">{esc(self.headline(lang))}</p>',
            f"<table><tr><th></th>{header}</tr>",
            *rows,
            "</table>",
        ]
        for r in self.results:
            parts += [f"<p><i>{esc(say(r.spec.title, lang))}</i>: {esc(say(note, lang))}</p>" for note in r.notes]
        if self.printed:
            summary = t(lang, "Printed by your code")
            parts.append(f"<details><summary>{summary}</summary><pre>{esc(self.printed)}</pre></details>")
        for _, words in self.explained_errors(lang):
            parts.append(f"<p>{esc(words)}</p>")
        if self.divergence is not None:
            d = self.divergence
            heading = t(lang, "First divergence")
            parts.append(f"<h4>{heading}</h4><p>{esc(self.divergence_words(lang))}</p>")
            at = t(
                lang,
                "nn.LSTM at step t = {step}, batch item {b}, unit {unit}:",
                step=d.shown_step,
                b=d.batch_item,
                unit=d.unit,
            )
            parts.append(f"<p>{at}</p>")
            parts += [f"<p>$${esc(eq)}$$</p>" for eq in d.equations_in(lang)]
        for diag in self.diagnoses:
            title = t(
                lang, "diagnosis: <code>{id}</code> {detail}", id=esc(diag.id), detail=esc(say(diag.detail, lang))
            )
            parts.append(f"<h4>{title}</h4><p>{esc(say(diag.sentence, lang))}</p>")
            parts += [f"<p>$${esc(say(eq, lang))}$$</p>" for eq in diag.equations]
            if diag.convention:
                convention = t(lang, "<b>PyTorch:</b> {convention}", convention=esc(say(diag.convention, lang)))
                parts.append(f"<p>{convention}</p>")
            if diag.evidence:
                parts.append(f"<p><i>{esc(say(diag.evidence, lang))}</i></p>")
        parts.append("</div>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        """Jupyter's HTML of the report, in its own language; figures come with ``_ipython_display_``."""
        return self.html()

    def _ipython_display_(self) -> None:
        """Jupyter: the HTML report, then its figures drawn by Plotly's own notebook renderer."""
        from IPython.display import HTML, display

        display(HTML(self._repr_html_()))
        for fig in (self.cases_figure(), self.difference_figure(), self.final_states_figure()):
            if fig is not None:
                display(fig)


def _case_words(d: Divergence, lang: str) -> str:
    return t(lang, "{case}: {sizes}", case=d.spec.title, sizes=d.spec.size_words())


def _size_words(n: int, lang: str = DEFAULT) -> str:
    if n < 10_000:
        return t(lang, "{n:,} characters", n=n)
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"
