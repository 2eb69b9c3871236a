"""The sdist and wheel that ``python -m build`` makes hold what an installed user needs.

``pip install 'sio-notebook[notebook,demo]'`` followed by ``python -m sio_notebook.demo --headless``
needs the notebooks as package data; type checkers need ``py.typed``; the licence must travel with
the code. The metadata must give one version (``sio_notebook/_version.py``) and claim exactly the
Pythons that scripts/test-matrix runs. .ci/run (scripts/check-release) goes further: twine check,
a clean venv from the wheel, and the headless demo in an empty folder.

Marked ``packaging`` (a build takes ~10-20 s and fetches the build backend from the package
index), so the quick tier can leave it out.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

import sio_notebook

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "sio_notebook" / "demo" / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel, built from the working tree in an isolated build environment."""
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def _wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def _metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as z:
        (name,) = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(z.read(name).decode("utf-8"))


def test_wheel_holds_the_notebooks_licence_and_py_typed(dist: dict[str, Path]) -> None:
    names = _wheel_names(dist["wheel"])
    assert NOTEBOOKS, "no notebooks in sio_notebook/demo/notebooks"
    for notebook in NOTEBOOKS:
        assert f"sio_notebook/demo/notebooks/{notebook}" in names
    assert "sio_notebook/py.typed" in names
    assert "sio_notebook/demo/__main__.py" in names
    assert "sio_notebook/demo/marimo_app.py" in names  # marimo run needs the app file
    # the anywidgets' ESM and CSS are read from files beside their modules
    for asset in ("inputs.js", "inputs.css", "live_html.js"):
        assert f"sio_notebook/notebook/frontends/{asset}" in names
    assert any(re.fullmatch(r"sio_notebook-[^/]+\.dist-info/licenses/LICENSE", n) for n in names), sorted(names)
    # only the package: no tests, benchmarks or repository scripts
    assert {n.split("/")[0] for n in names} <= {"sio_notebook", f"sio_notebook-{sio_notebook.__version__}.dist-info"}


def test_metadata_has_one_version_the_licence_and_the_tested_pythons(dist: dict[str, Path]) -> None:
    meta = _metadata(dist["wheel"])
    assert meta["Version"] == sio_notebook.__version__
    assert meta["License-Expression"] == "MIT"
    assert meta["Requires-Python"] == ">=3.10"
    versions = re.compile(r"Programming Language :: Python :: (3\.\d+)")
    claimed = {m.group(1) for c in meta.get_all("Classifier", []) if (m := versions.fullmatch(c))}
    matrix = (ROOT / "scripts" / "test-matrix").read_text(encoding="utf-8")
    (default,) = re.findall(r'SIO_MATRIX:-"([^"]+)"', matrix)
    tested = {entry.split(":")[0] for entry in default.split()}
    assert claimed == tested, f"classifiers claim {sorted(claimed)}, scripts/test-matrix tests {sorted(tested)}"
    # the headless demo needs nbclient from the [demo] extra; [lab] brings JupyterLab
    requires = meta.get_all("Requires-Dist", [])
    assert any(r.startswith("nbclient") and 'extra == "demo"' in r for r in requires), requires
    assert any(r.startswith("jupyterlab") and 'extra == "lab"' in r for r in requires), requires


def test_changelog_has_a_section_for_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[?{re.escape(sio_notebook.__version__)}\]?", changelog, re.MULTILINE)


def test_sdist_holds_the_licence_changelog_and_notebooks(dist: dict[str, Path]) -> None:
    with tarfile.open(dist["sdist"]) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "sio_notebook/_version.py"} <= names
    for notebook in NOTEBOOKS:
        assert f"sio_notebook/demo/notebooks/{notebook}" in names
