"""The tiers of scripts/test-matrix select tests by marker, so the markers must be where they belong.

3.10 and 3.12 run ``-m "not browser and not slow and not packaging"``: a browser test without the
``browser`` mark would run there without the point of it (and a missing mark on a new Playwright
file would go unnoticed until a tier broke). These checks read the test sources; they run in
``scripts/test --fast``.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _sources() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in sorted(TESTS.rglob("test_*.py")) if "node_modules" not in p.parts}


def _module_marks(source: str) -> str:
    """The text of the module's ``pytestmark = ...`` assignment ('' if it has none)."""
    m = re.search(r"^pytestmark\s*=\s*(\[.*?^\]|.*?$)", source, re.MULTILINE | re.DOTALL)
    return m.group(1) if m else ""


def test_every_playwright_module_is_marked_browser() -> None:
    imports_playwright = re.compile(r"^\s*(from|import) playwright\b", re.MULTILINE)
    browser_modules = {p: s for p, s in _sources().items() if imports_playwright.search(s)}
    assert browser_modules, "no test drives a browser: the browser tier would be empty"
    unmarked = [p.relative_to(TESTS) for p, s in browser_modules.items() if "pytest.mark.browser" not in _module_marks(s)]
    assert unmarked == [], f"drive a browser but lack a module-level pytest.mark.browser: {unmarked}"


def test_markers_used_are_registered() -> None:
    """pytest only warns on an unknown mark, and a typo in -m then silently selects nothing."""
    pyproject = (TESTS.parent / "pyproject.toml").read_text(encoding="utf-8")
    registered = set(re.findall(r'^\s*"(\w+):', pyproject, re.MULTILINE))
    builtin = {"parametrize", "skip", "skipif", "xfail", "usefixtures", "filterwarnings", "timeout", "asyncio"}
    # registered by sio_notebook's own pytest plugin (sio_notebook/mock/pytest_plugin.py)
    registered |= set(re.findall(r'MARKER = "(\w+)"', (TESTS.parent / "sio_notebook/mock/pytest_plugin.py").read_text()))
    used = {m for s in _sources().values() for m in re.findall(r"pytest\.mark\.(\w+)", s)}
    assert used - builtin <= registered, f"unregistered marks: {sorted(used - builtin - registered)}"
    assert {"browser", "slow", "packaging", "cluster"} <= registered


def test_every_cluster_module_is_marked_cluster() -> None:
    """The cluster tests start HAProxy, Redis and Node workers: a tier that leaves them out
    (``-m "not cluster"``) must leave out all of them, and the cluster tier must find them."""
    cluster_modules = {
        p: s for p, s in _sources().items()
        if "cluster" in p.relative_to(TESTS).parts[:-1] or re.search(r"^\s*from cluster\b", s, re.MULTILINE)
    }
    assert cluster_modules, "no cluster test: the cluster tier would be empty"
    unmarked = [p.relative_to(TESTS) for p, s in cluster_modules.items() if "pytest.mark.cluster" not in _module_marks(s)]
    assert unmarked == [], f"start a cluster but lack a module-level pytest.mark.cluster: {unmarked}"
