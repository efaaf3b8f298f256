"""``lstm_viz`` as an installable package: every package and data file in the wheel, ``pip install .`` and a git URL.

The installs go into fresh virtual environments outside the repository, with ``--no-deps`` (the dependencies are
installed for real, torch included, by tests/test_notebook.py); what landed is read from the installed
distribution's own file list, so nothing is imported from the clone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lstm_viz"
DIST = "lstm-explorer"
CATALOGUE_SOURCES = (".po", ".pot")
"""The translations' sources (Babel's template and each language's ``.po``): kept in the repository, not shipped.
The library reads the compiled ``.mo`` beside them, which the wheel holds."""
CATALOGUE = "lstm_viz/locale/zh_CN/LC_MESSAGES/lstm_viz.mo"


def clean_env() -> dict[str, str]:
    """This process's environment without what would let a child import the clone or this venv's packages."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def run(cmd: list[str], cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``cmd``, failing the test with its output when it fails."""
    done = subprocess.run(cmd, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def source_files() -> set[str]:
    """Every file of the package in the source tree, as a wheel names it (``lstm_viz/...``); byte code and the
    catalogues' sources left out."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix != ".pyc"
        and path.suffix not in CATALOGUE_SOURCES
    }


def working_tree(to: Path) -> Path:
    """A copy of the working tree (tracked files and new ones git does not ignore) at ``to``, committed in a git
    repository of its own: what a clone of it would hold. Builds run there, never in the repository itself (a
    setuptools build writes ``build/`` and ``*.egg-info`` beside the sources).
    """
    listed = run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT).stdout.split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, to / name)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "init.defaultBranch=main"]
    run([*git, "init", "-q"], cwd=to)
    run([*git, "add", "-A"], cwd=to)
    run([*git, "commit", "-q", "-m", "the working tree"], cwd=to)
    return to


def build_wheel(tree: Path, out: Path) -> Path:
    """The wheel ``pip wheel`` builds from ``tree`` (setuptools in pip's isolated build environment)."""
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(tree)], cwd=out)
    (wheel,) = out.glob("lstm_explorer-*.whl")
    return wheel


def fresh_venv(where: Path) -> Path:
    """A new virtual environment at ``where`` (no system site packages); its python."""
    run([sys.executable, "-m", "venv", str(where)])
    return where / "bin" / "python"


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return working_tree(tmp_path_factory.mktemp("tree"))


@pytest.fixture(scope="module")
def wheel(tree, tmp_path_factory) -> Path:
    return build_wheel(tree, tmp_path_factory.mktemp("wheel"))


def test_every_package_folder_and_data_file_of_the_source_tree_is_in_the_wheel(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = source_files() - names
    assert not missing, f"files of lstm_viz/ not in the wheel: {sorted(missing)}"
    folders = {str(Path(n).parent) for n in source_files()}
    assert folders <= {str(Path(n).parent) for n in names}
    # The shipped weights, the favicon and the checker's examples are there as data, and no clone's test or page.
    assert {n for n in names if n.endswith(".safetensors")} >= {
        f"lstm_viz/tasks/weights/{t}.safetensors" for t in ("brackets", "code")
    }
    assert not [n for n in names if n.startswith(("tests/", "pages/", "app.py", "benchmarks/", "examples/"))]
    # The compiled Chinese catalogue, which lstm_viz.i18n reads; not its sources.
    assert CATALOGUE in names
    assert not [n for n in names if n.endswith(CATALOGUE_SOURCES)]


def test_the_wheel_states_its_dependencies_and_export_extra(wheel):
    with zipfile.ZipFile(wheel) as z:
        meta = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    requires = [line.split(": ", 1)[1] for line in meta.splitlines() if line.startswith("Requires-Dist: ")]
    for name in ("torch>=2.9", "numpy", "plotly", "safetensors", "Pillow"):
        assert any(r.startswith(name) for r in requires), (name, requires)
    # A range, never a pin: an installed torch (CPU or CUDA build) satisfies it and stays.
    assert not any(r.startswith("torch==") for r in requires)
    assert "Provides-Extra: export" in meta
    extra = [r for r in requires if 'extra == "export"' in r]
    assert any(r.startswith("kaleido") for r in extra) and any(r.startswith("av") for r in extra)


def _installed_files(python: Path) -> tuple[set[str], dict]:
    """The files the installed distribution lists (its RECORD) and its direct_url.json (where it came from)."""
    code = (
        "import importlib.metadata as m, json; d = m.distribution('lstm-explorer'); "
        "print(json.dumps([[str(f) for f in d.files], json.loads(d.read_text('direct_url.json') or '{}')]))"
    )
    # Run from the venv's folder: a module or egg-info in the current folder would be found first.
    files, origin = json.loads(run([str(python), "-c", code], cwd=python.parents[1]).stdout)
    return {f for f in files if f.startswith("lstm_viz/") and "__pycache__" not in f}, origin


def test_pip_install_of_a_clone_installs_every_file(tree, tmp_path):
    python = fresh_venv(tmp_path / "env")
    run([str(python), "-m", "pip", "install", "-q", "--no-deps", "."], cwd=tree)
    files, origin = _installed_files(python)
    assert files == source_files()
    assert origin["url"] == tree.as_uri() and not origin.get("dir_info", {}).get("editable")


def test_pip_install_from_a_git_url_installs_every_file(tree, tmp_path):
    """``pip install "git+<repository URL>"``, offline: a file URL to a repository holding the working tree."""
    python = fresh_venv(tmp_path / "env")
    run([str(python), "-m", "pip", "install", "-q", "--no-deps", f"git+{tree.as_uri()}"], cwd=tmp_path)
    files, origin = _installed_files(python)
    assert files == source_files()
    assert origin["vcs_info"]["vcs"] == "git" and origin["url"] == tree.as_uri()


SPEAKS_CHINESE = r"""
import json, torch, lstm_viz
from lstm_viz import i18n
lstm = torch.nn.LSTM(4, 5, batch_first=True)
fig = lstm_viz.show(lstm, torch.randn(2, 3, 4), view="step", lang="zh-CN")
text = lstm_viz.show_text("code", "x = (1)\n", lang="zh").layout.title.text
said = {"file": lstm_viz.__file__, "locale": str(i18n.LOCALE_DIR), "step": fig.layout.title.text, "text": text}
print(json.dumps(said))
"""


def test_the_installed_wheel_speaks_chinese(wheel, tmp_path):
    """``show(..., lang="zh-CN")`` from the wheel alone: installed into a folder of its own (no dependencies, this
    environment's torch and Plotly), imported from there in a process started outside the repository."""
    target = tmp_path / "site"
    run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)])
    assert (target / CATALOGUE).is_file()
    env = {**clean_env(), "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", SPEAKS_CHINESE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-4000:]
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(said["file"]).is_relative_to(target) and Path(said["locale"]).is_relative_to(target), said
    assert said["step"].startswith("<b>单步的全部数值</b>：时间步 t = 1"), said
    assert said["text"].startswith("你的文本"), said
