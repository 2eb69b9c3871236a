"""Build a JupyterLite site that runs with no network: what tests/pyodide/test_jupyterlite.py serves.

A JupyterLite site normally loads Pyodide and its packages from a CDN (jsdelivr). Offline,
three things replace it (without each, the site's kernel fails to start offline):

1. ``jupyter lite build`` (jupyterlite-core + jupyterlite-pyodide-kernel, from PyPI) with
   our wheel, ``comm`` and ``ipywidgets`` in the site's piplite index (``--piplite-wheels``);
2. the npm ``pyodide`` package's files copied into the site, and the kernel told to load
   Pyodide from there (``pyodideUrl``, with the PyPI fallback disabled);
3. the pure-Python packages the kernel loads from Pyodide's distribution at start
   (micropip, IPython and its dependencies, jedi) are not in the npm package: their wheels
   come from PyPI (same versions) and the copied ``pyodide-lock.json`` is pointed at them
   (file name and sha256, since PyPI's files are not byte-identical to Pyodide's).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYODIDE_DIR = ROOT / "tests" / "pyodide" / "node_modules" / "pyodide"
CACHE = ROOT / ".cache" / "jupyterlite"
#: What the kernel loads from Pyodide's distribution (with their dependencies from the lock).
KERNEL_PACKAGES = ("micropip", "ipython", "jedi")
#: Installed with piplite in the notebook: the notebook layer's pure-Python dependencies.
PIPLITE_PACKAGES = ("comm", "ipywidgets", "jupyterlab_widgets")


def ensure_pyodide() -> None:
    """npm ci in tests/pyodide (pinned by its package-lock.json) unless it was done."""
    if not (PYODIDE_DIR / "pyodide.mjs").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PYODIDE_DIR.parents[1], check=True, timeout=300)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pip_download(requirements: list[str], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--only-binary=:all:", "--python-version", "3.14", "--platform", "any", "--implementation", "py",
         "-d", str(dest), *requirements],
        check=True, timeout=300,
    )


def kernel_wheels(lock: dict[str, object]) -> list[str]:
    """``name==version`` of the kernel's packages and their dependencies, from the lock."""
    packages = {_norm(k): v for k, v in lock["packages"].items()}  # type: ignore[attr-defined]
    wanted: dict[str, str] = {}
    todo = list(KERNEL_PACKAGES)
    while todo:
        name = _norm(todo.pop())
        if name in wanted:
            continue
        entry = packages[name]
        wanted[name] = entry["version"]
        todo += entry.get("depends", [])
    return [f"{name}=={version}" for name, version in sorted(wanted.items())]


def build_site(output: Path, contents: Path, server_url_of_page: str) -> Path:
    """Build the site into ``output`` for a page served at ``server_url_of_page``; returns it."""
    lock = json.loads((PYODIDE_DIR / "pyodide-lock.json").read_text(encoding="utf-8"))
    kernel_dir, piplite_dir = CACHE / "kernel-wheels", CACHE / "piplite-wheels"
    stamp = CACHE / "requirements"
    wanted = [*kernel_wheels(lock), *PIPLITE_PACKAGES]
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != "\n".join(wanted):
        shutil.rmtree(CACHE, ignore_errors=True)
        _pip_download(kernel_wheels(lock), kernel_dir)
        _pip_download(list(PIPLITE_PACKAGES), piplite_dir)
        stamp.write_text("\n".join(wanted), encoding="utf-8")
    ours, source = output.parent / "wheel", output.parent / "source"  # built from a copy: the checkout stays clean
    shutil.copytree(ROOT / "sio_notebook", source / "sio_notebook", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "CHANGELOG.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
         "-w", str(ours), str(source)],
        check=True, timeout=300,
    )
    wheels = [*sorted(piplite_dir.glob("*.whl")), *sorted(ours.glob("*.whl"))]
    lite = [str(Path(sys.executable).with_name("jupyter")), "lite", "build", "--output-dir", str(output),
            "--contents", str(contents)]
    for wheel in wheels:
        lite += ["--piplite-wheels", str(wheel)]
    subprocess.run(lite, cwd=output.parent, check=True, timeout=300, capture_output=True)

    static = output / "static" / "pyodide"
    shutil.copytree(PYODIDE_DIR, static)
    packages = {_norm(k): k for k in lock["packages"]}
    for wheel in kernel_dir.glob("*.whl"):
        shutil.copy(wheel, static / wheel.name)
        entry = lock["packages"][packages[_norm(wheel.name.split("-")[0])]]
        entry["file_name"] = wheel.name
        entry["sha256"] = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (static / "pyodide-lock.json").write_text(json.dumps(lock), encoding="utf-8")

    config_path = output / "jupyter-lite.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    plugins = config["jupyter-config-data"].setdefault("litePluginSettings", {})
    kernel = plugins.setdefault("@jupyterlite/pyodide-kernel-extension:kernel", {})
    kernel["pyodideUrl"] = f"{server_url_of_page}/static/pyodide/pyodide.mjs"
    kernel["disablePyPIFallback"] = True
    config_path.write_text(json.dumps(config, indent=1), encoding="utf-8")
    return output
