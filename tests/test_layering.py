"""The layers of ARCHITECTURE.md, checked on the source: who may import whom, no cycles, no
module over 600 lines, and no reach into another module's private members.

Every import statement of every module counts (also those inside functions), except
those under ``if TYPE_CHECKING:``, which never run. Only imports of sio_notebook's own
modules are looked at. ``from PKG import NAME`` is an edge to the module ``PKG.NAME`` when
that is a module (``from . import connections``), else to ``PKG`` itself (a name its
``__init__`` defines). The import of a module's parent packages, which Python does for
every submodule, is not an edge.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import sio_notebook

PACKAGE = Path(sio_notebook.__file__).resolve().parent

#: layer -> the layers it may import (besides itself and the top-level exceptions module).
ALLOWED = {
    "sansio": set(),
    "aio": {"sansio"},
    "sync": {"aio", "sansio"},
}

#: What the notebook layer may import from the rest of the package (besides itself and the
#: exceptions module), and why: the client's public front door, one pure helper, and the
#: demo runner's old import path. Never aio's or sync's internal modules, never the
#: session: the notebook layer works on the public client API (client_api.NotebookClient).
NOTEBOOK_MAY_IMPORT = {
    "sio_notebook.aio": "AsyncClient (connect()'s default client) and ClientStatus (client_api)",
    "sio_notebook.sansio.url": "redact_url: no password of a URL is ever shown",
    "sio_notebook.demo.runner": "run_demo.py re-exports the runner from its old home",
    "sio_notebook.mock": "nb.mock_server re-exports the mock server made from a capture",
}


def _module_name(path: Path) -> str:
    """``sio_notebook/notebook/recording/capture.py`` -> ``sio_notebook.notebook.recording.capture`` (a package's
    ``__init__.py`` is the package)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


#: Every module of the package, by dotted name.
MODULES = {_module_name(p) for p in PACKAGE.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> set[str]:
    """The sio_notebook modules ``path`` imports (absolute dotted names)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                # "from . import engineio" imports the module engineio; "from . import X" of
                # a name defined in the package's __init__ imports that __init__.
                submodule = f"{module}.{alias.name}"
                found.add(submodule if submodule in MODULES else module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in MODULES and m != name}


GRAPH = {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in ALLOWED) else None


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    bad = []
    for module, imported in GRAPH.items():
        if _layer(module) != layer:
            continue
        for target in imported:
            target_layer = _layer(target)
            if target == "sio_notebook.exceptions" or target_layer == layer or target_layer in ALLOWED[layer]:
                continue
            bad.append(f"{module} imports {target}")
    assert not bad, "\n".join(bad)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in graph:
        if v not in index:
            strongconnect(v)
    return result


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_no_import_cycles_in_the_client_layers(layer: str) -> None:
    sub = {m: {t for t in ts if _layer(t) == layer} for m, ts in GRAPH.items() if _layer(m) == layer}
    # A package's __init__ re-exporting its modules is not a cycle of jobs: leave it out.
    sub = {m: {t for t in ts if not t.endswith(f".{layer}")} for m, ts in sub.items() if not m.endswith(f".{layer}")}
    assert _cycles(sub) == []


def test_no_module_is_over_600_lines() -> None:
    long = {p.relative_to(PACKAGE).as_posix(): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert long == {}


def test_the_notebook_layer_imports_only_the_public_client_api() -> None:
    bad = []
    for module, imported in GRAPH.items():
        if module != "sio_notebook.notebook" and not module.startswith("sio_notebook.notebook."):
            continue
        for target in imported:
            if target.startswith("sio_notebook.notebook.") or target == "sio_notebook.exceptions":
                continue
            if target not in NOTEBOOK_MAY_IMPORT:
                bad.append(f"{module} imports {target}")
    assert not bad, "\n".join(bad)


def test_no_import_cycles_anywhere() -> None:
    """No cycle among all of sio_notebook's modules: every layer, the notebook layer, the
    demo, the top-level package and every package ``__init__`` are nodes of one graph.

    A package ``__init__`` re-exporting its submodules is an edge like any other import, and
    needs no exception: it makes a cycle only if a submodule imports that ``__init__`` back
    (``from sio_notebook import AsyncClient`` inside aio, or ``from . import connect`` inside
    notebook), which is exactly what must not happen, since the submodule would then run
    against a half-initialised package. A submodule's implicit import of its parent
    package is not an edge (module docstring), or every re-export would be a cycle.
    Lazy imports inside functions count: they cycle at run time just the same.
    """
    assert _cycles(GRAPH) == []


def test_the_import_resolution_tells_a_submodule_from_a_name() -> None:
    # magics does "from . import connections": the module, not the notebook __init__.
    assert "sio_notebook.notebook.connections" in GRAPH["sio_notebook.notebook.magics"]
    assert "sio_notebook.notebook" not in GRAPH["sio_notebook.notebook.magics"]
    # The top package's lazy "from .notebook import load_ipython_extension" is a name.
    assert "sio_notebook.notebook" in GRAPH["sio_notebook"]
    # The cycle finder finds a cycle when there is one.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# --- no reach into another module's private members ------------------------------------

#: Private names of *other libraries* we read on purpose, each read defensively where it is
#: used and explained there. Our own objects never need this: they have public seams.
FOREIGN_PRIVATE = {
    "_request": "aio/transports/aiohttp_io.py: does aiohttp.ClientSession._request take per-request middlewares (>= 3.12)?",
    "_make": "namedtuple's public constructor (the underscore only avoids field-name clashes)",
}


def _own_private_names(tree: ast.AST) -> set[str]:
    """The private names a module defines: functions, classes, class attributes, and
    attributes it assigns (a ``__slots__`` entry is assigned in ``__init__`` too)."""
    own: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            own.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Attribute):
                        own.add(sub.attr)
                    elif isinstance(sub, ast.Name):
                        own.add(sub.id)
    return {name for name in own if name.startswith("_")}


def _foreign_private_reads(source: str, label: str) -> list[str]:
    tree = ast.parse(source)
    own = _own_private_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        if not name.startswith("_") or name.startswith("__") or name in own or name in FOREIGN_PRIVATE:
            continue
        if name.startswith(("_repr_", "_ipython_")) or name == "_display_":  # IPython's and marimo's display protocols
            continue
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            continue
        found.append(f"{label}:{node.lineno}: .{name}")
    return found


def test_no_module_reaches_into_another_modules_private_members() -> None:
    """``obj._name`` is allowed only for a ``_name`` the same module defines (a class
    working on another instance of itself, a module function on its own class)."""
    bad = [
        hit
        for p in sorted(PACKAGE.rglob("*.py"))
        for hit in _foreign_private_reads(p.read_text(encoding="utf-8"), p.relative_to(PACKAGE).as_posix())
    ]
    assert bad == []


def test_the_private_access_check_tells_own_from_foreign() -> None:
    foreign = "def f(cap):\n    return cap._rows\n"
    assert _foreign_private_reads(foreign, "probe.py") == ["probe.py:2: ._rows"]
    own = "class C:\n    def __init__(self):\n        self._rows = []\n    def merge(self, other):\n        return other._rows\n"
    assert _foreign_private_reads(own, "probe.py") == []
    dunder_and_display = "def g(w):\n    return w.__class__, w._repr_html_(), w._ipython_display_()\n"
    assert _foreign_private_reads(dunder_and_display, "probe.py") == []


def _private_imports(source: str, module: str, label: str) -> list[str]:
    """``from .x import _name`` (or ``from sio_notebook.x import _name``): a private name
    taken from another of our modules. The same reach as ``x._name``, spelt as an import;
    ``import x as _x`` and ``from . import mod as _mod`` only name something privately."""
    package = module.rsplit(".", 1)[0] if not label.endswith("__init__.py") else module
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            source_module = ".".join(base + ([node.module] if node.module else []))
        else:
            source_module = node.module or ""
        if source_module != "sio_notebook" and not source_module.startswith("sio_notebook."):
            continue  # another library's private name is FOREIGN_PRIVATE's business
        for alias in node.names:
            if alias.name.startswith("_") and not alias.name.startswith("__"):
                found.append(f"{label}:{node.lineno}: from {source_module} import {alias.name}")
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    bad = [
        hit
        for p in sorted(PACKAGE.rglob("*.py"))
        for hit in _private_imports(p.read_text(encoding="utf-8"), _module_name(p), p.relative_to(PACKAGE).as_posix())
    ]
    assert bad == []


def test_the_private_import_check_finds_one() -> None:
    probe = "from .socketio import _check, check\nfrom . import engineio as _eio\nfrom json import _private\n"
    assert _private_imports(probe, "sio_notebook.sansio.msgpack", "sansio/msgpack.py") == [
        "sansio/msgpack.py:1: from sio_notebook.sansio.socketio import _check"
    ]
    absolute = "from sio_notebook.aio.engine import _timeout\n"
    assert _private_imports(absolute, "sio_notebook.sync.client", "sync/client.py") == [
        "sync/client.py:1: from sio_notebook.aio.engine import _timeout"
    ]


# --- every § the code cites exists in docs/protocol.md ----------------------------------

PROTOCOL_DOC = PACKAGE.parent / "docs" / "protocol.md"
_CITATION = re.compile(r"(?<![\w.])(?:(RFC \d+|issue \d+) )?§(\d+(?:\.\d+)?)")


def test_every_section_the_code_cites_exists_in_docs_protocol() -> None:
    """A bare ``§N.M`` in the package means docs/protocol.md (ARCHITECTURE.md); citations
    of something else name it first (``RFC 3986 §3.1``, ``issue 10 §2.4``)."""
    headings = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", PROTOCOL_DOC.read_text(encoding="utf-8"), re.M))
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for other, section in _CITATION.findall(line):
                if not other and section not in headings:
                    missing.append(f"{path.relative_to(PACKAGE).as_posix()}:{lineno}: §{section}")
    assert headings >= {"1.6", "2.4", "4.10"}  # the pattern reads the document's headings
    assert missing == []
