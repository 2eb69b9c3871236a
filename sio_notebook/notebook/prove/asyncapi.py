"""An AsyncAPI 3.0 document inferred from captured traffic: ``nb.asyncapi``.

::

    doc = nb.asyncapi(cap, title="Demo", version="1.0.0", path="demo.asyncapi.yaml")

The document describes the *client* side (the application is the notebook's client):

* ``servers.main``: the server the capture's client was connected to (for a Parquet
  dataset, the URL its files recorded; ``url=`` overrides; left out when unknown), ``protocol`` ``ws``
  or ``wss``, ``protocolVersion`` ``"5"`` (Socket.IO 5 over Engine.IO 4).
* one channel per namespace (``address`` is the namespace, protocol.md §2.4);
* one message per event and direction, whose ``payload`` is a JSON Schema inferred from
  every sample (:mod:`.schema`, genson): types, required keys, nullability, nested
  objects and arrays, bytes marked binary;
* operations: ``receive`` for what the server sent, ``send`` for what the client sent,
  with the ack as the operation's ``reply`` where acks were seen (calls made through the
  notebook layer record them; capture with ``outgoing=True`` or use ``%sio log``).

Socket.IO specifics AsyncAPI has no field for are specification extensions (``x-``):

=========================  =========================================================
``x-sio-namespace``        on a channel: the Socket.IO namespace it stands for
``x-sio-event``            on a message: the event name (message keys must be
                           ``[A-Za-z0-9._-]``; event names need not)
``x-sio-direction``        on a message: ``server-to-client``, ``client-to-server``
                           or ``ack`` (an acknowledgement's values, protocol.md §2.6)
``x-sio-arguments``        on a message: the argument counts seen (one argument is the
                           payload itself; several are one array, in order)
``x-sio-binary``           on a message: some samples carried binary attachments
                           (§2.3); in a schema: this value is bytes
``x-sio-samples``          on a message: how many samples its schema was inferred from
``x-sio-ack``              on a ``send`` operation: the server acknowledged it
``x-sio-inferred``         at the top: the capture's span (rows, first and last time, UTC)
=========================  =========================================================

A dataset read back from Parquet has lost its nulls (a stored null reads back as a missing
key), so its schemas say "optional" where a live capture's say "nullable".
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...sansio.url import redact_url
from ..recording.frames import payload_of
from ..views.render import format_time
from .deps import require
from .expect import is_capture
from .schema import infer_schema

__all__ = ["DIRECTIONS", "asyncapi", "load_rows", "write_document"]

#: Row direction -> the x-sio-direction of its message.
DIRECTIONS = {"in": "server-to-client", "out": "client-to-server", "ack": "ack"}
_KEY = re.compile(r"[^A-Za-z0-9_.-]+")


def load_rows(source: Any) -> tuple[list[Any], str | None]:
    """The rows of a capture or of the Parquet dataset at a path, and the server URL if known."""
    if is_capture(source):
        return list(source), source.server_url()
    if isinstance(source, (str, os.PathLike)):
        from ..recording.capture import Capture

        loaded = Capture.load(source)
        return list(loaded), loaded.server_url()
    raise TypeError(f"source must be a capture or the path of a Parquet dataset, not {type(source).__name__}")


def asyncapi(
    source: Any,
    title: str = "Socket.IO API",
    version: str = "1.0.0",
    path: str | os.PathLike[str] | None = None,
    *,
    url: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document (a dict) of the traffic in ``source``; see the module docstring.

    Args:
        source: a capture, or the path of a Parquet dataset (``capture(..., path=...)``).
        title, version: the document's ``info``.
        path: also write the document there: YAML for ``.yaml``/``.yml``, JSON for ``.json``.
        url: the server URL (default: the capture's client's).
        description: ``info.description`` (default: what was inferred from).
    """
    require("genson")  # first: the missing extra is the first thing to say
    if not isinstance(title, str) or not title or not isinstance(version, str) or not version:
        raise ValueError("title and version must be non-empty strings")
    rows, known_url = load_rows(source)
    rows = [r for r in rows if r.direction in DIRECTIONS]
    if not rows:
        raise ValueError("no events to infer from: the source has no incoming, sent or ack rows")
    doc = _document(rows, title, version, url or known_url, description)
    if path is not None:
        write_document(doc, path)
    return doc


def write_document(doc: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``doc`` as YAML (``.yaml``, ``.yml``) or JSON (``.json``), by the suffix."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix in (".yaml", ".yml"):
        yaml = require("yaml")
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)
    elif suffix == ".json":
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    else:
        raise ValueError(f"write AsyncAPI as .yaml, .yml or .json, not {target.name!r}")
    target.write_text(text, encoding="utf-8")
    return target


def _unique(name: str, taken: set[str]) -> str:
    base = _KEY.sub("_", name).strip("_.-") or "x"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    taken.add(key)
    return key


def _server(url: str) -> dict[str, Any]:
    parts = urlsplit(redact_url(url))
    secure = parts.scheme in ("https", "wss")
    server: dict[str, Any] = {
        "host": parts.netloc.rpartition("@")[2],  # a host (and port): no user name
        "protocol": "wss" if secure else "ws",
        "protocolVersion": "5",
        "description": "Socket.IO 5 over Engine.IO 4 (long-polling and WebSocket) at " + redact_url(url),
    }
    if parts.path and parts.path != "/":
        server["pathname"] = parts.path
    return server


def _message(event: str, direction: str, payloads: list[tuple[Any, ...]]) -> dict[str, Any]:
    counts = sorted({len(args) for args in payloads})
    message: dict[str, Any] = {
        "name": event,
        "title": f"{event} ({DIRECTIONS[direction].replace('-', ' ')})",
        "payload": infer_schema(payload_of(args) for args in payloads),
        "x-sio-event": event,
        "x-sio-direction": DIRECTIONS[direction],
        "x-sio-arguments": counts,
        "x-sio-samples": len(payloads),
    }
    if any(_has_bytes(a) for a in payloads):
        message["x-sio-binary"] = True
    return message


def _iso(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat(timespec="milliseconds")


def _has_bytes(value: Any) -> bool:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return True
    if isinstance(value, dict):
        return any(_has_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_bytes(v) for v in value)
    return False


def _document(rows: list[Any], title: str, version: str, url: str | None, description: str | None) -> dict[str, Any]:
    groups: dict[str, dict[tuple[str, str], list[tuple[Any, ...]]]] = {}
    for row in rows:
        groups.setdefault(row.namespace, {}).setdefault((row.event, row.direction), []).append(tuple(row.args))
    if description is None:
        description = (f"Inferred by sio_notebook from {len(rows):,} captured events, "
                       f"{format_time(rows[0].time)} to {format_time(rows[-1].time)} UTC.")
    doc: dict[str, Any] = {
        "asyncapi": "3.0.0",
        "info": {"title": title, "version": version, "description": description},
        "defaultContentType": "application/json",
        "x-sio-inferred": {"rows": len(rows), "first": _iso(rows[0].time), "last": _iso(rows[-1].time)},
    }
    if url:
        doc["servers"] = {"main": _server(url)}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    channel_keys: set[str] = set()
    op_keys: set[str] = set()
    for namespace in sorted(groups):
        events = groups[namespace]
        ckey = _unique("root" if namespace == "/" else namespace, channel_keys)
        messages: dict[str, Any] = {}
        msg_keys: set[str] = set()
        channel: dict[str, Any] = {"address": namespace, "title": f"namespace {namespace}",
                                   "messages": messages, "x-sio-namespace": namespace}
        if url:
            channel["servers"] = [{"$ref": "#/servers/main"}]
        channels[ckey] = channel
        ref = f"#/channels/{ckey}"
        received = {e for e, d in events if d == "in"}
        for (event, direction), payloads in sorted(events.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            if direction == "ack":
                continue
            name = event if direction == "in" or event not in received else f"{event}.sent"
            mkey = _unique(name, msg_keys)
            messages[mkey] = _message(event, direction, payloads)
            action = "receive" if direction == "in" else "send"
            op: dict[str, Any] = {
                "action": action,
                "channel": {"$ref": ref},
                "summary": f"{'the server sends' if action == 'receive' else 'the client sends'} {event!r} on {namespace}",
                "messages": [{"$ref": f"{ref}/messages/{mkey}"}],
            }
            acks = events.get((event, "ack")) if direction == "out" else None
            if acks:
                akey = _unique(f"{event}.ack", msg_keys)
                messages[akey] = _message(event, "ack", acks)
                op["reply"] = {"channel": {"$ref": ref}, "messages": [{"$ref": f"{ref}/messages/{akey}"}]}
                op["x-sio-ack"] = True
            operations[_unique(f"{action}_{ckey}_{mkey}".replace(".", "_"), op_keys)] = op
        for (event, direction), acks in events.items():  # acks of calls whose emit was not captured
            if direction == "ack" and (event, "out") not in events:
                akey = _unique(f"{event}.ack", msg_keys)
                messages[akey] = _message(event, "ack", acks)
                operations[_unique(f"send_{ckey}_{event}".replace(".", "_"), op_keys)] = {
                    "action": "send", "channel": {"$ref": ref},
                    "summary": f"the client calls {event!r} on {namespace} (the call itself was not captured)",
                    "messages": [], "reply": {"channel": {"$ref": ref}, "messages": [{"$ref": f"{ref}/messages/{akey}"}]},
                    "x-sio-ack": True,
                }
    doc["channels"] = channels
    doc["operations"] = operations
    return doc


def messages_of(doc: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    """``(channel key, message)`` of every message of ``doc`` (for readers of the document)."""
    for ckey, channel in (doc.get("channels") or {}).items():
        for message in (channel.get("messages") or {}).values():
            yield ckey, message
