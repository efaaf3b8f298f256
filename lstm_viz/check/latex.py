"""Equations written once in LaTeX, also as plain text for a terminal: the few macros the checker's equations use."""

from __future__ import annotations

import re

SYMBOLS = {
    r"\sigma": "σ",
    r"\tanh": "tanh",
    r"\odot": "⊙",
    r"\times": "×",
    r"\in": "∈",
    r"\partial": "∂",
    r"\cdot": "·",
    r"\ldots": "…",
    r"\dots": "…",
    r"\top": "ᵀ",
    r"\big(": "(",
    r"\big)": ")",
    r"\Big(": "(",
    r"\Big)": ")",
    r"\left(": "(",
    r"\right)": ")",
    r"\quad": "  ",
    r"\qquad": "    ",
    r"\;": " ",
    r"\,": " ",
    r"\!": "",
    r"\_": "_",
    r"\{": "{",
    r"\}": "}",
    r"\to": "→",
    r"\le": "≤",
    r"\ne": "≠",
}
_WORDS = {"mathbb": {"R": "ℝ"}}


def _group(s: str, at: int) -> tuple[str, int]:
    """The brace group opening at ``s[at]`` (or the single character there) and the index after it."""
    if at >= len(s):
        return "", at
    if s[at] != "{":
        return s[at], at + 1
    depth = 0
    for k in range(at, len(s)):
        if s[k] == "{":
            depth += 1
        elif s[k] == "}":
            depth -= 1
            if depth == 0:
                return s[at + 1 : k], k + 1
    return s[at + 1 :], len(s)


def latex_text(s: str) -> str:
    r"""A LaTeX equation as plain text: ``\sigma`` -> σ, ``W_{ii}`` -> W_ii, ``\underbrace{a}_{v}`` -> (a = v)."""
    out: list[str] = []
    k = 0
    while k < len(s):
        ch = s[k]
        if ch == "\\":
            match = re.match(r"\\([A-Za-z]+|.)", s[k:])
            name = match.group(1) if match else ""
            k += len(match.group(0)) if match else 1
            if name in ("underbrace", "overbrace"):
                body, k = _group(s, k)
                value = ""
                if k < len(s) and s[k] == "_":
                    value, k = _group(s, k + 1)
                out.append(f"({latex_text(body)} = {latex_text(value)})" if value else latex_text(body))
            elif name in ("frac", "tfrac", "dfrac"):
                top, k = _group(s, k)
                bottom, k = _group(s, k)
                out.append(f"{latex_text(top)}/{latex_text(bottom)}")
            elif name in ("text", "mathrm", "operatorname", "mathbf", "boldsymbol"):
                body, k = _group(s, k)
                out.append(latex_text(body))
            elif name in _WORDS:
                body, k = _group(s, k)
                out.append(_WORDS[name].get(body, body))
            elif name == "hat":
                body, k = _group(s, k)
                out.append(latex_text(body) + "\u0302")
            elif name == "sum":
                out.append("Σ")
            elif ("\\" + name) in SYMBOLS:
                out.append(SYMBOLS["\\" + name])
            elif name in ("big", "Big", "bigg"):
                continue
            else:
                out.append(name)
            continue
        if ch in "_^":
            body, k = _group(s, k + 1)
            text = latex_text(body)
            out.append(("_" if ch == "_" else "^") + (text if len(text) <= 1 or text.isalnum() else f"({text})"))
            continue
        if ch in "{}":
            k += 1
            continue
        out.append(ch)
        k += 1
    return re.sub(r"  +", " ", "".join(out)).strip()
