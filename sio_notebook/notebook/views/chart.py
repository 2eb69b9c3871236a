"""Live charts of a capture: a numeric payload field over arrival time, drawn as SVG.

::

    cap = capture(sio, "tick")
    cap.plot("price", by="symbol", window=60)       # or: %sio plot tick price --by symbol --window 60

The chart is a plain display output (``text/html`` holding an inline SVG, plus a
``text/plain`` summary) updated in place through its ``display_id``
(:class:`~sio_notebook.notebook.views.live.LiveOutput`), so a saved notebook keeps the last
picture, and it renders with or without a kernel, in JupyterLab, Notebook 7, Voilà, VS
Code and ``nbconvert --to html`` offline. Why not a plotting library: the widget ones
(bqplot, plotly's FigureWidget, ipympl) show nothing once the kernel is gone or offline
in nbconvert, and rendering a PNG with matplotlib costs ~60 ms of kernel time per frame;
see the commit that added this module for the measurements.

Cost per event: the chart is a capture sink (:meth:`Capture.add_sink`), one dict lookup and
two list appends. Drawing is coalesced to ``max_fps`` frames a second and bounded: each
series is reduced to the minimum and maximum of every pixel column (the "min/max"
downsampling of hvPlot/tsdownsample), so a frame has at most ``2 x width`` points per series
however many events arrived. Without a ``window`` the whole capture is shown; the points
kept in memory are then compacted the same way when they pass ``max_points``.

Colours are JupyterLab's theme variables (``--jp-*``, with fallbacks for front ends that
lack them), so the chart follows Light and Dark.
"""

from __future__ import annotations

import html
import math
import time
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .live import LiveOutput

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from ..recording.capture import Capture

__all__ = ["LiveChart", "plot"]

KINDS = ("line", "scatter", "step")

#: The charts following each capture, by spec (see LiveChart.__init__).
_charts: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], LiveChart]] = weakref.WeakKeyDictionary()

#: Series colours: the theme's own accent colours first (they have Light and Dark values),
#: then the editor's syntax colours; the fallbacks are for front ends without --jp-* variables.
PALETTE = (
    "var(--jp-brand-color1, #1976d2)",
    "var(--jp-warn-color1, #f57c00)",
    "var(--jp-success-color1, #388e3c)",
    "var(--jp-error-color1, #d32f2f)",
    "var(--jp-info-color1, #0097a7)",
    "var(--jp-mirror-editor-operator-color, #7b1fa2)",
    "var(--jp-mirror-editor-string-color, #ba2121)",
    "var(--jp-mirror-editor-number-color, #558b2f)",
)
_TEXT = "var(--jp-ui-font-color1, currentColor)"
_GRID = "var(--jp-border-color2, #e0e0e0)"
_AXIS = "var(--jp-border-color1, #bdbdbd)"
_FONT = "var(--jp-ui-font-family, sans-serif)"


def field_getter(path: str | None) -> Any:
    """A function payload -> value for ``"price"`` or ``"a.b"`` (``None``: the payload)."""
    if path is None:
        return lambda payload: payload
    parts = path.split(".")
    if len(parts) == 1:
        key = parts[0]
        return lambda payload: payload.get(key) if type(payload) is dict else None

    def get(payload: Any) -> Any:
        if type(payload) is dict and path in payload:
            return payload[path]
        for part in parts:
            if not isinstance(payload, dict):
                return None
            payload = payload.get(part)
        return payload

    return get


class _Series:
    """The points of one series: new ones in lists (cheap appends), older ones as arrays."""

    __slots__ = ("name", "xs", "ys", "ax", "ay", "last")

    def __init__(self, name: str) -> None:
        self.name = name
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.ax: Any = None
        self.ay: Any = None
        self.last = math.nan

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        if self.xs:
            nx, ny = np.asarray(self.xs, dtype="float64"), np.asarray(self.ys, dtype="float64")
            self.xs, self.ys = [], []
            if self.ax is None:
                self.ax, self.ay = nx, ny
            else:
                self.ax, self.ay = np.concatenate((self.ax, nx)), np.concatenate((self.ay, ny))
        if self.ax is None:
            return np.empty(0), np.empty(0)
        return self.ax, self.ay

    def __len__(self) -> int:
        return len(self.xs) + (0 if self.ax is None else len(self.ax))


def minmax_indices(x: np.ndarray, y: np.ndarray, x0: float, x1: float, columns: int) -> np.ndarray:
    """Indices (in order) of the points to draw: per pixel column between ``x0`` and ``x1``,
    the first, last, lowest and highest point. Lines keep their shape and their spikes."""
    import numpy as np

    n = len(x)
    if n <= 2 * columns:
        return np.arange(n)
    span = x1 - x0 if x1 > x0 else 1.0
    col = np.clip(((x - x0) * (columns / span)).astype("int64"), 0, columns - 1)
    step = np.diff(col)
    if (step >= 0).all():  # arrival time: columns come in order; O(n), no sort
        starts = np.flatnonzero(np.r_[True, step != 0])
        seg = np.cumsum(np.r_[0, step != 0])
        lo, hi = np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)
        picks = [np.array([0, n - 1])]
        for hit in (np.flatnonzero(y == lo[seg]), np.flatnonzero(y == hi[seg])):
            first = np.r_[True, seg[hit][1:] != seg[hit][:-1]]  # one point per column, even on ties
            picks.append(hit[first])
        return np.unique(np.concatenate(picks))
    order = np.lexsort((y, col))  # by column, then by value
    sorted_col = col[order]
    starts = np.flatnonzero(np.r_[True, sorted_col[1:] != sorted_col[:-1]])
    ends = np.r_[starts[1:], n] - 1
    keep = np.concatenate((order[starts], order[ends], [0, n - 1]))
    return np.unique(keep)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering ``lo``..``hi``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    v = first
    while v <= hi + step * 1e-9:
        ticks.append(0.0 if abs(v) < step * 1e-9 else v)
        v += step
    return ticks


_TIME_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600,
               900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def time_ticks(lo: float, hi: float, count: int = 6) -> tuple[list[float], str]:
    """Tick times (epoch seconds) on round wall-clock steps, and the strftime format."""
    span = max(hi - lo, 1e-3)
    step = next((s for s in _TIME_STEPS if span / s <= count), 86400.0)
    first = math.ceil(lo / step) * step
    ticks = []
    t = first
    while t <= hi:
        ticks.append(t)
        t += step
    return ticks, ("%H:%M:%S" if step >= 1 else "%H:%M:%S.%f")


def _fmt_time(t: float, fmt: str) -> str:
    stamp = time.strftime("%H:%M:%S", time.gmtime(t))
    if fmt.endswith("%f"):
        stamp += f".{int(round((t % 1) * 1000)) % 1000:03d}"
    return stamp


def _fmt_num(v: float) -> str:
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e6 or a < 1e-3:
        return f"{v:.3g}"
    if a >= 100:
        return f"{v:,.0f}" if float(v).is_integer() or a >= 1e4 else f"{v:,.1f}"
    return f"{v:.4g}"


class LiveChart(LiveOutput):
    """A chart of ``y`` (a payload field) over arrival time, or over ``x``, that follows a
    capture while it runs. Use :meth:`Capture.plot` or :func:`plot`.

    Args:
        capture: the capture to follow (its rows so far are drawn too).
        y: the payload field to draw (``"price"``, or ``"quote.bid"`` for nested dicts);
            ``None`` draws the payload itself when it is a number.
        by: a payload field whose values split the points into series (one line each).
        x: a payload field for the horizontal axis instead of the arrival time.
        window: show only the last ``window`` seconds (arrival time axis only).
        kind: ``"line"``, ``"step"`` or ``"scatter"``.
        events: only rows of these event names (default: every event of the capture).
        normalize: draw each series as its change in % from its first point in view, so
            series at different levels (prices of different symbols) can be compared.
        width, height: the size of the drawing in CSS pixels.
        max_fps: frames per second at most.
        max_series: series beyond this many are counted but not drawn.
        max_points: points kept per series without a window, before compaction.
    """

    def __init__(
        self,
        capture: Capture,
        y: str | None,
        *,
        by: str | None = None,
        x: str | None = None,
        window: float | None = None,
        kind: str = "line",
        events: str | Sequence[str] | None = None,
        normalize: bool = False,
        title: str | None = None,
        width: int = 720,
        height: int = 260,
        max_fps: float = 4.0,
        max_series: int = 12,
        max_points: int = 200_000,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if window is not None and not window > 0:
            raise ValueError(f"window must be a positive number of seconds, not {window!r}")
        if window is not None and x is not None:
            raise ValueError("window applies to the arrival-time axis; leave it out when x is a payload field")
        if width < 200 or height < 120:
            raise ValueError("the chart needs at least 200 x 120 pixels")
        self.max_fps = max_fps
        super().__init__()
        self.capture = capture
        self.y, self.by, self.x, self.window, self.kind = y, by, x, window, kind
        self.normalize = normalize
        self.title = title
        self.width, self.height = width, height
        self.max_series, self.max_points = max_series, max_points
        self.events = None if events is None else frozenset((events,) if isinstance(events, str) else events)
        self.points = 0
        """Points taken so far (rows with a numeric ``y``)."""
        self.skipped = 0
        """Rows of the right events whose ``y`` was missing or not a number."""
        self.frames = 0
        """Frames drawn (each one ``update_display_data`` message at most)."""
        self._get_y = field_getter(y)
        self._get_x = None if x is None else field_getter(x)
        self._get_by = None if by is None else field_getter(by)
        self._series: dict[str, _Series] = {}
        self._hidden: set[str] = set()
        self._closed = False
        self._cache: tuple[Any, str] | None = None
        for row in list(capture):  # what the capture holds already
            self._take(row)
        # Re-running a plot cell makes a new chart: the previous one of the same spec on this
        # capture stops following it (its output keeps the last frame), so old charts do not
        # go on drawing for outputs nobody sees.
        spec = (y, by, x, window, kind, self.events, normalize)
        charts = _charts.setdefault(capture, {})
        previous = charts.get(spec)
        if previous is not None:
            previous.close()
        charts[spec] = self
        capture.add_sink(self._on_row)
        capture.add_observer(self._on_capture_change)

    # Public methods

    def close(self) -> None:
        """Stop following the capture; the last frame stays."""
        if not self._closed:
            self._closed = True
            self.capture.remove_sink(self._on_row)
            self.capture.remove_observer(self._on_capture_change)
            self.push()

    def finished(self) -> bool:
        """A closed chart no longer changes (the end-of-cell push then forgets it)."""
        return self._closed

    @property
    def series(self) -> dict[str, tuple[Any, Any]]:
        """``{name: (x values, y values)}`` of the points held (x in epoch seconds)."""
        return {name: s.arrays() for name, s in self._series.items()}

    # Ingest (the capture's sink: runs on the loop for every captured row)

    def _on_row(self, row: Any) -> None:
        self._take(row)
        self.changed()

    def _on_capture_change(self) -> None:
        self.changed()

    def _take(self, row: Any) -> None:
        if self.events is not None and row[3] not in self.events:
            return
        args = row[4]
        payload = args[0] if len(args) == 1 else (list(args) if args else None)
        v = self._get_y(payload)
        if v.__class__ is bool or not isinstance(v, (int, float)) or v != v:  # no bools, text or NaN
            self.skipped += 1
            return
        if self._get_x is None:
            xv = row[1]
        else:
            xv = self._get_x(payload)
            if isinstance(xv, bool) or not isinstance(xv, (int, float)):
                self.skipped += 1
                return
        name = "" if self._get_by is None else str(self._get_by(payload))
        series = self._series.get(name)
        if series is None:
            if len(self._series) >= self.max_series:
                self._hidden.add(name)
                return
            series = self._series[name] = _Series(name)
        series.xs.append(xv)
        series.ys.append(v)
        series.last = v
        self.points += 1
        if len(series.xs) >= 50_000:
            self._compact(series)

    def _compact(self, series: _Series) -> None:
        x, y = series.arrays()
        if self.window is not None and len(x):
            keep = x >= x[-1] - self.window
            x, y = x[keep], y[keep]
        if len(x) > self.max_points:  # keep the envelope: min/max over 1/8 of the budget
            idx = minmax_indices(x, y, float(x[0]), float(x[-1]), self.max_points // 8)
            x, y = x[idx], y[idx]
        series.ax, series.ay = x, y

    # Rendering

    def text(self) -> str:
        parts = [f"{name or self.y}={_fmt_num(s.last)}" for name, s in self._series.items()]
        state = "" if self.capture.active else " (stopped)"
        last = "; last " + ", ".join(parts) if parts else ""
        return f"<LiveChart {self._label()}: {self.points:,} points{state}{last}>"

    def _label(self) -> str:
        label = self.title or (self.y or "value")
        if self.by:
            label += f" by {self.by}"
        return label

    def html(self) -> str:
        # The view is also pushed at the end of every cell (live.py's post_execute hook):
        # draw again only when something that is drawn changed.
        key = (self.points, self.skipped, self.capture.active, len(self._hidden),
               None if self.window is None else int(time.time() * self.max_fps))
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        self.frames += 1
        out = f'<div class="sio-chart" style="max-width:100%;overflow-x:auto">{self.svg()}</div>'
        self._cache = (key, out)
        return out

    def svg(self) -> str:
        """The chart now, as an SVG document."""
        import numpy as np

        w, h = self.width, self.height
        left, right, top, bottom = 64, 12, 30, 34
        pw, ph = w - left - right, h - top - bottom
        now = time.time()
        data: list[tuple[int, str, np.ndarray, np.ndarray]] = []
        for i, (name, s) in enumerate(self._series.items()):
            x, y = s.arrays()
            if self.window is not None and len(x):
                latest = now if self.capture.active else float(x[-1])
                keep = x >= latest - self.window
                if not keep.all():
                    x, y = s.ax, s.ay = x[keep], y[keep]  # older points are never shown again
            if self.normalize and len(y) and y[0] != 0:
                y = (y / y[0] - 1.0) * 100.0
            data.append((i, name, x, y))
        xs = [d[2] for d in data if len(d[2])]
        ys = [d[3] for d in data if len(d[3])]
        if self.window is not None and self.x is None:
            x1 = now if self.capture.active or not xs else max(float(a[-1]) for a in xs)
            x0 = x1 - self.window
        elif xs:
            x0, x1 = min(float(a.min()) for a in xs), max(float(a.max()) for a in xs)
        else:
            x0, x1 = now - 60, now
        if x1 <= x0:
            x0, x1 = x0 - 0.5, x1 + 0.5
        if ys:
            y0, y1 = min(float(a.min()) for a in ys), max(float(a.max()) for a in ys)
        else:
            y0, y1 = 0.0, 1.0
        if y1 <= y0:
            y0, y1 = y0 - 1, y1 + 1
        pad = (y1 - y0) * 0.05
        y0, y1 = y0 - pad, y1 + pad

        def sx(v: Any) -> Any:
            return left + (v - x0) * (pw / (x1 - x0))

        def sy(v: Any) -> Any:
            return top + ph - (v - y0) * (ph / (y1 - y0))

        out: list[str] = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'role="img" aria-label="{html.escape(self._label())}" '
            f'style="font-family:{_FONT};font-size:11px;color:{_TEXT};overflow:visible">'
        ]
        # grid and y labels
        for t in nice_ticks(y0, y1):
            py = sy(t)
            out.append(f'<line x1="{left}" x2="{left + pw}" y1="{py:.1f}" y2="{py:.1f}" style="stroke:{_GRID}"/>')
            label = _fmt_num(t) + ("%" if self.normalize else "")
            out.append(f'<text x="{left - 6}" y="{py + 4:.1f}" text-anchor="end" style="fill:{_TEXT}">{label}</text>')
        if self.x is None:
            ticks, fmt = time_ticks(x0, x1)
            labels = [_fmt_time(t, fmt) for t in ticks]
        else:
            ticks = nice_ticks(x0, x1, 6)
            labels = [_fmt_num(t) for t in ticks]
        for t, label in zip(ticks, labels, strict=True):
            px = sx(t)
            out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{top}" y2="{top + ph}" style="stroke:{_GRID}"/>')
            out.append(f'<text x="{px:.1f}" y="{top + ph + 15}" text-anchor="middle" style="fill:{_TEXT}">{label}</text>')
        out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" style="fill:none;stroke:{_AXIS}"/>')
        xlabel = "time (UTC)" if self.x is None else self.x
        out.append(f'<text x="{left + pw}" y="{h - 4}" text-anchor="end" style="fill:{_TEXT}">{html.escape(xlabel)}</text>')
        # series
        for i, _name, x, y in data:
            if not len(x):
                continue
            colour = PALETTE[i % len(PALETTE)]
            dash = "" if i < len(PALETTE) else ";stroke-dasharray:5 3"
            idx = minmax_indices(x, y, x0, x1, pw)
            px, py = sx(x[idx]), sy(y[idx])
            if self.kind == "scatter":
                dots = "".join(f"M{a:.1f} {b:.1f}h0" for a, b in zip(px, py, strict=True))
                out.append(f'<path d="{dots}" style="stroke:{colour};stroke-width:4;stroke-linecap:round"/>')
                continue
            if self.kind == "step":
                px = np.repeat(px, 2)[1:]
                py = np.repeat(py, 2)[:-1]
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
            out.append(f'<polyline points="{points}" style="fill:none;stroke:{colour};stroke-width:1.5{dash}"/>')
        # title and legend
        state = "" if self.capture.active else " · stopped"
        window = f" · last {self.window:g} s" if self.window else ""
        head = f"{self._label()}{' (% change)' if self.normalize else ''} · {self.points:,} points{window}{state}"
        out.append(f'<text x="{left}" y="12" style="fill:{_TEXT};font-weight:bold">{html.escape(head)}</text>')
        lx = left
        for i, name, _x, _y in data:
            if not name and len(data) == 1:
                break
            s = self._series[name]
            label = f"{name} {_fmt_num(s.last)}"
            colour = PALETTE[i % len(PALETTE)]
            out.append(f'<line x1="{lx}" x2="{lx + 14}" y1="22" y2="22" style="stroke:{colour};stroke-width:3"/>')
            out.append(f'<text x="{lx + 18}" y="26" style="fill:{_TEXT}">{html.escape(label)}</text>')
            lx += 30 + int(6.2 * len(label))  # ~6.2 px per character at 11 px
            if lx > w - 60:
                break
        if self._hidden:
            out.append(f'<text x="{w - right}" y="12" text-anchor="end" style="fill:{_TEXT}">'
                       f'+{len(self._hidden)} series not drawn</text>')
        if not ys:
            out.append(f'<text x="{left + pw / 2}" y="{top + ph / 2}" text-anchor="middle" style="fill:{_TEXT}">'
                       f'waiting for {html.escape(self.y or "values")}…</text>')
        out.append("</svg>")
        return "".join(out)


def plot(capture: Capture, y: str | None = None, **kwargs: Any) -> LiveChart:
    """A :class:`LiveChart` of ``capture`` (``cap.plot(...)`` is the same)."""
    return LiveChart(capture, y, **kwargs)
