"""Round-trip times of acknowledged calls, per client.

Every call made through the notebook layer (``%sio call``, the emit form, the
``Pending`` helper) records how long its ack took with :func:`record_rtt`.
:func:`round_trips` returns what was recorded for one client, and :func:`latency` sums
it up: count, p50/p90/p99 and a histogram, which displays as a small SVG chart (a plain
output, so it survives saving like every view)::

    nb.latency(sio)                  # the view
    nb.latency(sio, "add").p99       # seconds, for one event

The store is keyed by the client object through a weak reference: a client that is
garbage-collected takes its samples with it, and nothing here keeps a connection alive.
"""

from __future__ import annotations

import html
import math
import time
import weakref
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LatencyStats", "RoundTrip", "latency", "record_rtt", "round_trips"]

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


def _percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on sorted values."""
    if not sorted_values:
        return math.nan
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


@dataclass(frozen=True)
class LatencyStats:
    """Round-trip times of acknowledged calls, summed up (all times in seconds)."""

    count: int
    p50: float
    p90: float
    p99: float
    min: float
    max: float
    mean: float
    events: tuple[str, ...]
    """The event names included."""
    samples: tuple[float, ...] = field(repr=False)

    @classmethod
    def of(cls, samples: Iterable[RoundTrip]) -> LatencyStats:
        samples = list(samples)
        values = sorted(s.seconds for s in samples)
        events = tuple(sorted({s.event for s in samples}))
        if not values:
            nan = math.nan
            return cls(0, nan, nan, nan, nan, nan, nan, events, ())
        return cls(
            len(values), _percentile(values, 0.5), _percentile(values, 0.9), _percentile(values, 0.99),
            values[0], values[-1], sum(values) / len(values), events, tuple(values),
        )

    def histogram(self, bins: int = 24) -> list[tuple[float, float, int]]:
        """``[(low, high, count)]`` over log-spaced bins (round trips span orders of magnitude)."""
        if not self.samples:
            return []
        lo, hi = max(self.min, 1e-6), max(self.max, 1e-6)
        if hi <= lo * 1.0001:
            return [(lo, hi, self.count)]
        edges = [lo * (hi / lo) ** (i / bins) for i in range(bins + 1)]
        counts = [0] * bins
        scale = bins / math.log(hi / lo)
        for v in self.samples:
            i = int(math.log(max(v, lo) / lo) * scale)
            counts[min(i, bins - 1)] += 1
        return [(edges[i], edges[i + 1], counts[i]) for i in range(bins)]

    def __str__(self) -> str:
        if not self.count:
            return "no acknowledged calls recorded yet"
        return (
            f"{self.count:,} round trip{'s' if self.count != 1 else ''}: "
            f"p50 {_ms(self.p50)}, p90 {_ms(self.p90)}, p99 {_ms(self.p99)} "
            f"(min {_ms(self.min)}, max {_ms(self.max)})"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        return {"text/plain": str(self), "text/html": self.html()}

    def html(self) -> str:
        """The numbers and an SVG histogram, coloured with JupyterLab's theme variables."""
        text = "var(--jp-ui-font-color1, currentColor)"
        font = "var(--jp-ui-font-family, sans-serif)"
        head = html.escape(str(self) + (f" · {', '.join(self.events)}" if self.events else ""))
        if not self.count:
            return f'<div class="sio-latency" style="font-family:{font};color:{text}">{head}</div>'
        w, h, left, bottom, top = 480, 150, 40, 30, 10
        pw, ph = w - left - 10, h - top - bottom
        hist = self.histogram()
        peak = max(c for _, _, c in hist) or 1
        lo, hi = hist[0][0], hist[-1][1]
        span = math.log(hi / lo) if hi > lo else 1.0

        def sx(v: float) -> float:
            return left + (math.log(max(v, lo) / lo) / span if hi > lo else 0.5) * pw

        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
            f'aria-label="round-trip histogram" style="font-family:{font};font-size:11px">'
        ]
        bar = "var(--jp-brand-color1, #1976d2)"
        for a, b, c in hist:
            if c:
                bh = ph * c / peak
                parts.append(f'<rect x="{sx(a):.1f}" y="{top + ph - bh:.1f}" width="{max(sx(b) - sx(a) - 1, 1):.1f}" '
                             f'height="{bh:.1f}" style="fill:{bar}"><title>{_ms(a)}–{_ms(b)}: {c}</title></rect>')
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" '
                     'style="stroke:var(--jp-border-color1, #bdbdbd)"/>')
        for name, v in (("p50", self.p50), ("p90", self.p90), ("p99", self.p99)):
            x = sx(v)
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph}" '
                         f'style="stroke:{text};stroke-dasharray:3 2"/>')
            parts.append(f'<text x="{x + 2:.1f}" y="{top + 9}" style="fill:{text}">{name}</text>')
        parts.append(f'<text x="{left}" y="{h - 12}" style="fill:{text}">{_ms(lo)}</text>')
        parts.append(f'<text x="{left + pw}" y="{h - 12}" text-anchor="end" style="fill:{text}">{_ms(hi)}</text>')
        parts.append(f'<text x="{left + pw / 2}" y="{h - 1}" text-anchor="middle" style="fill:{text}">'
                     "round-trip time (log scale)</text>")
        parts.append(f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" style="fill:{text}">{peak}</text>')
        parts.append("</svg>")
        return f'<div class="sio-latency" style="font-family:{font};color:{text}"><div>{head}</div>{"".join(parts)}</div>'


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms" if ms < 100 else f"{ms:,.0f} ms"


def latency(client: Any, event: str | None = None, *, namespace: str | None = None) -> LatencyStats:
    """The round-trip statistics of ``client``'s acknowledged calls (of one ``event`` and
    ``namespace`` if given); displays as the numbers and a histogram."""
    samples = [
        s for s in round_trips(client)
        if (event is None or s.event == event) and (namespace is None or s.namespace == namespace)
    ]
    return LatencyStats.of(samples)
