"""Payload fields by dotted name, and the ``where`` filters built on them.

``"a.b"`` names ``payload["a"]["b"]``, the same dotted names the DataFrames of a capture
use for nested payloads (:func:`~sio_notebook.notebook.recording.frames.flatten`), so a column seen
in ``cap.frames()["tick"]`` is a field an expectation or a pairing can name. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["MISSING", "Where", "describe_where", "get_field", "make_predicate"]

#: What :func:`get_field` returns for a field the payload does not have.
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()

#: ``where=``: payload fields that must be equal (``{"a.b": 1}``), or a predicate of the payload.
Where = Mapping[str, Any] | Callable[[Any], Any] | None


def get_field(payload: Any, name: str) -> Any:
    """``payload["a"]["b"]`` for ``name="a.b"``; :data:`MISSING` if any step is absent.

    A key that itself contains dots (``{"a.b": 1}``) is found too: the whole name is tried
    before it is split.
    """
    if isinstance(payload, Mapping) and name in payload:
        return payload[name]
    node = payload
    for part in name.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return MISSING
        node = node[part]
    return node


def make_predicate(where: Where) -> Callable[[Any], bool]:
    """A test of one payload: every field of a ``where`` dict equal, or the callable's truth.

    A bad ``where`` (neither a mapping nor a callable, or a mapping with non-string keys) is
    refused here, before anything waits.
    """
    if where is None:
        return lambda payload: True
    if callable(where):
        fn = where
        return lambda payload: bool(fn(payload))
    if isinstance(where, Mapping):
        items = list(where.items())
        bad = [k for k, _ in items if not isinstance(k, str) or not k]
        if bad:
            raise TypeError(f"where= keys are payload field names such as 'a.b', got {bad[0]!r}")

        def test(payload: Any) -> bool:
            for name, wanted in items:
                value = get_field(payload, name)
                if value is MISSING or value != wanted or type(value) is bool and type(wanted) is not bool:
                    return False
            return True

        return test
    raise TypeError(f"where= is a dict of payload fields or a callable, not {type(where).__name__}")


def describe_where(where: Where) -> str:
    """``where`` for a message: ``symbol == 'ACME' and a.b == 1``, or the callable's name."""
    if where is None:
        return ""
    if isinstance(where, Mapping):
        return " and ".join(f"{k} == {v!r}" for k, v in where.items())
    name = getattr(where, "__qualname__", None) or repr(where)
    return f"{name}(payload)"
