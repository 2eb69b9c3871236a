"""``python -m sio_notebook.demo``: working copies of the bundled notebooks, headless runs and their
summary, and the JupyterLab hint. scripts/check-release runs the same from an installed wheel."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from sio_notebook.demo.runner import DEFAULT_WORKDIR, notebooks_dir, prepare_workdir

# Whole programs end to end, run once on the full tier's Python (scripts/test-matrix).
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted(p.name for p in notebooks_dir().glob("*.ipynb"))


def _demo(*args: str, cwd: Path, timeout: float = 280) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sio_notebook.demo", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.timeout(300)
def test_headless_run_in_an_empty_folder_copies_executes_and_reports(tmp_path: Path) -> None:
    before = {name: (notebooks_dir() / name).read_bytes() for name in BUNDLED}
    proc = _demo("--headless", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    workdir = tmp_path / DEFAULT_WORKDIR
    executed = workdir / "quickstart.executed.ipynb"

    # the summary says what ran and where the result is, and nothing alarming was printed
    assert "demo server: http://127.0.0.1:" in proc.stdout
    assert f"notebook  {workdir / 'quickstart.ipynb'}" in proc.stdout
    assert f"result    {executed}" in proc.stdout
    assert "errors    0" in proc.stdout
    code = [c for c in nbformat.read(workdir / "quickstart.ipynb", as_version=4).cells if c.cell_type == "code"]
    assert f"ran       {len(code)} of {len(code)} code cells in " in proc.stdout
    assert "warning" not in (proc.stdout + proc.stderr).lower(), proc.stdout + proc.stderr

    # every bundled notebook was copied, unchanged; the package's own copies were not touched
    assert sorted(p.name for p in workdir.glob("*.ipynb")) == sorted([*BUNDLED, executed.name])
    for name in BUNDLED:
        assert (workdir / name).read_bytes() == before[name] == (notebooks_dir() / name).read_bytes()

    # the executed notebook ran every cell, has no error, and keeps its views' outputs
    nb = nbformat.read(executed, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in cells)
    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert sum(len(c.outputs) for c in cells) > 0


@pytest.mark.timeout(120)
def test_a_failing_notebook_is_reported_with_the_cell_and_error(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]}),  # on purpose: not an error
        nbformat.v4.new_code_cell("import a_module_that_does_not_exist"),
        nbformat.v4.new_code_cell("y = 2"),
    ]
    nbformat.write(nb, tmp_path / "broken.ipynb")
    proc = _demo("--headless", "--notebook", str(tmp_path / "broken.ipynb"), "--output", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED: broken.ipynb" in proc.stderr
    assert "ran       3 of 4 code cells" in proc.stderr
    assert "errors    1 (and 1 expected: cells tagged raises-exception)" in proc.stderr
    assert "ModuleNotFoundError: No module named 'a_module_that_does_not_exist'" in proc.stderr
    assert "stopped   at code cell 3 of 4" in proc.stderr
    result = tmp_path / "out" / "broken.executed.ipynb"
    assert f"result    {result}" in proc.stderr
    saved = nbformat.read(result, as_version=4)  # written as far as it got
    assert [c.execution_count is not None for c in saved.cells] == [True, True, True, False]


def test_working_copies_keep_edits_unless_fresh(tmp_path: Path) -> None:
    assert prepare_workdir(tmp_path) == dict.fromkeys(BUNDLED, "copied")
    assert prepare_workdir(tmp_path) == dict.fromkeys(BUNDLED, "same")
    edited = tmp_path / "quickstart.ipynb"
    edited.write_text(edited.read_text() + "\n")  # the user saved a change
    assert prepare_workdir(tmp_path)["quickstart.ipynb"] == "kept"
    assert edited.read_bytes() != (notebooks_dir() / "quickstart.ipynb").read_bytes()
    assert prepare_workdir(tmp_path, fresh=True) == dict.fromkeys(BUNDLED, "copied")
    assert edited.read_bytes() == (notebooks_dir() / "quickstart.ipynb").read_bytes()


def test_without_jupyterlab_it_says_how_to_install_it(tmp_path: Path) -> None:
    # sys.modules[name] = None makes the import system report the module as absent
    code = "import sys; sys.modules['jupyterlab'] = None; from sio_notebook.demo.runner import main; sys.exit(main([]))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "JupyterLab is not installed" in proc.stderr
    assert "pip install 'sio-notebook[notebook,demo,lab]'" in proc.stderr
    assert "python -m sio_notebook.demo --headless" in proc.stderr
    assert not (tmp_path / DEFAULT_WORKDIR).exists()  # it stopped before copying anything


def test_scripts_demo_working_folder_is_git_ignored() -> None:
    """scripts/demo runs from the repository root, so its working copies land in ./sio-notebook-demo."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    paths = [f"{DEFAULT_WORKDIR}/quickstart.ipynb", f"{DEFAULT_WORKDIR}/quickstart.executed.ipynb"]
    proc = subprocess.run(["git", "check-ignore", *paths], cwd=ROOT, capture_output=True, text=True)
    assert proc.stdout.split() == paths, f"{DEFAULT_WORKDIR}/ is not in .gitignore: saving in the demo would dirty the repository"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _refused(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except urllib.error.HTTPError:
        return False  # something answered
    except OSError:
        return True
    return False


@pytest.mark.timeout(180)
@pytest.mark.skipif(importlib.util.find_spec("jupyterlab") is None, reason="needs JupyterLab (the [lab] extra)")
def test_jupyterlab_starts_on_the_working_copy_quietly_and_stops_with_the_demo_server(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sio_notebook.demo", "--lab-port", str(port)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "BROWSER": "true"},  # a browser that opens nothing, wherever this runs
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        token_url = re.compile(rf"http://127\.0\.0\.1:{port}/lab\?token=\w+")
        while not (m := token_url.search(lines[-1] if lines else "")):
            line = proc.stdout.readline()
            assert line, "the demo exited before JupyterLab was up:\n" + "".join(lines)
            lines.append(line)
        demo_url = re.search(r"demo server: (http://127\.0\.0\.1:\d+)", "".join(lines))
        assert demo_url, "".join(lines)
        token = m.group(0).split("token=")[1]
        # JupyterLab may log its URL a moment before it accepts connections (seen under load)
        deadline = time.monotonic() + 30
        while _refused(f"http://127.0.0.1:{port}/api/status") and time.monotonic() < deadline:
            time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/quickstart.ipynb?token={token}") as r:
            assert json.load(r)["path"] == "quickstart.ipynb"  # JupyterLab serves the working folder
        assert (tmp_path / DEFAULT_WORKDIR / "quickstart.ipynb").exists()
        # what a newcomer sees up to here: no warnings (JupyterLab logs warnings as "[W ..."), but
        # one that is Voila's own: where Voila is installed (the browser extra has it), its
        # __init__ turns traitlets' DeprecationWarnings back on, and its server extension reads
        # the deprecated ServerApp.token; nothing the demo starts or configures can hide it.
        voila_own = "DeprecationWarning: ServerApp.token config is deprecated"
        warned = [ln for ln in lines if (re.match(r"\[[WE] ", ln) or "warning" in ln.lower()) and voila_own not in ln]
        assert not warned, "".join(lines)
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode is not None
    # both servers are gone
    assert _refused(f"http://127.0.0.1:{port}/api/status"), "JupyterLab is still running"
    assert _refused(f"{demo_url.group(1)}/socket.io/?EIO=4&transport=polling"), "the demo server is still running"
