"""Reconnection delays: the JS client's algorithm (docs/protocol.md §4.8), pure.

socket.io-client's backo2 computes ``ms * 2**attempts``, then applies a jitter drawn from
one random number ``r``: ``dev = floor(r * jitter * ms)``, subtracted when
``floor(r * 10)`` is even and added when it is odd, and finally caps at the maximum.
Two fixes over the JS code: the exponent is capped, so the delay never overflows to
infinity (after ~1014 attempts JS returns 0 ms for half the draws), and the cap is
applied after the jitter so the delay never exceeds ``delay_max``.

python-socketio's variant differs (additive jitter in seconds, can exceed the max or go
negative); we follow JS, with the same option names and units (seconds) as
python-socketio.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator

__all__ = ["backoff_delay", "backoff_delays"]

_MAX_EXPONENT = 31  # 2**31 * any positive delay is far past every sensible maximum


def backoff_delay(
    attempt: int,
    delay: float = 1.0,
    delay_max: float = 5.0,
    randomization_factor: float = 0.5,
    rand: float | None = None,
) -> float:
    """Delay in seconds before reconnection attempt number ``attempt`` (0-based).

    ``rand`` is the random draw in [0, 1); pass it to make the result deterministic.
    """
    if not 0 < delay < math.inf:  # also rejects NaN
        raise ValueError(f"reconnection_delay must be a positive number of seconds, not {delay!r}")
    if math.isnan(delay_max):  # min(x, nan) is x: the cap would vanish
        raise ValueError("reconnection_delay_max must be a number of seconds, not nan")
    if delay_max < delay:
        delay_max = delay
    base = math.ldexp(delay, min(max(attempt, 0), _MAX_EXPONENT))  # delay * 2**n, a float
    if 0 < randomization_factor <= 1:
        r = random.random() if rand is None else rand
        deviation = int(r * randomization_factor * base * 1000) / 1000.0
        base = base - deviation if int(r * 10) % 2 == 0 else base + deviation
    return min(base, delay_max)


def backoff_delays(
    delay: float = 1.0,
    delay_max: float = 5.0,
    randomization_factor: float = 0.5,
    rand: Callable[[], float] = random.random,
) -> Iterator[float]:
    """An endless generator of delays, one per reconnection attempt."""
    attempt = 0
    while True:
        yield backoff_delay(attempt, delay, delay_max, randomization_factor, rand())
        attempt += 1
