"""The payload language shared by ``%sio emit``/``%sio call`` and the emit form.

A payload is read as **JSON first**, then as a **Python expression** evaluated in the
notebook's namespace (so ``{"text": msg}`` and ``payload`` both work; a tuple sends
several arguments). When both fail, the error says what each reader said, and hints to
quote bare words: ``hello`` is neither JSON nor a defined name; ``"hello"`` is JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["PayloadError", "parse_payload"]


class PayloadError(ValueError):
    """The text is neither JSON nor a Python expression that evaluates."""


def parse_payload(text: str, namespace: Mapping[str, Any] | None = None, what: str = "payload") -> Any:
    """The value of ``text`` (see the module docstring); ``""`` gives ``None`` (no argument)."""
    text = text.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        json_error = f"{exc.msg} at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else str(exc)
    user_ns = _user_namespace() if namespace is None else dict(namespace)
    try:
        code = compile(text, f"<{what}>", "eval")
    except SyntaxError as exc:
        python_error = f"SyntaxError: {exc.msg}"
    else:
        try:
            return eval(code, user_ns)  # noqa: S307 - the notebook user's own expression, in their namespace
        except Exception as exc:  # noqa: BLE001 - reported with the JSON error below
            python_error = f"{type(exc).__name__}: {exc}"
    hint = ""
    if text.replace("_", "").replace("-", "").replace(" ", "").isalnum():
        hint = f' To send it as text, quote it: "{text}".'
    raise PayloadError(f"{what} {text!r} is not JSON ({json_error}) nor Python ({python_error}).{hint}")


def _user_namespace() -> dict[str, Any]:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return {}
    shell = get_ipython()
    return {} if shell is None else shell.user_ns
