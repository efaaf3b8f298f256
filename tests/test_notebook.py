"""The tutorial notebook, run top to bottom on a real Jupyter kernel from the wheel installed in a fresh venv.

The wheel is built from a copy of the working tree and installed, with its dependencies, into a new virtual
environment outside the repository (no system site packages); the pinned CPU torch comes from
``-c requirements.txt``, the kernel (ipykernel) and its client (nbclient) at ``requirements-dev.txt``'s pins. The
kernel starts in an empty folder outside the repository, so ``lstm_viz`` can only come from site-packages: missing
package data would fail here. Select it with ``-m notebook``; it takes about a minute and a half (most of it
installing torch into the new venv).
"""

from __future__ import annotations

import base64
import io
import json
import sys
import time
from pathlib import Path

import pytest
from test_packaging import build_wheel, fresh_venv, run, working_tree

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "lstm_from_scratch.ipynb"
TIMING = ROOT / "artifacts" / "notebook_timing.json"

RUNNER = r"""
import json, sys
import nbformat
from nbclient import NotebookClient

source, executed, workdir = sys.argv[1:4]
nb = nbformat.read(source, as_version=4)
# A view in Chinese, as a learner who reads Chinese asks for it (the catalogue comes from the wheel).
nb.cells.append(nbformat.v4.new_code_cell(
    "import torch as _t, lstm_viz as _lv\n"
    "_lv.show(_t.nn.LSTM(4, 5, batch_first=True), _t.randn(2, 3, 4), lang='zh-CN')"
))
# Where the kernel found lstm_viz: asked in the kernel itself, after the notebook's own cells.
nb.cells.append(nbformat.v4.new_code_cell(
    "import json as _j, sys as _s, lstm_viz as _l\n"
    "print(_j.dumps({'file': _l.__file__, 'prefix': _s.prefix, 'executable': _s.executable}))"
))
client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": workdir}})
try:
    client.execute()
finally:
    nbformat.write(nb, executed)
"""


def _pins(names: tuple[str, ...]) -> list[str]:
    """``name==version`` of each of ``names`` as requirements-dev.txt pins it."""
    lines = (ROOT / "requirements-dev.txt").read_text().splitlines()
    pins = [line.strip() for line in lines if line.split("==")[0].strip() in names]
    assert len(pins) == len(names), f"requirements-dev.txt pins {pins}, expected {names}"
    return pins


def _painted(url: str) -> bool:
    """Whether a layout image is a PNG that shows something: more than one colour."""
    from PIL import Image

    head, _, data = url.partition(",")
    if head != "data:image/png;base64" or not data:
        return False
    with Image.open(io.BytesIO(base64.b64decode(data))) as image:
        return image.width > 0 and len(image.convert("RGBA").getcolors(1 << 20) or ()) > 1


def _plotly_outputs(cell: dict) -> list[dict]:
    return [
        o["data"]["application/vnd.plotly.v1+json"]
        for o in cell.get("outputs", [])
        if o.get("output_type") in ("display_data", "execute_result")
        and "application/vnd.plotly.v1+json" in o.get("data", {})
    ]


def test_the_notebook_is_stored_without_outputs():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "the notebook has code cells"
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), "outputs are stripped"
    assert "widgets" not in nb["metadata"]
    tagged = [c for c in code if "view" in c["metadata"].get("tags", [])]
    sources = ["".join(c["source"]) for c in code]
    # The seed's two tests, the checker, the explorer's views of the same nn.LSTM, and a trained task.
    assert any("def test_lstm_impl" in s and "test_lstm_impl()" in s for s in sources)
    assert any("proj_size=proj_size" in s and "test_lstmp_impl()" in s for s in sources)
    assert any(s.strip() == "lstm_viz.check(lstm_forward)" for s in sources)
    assert len(tagged) >= 6 and any("pretrained(" in "".join(c["source"]) for c in tagged)


@pytest.mark.notebook
def test_the_tutorial_notebook_runs_on_a_real_kernel_from_the_installed_wheel(tmp_path_factory):
    times: dict[str, float] = {}
    start = time.perf_counter()
    tree = working_tree(tmp_path_factory.mktemp("tree"))
    wheel = build_wheel(tree, tmp_path_factory.mktemp("wheel"))
    times["build the wheel"] = time.perf_counter() - start

    mark = time.perf_counter()
    venv = tmp_path_factory.mktemp("venv") / "env"
    python = fresh_venv(venv)
    pip = [str(python), "-m", "pip", "install", "-q"]
    # The library and its dependencies, torch the pinned CPU build from this disk.
    run([*pip, "-c", str(ROOT / "requirements.txt"), str(wheel)])
    torch_version = run([str(python), "-c", "import torch; print(torch.__version__)"]).stdout.strip()
    # Installed again without torch's pin: the torch already there satisfies the range and stays.
    reinstall = run([str(python), "-m", "pip", "install", "--force-reinstall", "--no-deps", str(wheel)])
    again = run([str(python), "-m", "pip", "install", str(wheel)])
    assert "Uninstalling torch" not in reinstall.stdout + again.stdout
    assert run([str(python), "-c", "import torch; print(torch.__version__)"]).stdout.strip() == torch_version
    run([*pip, *_pins(("nbclient", "ipykernel"))])
    times["venv, wheel and dependencies, kernel"] = time.perf_counter() - mark

    mark = time.perf_counter()
    work = tmp_path_factory.mktemp("kernel_cwd")
    runner = work.parent / "run_notebook.py"
    runner.write_text(RUNNER)
    executed = work.parent / "executed.ipynb"
    done = __import__("subprocess").run(
        [str(python), str(runner), str(NOTEBOOK), str(executed), str(work)],
        cwd=work,
        env=_kernel_env(tmp_path_factory.mktemp("jupyter")),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    times["run the notebook"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - start
    TIMING.parent.mkdir(parents=True, exist_ok=True)
    TIMING.write_text(json.dumps({k: round(v, 1) for k, v in times.items()}, indent=1))
    assert done.returncode == 0, (
        f"a cell raised, or the kernel did not run:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    )

    nb = json.loads(executed.read_text(encoding="utf-8"))
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    probe = json.loads("".join(nb["cells"][-1]["outputs"][0]["text"]))
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    assert Path(probe["file"]).is_relative_to(site.resolve()) or Path(probe["file"]).is_relative_to(site), probe
    assert Path(probe["executable"]).parent.parent.resolve() == venv.resolve(), probe
    assert not Path(probe["file"]).is_relative_to(ROOT)
    (chinese,) = _plotly_outputs(nb["cells"][-2])
    assert chinese["layout"]["title"]["text"].startswith("3 个时间步上的所有门和状态"), chinese["layout"]["title"]

    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    printed = ["".join(o.get("text", "")) for c in code for o in c.get("outputs", []) if o["output_type"] == "stream"]
    assert sum(p.count("True") for p in printed) >= 2, "the seed's two allclose checks print True"
    check = next(c for c in code if "".join(c["source"]).strip() == "lstm_viz.check(lstm_forward)")
    html = [o["data"]["text/html"] for o in check["outputs"] if "text/html" in o.get("data", {})]
    assert html and "<table>" in "".join(html[0]), "the checker's report is displayed"
    assert _plotly_outputs(check), "with its figures"

    views = [c for c in code if "view" in c["metadata"].get("tags", [])]
    gates = 0
    for cell in views:
        source = "".join(cell["source"])
        bundles = _plotly_outputs(cell)
        assert bundles, f"no Plotly bundle from: {source}"
        for b in bundles:
            assert len(b["data"]) >= 1, f"no trace in: {source}"
            # The app's camera button: a 3x PNG named after the view.
            assert b["config"]["toImageButtonOptions"]["scale"] == 3 and b["config"]["displaylogo"] is False
            images = b["layout"].get("images", [])
            assert all(_painted(i["source"]) for i in images), f"an empty painted image in: {source}"
            if b.get("frames"):
                # A Gates view: seven rows painted (and the input's values without symbols), a frame per step.
                gates += 1
                assert len(images) >= 7 and len(b["frames"]) == len(b["layout"]["sliders"][0]["steps"])
    assert gates == 3, "the tutorial's LSTM, the projected one and the brackets task in the Gates view"
    assert (work / "gates.html").read_text(encoding="utf-8").count("Plotly.addFrames") == 1
    _scrub_the_first_gates_output(views, tmp_path_factory.mktemp("scrub"))


def _kernel_env(jupyter: Path) -> dict[str, str]:
    """A clean environment whose Jupyter folders are empty: the kernel is the venv's own python (ipykernel's native
    kernel spec), not one a machine has registered elsewhere."""
    from test_packaging import clean_env

    env = clean_env()
    env.update(JUPYTER_DATA_DIR=str(jupyter / "data"), JUPYTER_CONFIG_DIR=str(jupyter / "config"))
    env.update(JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"), JUPYTER_PATH="", JUPYTER_PLATFORM_DIRS="1")
    env.update(IPYTHONDIR=str(jupyter / "ipython"), MPLBACKEND="Agg")
    return env


def _scrub_the_first_gates_output(views: list[dict], where: Path) -> None:
    """The executed notebook's own Gates bundle, drawn as JupyterLab draws it, scrubbed to its last step."""
    from test_browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        return
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_notebook_browser import DRAWN_JS, _open, _rail_click, notebook_page

    gates = _plotly_outputs(views[0])[0]
    page = notebook_page(where / "gates.html", {"notebook": gates})
    steps = len(gates["frames"])
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            context, pg, foreign, errors = _open(browser, page)
            _rail_click(pg, "notebook", steps - 1, steps)
            pg.wait_for_function(f"({DRAWN_JS})('notebook').active === {steps - 1}", timeout=10_000)
            assert f"t = {steps - 1}" in pg.evaluate(f"({DRAWN_JS})('notebook')")["label"]
            assert foreign == [] and errors == []
            context.close()
        finally:
            browser.close()
