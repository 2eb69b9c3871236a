"""Per-event counts in one-second buckets over the last minute (for rates and sparklines).

:meth:`EventRates.add` is called once per event on the hot path, so it costs one
comparison and one dict update; the per-second history is only assembled when a view
renders (a few times a second at most).
"""

from __future__ import annotations

import time
from collections import deque

__all__ = ["EventRates", "sparkline"]

_BARS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"


class EventRates:
    """Counts per event name, per whole second, for the last ``window`` seconds."""

    def __init__(self, window: int = 60) -> None:
        self.window = window
        self._second = 0
        self._current: dict[str, int] = {}
        self._history: deque[tuple[int, dict[str, int]]] = deque(maxlen=window)

    def add(self, event: str, t: float) -> None:
        second = int(t)
        if second != self._second:
            if self._current:
                self._history.append((self._second, self._current))
            self._second = second
            self._current = {}
        current = self._current
        current[event] = current.get(event, 0) + 1

    def clear(self) -> None:
        self._current = {}
        self._history.clear()

    def series(self, now: float | None = None) -> dict[str, list[int]]:
        """``{event: [count per second, oldest first]}`` for the last ``window`` whole
        seconds before ``now`` (the running second left out: it is incomplete)."""
        end = int(time.time() if now is None else now)
        start = end - self.window
        buckets = list(self._history)
        if self._current:
            buckets.append((self._second, self._current))
        out: dict[str, list[int]] = {}
        for second, counts in buckets:
            if start <= second < end:
                for event, n in counts.items():
                    out.setdefault(event, [0] * self.window)[second - start] += n
        return out

    def per_second(self, now: float | None = None, span: int = 10) -> dict[str, float]:
        """Mean events per second of each event over the last ``span`` whole seconds."""
        span = max(1, min(span, self.window))
        return {event: sum(counts[-span:]) / span for event, counts in self.series(now).items()}


def sparkline(counts: list[int]) -> str:
    """Block characters, one per value, scaled to the largest (``▁`` for zero)."""
    top = max(counts, default=0)
    if top <= 0:
        return _BARS[0] * len(counts)
    return "".join(_BARS[min(len(_BARS) - 1, (c * (len(_BARS) - 1) + top - 1) // top)] for c in counts)
