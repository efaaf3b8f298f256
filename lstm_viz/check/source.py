"""A learner's code as Python: pasted text, a ``.py`` or a notebook, IPython-only lines made harmless, read safely.

Nothing here runs the code: it is decoded, cut to size, stripped of magics and shell lines, and parsed with
``ast`` (which never executes anything) to find the functions it defines, the last definition of a name winning
as it does when the file runs.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field

from lstm_viz.i18n import DEFAULT, N_, msg, t

MAX_SOURCE_BYTES = 256 * 1024
"""A tutorial notebook's code is a few KB; a file of more is refused before it is read any further."""
MAX_NOTEBOOK_BYTES = 4 * 2**20
"""A notebook's JSON carries its outputs too (pictures among them), so the file itself may be larger."""
DEFAULT_FUNCTION = "lstm_forward"
PASTED = N_("your code")
"""The name pasted code goes by (its tracebacks' file name; said in the reader's language where it is shown)."""
KEEP_CELL_MAGICS = ("time", "timeit", "capture", "prun", "memit")
"""Cell magics whose body is Python (the line is dropped, the body kept); any other cell magic drops its cell."""
_SHELL = re.compile(r"^(\s*)(?:[!%?]|\w[\w.]*\?\??\s*$)")
_ASSIGNED_SHELL = re.compile(r"^(\s*)([\w.,\s\[\]]+?)\s*=\s*[!%]")


class SourceProblem(ValueError):  # noqa: N818 - the name says what the learner is told
    """The code cannot be checked: too large, not text, not a notebook, or not Python (the message says where)."""


@dataclass(frozen=True)
class FunctionInfo:
    """A function the code defines at module level (its last definition)."""

    name: str
    line: int
    params: tuple[str, ...]
    takes_w_hr: bool


@dataclass(frozen=True)
class Source:
    """Code ready to run: its text, where it came from, and the functions it defines.

    ``cells`` maps a line of ``code`` back to a notebook cell: ``(first line, cell number)`` per cell.
    """

    code: str
    filename: str
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    cells: tuple[tuple[int, int], ...] = ()
    removed: int = 0

    def where(self, line: int) -> str:
        """``line 12`` for a file, ``cell 3, line 4`` for a notebook."""
        if not self.cells:
            return msg("line {line}", line=line)
        first, cell = max(((f, c) for f, c in self.cells if f <= line), default=self.cells[0])
        return msg("cell {cell}, line {line}", cell=cell, line=line - first + 1)

    def default_function(self) -> str | None:
        """``lstm_forward`` when defined, else the only function defined, else None."""
        if DEFAULT_FUNCTION in self.functions:
            return DEFAULT_FUNCTION
        return next(iter(self.functions)) if len(self.functions) == 1 else None


def strip_ipython(code: str) -> tuple[str, int]:
    """Replace IPython-only lines (``%magic``, ``!shell``, ``x = !cmd``, ``obj?``) by ``pass``, keeping the indent.

    A replaced line keeps its place (line numbers stay) and its indentation (a block it sat in stays a block).

    Returns:
        The code and how many lines were replaced.
    """
    lines = code.split("\n")
    removed = 0
    for k, line in enumerate(lines):
        assigned = _ASSIGNED_SHELL.match(line)
        if assigned:
            lines[k] = f"{assigned.group(1)}{assigned.group(2).strip()} = None  # an IPython line, not Python"
            removed += 1
        elif _SHELL.match(line) and not line.lstrip().startswith("#"):
            indent = _SHELL.match(line).group(1)
            lines[k] = f"{indent}pass  # an IPython line, not Python"
            removed += 1
    return "\n".join(lines), removed


def _cell_code(cell_source: str) -> str:
    """A notebook cell's code with a cell magic handled: Python bodies kept, any other language's cell dropped."""
    first, _, rest = cell_source.partition("\n")
    if first.lstrip().startswith("%%"):
        magic = first.strip()[2:].split()[0] if first.strip()[2:] else ""
        if magic in KEEP_CELL_MAGICS:
            return "pass  # an IPython cell magic, not Python\n" + rest
        return "\n".join("# (a %%" + magic + " cell, not Python)" for _ in cell_source.split("\n"))
    return cell_source


def notebook_code(data: bytes) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The code cells of an ``.ipynb``, in order, joined as one script, and where each cell starts.

    Raises:
        SourceProblem: when the file is not a Jupyter notebook (nbformat 4).
    """
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise SourceProblem(
            msg("This .ipynb is not a Jupyter notebook's JSON ({error}).", error=err.__class__.__name__)
        ) from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise SourceProblem(msg("This .ipynb has no list of cells: save it from Jupyter as a notebook (format 4)."))
    parts, starts, line = [], [], 1
    number = 0
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        number += 1
        src = cell.get("source", "")
        text = "".join(src) if isinstance(src, list) else str(src)
        text = _cell_code(text).rstrip("\n") + "\n"
        starts.append((line, number))
        parts.append(text)
        line += text.count("\n") + 1
    return "\n".join(parts), tuple(starts)


def find_functions(code: str) -> dict[str, FunctionInfo]:
    """The module-level functions ``code`` defines (``def`` or ``name = lambda``), the last definition winning."""
    tree = ast.parse(code)
    found: dict[str, FunctionInfo] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            params = tuple(p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs))
            takes = "w_hr" in params or len(a.posonlyargs) + len(a.args) >= 7 or a.vararg is not None
            found.pop(node.name, None)
            found[node.name] = FunctionInfo(node.name, node.lineno, params, takes)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    params = tuple(p.arg for p in node.value.args.args)
                    found.pop(target.id, None)
                    found[target.id] = FunctionInfo(target.id, node.lineno, params, len(params) >= 7)
    return found


def read_source(data: bytes | str, filename: str = PASTED) -> Source:
    """Decode, size-check, strip IPython lines and parse a learner's code.

    Args:
        data: Pasted text, or a file's bytes.
        filename: The file's name (``.ipynb`` is read as a notebook), or a name for pasted code.

    Raises:
        SourceProblem: too large, not UTF-8, not a notebook, or a syntax error (with its line).
    """
    notebook = filename.lower().endswith(".ipynb")
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    limit = MAX_NOTEBOOK_BYTES if notebook else MAX_SOURCE_BYTES
    if len(raw) > limit:
        raise SourceProblem(
            msg(
                "This code is {size:,.0f} KB; the checker reads at most {limit:,} KB (paste just the function and "
                "its imports).",
                size=len(raw) / 1024,
                limit=limit // 1024,
            )
        )
    cells: tuple[tuple[int, int], ...] = ()
    if notebook:
        code, cells = notebook_code(raw)
    else:
        try:
            code = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise SourceProblem(
                msg("This file is not UTF-8 text (a byte at position {position} is not).", position=err.start)
            ) from None
    if len(code.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise SourceProblem(
            msg("The notebook's code is above the checker's {limit:,} KB.", limit=MAX_SOURCE_BYTES // 1024)
        )
    code = code.replace("\r\n", "\n")
    code, removed = strip_ipython(code)
    source = Source(code, filename, cells=cells, removed=removed)
    try:
        functions = find_functions(code)
    except SyntaxError as err:
        where = source.where(err.lineno or 1)
        text = (err.text or "").strip()
        # Python's own words (err.msg) and the learner's line stay as they are; the sentence around them is ours.
        if text:
            problem = msg(
                "This is not valid Python: {error} at {where} (`{code}`).", error=err.msg, where=where, code=text[:120]
            )
        else:
            problem = msg("This is not valid Python: {error} at {where}.", error=err.msg, where=where)
        raise SourceProblem(problem) from None
    except (RecursionError, MemoryError, ValueError) as err:
        raise SourceProblem(
            msg("This code cannot be parsed ({error}): it nests too deeply.", error=err.__class__.__name__)
        ) from None
    return Source(code, filename, functions, cells, removed)


def definitions_only(code: str) -> str:
    """The imports and function definitions of ``code``, without its module-level calls (for the project's examples)."""
    tree = ast.parse(code)
    kept = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef))]
    return ast.unparse(ast.Module(body=kept, type_ignores=[]))


SIGNATURE_TEMPLATE = N_("""import torch


def lstm_forward(inp, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    # inp: [B, T, I]                 B sequences, T steps, I input features
    # initial_states: (h0, c0)       h0 [B, H] (or [B, P] with w_hr), c0 [B, H]
    # w_ih: [4H, I]                  the gates' blocks stacked by rows: i, f, g, o
    # w_hh: [4H, H] (or [4H, P])     the same order
    # b_ih, b_hh: [4H]               both are added
    # w_hr: None, or [P, H]          with proj_size = P: h_t = w_hr @ m_t
    # returns output [B, T, H or P], (h_n [B, H or P], c_n [B, H])
    h0, c0 = initial_states
    raise NotImplementedError("write the LSTM's loop over time here")
""")
"""What an empty editor starts from: the tutorial's signature with every shape in a comment (the comments are
ours, so the catalogue says them in the reader's language: ``signature_template``)."""


def signature_template(lang: str = DEFAULT) -> str:
    """``SIGNATURE_TEMPLATE`` with its comments (and the placeholder's error) in ``lang``."""
    return t(lang, SIGNATURE_TEMPLATE)
