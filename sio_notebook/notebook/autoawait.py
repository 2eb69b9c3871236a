"""Make a plain ``%sio expect`` line wait, as ``await nb.expect(...)`` does.

A magic is a plain function call, so ``%sio expect tick --within 1`` can only start the
expectation and return it (an awaitable view); on its own line nothing awaits it, the
cell ends at once and a headless run (nbclient, papermill, ``pytest --nbmake``) never
sees it fail. The client runs on the kernel's own loop (no nest_asyncio), so the magic
cannot block until the answer either. IPython can: a cell with a top-level ``await`` runs
as a coroutine on that loop (autoawait). So :func:`await_expectations`, registered in
``shell.input_transformers_post`` by ``%load_ext sio_notebook`` (IPython 7.34, Colab's,
and 8/9 apply those after their own transforms), rewrites each line that is exactly an
expect magic, after IPython turned it into ``get_ipython().run_line_magic('sio',
'expect ...')`` (possibly as ``x = ...``), into ``await get_ipython().run_line_magic(...)``.
The cell then waits, its live line shows ✓ or ✗, and it gives the payloads or fails with
:class:`~sio_notebook.exceptions.ExpectationFailed`.

Only lines at a cell's top level change (indented code may be inside a ``def``, where an
``await`` would not compile), only ``expect`` (the other actions never block), and nothing
when autoawait is off.
"""

from __future__ import annotations

import ast
from typing import Any

__all__ = ["await_expectations", "install", "uninstall"]

_CALL = "get_ipython().run_line_magic("


def await_expectations(lines: list[str]) -> list[str]:
    """An IPython post-input transformer: ``lines`` (with their line ends) with each
    top-level ``%sio expect`` call awaited. Other cells pass through untouched."""
    if not any(_CALL in line for line in lines) or not _autoawait():
        return lines
    return [_awaited(line) for line in lines]


def install(shell: Any) -> None:
    """Register :func:`await_expectations` (idempotent: a re-run ``%load_ext`` adds it once)."""
    transformers = shell.input_transformers_post
    if await_expectations not in transformers:
        transformers.append(await_expectations)


def uninstall(shell: Any) -> None:
    """Remove :func:`await_expectations` (``%unload_ext``)."""
    transformers = shell.input_transformers_post
    while await_expectations in transformers:
        transformers.remove(await_expectations)


def _autoawait() -> bool:
    from IPython import get_ipython

    shell = get_ipython()
    return shell is None or bool(getattr(shell, "autoawait", False))


def _awaited(line: str) -> str:
    if line[:1].isspace() or _CALL not in line:
        return line
    body = line.rstrip("\r\n")
    try:
        tree = ast.parse(body)
    except SyntaxError:  # part of a longer statement: not a line of its own
        return line
    if len(tree.body) != 1:
        return line
    statement = tree.body[0]
    if not isinstance(statement, (ast.Expr, ast.Assign)) or not _is_expect(statement.value):
        return line
    start = len(body.encode("utf-8")[: statement.value.col_offset].decode("utf-8"))  # ast counts bytes
    return body[:start] + "await " + body[start:] + line[len(body) :]


def _is_expect(node: ast.expr) -> bool:
    """Whether ``node`` is ``get_ipython().run_line_magic('sio', 'expect ...')``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    owner = node.func.value
    if node.func.attr != "run_line_magic" or not (
        isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "get_ipython"
    ):
        return False
    if len(node.args) != 2 or node.keywords:
        return False
    name, rest = node.args
    if not (isinstance(name, ast.Constant) and name.value == "sio"):
        return False
    return isinstance(rest, ast.Constant) and isinstance(rest.value, str) and rest.value.split(None, 1)[:1] == ["expect"]
