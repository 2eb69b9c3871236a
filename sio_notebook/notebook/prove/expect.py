"""Expectations: wait for the events a server should send, or fail saying what came instead.

::

    [tick] = await nb.expect(sio, "tick", where={"symbol": "ACME"}, within=2)
    chats = await nb.expect(cap, "chat", count=3, namespace="/chat")

:func:`expect` returns the payloads of the first ``count`` matching incoming events that
arrive *after* the call, or raises :class:`~sio_notebook.exceptions.ExpectationFailed`
(an ``AssertionError``) when ``within`` seconds pass first. Its message says what was
expected and lists what did arrive in that window as the event log shows rows, so a
notebook run headless (nbclient, papermill) fails with a message a person can act on.

The listener is the client's ``on_any`` hook, or a capture's sink
(:meth:`~sio_notebook.notebook.recording.capture.Capture.add_sink`); it is added for the wait only,
so nothing runs per event when no expectation is waiting.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from ...exceptions import ExpectationFailed
from ..recording.frames import payload_of
from .fields import Where, describe_where, make_predicate
from .text import rows_block

__all__ = ["ExpectationFailed", "check_expectation", "expect", "is_capture"]

#: Rows of the window listed in the failure message (the newest; the count says how many more).
LISTED = 20


def is_capture(source: Any) -> bool:
    """Whether ``source`` is a capture (rows, a sink hook) rather than a client."""
    return hasattr(source, "add_sink") and hasattr(source, "events")


async def expect(
    source: Any,
    event: str,
    where: Where = None,
    within: float = 5.0,
    count: int = 1,
    namespace: str | None = None,
) -> list[Any]:
    """Wait for ``count`` incoming ``event`` events that match ``where``; return their payloads.

    Args:
        source: a client (``AsyncClient``, the ``sio`` of ``%sio connect``) or a capture.
        event: the event name.
        where: ``None`` (any payload), a dict of payload fields that must be equal
            (nested fields as ``"a.b"``: ``{"user.name": "ada"}``), or a callable given the
            payload that returns true for a match.
        within: seconds to wait, from the call.
        count: how many matching events to wait for.
        namespace: only events of this namespace (``None``: any namespace).

    Returns:
        The payloads, in arrival order: one argument gives that value, several a list, none
        ``None`` (as in the capture's DataFrames).

    Raises:
        ExpectationFailed: ``within`` passed first; the message lists what did arrive.
        ValueError, TypeError: bad arguments, or a capture that cannot see ``event``.

    Only events that arrive after the call count, for a capture too: an expectation states
    what the server does next, and counting rows already captured would make it pass on
    stale data (e.g. a tick from before a subscription was changed). To check what was
    captured already, look at ``cap.frames()[event]``. With a capture only its incoming
    rows count (not the sent events or acks of an ``outgoing`` capture), and only those
    its filter records: expecting an event the capture leaves out is refused at once.

    A ``where`` callable that raises makes the expectation raise that error.
    """
    test = check_expectation(event, where, within, count, namespace)
    wait = _Wait(event, test, count, namespace)
    attach, detach = _hooks(source, wait, event, namespace)
    loop = asyncio.get_running_loop()
    wait.future = loop.create_future()
    started = time.time()
    attach()
    try:
        return await asyncio.wait_for(wait.future, within)
    except asyncio.TimeoutError:
        raise ExpectationFailed(_message(source, wait, where, within, time.time() - started)) from None
    finally:
        detach()


def check_expectation(
    event: str, where: Where, within: float, count: int, namespace: str | None
) -> Callable[[Any], bool]:
    """Refuse bad arguments of :func:`expect` before anything waits; returns the payload test."""
    if not isinstance(event, str) or not event:
        raise TypeError(f"event must be a non-empty event name, got {event!r}")
    if isinstance(within, bool) or not isinstance(within, (int, float)) or not within > 0 or math.isinf(within):
        raise ValueError(f"within must be a positive number of seconds, got {within!r}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a whole number of events, at least 1, got {count!r}")
    if namespace is not None and (not isinstance(namespace, str) or not namespace.startswith("/")):
        raise ValueError(f"namespace must start with '/', got {namespace!r}")
    return make_predicate(where)


class _Wait:
    """The state of one expectation: what matched and what else arrived in the window."""

    def __init__(self, event: str, test: Callable[[Any], bool], count: int, namespace: str | None) -> None:
        self.event = event
        self.test = test
        self.count = count
        self.namespace = namespace
        self.matched: list[Any] = []
        self.window: deque[tuple[Any, ...]] = deque(maxlen=LISTED)
        self.arrived = 0
        self.future: asyncio.Future[list[Any]] | None = None

    def row(self, row: tuple[Any, ...]) -> None:
        """One incoming row ``(seq, time, namespace, event, args, ...)``."""
        future = self.future
        if future is None or future.done():
            return
        self.arrived += 1
        self.window.append(row)
        if row[3] != self.event or (self.namespace is not None and row[2] != self.namespace):
            return
        payload = payload_of(row[4])
        try:
            ok = self.test(payload)
        except Exception as exc:  # noqa: BLE001 - the user's where= failed: that is the answer, at once
            future.set_exception(exc)
            return
        if ok:
            self.matched.append(payload)
            if len(self.matched) >= self.count:
                future.set_result(list(self.matched))


def _hooks(source: Any, wait: _Wait, event: str, namespace: str | None) -> tuple[Callable[[], None], Callable[[], None]]:
    """How to start and stop listening to ``source`` (a capture's sink or a client's on_any)."""
    if is_capture(source):
        _check_capture(source, event, namespace)

        def sink(row: Any) -> None:
            if row.direction == "in":
                wait.row(tuple(row))

        return (lambda: source.add_sink(sink)), (lambda: source.remove_sink(sink))
    if not (hasattr(source, "on_any") and hasattr(source, "off_any")):
        raise TypeError(f"source must be a client (AsyncClient) or a capture, not {type(source).__name__}")
    seq = 0

    def on_any(ns: str, name: Any, args: tuple[Any, ...]) -> None:
        nonlocal seq
        seq += 1
        wait.row((seq, time.time(), ns, str(name), args, "in", None))

    return (lambda: source.on_any(on_any)), (lambda: source.off_any(on_any))


def _check_capture(cap: Any, event: str, namespace: str | None) -> None:
    if not cap.active:
        why = cap.gone or "stopped (cap.start() resumes it; a loaded dataset never receives)"
        raise ValueError(f"the capture is {why}: no event can arrive; past rows are in cap.frames()")
    if "*" not in cap.events and event not in cap.events:
        raise ValueError(f"the capture records {', '.join(cap.events)}, not {event!r}: expect on the client instead")
    if namespace is not None and cap.namespaces is not None and namespace not in cap.namespaces:
        raise ValueError(f"the capture records namespaces {', '.join(cap.namespaces)}, not {namespace!r}")


def _message(source: Any, wait: _Wait, where: Where, within: float, waited: float) -> str:
    what = f"{wait.count} {wait.event!r} event{'s' if wait.count != 1 else ''}"
    if wait.namespace is not None:
        what += f" on {wait.namespace}"
    condition = describe_where(where)
    if condition:
        what += f" where {condition}"
    head = f"expected {what} within {within:g} s; {len(wait.matched)} matched in {waited:.2f} s"
    client = source.client if is_capture(source) else source
    state = _state(client)
    if state not in (None, "connected"):
        head += f" (the client is {state})"
    if not wait.arrived:
        return head + "; nothing arrived in that window"
    listed = list(wait.window)
    return (
        f"{head}; {wait.arrived:,} event{'s' if wait.arrived != 1 else ''} arrived in that window:\n"
        + rows_block(listed, wait.arrived)
    )


def _state(client: Any) -> str | None:
    try:
        return str(client.status().state)
    except Exception:  # noqa: BLE001 - a capture loaded from disk has no client: no state to tell
        return None
