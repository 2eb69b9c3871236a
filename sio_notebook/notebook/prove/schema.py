"""JSON Schemas of event payloads, inferred from every sample, with genson.

Why genson: it is the maintained, widely used JSON Schema *generator* for Python (pure
Python, no dependencies), it merges any number of samples into one schema (the union of
the types seen: ``["null", "string"]`` for a field that was sometimes null; ``required``
only for keys every sample had; nested objects and arrays), and it is extended through
its documented strategy classes rather than patched. We add one strategy: Socket.IO
carries bytes as binary attachments (protocol.md §2.3), which JSON has no type for, so a
bytes value becomes ``{"type": "string", "format": "binary", "contentMediaType":
"application/octet-stream", "x-sio-binary": true}`` (the ``x-sio-binary`` extension is
what :mod:`.conform` checks; see :mod:`.asyncapi` for the extensions).

The payload of an event is what the capture's DataFrames use
(:func:`~sio_notebook.notebook.recording.frames.payload_of`): one argument is that value, several
arguments are one array, none is ``null``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .deps import require

__all__ = ["BINARY", "infer_schema"]

#: The schema of a bytes value (a binary attachment).
BINARY: dict[str, Any] = {
    "type": "string", "format": "binary", "contentMediaType": "application/octet-stream", "x-sio-binary": True,
}

_builder_class: Any = None


def _builder() -> Any:
    """genson's SchemaBuilder with the binary strategy first (made once, on first use)."""
    global _builder_class
    if _builder_class is None:
        require("genson")  # the clear error if the extra is missing
        from genson import SchemaBuilder
        from genson.schema.strategies import TypedSchemaStrategy

        class Binary(TypedSchemaStrategy):  # type: ignore[misc]  # genson ships no types: its classes are Any
            """bytes: a binary attachment (a string of raw bytes, marked ``x-sio-binary``)."""

            JS_TYPE = "string"
            PYTHON_TYPE = (bytes, bytearray, memoryview)

            @classmethod
            def match_schema(cls, schema: dict[str, Any]) -> bool:
                return bool(schema.get("x-sio-binary"))

            def to_schema(self) -> dict[str, Any]:
                schema: dict[str, Any] = super().to_schema()
                schema.update(BINARY)
                return schema

        class Builder(SchemaBuilder):  # type: ignore[misc]
            EXTRA_STRATEGIES = (Binary,)

        _builder_class = Builder
    return _builder_class(schema_uri=None)


def infer_schema(payloads: Iterable[Any]) -> dict[str, Any]:
    """One JSON Schema (draft 7, as AsyncAPI's schema format) that every payload satisfies.

    No payloads gives ``{}`` (anything). Tuples are arrays, as on the wire.
    """
    builder = _builder()
    seen = False
    for payload in payloads:
        builder.add_object(_plain(payload))
        seen = True
    schema: dict[str, Any] = builder.to_schema() if seen else {}
    schema.pop("$schema", None)
    return schema


def _plain(value: Any) -> Any:
    """Tuples as lists (genson would make them fixed-length tuple schemas)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
