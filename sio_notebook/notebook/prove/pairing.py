"""Pair requests with the events that answer them: ``subscribe`` → ``subscribed``. Pure.

A request is a sent row (direction ``"out"``) of the request event; a reply is an incoming
row (``"in"``) of the reply event on the same namespace. With ``match="id"`` a reply
answers the oldest unanswered request whose payload field ``id`` (dotted names reach into
nested payloads) has the same value; without ``match``, replies answer requests in the
order they were sent (first in, first out).

What a timeout is: a request that has no reply within ``timeout`` seconds of being sent.
A reply that comes later still ends that request, as a timeout and not as a sample (the
caller had given up waiting by then, so a percentile of it would be a lie either way). A
request younger than ``timeout`` with no reply yet is *pending*; ``now`` (the end of the
observation: the present for a live source, the last row for a finished recording)
decides which is which. Replies that answer no request are counted as ``unsolicited``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..recording.frames import payload_of
from ..recording.roundtrips import RoundTrip
from .fields import MISSING, get_field

__all__ = ["Pairing", "pair_replies"]


@dataclass
class Pairing:
    """The outcome of :func:`pair_replies`."""

    samples: list[RoundTrip] = field(default_factory=list)
    """Requests answered in time, with their round-trip times."""
    timeouts: int = 0
    """Requests answered late or not at all, past ``timeout``."""
    pending: int = 0
    """Requests not answered yet and not yet past ``timeout``."""
    unsolicited: int = 0
    """Replies that answered no request (a broadcast, or a request sent before observing)."""


def _key(payload: Any, match: str | None) -> Any:
    if match is None:
        return None
    value = get_field(payload, match)
    if value is MISSING:
        return MISSING
    try:
        hash(value)
    except TypeError:  # a list or dict id: compare its text
        return repr(value)
    return (type(value) is bool, value)  # True must not answer a request of id 1


def pair_replies(
    rows: Iterable[Sequence[Any]],
    event: str,
    reply: str,
    *,
    match: str | None = None,
    namespace: str | None = None,
    timeout: float = 10.0,
    now: float,
) -> Pairing:
    """Pair the ``event`` requests of ``rows`` (capture rows, in arrival order) with their
    ``reply`` events; see the module docstring for the rules."""
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    out = Pairing()
    waiting: dict[tuple[str, Any], deque[float]] = {}
    for row in rows:
        ns, name = row[2], row[3]
        direction = row[5] if len(row) > 5 else "in"
        if namespace is not None and ns != namespace:
            continue
        if direction == "out" and name == event:
            waiting.setdefault((ns, _key(payload_of(row[4]), match)), deque()).append(row[1])
        elif direction == "in" and name == reply:
            key = _key(payload_of(row[4]), match)
            queue = waiting.get((ns, key)) if key is not MISSING else None
            if not queue:
                out.unsolicited += 1
                continue
            sent = queue.popleft()
            seconds = row[1] - sent
            if seconds > timeout:
                out.timeouts += 1
            else:
                out.samples.append(RoundTrip(event, ns, max(seconds, 0.0), row[1]))
    for queue in waiting.values():
        for sent in queue:
            if now - sent > timeout:
                out.timeouts += 1
            else:
                out.pending += 1
    return out
