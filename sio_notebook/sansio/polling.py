"""HTTP long-polling rules, without I/O (docs/protocol.md §1.1, §1.7, §1.9).

* how queued frames are split into POST bodies: under the server's ``maxPayload`` as
  the JS client estimates it, and never more than 16 packets per body (§1.7);
* what an HTTP error response means: the sentence we report and whether it came from
  an Engine.IO server at all (§1.9); an unknown session id also says why that happens
  (a load balancer without sticky sessions, a restarted server) and what to do.
"""

from __future__ import annotations

import json
from typing import Any

from ..exceptions import ConnectionError, SocketIOError, TransportError
from .engineio import Frame

__all__ = [
    "MAX_PACKETS_PER_POST",
    "UNKNOWN_SESSION_ADVICE",
    "batches",
    "describe_http_error",
    "get_failure",
    "is_engineio_error",
    "is_unknown_session",
]

#: At most this many Engine.IO packets per POST body. python-engineio's server decodes
#: at most 16 packets per body (``Payload.max_decode_packets``) and *silently drops* a
#: longer body (it logs the ValueError and still answers 200). The Node server has no
#: such limit; staying under it costs a few more POSTs in a burst and loses nothing.
MAX_PACKETS_PER_POST = 16


def batches(frames: list[Frame], max_payload: int) -> list[list[Frame]]:
    """Split frames so each POST stays under maxPayload, as the JS client estimates it.

    §1.7: 1 + per packet its UTF-8 length (binary x 1.33) + 2; a single oversized packet
    still goes alone (the server then answers 413, reported to the caller). Also at most
    MAX_PACKETS_PER_POST packets per body (python-engineio's limit).
    """
    result: list[list[Frame]] = []
    current: list[Frame] = []
    size = 1
    for frame in frames:
        if isinstance(frame, str):
            length = len(frame) if frame.isascii() else len(frame.encode("utf-8"))
        else:
            length = int(len(frame) * 1.34) + 1
        length += 2
        if current and (size + length > max_payload or len(current) >= MAX_PACKETS_PER_POST):
            result.append(current)
            current, size = [], 1
        current.append(frame)
        size += length
    if current:
        result.append(current)
    return result


#: What an unknown session id means and what to do, appended to that error (§1.9). The
#: usual cause is a cluster: the handshake reached one worker, the next request another.
UNKNOWN_SESSION_ADVICE = (
    "the request reached a server that does not know this session: a load balancer without "
    "sticky sessions sent it to another server than the one that opened it, or the server restarted. "
    "Polling needs every request of a session to reach the same server: enable sticky sessions on the "
    "load balancer (e.g. a cookie, as HAProxy's `cookie SERVERID insert`), or connect with "
    "transports=['websocket'], which needs none"
)


def is_unknown_session(status: int, data: Any) -> bool:
    """Whether an error response says the session id is unknown to this server (§1.9).

    Node answers 400 ``{"code": 1, "message": "Session ID unknown"}``; python-engineio
    400 with the JSON string ``"Invalid session"``.
    """
    if status != 400:
        return False
    if isinstance(data, dict):
        return bool(data.get("code") == 1)
    return bool(data == "Invalid session")


def describe_http_error(status: int, body: str) -> tuple[str, Any]:
    """What the server said in an error response (§1.9), as a sentence and the JSON."""
    data: Any = None
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if isinstance(data, dict) and "message" in data:
        code = data.get("code")
        text = f"the server answered HTTP {status}: {data['message']}" + (
            f" (Engine.IO error code {code})" if code is not None else ""
        )
    elif status == 413:
        text = "the server answered HTTP 413: the payload is larger than its maxHttpBufferSize"
    else:
        snippet = body.strip()[:120]
        text = f"the server answered HTTP {status}" + (f": {snippet!r}" if snippet else "")
    if is_unknown_session(status, data):
        text = f"{text}; {UNKNOWN_SESSION_ADVICE}"
    return text, data


def is_engineio_error(data: Any) -> bool:
    """Whether an error body came from an Engine.IO server (§1.9).

    Node answers ``{"code": .., "message": ..}``; python-engineio a JSON string such as
    ``"Invalid session"``. Anything else (an HTML page, no body) is not Engine.IO.
    """
    return (isinstance(data, dict) and "message" in data) or isinstance(data, str)


def get_failure(status: int, body: str, base: str, *, handshake: bool) -> SocketIOError:
    """What a non-200 answer to a polling GET means (§1.9), as the error to raise.

    On the handshake (no session yet) it is a refusal the connect reports as a
    ``ConnectionError``: credentials (401, 403, 407) rather than a wrong URL; a client error
    without an Engine.IO error body means something else answers at ``base``. Once a session
    is open it is a ``TransportError`` with the status, which the engine treats as a lost
    connection.
    """
    text, data = describe_http_error(status, body)
    if not handshake:
        return TransportError(f"GET failed: {text}", status)
    if status in (401, 403, 407):
        text = f"{base} refused the request: {text}"
    elif status < 500 and not is_engineio_error(data):
        text = f"{base} is not a Socket.IO server (or socketio_path is wrong): {text}"
    return ConnectionError(text, data)
