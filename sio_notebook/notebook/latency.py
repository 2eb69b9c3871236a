"""Round-trip times of acknowledged calls, per client.

Every call made through the notebook layer (``%sio call``, the emit form, the
``Pending`` helper) records how long its ack took with :func:`record_rtt`.
:func:`round_trips` returns what was recorded for one client, so that percentiles and a
histogram can be drawn from it.

The store is keyed by the client object through a weak reference: a client that is
garbage-collected takes its samples with it, and nothing here keeps a connection alive.
"""

from __future__ import annotations

import time
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any

__all__ = ["RoundTrip", "record_rtt", "round_trips"]

#: Samples kept per client: enough for stable p99s, small enough to never matter.
MAX_SAMPLES = 10_000


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """One acknowledged call: which event, when it was answered, and how long it took."""

    event: str
    namespace: str
    seconds: float
    at: float  # time.time() when the ack arrived


_samples: weakref.WeakKeyDictionary[Any, deque[RoundTrip]] = weakref.WeakKeyDictionary()


def record_rtt(client: Any, event: str, seconds: float, namespace: str = "/") -> None:
    """Record that ``client``'s call of ``event`` was acknowledged after ``seconds``."""
    samples = _samples.get(client)
    if samples is None:
        samples = _samples[client] = deque(maxlen=MAX_SAMPLES)
    samples.append(RoundTrip(event, namespace, seconds, time.time()))


def round_trips(client: Any) -> list[RoundTrip]:
    """The recorded round trips of ``client``, oldest first (empty if none)."""
    return list(_samples.get(client, ()))
