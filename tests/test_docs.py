"""The README and docs/ say what the repository holds: every link resolves, the architecture's tree is the tree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", ROOT / "README.zh-CN.md", *(ROOT / "docs").glob("*.md")])


def _tree_block() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text()
    return text.split("## The tree", 1)[1].split("```", 2)[1]


def test_the_architecture_tree_names_every_module_and_subpackage_of_lstm_viz() -> None:
    tree = _tree_block()
    words = set(re.findall(r"[\w.]+/?", tree))
    package = ROOT / "lstm_viz"
    missing = []
    for path in sorted(package.iterdir()):
        if path.name.startswith(("_", ".")):
            continue
        if path.is_dir() and f"{path.name}/" not in words:
            missing.append(f"{path.name}/")
        if path.suffix == ".py" and path.name not in words:
            missing.append(path.name)
        if path.is_dir():
            missing += [
                f"{path.name}/{m.name}"
                for m in sorted(path.glob("*.py"))
                if not m.name.startswith("_") and m.name not in words
            ]
    assert not missing, f"docs/architecture.md's tree does not name: {missing}"
    named = {w for w in words if w.endswith(".py") and "/" not in w}
    existing = {p.name for p in package.rglob("*.py")} | {p.name for p in ROOT.glob("*.py")}
    existing |= {p.name for folder in ("deploy", "scripts") for p in (ROOT / folder).glob("*.py")}
    assert named <= existing, f"the tree names files that do not exist: {sorted(named - existing)}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_and_image_of_the_docs_resolves(doc: Path) -> None:
    assert doc.is_file(), f"{doc.name} is missing"
    targets = re.findall(r"\]\(([^)\s]+)\)", doc.read_text())
    local = [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:", t) and not t.startswith(("#", "./", "/"))]
    broken = [t for t in local if t and not (doc.parent / t).exists()]
    assert not broken, f"{doc.name} links to {broken}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_no_doc_refers_to_issue_numbers_or_notes(doc: Path) -> None:
    text = doc.read_text()
    assert not re.search(r"\bissue\s+#?\d+|\bissue \d+ notes?\b|#\d{1,3}\b(?!\d)", text, re.IGNORECASE), doc.name


def test_the_readme_gives_the_two_commands_and_both_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "./scripts/setup.sh && .venv/bin/streamlit run app.py" in readme
    assert "./scripts/test.sh" in readme
    assert (ROOT / "scripts" / "setup.sh").is_file() and (ROOT / "scripts" / "test.sh").is_file()
    assert readme.index("docs/images/gates.png") < readme.index("## Run the app"), "the screenshot comes first"
