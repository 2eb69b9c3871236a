"""Round-trip times of acknowledged calls, per client.

Every call made through the notebook layer (``%sio call``, the emit form, the
``Pending`` helper) records how long its ack took with :func:`record_rtt`.
:func:`round_trips` returns what was recorded for one client, and :func:`latency` sums
it up: count, p50/p90/p99 and a histogram, which displays as a small SVG chart (a plain
output, so it survives saving like every view)::

    nb.latency(sio)                  # the view
    nb.latency(sio, "add").p99       # seconds, for one event

A call that raised its ``TimeoutError`` is recorded too (:func:`record_timeout`): timeouts
are counted and shown beside the percentiles, never dropped, since a server that stops
answering would otherwise look *faster*. (Pairing an emit with a reply event, and
captures as the source: :mod:`sio_notebook.notebook.prove.latency`.)

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

__all__ = ["LatencyStats", "RoundTrip", "TimedOut", "latency", "record_rtt", "record_timeout", "round_trips", "timeouts"]

#: Samples kept per client: enough for stable p99s, small enough to never matter.
MAX_SAMPLES = 10_000


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """One acknowledged call: which event, when it was answered, and how long it took."""

    event: str
    namespace: str
    seconds: float
    at: float  # time.time() when the ack arrived


@dataclass(frozen=True, slots=True)
class TimedOut:
    """One call that got no ack (or reply) within its ``timeout`` seconds."""

    event: str
    namespace: str
    timeout: float
    at: float  # time.time() when it was given up


_samples: weakref.WeakKeyDictionary[Any, deque[RoundTrip]] = weakref.WeakKeyDictionary()
_timeouts: weakref.WeakKeyDictionary[Any, deque[TimedOut]] = weakref.WeakKeyDictionary()


def record_rtt(client: Any, event: str, seconds: float, namespace: str = "/") -> None:
    """Record that ``client``'s call of ``event`` was acknowledged after ``seconds``."""
    samples = _samples.get(client)
    if samples is None:
        samples = _samples[client] = deque(maxlen=MAX_SAMPLES)
    samples.append(RoundTrip(event, namespace, seconds, time.time()))


def record_timeout(client: Any, event: str, timeout: float, namespace: str = "/") -> None:
    """Record that ``client``'s call of ``event`` got no ack within ``timeout`` seconds."""
    lost = _timeouts.get(client)
    if lost is None:
        lost = _timeouts[client] = deque(maxlen=MAX_SAMPLES)
    lost.append(TimedOut(event, namespace, timeout, time.time()))


def timeouts(client: Any) -> list[TimedOut]:
    """The recorded timeouts of ``client``, oldest first (empty if none)."""
    return list(_timeouts.get(client, ()))


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
    timeouts: int = 0
    """Calls (or requests) that got no answer within ``timeout``: counted, not in the percentiles."""
    pending: int = 0
    """Requests still waiting for their reply, not yet past ``timeout`` (reply pairing only)."""
    timeout: float | None = None
    """The limit a timeout is measured against, in seconds (``None``: the calls' own, varied)."""
    pairing: str = ""
    """How requests were paired with answers, e.g. ``"subscribe → subscribed by id"`` ("" for acks)."""

    @classmethod
    def of(
        cls, samples: Iterable[RoundTrip], *, timeouts: int = 0, pending: int = 0, timeout: float | None = None,
        pairing: str = "", events: Iterable[str] = (),
    ) -> LatencyStats:
        samples = list(samples)
        values = sorted(s.seconds for s in samples)
        names = tuple(sorted({s.event for s in samples} | set(events)))
        if not values:
            nan = math.nan
            return cls(0, nan, nan, nan, nan, nan, nan, names, (), timeouts, pending, timeout, pairing)
        return cls(
            len(values), _percentile(values, 0.5), _percentile(values, 0.9), _percentile(values, 0.99),
            values[0], values[-1], sum(values) / len(values), names, tuple(values), timeouts, pending, timeout, pairing,
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
        lost = self._lost_text()
        if not self.count:
            nothing = "no replies paired yet" if self.pairing else "no acknowledged calls recorded yet"
            return f"{nothing}{'; ' + lost if lost else ''}"
        return (
            f"{self.count:,} round trip{'s' if self.count != 1 else ''}: "
            f"p50 {_ms(self.p50)}, p90 {_ms(self.p90)}, p99 {_ms(self.p99)} "
            f"(min {_ms(self.min)}, max {_ms(self.max)}){'; ' + lost if lost else ''}"
        )

    def _lost_text(self) -> str:
        parts = []
        if self.timeouts:
            limit = f" (no answer within {self.timeout:g} s)" if self.timeout is not None else ""
            parts.append(f"{self.timeouts:,} timeout{'s' if self.timeouts != 1 else ''}{limit}")
        if self.pending:
            parts.append(f"{self.pending:,} pending")
        return ", ".join(parts)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        return {"text/plain": str(self), "text/html": self.html()}

    def html(self) -> str:
        """The numbers and an SVG histogram, coloured with JupyterLab's theme variables."""
        text = "var(--jp-ui-font-color1, currentColor)"
        font = "var(--jp-ui-font-family, sans-serif)"
        what = self.pairing or ", ".join(self.events)
        head = html.escape(str(self) + (f" · {what}" if what else ""))
        if self.timeouts:  # never hidden: the count is in the head, in the error colour
            lost = html.escape(self._lost_text())
            head = head.replace(lost, f'<span style="color:{_ERROR}">{lost}</span>', 1)
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


#: The theme's error colour mixed with its text colour, as theme.py does (WCAG AA in Light and Dark).
_ERROR = "color-mix(in srgb, var(--jp-error-color1, currentColor) 60%, var(--jp-ui-font-color1, currentColor))"


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms" if ms < 100 else f"{ms:,.0f} ms"


def latency(client: Any, event: str | None = None, *, namespace: str | None = None) -> LatencyStats:
    """The round-trip statistics of ``client``'s acknowledged calls (of one ``event`` and
    ``namespace`` if given), with the calls that timed out counted; displays as the numbers
    and a histogram."""

    def wanted(s: RoundTrip | TimedOut) -> bool:
        return (event is None or s.event == event) and (namespace is None or s.namespace == namespace)

    lost = [t for t in timeouts(client) if wanted(t)]
    limits = {t.timeout for t in lost}
    return LatencyStats.of(
        [s for s in round_trips(client) if wanted(s)], timeouts=len(lost),
        timeout=limits.pop() if len(limits) == 1 else None, events=(t.event for t in lost),
    )
