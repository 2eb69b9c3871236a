"""The sans-I/O core does no I/O: it imports no event loop, thread, socket or HTTP library.

Checked twice: statically over the source of every module in ``sio_notebook/sansio/``
(every import statement, including those inside functions, plus ``__import__`` /
``importlib.import_module`` calls with literal names), and dynamically by importing the
modules in a fresh interpreter and looking at ``sys.modules`` and at every import
statement they run. The dynamic check must not run ``sio_notebook/__init__.py`` (it
imports the asyncio layer), so it installs a bare parent package whose ``__path__``
points at the source tree.

The fresh interpreter is a subprocess natively. Pyodide cannot start processes, so
there it is a second Pyodide, loaded by tests/pyodide/run.mjs (``js.sioFreshPython``);
Pyodide starts with asyncio loaded (the page's loop), so there the import statements
the core runs are the evidence, not what ``sys.modules`` gained.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import sio_notebook.sansio

SANSIO_DIR = Path(sio_notebook.sansio.__file__).resolve().parent
PACKAGE_DIR = SANSIO_DIR.parent
MODULES = sorted(SANSIO_DIR.glob("*.py"))

#: Top-level modules the core must never import.
FORBIDDEN = frozenset({"asyncio", "threading", "socket", "aiohttp", "selectors", "concurrent", "_asyncio", "_socket"})
#: Sibling layers of sio_notebook that do I/O.
FORBIDDEN_LAYERS = frozenset({"aio", "sync", "notebook"})
CORE = ("engineio", "socketio", "session", "backoff", "url")


def test_the_core_modules_exist() -> None:
    assert {p.stem for p in MODULES} >= {"__init__", *CORE}


def _imports(tree: ast.AST, module_parts: list[str]) -> list[tuple[int, str]]:
    """(line, absolute dotted name) of every import in ``tree``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_parts[: len(module_parts) - node.level]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called in ("__import__", "import_module") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.append((node.lineno, arg.value))
    return found


def _violations(name: str) -> bool:
    parts = name.split(".")
    if parts[0] in FORBIDDEN:
        return True
    return parts[0] == "sio_notebook" and len(parts) > 1 and parts[1] in FORBIDDEN_LAYERS


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_no_io_imports_in_source(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    # sio_notebook/sansio/x.py is the module sio_notebook.sansio.x; __init__ is the package.
    parts = ["sio_notebook", "sansio"] + ([] if path.stem == "__init__" else [path.stem])
    if path.stem == "__init__":
        parts.append("__init__")  # so that level-1 imports resolve to sio_notebook.sansio
    imports = _imports(tree, parts)
    bad = [f"line {line}: {name}" for line, name in imports if _violations(name)]
    assert not bad, f"{path.name} imports I/O modules: {bad}"


def test_the_static_check_sees_nested_and_relative_imports() -> None:
    """The checker itself: imports inside functions, relative and dynamic ones are found."""
    source = (
        "import json\n"
        "def f():\n"
        "    import asyncio.events\n"
        "    from concurrent import futures\n"
        "    return __import__('socket')\n"
        "class C:\n"
        "    def g(self):\n"
        "        from ..aio import client\n"
        "        from . import url\n"
        "        import importlib; importlib.import_module('threading')\n"
    )
    names = [name for _, name in _imports(ast.parse(source), ["sio_notebook", "sansio", "x"])]
    flagged = sorted({n for n in names if _violations(n)})
    assert flagged == [
        "asyncio.events",
        "concurrent",
        "concurrent.futures",
        "sio_notebook.aio",
        "sio_notebook.aio.client",
        "socket",
        "threading",
    ]
    assert "sio_notebook.sansio.url" in names
    assert not _violations("sio_notebook.sansio.url")
    assert not _violations("sio_notebook.exceptions")


_PROBE = """
import builtins, importlib, json, sys, types

before = set(sys.modules)
requested = []
real_import = builtins.__import__


def record(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0:
        requested.append(name)
    return real_import(name, globals, locals, fromlist, level)


builtins.__import__ = record
stub = types.ModuleType("sio_notebook")
stub.__path__ = [sys.argv[1]]  # a bare package: sio_notebook/__init__.py is not executed
sys.modules["sio_notebook"] = stub
for name in sys.argv[2:]:
    importlib.import_module("sio_notebook.sansio." + name)
loaded = sorted(sys.modules)
builtins.__import__ = real_import
print(json.dumps({
    "requested": sorted(set(requested)),
    "before": sorted(before),
    "loaded": loaded,
    "files": {n: getattr(sys.modules[n], "__file__", None) for n in loaded if n.startswith("sio_notebook")},
}))
"""


IN_PYODIDE = sys.platform == "emscripten"


def _fresh_python(code: str, *args: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter with ``args`` as sys.argv[1:]; its JSON output."""
    if IN_PYODIDE:
        import js
        from pyodide.ffi import run_sync

        result = run_sync(js.sioFreshPython(code, json.dumps(list(args))))
        returncode, stdout, stderr = int(result.returncode), str(result.stdout), str(result.stderr)
    else:
        # -I: ignore PYTHON* variables and the user site; -S: no site, so no .pth file can
        # import threading behind our back and hide a real import by the core.
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", code, *args], capture_output=True, text=True, timeout=60, check=False
        )
        returncode, stdout, stderr = done.returncode, done.stdout, done.stderr
    assert returncode == 0, stderr
    report: dict[str, Any] = json.loads(stdout)
    return report


def test_no_io_modules_are_loaded_at_runtime() -> None:
    report = _fresh_python(_PROBE, str(PACKAGE_DIR), *CORE)
    before, loaded = set(report["before"]), report["loaded"]
    assert not {m.split(".")[0] for m in report["requested"]} & FORBIDDEN, report["requested"]
    if not IN_PYODIDE:
        assert not {m.split(".")[0] for m in before} & FORBIDDEN, "the interpreter started with I/O modules loaded"
    io_modules = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN and m not in before)
    assert io_modules == []
    ours = sorted(report["files"])
    # The real core was imported, from this tree, and the I/O layers were not.
    assert {f"sio_notebook.sansio.{name}" for name in CORE} <= set(ours)
    assert "sio_notebook.exceptions" in ours
    assert all(not _violations(name) for name in ours), ours
    for name, file in report["files"].items():
        if name != "sio_notebook":
            assert Path(file).resolve().is_relative_to(PACKAGE_DIR), (name, file)
    assert report["files"]["sio_notebook"] is None  # the stub, not the real __init__


def test_the_runtime_probe_detects_an_io_import() -> None:
    """The probe would notice: importing a module of the asyncio layer the same way requests asyncio."""
    report = _fresh_python(_PROBE.replace('"sio_notebook.sansio." + name', "name"), str(PACKAGE_DIR), "sio_notebook.aio.flag")
    assert "asyncio" in report["requested"]
    assert "asyncio" in report["loaded"]
