"""Capture incoming events into a bounded ring buffer, and read them as a DataFrame.

::

    from sio_notebook.notebook import capture

    cap = capture(sio, "tick")                 # or "*" for every event, several names allowed
    await cap.wait_for(20, timeout=30)         # 20 events captured since start (or clear())
    cap.df                                     # pandas DataFrame, built on demand
    len(cap), cap.count, cap.dropped           # rows held, rows captured, rows evicted
    cap.clear(); cap.stop(); cap.start()

Ingest is the client's catch-all hook (``client.on_any``): it runs on the event loop for
every incoming event, before the handlers, and costs one filter test, one small tuple
and one ``deque.append``. No pandas work happens per event, and observers (the live
table) are told about new rows at most once per loop iteration, however many events
arrived in it. ``max_rows`` bounds the memory: the oldest rows are evicted and counted in
:attr:`Capture.dropped`.

``df`` is built from a snapshot of the deque (one C-level copy), so ingest carries on
while the frame is being assembled; :meth:`Capture.df_async` does the pandas part in a
worker thread so that the event loop keeps ingesting meanwhile.

Columns of ``df``: ``time`` (UTC timestamps), ``namespace``, ``event``, then the
payload: a dict payload is flattened into columns as :func:`pandas.json_normalize`
does (``{"a": {"b": 1}}`` gives column ``a.b``); any other payload (a scalar, a list,
or several arguments, which give a list) goes into the ``data`` column. Payload keys
that clash with ``time``/``namespace``/``event`` are prefixed with ``data.``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from .render import payload_of

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Capture", "CapturedEvent", "capture"]

_META = ("time", "namespace", "event")


class CapturedEvent(NamedTuple):
    """One captured event (the shape of a buffer row)."""

    seq: int
    """1-based position since the capture started or was last cleared."""
    time: float
    """``time.time()`` when the event reached the client."""
    namespace: str
    event: str
    args: tuple[Any, ...]


class Capture:
    """A ring buffer of incoming events of one client.

    Args:
        client: an ``AsyncClient`` (anything with ``on_any``/``off_any``).
        events: event names to keep; ``"*"`` (the default) keeps every event.
        namespace: a namespace or several; ``None`` keeps every namespace.
        max_rows: the capacity of the ring buffer; older rows are dropped and counted.
        start: start capturing at once (otherwise call :meth:`start`).
    """

    def __init__(
        self,
        client: Any,
        events: Iterable[str] | str = "*",
        *,
        namespace: str | Iterable[str] | None = None,
        max_rows: int = 100_000,
        start: bool = True,
    ) -> None:
        if isinstance(events, str):
            events = (events,)
        events = tuple(events) or ("*",)
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self.client = client
        """The client whose events are captured."""
        self.events: tuple[str, ...] = events
        """The event names captured (``("*",)`` for all)."""
        if isinstance(namespace, str):
            namespace = (namespace,)
        self.namespaces: tuple[str, ...] | None = None if namespace is None else tuple(namespace)
        """The namespaces captured, or ``None`` for all."""
        self.max_rows = max_rows
        self._rows: deque[tuple[int, float, str, str, tuple[Any, ...]]] = deque(maxlen=max_rows)
        self._count = 0
        self._active = False
        self._notify_pending = False
        self._observers: list[Callable[[], None]] = []
        self._sinks: list[Callable[[CapturedEvent], None]] = []
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._table: Any = None
        self._listener = self._make_listener()
        if start:
            self.start()

    # Public methods

    def start(self) -> Capture:
        """(Re)attach to the client; a no-op if already capturing."""
        if not self._active:
            self.client.on_any(self._listener)
            self._active = True
            self._notify()
        return self

    def stop(self) -> Capture:
        """Detach from the client. The rows stay; :meth:`start` resumes."""
        if self._active:
            self.client.off_any(self._listener)
            self._active = False
            self._notify()
        return self

    def clear(self) -> None:
        """Forget every row and reset :attr:`count` and :attr:`dropped`."""
        self._rows.clear()
        self._count = 0
        self._notify()

    @property
    def active(self) -> bool:
        """Whether the capture is attached to its client."""
        return self._active

    @property
    def count(self) -> int:
        """Events captured since the start or the last :meth:`clear` (held or dropped)."""
        return self._count

    @property
    def dropped(self) -> int:
        """Events evicted from the ring buffer because it was full."""
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

    async def wait_for(self, n: int, timeout: float | None = None) -> Capture:
        """Wait until :attr:`count` reaches ``n``; returns the capture itself.

        Raises :class:`TimeoutError` (the builtin) if ``timeout`` seconds pass first.
        """
        if self._count >= n:
            return self
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
        return self

    # DataFrame

    @property
    def df(self) -> pd.DataFrame:
        """A new DataFrame of the rows held now (see the module docstring for the columns)."""
        return self.to_dataframe()

    def to_dataframe(self) -> pd.DataFrame:
        """Same as :attr:`df`."""
        return rows_to_dataframe(list(self._rows))

    async def df_async(self) -> pd.DataFrame:
        """Build :attr:`df` in a worker thread, so the event loop keeps ingesting meanwhile."""
        rows = list(self._rows)
        return await asyncio.to_thread(rows_to_dataframe, rows)

    def to_csv(self, *args: Any, **kwargs: Any) -> Any:
        """``self.df.to_csv(...)``."""
        return self.df.to_csv(*args, **kwargs)

    def to_parquet(self, *args: Any, **kwargs: Any) -> Any:
        """``self.df.to_parquet(...)`` (needs pyarrow or fastparquet)."""
        return self.df.to_parquet(*args, **kwargs)

    # Observers (used by the live table)

    def add_observer(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` on the loop after new rows arrive (at most once per loop
        iteration), after :meth:`clear` and after :meth:`start`/:meth:`stop`."""
        self._observers.append(callback)

    def remove_observer(self, callback: Callable[[], None]) -> None:
        if callback in self._observers:
            self._observers.remove(callback)

    # Sinks (used by the Parquet store and the live chart)

    def add_sink(self, fn: Callable[[CapturedEvent], None]) -> None:
        """Call ``fn(row)`` synchronously for every row ingested from now on, before the
        ring buffer can evict it, so a sink sees every event even when ``max_rows`` is small.

        ``fn`` runs on the hot path (keep it to an append); if it raises, the error is
        logged and the sink removed, so one broken sink cannot stop the capture.
        """
        self._sinks.append(fn)

    def remove_sink(self, fn: Callable[[CapturedEvent], None]) -> None:
        if fn in self._sinks:
            self._sinks.remove(fn)

    # Display: a capture shows as its live table

    def table(self, **kwargs: Any) -> Any:
        """The live :class:`~sio_notebook.notebook.widgets.EventTable` of this capture
        (created on first use; ``kwargs`` go to a new table)."""
        from .widgets import EventTable

        if kwargs or self._table is None or self._table.closed:
            self._table = EventTable(self, **kwargs)
        return self._table

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.table()._repr_mimebundle_(**kwargs)

    def _ipython_display_(self) -> None:
        self.table()._ipython_display_()

    def __repr__(self) -> str:
        state = "active" if self._active else "stopped"
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
        sinks = self._sinks

        def on_any(namespace: str, event: str, args: tuple[Any, ...]) -> None:
            if wanted is not None and event not in wanted:
                return
            if namespaces is not None and namespace not in namespaces:
                return
            self._count = count = self._count + 1
            row = (count, now(), namespace, event, args)
            if sinks:
                self._feed_sinks(CapturedEvent._make(row))
            rows_append(row)
            if not self._notify_pending:
                self._notify()

        return on_any

    def _feed_sinks(self, row: CapturedEvent) -> None:
        for fn in list(self._sinks):
            try:
                fn(row)
            except Exception:
                logging.getLogger(__name__).exception("capture sink %r failed; removed", fn)
                self.remove_sink(fn)

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
) -> Capture:
    """Start capturing ``events`` (all events if none or ``"*"``) of ``client``."""
    return Capture(client, events or ("*",), namespace=namespace, max_rows=max_rows)


def rows_to_dataframe(rows: list[tuple[int, float, str, str, tuple[Any, ...]]]) -> pd.DataFrame:
    """The DataFrame of a list of buffer rows (see the module docstring)."""
    import numpy as np
    import pandas as pd

    if not rows:
        return pd.DataFrame(
            {
                "time": pd.Series([], dtype="datetime64[ns, UTC]"),
                "namespace": pd.Series([], dtype=object),
                "event": pd.Series([], dtype=object),
            }
        )
    times = np.fromiter(map(itemgetter(1), rows), dtype="float64", count=len(rows))
    micros = (times * 1e6).round().astype("int64")
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime(micros, unit="us", utc=True),
            "namespace": list(map(itemgetter(2), rows)),
            "event": list(map(itemgetter(3), rows)),
        }
    )
    payloads = [args[0] if len(args) == 1 else payload_of(args) for args in map(itemgetter(4), rows)]
    dict_rows = [i for i, p in enumerate(payloads) if isinstance(p, dict)]
    if dict_rows:
        dicts = payloads if len(dict_rows) == len(payloads) else [payloads[i] for i in dict_rows]
        value_types = set(map(type, chain.from_iterable(map(dict.values, dicts))))
        if any(issubclass(t, dict) for t in value_types):
            flat = pd.json_normalize(dicts)
        else:  # flat dicts: the same columns as json_normalize, about 5x faster
            flat = pd.DataFrame(dicts)
        flat.index = pd.Index(dict_rows)
        flat = flat.rename(columns={c: f"data.{c}" for c in flat.columns if c in _META})
        frame = frame.join(flat)
    if len(dict_rows) < len(payloads):
        name = "data"
        while name in frame.columns:
            name = "_" + name
        if dict_rows:
            is_dict = set(dict_rows)
            raw = [None if i in is_dict else p for i, p in enumerate(payloads)]
        else:
            raw = payloads
        frame[name] = pd.Series(raw, dtype=object, index=frame.index)
    return frame
