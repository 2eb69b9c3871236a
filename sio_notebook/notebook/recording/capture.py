"""Capture a client's events into a bounded ring buffer, and read them as DataFrames.

::

    from sio_notebook.notebook import capture

    cap = capture(sio, "tick")                 # or "*" for every event, several names allowed
    await cap.wait_for(20, timeout=30)         # 20 events captured since start (or clear())
    cap.frames()["tick"]                       # one DataFrame per event, honest dtypes
    cap.df                                     # every event in one DataFrame
    len(cap), cap.count, cap.dropped           # rows held, rows captured, rows evicted
    cap.pause(); cap.resume()                  # stop / go on recording (the data, not a view)
    cap.clear()                                # forget every row

Ingest is the client's catch-all hook (``client.on_any``): it runs on the event loop for
every incoming event, before the handlers, and costs one filter test, one small tuple,
one ``deque.append`` and one per-second counter. No pandas work happens per event, and
observers (the live views) are told about new rows at most once per loop iteration.
``max_rows`` bounds the memory: the oldest rows are evicted and counted in
:attr:`Capture.dropped`.

Opt-in rows make the capture a full timeline of the connection:

* ``outgoing=True``: what this client sent (``client.on_any_outgoing``), direction
  ``"out"``, and the acks of calls made through the notebook layer (``%sio call``, the
  form, :class:`~sio_notebook.notebook.views.pending.Pending`), direction ``"ack"`` with the
  round-trip time in :attr:`CapturedEvent.rtt`.
* ``lifecycle=True``: connect (sid, transport), disconnect (reason), reconnect attempts
  and results, transport upgrades, direction ``"life"``.

A capture made through ``%sio capture`` follows its connection's *name*: when ``%sio
connect`` runs again, :meth:`attach` moves it to the new client; rows and counts carry on.

The DataFrame logic lives in :mod:`sio_notebook.notebook.recording.frames`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .frames import bytes_for_csv, rows_to_dataframe, rows_to_frames
from .lifecycle import LifecycleRows
from .rates import EventRates
from .rows import CapturedEvent, Row

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Capture", "CapturedEvent", "capture", "record_ack", "rows_to_dataframe"]

_live: weakref.WeakSet[Capture] = weakref.WeakSet()


def record_ack(client: Any, namespace: str, event: str, value: Any, rtt: float) -> None:
    """Add an ``"ack"`` row to every outgoing capture of ``client`` (the notebook layer's
    calls report their acks here; the client itself has no ack hook)."""
    args = value if isinstance(value, tuple) else (() if value is None else (value,))
    for cap in list(_live):
        if cap.client is client and cap.outgoing and cap.active:
            cap.record(namespace, event, args, direction="ack", rtt=rtt)


class Capture:
    """A ring buffer of one client's events.

    Args:
        client: an ``AsyncClient`` (anything with ``on_any``/``off_any``).
        events: event names to keep; ``"*"`` (the default) keeps every event.
        namespace: a namespace or several; ``None`` keeps every namespace.
        max_rows: the capacity of the ring buffer; older rows are dropped and counted.
        start: start capturing at once (otherwise call :meth:`start`).
        outgoing: also record sent events and acks (see the module docstring).
        lifecycle: also record connection lifecycle rows.
        connection: the connection name this capture follows (set by ``%sio capture``).
    """

    def __init__(
        self,
        client: Any,
        events: Iterable[str] | str = "*",
        *,
        namespace: str | Iterable[str] | None = None,
        max_rows: int = 100_000,
        start: bool = True,
        outgoing: bool = False,
        lifecycle: bool = False,
        connection: str | None = None,
    ) -> None:
        if isinstance(events, str):
            events = (events,)
        events = tuple(events) or ("*",)
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self.client = client
        """The client whose events are captured (changes when the connection is replaced)."""
        self.events: tuple[str, ...] = events
        """The event names captured (``("*",)`` for all)."""
        if isinstance(namespace, str):
            namespace = (namespace,)
        self.namespaces: tuple[str, ...] | None = None if namespace is None else tuple(namespace)
        """The namespaces captured, or ``None`` for all."""
        self.max_rows = max_rows
        self.outgoing = outgoing
        self.lifecycle = lifecycle
        self.connection = connection
        """The connection name followed, if any."""
        self.gone: str | None = None
        """Why the capture can never receive again (its connection was closed), if so."""
        self.rates = EventRates()
        """Per-event counts per second over the last minute."""
        self.counts: dict[str, int] = {}
        """Rows captured per event name since the start or :meth:`clear`."""
        self.notes: dict[int, str] = {}
        """Notes on rows, by row number (:meth:`annotate`); the event log marks those rows."""
        self._rows: deque[Row] = deque(maxlen=max_rows)
        self._count = 0
        self._active = False
        self._paused = False
        self._notify_pending = False
        self._observers: list[Callable[[], None]] = []
        self._sinks: list[Callable[[CapturedEvent], None]] = []
        self.recorded_url: str | None = None
        """The server URL a dataset recorded (:meth:`load`); see :meth:`server_url`."""
        self.store: Any = None
        """The :class:`~sio_notebook.notebook.recording.store.ParquetSink` every row is written to, if any."""
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._table: Any = None
        self._life = LifecycleRows(self)
        self._listener = self._make_listener()
        _live.add(self)
        if start:
            self.start()

    # Recording

    def start(self) -> None:
        """(Re)attach to the client; a no-op if already capturing."""
        if self._active:
            return
        client = self.client
        client.on_any(self._listener)
        if self.outgoing:
            client.on_any_outgoing(self._on_outgoing)
        if self.lifecycle:
            self._life.watch(client)
        self._active = True
        self._notify()

    def stop(self) -> None:
        """Detach from the client. The rows stay; :meth:`start` resumes."""
        if not self._active:
            return
        client = self.client
        client.off_any(self._listener)
        if self.outgoing:
            client.off_any_outgoing(self._on_outgoing)
        if self.lifecycle:
            self._life.unwatch(client)
        self._active = False
        self._notify()
        if self.store is not None:
            from .store import StoreError

            # The rows so far go to disk. A failure is logged by the sink, which keeps the
            # rows and retries them at its next flush (see cap.store.error).
            with contextlib.suppress(StoreError):
                self.store.flush()

    def record(
        self, namespace: str, event: Any, args: tuple[Any, ...] = (), *, direction: str, rtt: float | None = None
    ) -> None:
        """Add one row that did not come in through the client's ``on_any`` hook: a sent
        event (``direction="out"``), an ack a notebook call got (``"ack"``, with its round-trip
        time ``rtt`` in seconds) or a connection lifecycle event (``"life"``).

        The row is numbered, counted, given to the sinks and shown like an incoming one, but
        only while the capture is active and not paused (as the ``on_any`` hook records).
        Lifecycle rows are left out of :attr:`rates`, which count messages. Incoming events
        are recorded by the capture itself, on its hot path.
        """
        if self._paused or not self._active:
            return
        self._count = count = self._count + 1
        t = time.time()
        row = (count, t, namespace, str(event), args, direction, rtt)
        if self._sinks:
            self._to_sinks(row)
        self._rows.append(row)
        self.counts[row[3]] = self.counts.get(row[3], 0) + 1
        if direction != "life":  # rates are of messages, not of the connection's own events
            self.rates.add(row[3], t)
        if not self._notify_pending:
            self._notify()

    def annotate(self, seq: int, note: str) -> None:
        """Attach ``note`` to row ``seq`` (e.g. a conformance checker's violation): the event
        log marks the row and shows the note as its tooltip. Notes of evicted rows are
        dropped as new ones come, so they stay as bounded as the rows."""
        notes = self.notes
        notes[seq] = f"{notes[seq]}; {note}" if seq in notes else note
        if len(notes) > self.max_rows:
            oldest = self._count - self.max_rows
            for old in [s for s in notes if s <= oldest]:
                del notes[old]
        if not self._notify_pending:
            self._notify()

    def pause(self) -> None:
        """Stop recording rows (the capture stays attached); :meth:`resume` goes on."""
        if not self._paused:
            self._paused = True
            self._notify()

    def resume(self) -> None:
        """Record rows again after :meth:`pause`."""
        if self._paused:
            self._paused = False
            self._notify()

    def attach(self, client: Any) -> None:
        """Follow ``client`` from now on (a replaced connection): rows and counts carry on."""
        if client is self.client:
            return
        was_active = self._active
        if was_active:
            self.stop()
        self.client = client
        self.gone = None
        if was_active:
            self.start()
        if self.lifecycle:
            self.record("/", "new client", direction="life")  # %sio connect ran again

    def mark_gone(self, reason: str) -> None:
        """Stop for good and say why (the connection was closed); rows stay readable."""
        self.stop()
        self.gone = reason
        self._notify()

    def clear(self) -> None:
        """Forget every row and reset :attr:`count`, :attr:`dropped` and the rates."""
        self._rows.clear()
        self._count = 0
        self.counts.clear()
        self.notes.clear()
        self.rates.clear()
        self._notify()

    @property
    def active(self) -> bool:
        """Whether the capture is attached to its client."""
        return self._active

    @property
    def paused(self) -> bool:
        """Whether recording is paused (see :meth:`pause`)."""
        return self._paused

    @property
    def count(self) -> int:
        """Rows captured since the start or the last :meth:`clear` (held or dropped)."""
        return self._count

    @property
    def dropped(self) -> int:
        """Rows evicted from the ring buffer because it was full."""
        return self._count - len(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[CapturedEvent]:
        return map(CapturedEvent._make, list(self._rows))

    def tail(self, n: int) -> list[CapturedEvent]:
        """The newest ``n`` rows, oldest first (cheap: no copy of the whole buffer)."""
        rows = self._rows
        n = min(n, len(rows))
        return [CapturedEvent._make(rows[i]) for i in range(-n, 0)]

    async def wait_for(self, n: int, timeout: float | None = None) -> None:
        """Wait until :attr:`count` reaches ``n``.

        Returns None (so that, as a cell's last line, it shows nothing: the capture's view
        is already on screen). Raises :class:`TimeoutError` if ``timeout`` seconds pass.
        """
        if self._count >= n:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (n, future)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"captured {self._count} of {n} events of {', '.join(self.events)} in {timeout} s"
            ) from None
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    # DataFrames

    @property
    def df(self) -> pd.DataFrame:
        """Every row in one new DataFrame (see :func:`~sio_notebook.notebook.recording.frames.rows_to_dataframe`)."""
        return rows_to_dataframe(list(self._rows))

    def to_dataframe(self) -> pd.DataFrame:
        """Same as :attr:`df`."""
        return self.df

    def frames(self) -> dict[str, pd.DataFrame]:
        """``{event name: DataFrame}``, each with only that event's columns and dtypes
        (see :func:`~sio_notebook.notebook.recording.frames.rows_to_frames`)."""
        return rows_to_frames(list(self._rows))

    async def df_async(self) -> pd.DataFrame:
        """Build :attr:`df` in a worker thread, so the event loop keeps ingesting meanwhile."""
        rows = list(self._rows)
        return await asyncio.to_thread(rows_to_dataframe, rows)

    def to_csv(self, *args: Any, bytes_as: str = "base64", **kwargs: Any) -> Any:
        """``self.df.to_csv(...)``, bytes written as base64 (``bytes_as="hex"`` for hex)."""
        return bytes_for_csv(self.df, bytes_as).to_csv(*args, **kwargs)

    def to_parquet(self, *args: Any, **kwargs: Any) -> Any:
        """``self.df.to_parquet(...)`` (needs pyarrow); bytes are stored as binary."""
        return self.df.to_parquet(*args, **kwargs)

    # Observers (the live views) and sinks (writers)

    def add_observer(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` on the loop after new rows arrive (at most once per loop
        iteration), and after clear/start/stop/pause/resume."""
        self._observers.append(callback)

    def remove_observer(self, callback: Callable[[], None]) -> None:
        if callback in self._observers:
            self._observers.remove(callback)

    def add_sink(self, fn: Callable[[CapturedEvent], None]) -> None:
        """Call ``fn(row)`` synchronously for every row recorded from now on (a
        :class:`CapturedEvent`), before the ring buffer can evict it, so a sink (the
        Parquet store, a live chart) sees every event even when ``max_rows`` is small.

        ``fn`` runs on the hot path (keep it to an append); if it raises, the error is
        logged and the sink removed, so one broken sink cannot stop the capture.
        """
        self._sinks.append(fn)

    def remove_sink(self, fn: Callable[[CapturedEvent], None]) -> None:
        if fn in self._sinks:
            self._sinks.remove(fn)

    # Parquet, charts, replay (store.py, chart.py, replay.py)

    def write_to(self, path: Any, *, flush_rows: int = 10_000, flush_seconds: float = 1.0) -> Any:
        """Stream every row from now on to the Parquet dataset at ``path`` (see
        :mod:`~sio_notebook.notebook.recording.store`); :meth:`stop` flushes it. Returns the sink."""
        from .store import ParquetSink

        if self.store is not None:
            raise ValueError(f"this capture already writes to {self.store.path}")
        self.store = ParquetSink(path, flush_rows=flush_rows, flush_seconds=flush_seconds, url=self.server_url)
        self.add_sink(self.store)
        return self.store

    def plot(self, y: str | None = None, by: str | None = None, window: float | None = None,
             kind: str = "line", **kwargs: Any) -> Any:
        """A live chart of payload field ``y`` over arrival time, one series per ``by`` value
        (:class:`~sio_notebook.notebook.views.chart.LiveChart`; it displays as a cell's result)."""
        from ..views.chart import LiveChart

        return LiveChart(self, y, by=by, window=window, kind=kind, **kwargs)

    async def replay(self, client: Any, speed: float | None = None, **kwargs: Any) -> int:
        """Emit the rows held again on ``client``, in order (:func:`~sio_notebook.notebook.recording.replay.replay`);
        returns the number sent."""
        from .replay import replay

        return await replay(self, client, speed, **kwargs)

    @classmethod
    def load(cls, path: Any) -> Capture:
        """A stopped capture holding every row of the Parquet dataset at ``path`` (finished,
        or still being written: what is flushed so far), in arrival order; none evicted.
        For datasets bigger than memory, query the files directly (DuckDB, pyarrow.dataset,
        Spark, Dask)."""
        from .store import read_rows, read_url

        rows = read_rows(path)
        url = read_url(path)
        cap = cls(None, tuple(dict.fromkeys(r.event for r in rows)) or ("*",), max_rows=max(len(rows), 1), start=False)
        cap._rows.extend(rows)
        cap._count = len(rows)
        for row in rows:
            cap.counts[row.event] = cap.counts.get(row.event, 0) + 1
        cap.recorded_url = url
        return cap

    def server_url(self) -> str | None:
        """The URL of the server the rows came from (password redacted): the client's, or
        the one a loaded dataset recorded; ``None`` if unknown (a client not connected yet)."""
        if self.client is not None:
            try:
                url = self.client.status().url
            except Exception:  # noqa: BLE001 - a client without a status: the URL is unknown
                url = None
            if url:
                return str(url)
        return self.recorded_url

    # Display: a capture shows as its live view

    def table(self, **kwargs: Any) -> Any:
        """The live :class:`~sio_notebook.notebook.views.log.EventTable` of this capture
        (created on first use; ``kwargs`` go to a new view)."""
        from ..views.log import EventTable

        if kwargs or self._table is None or self._table.closed:
            self._table = EventTable(self, **kwargs)
        return self._table

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.table()._repr_mimebundle_(**kwargs)

    def _ipython_display_(self) -> None:
        self.table()._ipython_display_()

    def _display_(self) -> Any:
        """marimo's display protocol: the live event log."""
        return self.table()._display_()

    def __repr__(self) -> str:
        state = self.gone or ("paused" if self._paused else "active" if self._active else "stopped")
        return (
            f"<Capture {','.join(self.events)} {state}: {len(self._rows)} rows, "
            f"{self._count} captured, {self.dropped} dropped>"
        )

    # Private methods

    def _make_listener(self) -> Callable[[str, str, tuple[Any, ...]], None]:
        # The hot path, a closure over locals: one filter test, one tuple, one append.
        rows_append = self._rows.append
        wanted = None if "*" in self.events else frozenset(self.events)
        namespaces = None if self.namespaces is None else frozenset(self.namespaces)
        now = time.time
        counts = self.counts
        rates_add = self.rates.add

        def on_any(namespace: str, event: str, args: tuple[Any, ...]) -> None:
            if wanted is not None and event not in wanted:
                return
            if namespaces is not None and namespace not in namespaces:
                return
            if self._paused:
                return
            self._count = count = self._count + 1
            t = now()
            row = (count, t, namespace, event, args, "in", None)
            if self._sinks:
                self._to_sinks(row)
            rows_append(row)
            counts[event] = counts.get(event, 0) + 1
            rates_add(event, t)
            if not self._notify_pending:
                self._notify()

        return on_any

    def _to_sinks(self, row: Row) -> None:
        event = CapturedEvent._make(row)
        for fn in list(self._sinks):
            try:
                fn(event)
            except Exception:
                logging.getLogger(__name__).exception("capture sink %r failed; removed", fn)
                self.remove_sink(fn)

    def _on_outgoing(self, namespace: str, event: Any, args: tuple[Any, ...]) -> None:
        if self.namespaces is not None and namespace not in self.namespaces:
            return
        self.record(namespace, event, args, direction="out")

    def _notify(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # fed outside a loop (tests, scripts): tell observers at once
            self._flush()
            return
        self._notify_pending = True
        loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._notify_pending = False
        if self.lifecycle and self._active:
            self._life.check_upgrade()
        if self._waiters:
            for n, future in list(self._waiters):
                if self._count >= n and not future.done():
                    future.set_result(None)
        for callback in list(self._observers):
            callback()


def capture(
    client: Any,
    *events: str,
    namespace: str | Iterable[str] | None = None,
    max_rows: int = 100_000,
    outgoing: bool = False,
    lifecycle: bool = False,
    path: Any = None,
    flush_rows: int = 10_000,
    flush_seconds: float = 1.0,
) -> Capture:
    """Start capturing ``events`` (all events if none or ``"*"``) of ``client``; with a
    ``path``, every row also goes to that Parquet dataset (:meth:`Capture.write_to`)."""
    cap = Capture(
        client, events or ("*",), namespace=namespace, max_rows=max_rows, outgoing=outgoing, lifecycle=lifecycle
    )
    if path is not None:
        try:
            cap.write_to(path, flush_rows=flush_rows, flush_seconds=flush_seconds)
        except BaseException:
            cap.stop()  # no capture left running without the store that was asked for
            raise
    return cap
