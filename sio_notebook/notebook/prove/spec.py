"""Read an AsyncAPI 3 document and find the payload schema of each event and direction.

A document made by :func:`~.asyncapi.asyncapi` marks its messages with ``x-sio-*``
extensions, but a hand-written one need not: the standard fields are read first.
``receive`` operations give the server-to-client messages (direction ``"in"``), ``send``
operations the client-to-server ones (``"out"``) and their ``reply`` the acks (``"ack"``);
a channel's namespace is its ``x-sio-namespace`` or else its ``address``; an event's name
is the message's ``x-sio-event``, else its ``name``, else its key. Local ``$ref`` s
(``#/...``) are followed. Pure, apart from reading the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .deps import require

__all__ = ["Key", "index_messages", "load_spec"]

#: (namespace, event, direction): direction is ``"in"``, ``"out"`` or ``"ack"``, as in a capture's rows.
Key = tuple[str, str, str]


def load_spec(spec: Any) -> dict[str, Any]:
    """The document: ``spec`` itself (a dict) or read from a ``.yaml``/``.yml``/``.json`` path."""
    if isinstance(spec, dict):
        doc = spec
    elif isinstance(spec, (str, os.PathLike)):
        path = Path(spec)
        if not path.is_file():
            raise FileNotFoundError(f"no AsyncAPI document at {path}")
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            doc = require("yaml").safe_load(text)
        elif path.suffix.lower() == ".json":
            doc = json.loads(text)
        else:
            raise ValueError(f"read AsyncAPI from .yaml, .yml or .json, not {path.name!r}")
    else:
        raise TypeError(f"spec must be an AsyncAPI document (a dict) or a path, not {type(spec).__name__}")
    version = str(doc.get("asyncapi", "")) if isinstance(doc, dict) else ""
    if not version.startswith("3."):
        raise ValueError(f"conform reads AsyncAPI 3 documents; this one says asyncapi: {version or 'nothing'!r}")
    return doc


def _resolve(doc: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """``node`` with a local ``$ref`` followed (one level; schemas are inlined by :func:`_inline`)."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#/") or depth > 32:
            raise ValueError(f"only local $refs ('#/...') are supported, got {ref!r}")
        target: Any = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise ValueError(f"$ref {ref!r} points nowhere in the document")
            target = target[part]
        node, depth = target, depth + 1
    return node


def _inline(doc: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """``schema`` with every local ``$ref`` replaced by what it points to (cycles cut at depth 32)."""
    if depth > 32:
        return {}
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(doc, _resolve(doc, schema), depth + 1)
        return {k: _inline(doc, v, depth + 1) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_inline(doc, v, depth + 1) for v in schema]
    return schema


def _event(message: dict[str, Any], key: str) -> str:
    return str(message.get("x-sio-event") or message.get("name") or key)


def index_messages(doc: dict[str, Any]) -> dict[Key, dict[str, Any]]:
    """``{(namespace, event, direction): payload schema}`` of every message the operations use."""
    index: dict[Key, dict[str, Any]] = {}

    def add(channel: Any, refs: Any, direction: str) -> None:
        channel = _resolve(doc, channel)
        if not isinstance(channel, dict):
            return
        namespace = str(channel.get("x-sio-namespace") or channel.get("address") or "/")
        for ref in refs or ():
            key = str(ref.get("$ref", "")).rsplit("/", 1)[-1] if isinstance(ref, dict) else ""
            message = _resolve(doc, ref)
            if isinstance(message, dict):
                schema = _inline(doc, message.get("payload", {}))
                index[(namespace, _event(message, key), direction)] = schema if isinstance(schema, dict) else {}

    for op in (doc.get("operations") or {}).values():
        op = _resolve(doc, op)
        if not isinstance(op, dict):
            continue
        add(op.get("channel"), op.get("messages"), "in" if op.get("action") == "receive" else "out")
        reply = _resolve(doc, op.get("reply"))
        if isinstance(reply, dict):
            add(reply.get("channel") or op.get("channel"), reply.get("messages"), "ack")
    return index
