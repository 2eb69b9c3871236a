"""``nb.latency``: round-trip times of acks, and of requests answered by another event.

::

    nb.latency(sio)                                              # acks of notebook calls
    nb.latency(cap, "add")                                       # the ack rows of a capture
    nb.latency(cap, "subscribe", reply="subscribed", match="id")  # emit -> reply event
    nb.latency(sio, "subscribe", reply="subscribed", match="id")  # the same, watched live

Acks (``reply=None``) are what the notebook layer's calls recorded (``%sio call``, the
form, ``Pending``): with a client, :func:`sio_notebook.notebook.recording.roundtrips.latency`, which
counts the calls that raised their ``TimeoutError``; with a capture, its ``ack`` rows
(made with ``outgoing=True``).

Replies are paired by :func:`~.pairing.pair_replies` (what a timeout and a pending
request are is defined there). A capture must record the requests it pairs, so it needs
``outgoing=True``. A client keeps no history: the first call with a client starts a
watcher on it (an outgoing capture of the two events, at most 20,000 rows, kept as long as
the client) and later calls read it, so call it once before the traffic you want measured.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

from ..recording.capture import Capture
from ..recording.roundtrips import LatencyStats, RoundTrip
from ..recording.roundtrips import latency as ack_latency
from .expect import is_capture
from .pairing import pair_replies

__all__ = ["latency"]

#: Reply watchers of clients (see the module docstring), per (event, reply, namespace).
_watchers: weakref.WeakKeyDictionary[Any, dict[tuple[str, str, str | None], Capture]] = weakref.WeakKeyDictionary()


def latency(
    source: Any,
    event: str | None = None,
    reply: str | None = None,
    match: str | None = None,
    *,
    namespace: str | None = None,
    timeout: float = 10.0,
) -> LatencyStats:
    """Round-trip statistics of ``source`` (a client or a capture); displays as a histogram.

    Args:
        source: a client (``sio``) or a capture (a Parquet dataset loaded with
            ``Capture.load`` too).
        event: the request event (all acknowledged events if ``None``, acks only).
        reply: the event that answers ``event``; ``None`` measures acks.
        match: the payload field (``"id"``, ``"req.id"``) a reply shares with its request;
            ``None`` pairs in order.
        namespace: only this namespace.
        timeout: seconds after which an unanswered request counts as a timeout (replies
            only; an ack's timeout is the call's own ``timeout``).
    """
    if reply is None:
        if match is not None:
            raise ValueError("match= pairs a request with its reply event: give reply= too")
        if is_capture(source):
            rows = [r for r in source if r.direction == "ack" and r.rtt is not None
                    and (event is None or r.event == event) and (namespace is None or r.namespace == namespace)]
            return LatencyStats.of([RoundTrip(r.event, r.namespace, r.rtt, r.time) for r in rows])
        return ack_latency(source, event, namespace=namespace)
    if not isinstance(event, str) or not isinstance(reply, str):
        raise TypeError("reply pairing needs both event names: latency(source, 'subscribe', reply='subscribed')")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    cap = source if is_capture(source) else _watcher(source, event, reply, namespace)
    if not cap.outgoing and not cap.active and not any(r.direction == "out" for r in cap):
        raise ValueError("this capture has no sent events to pair: capture with outgoing=True (or %sio log)")
    if cap.active and not cap.outgoing:
        raise ValueError("this capture does not record sent events: capture with outgoing=True (or %sio log)")
    rows = list(cap)
    now = time.time() if cap.active else (rows[-1].time if rows else time.time())
    pairing = pair_replies(rows, event, reply, match=match, namespace=namespace, timeout=timeout, now=now)
    how = f"{event} \u2192 {reply}" + (f" by {match}" if match else " in order")
    return LatencyStats.of(pairing.samples, timeouts=pairing.timeouts, pending=pairing.pending,
                           timeout=float(timeout), pairing=how, events=(event,))


def _watcher(client: Any, event: str, reply: str, namespace: str | None) -> Capture:
    if not hasattr(client, "on_any_outgoing"):
        raise TypeError(f"source must be a client (AsyncClient) or a capture, not {type(client).__name__}")
    watchers = _watchers.setdefault(client, {})
    key = (event, reply, namespace)
    cap = watchers.get(key)
    if cap is None:
        cap = watchers[key] = Capture(client, (event, reply), namespace=namespace, outgoing=True, max_rows=20_000)
    return cap
