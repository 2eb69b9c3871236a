"""The layers of ARCHITECTURE.md, checked on the source: who may import whom, and no cycles.

Every import statement of every module counts (also those inside functions), except
those under ``if TYPE_CHECKING:``, which never run. Only imports of sio_notebook's own
modules are looked at.
"""

from __future__ import annotations

import ast
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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


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
            found.add(module)
            for alias in node.names:  # "from . import engineio" imports a module
                found.add(f"{module}.{alias.name}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    return {m for m in found if m in modules and m != name}


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
