"""Stream captured events to a Parquet dataset, and read one back.

::

    cap = capture(sio, "tick", path="ticks.parquet")   # every row also goes to disk
    ...
    cap.stop()                                         # writes the last group
    Capture.load("ticks.parquet")                      # a stopped Capture of every row

    import duckdb
    duckdb.sql("select symbol, avg(price) from 'ticks.parquet/event=tick/*.parquet' group by 1")

Layout: one directory, partitioned by event name the way Hive, Spark, Dask, DuckDB and
pyarrow expect (``ticks.parquet/event=tick/part-….parquet``), because events have
different shapes and each event's files then share one schema. The columns are those of
``cap.frames()[event]`` (:func:`~sio_notebook.notebook.recording.frames.rows_to_frames`): ``time``
(UTC timestamp, µs), ``namespace`` (``direction`` when rows are not all incoming), then the
flattened payload with honest types, preceded by ``seq``, the row's 1-based position in
this store, which gives the arrival order across events.

Why one file per flush: a Parquet file is readable only once its footer is written, so a
file kept open across flushes would be lost whole if the kernel died. Each flush (every
``flush_rows`` rows, every ``flush_seconds`` seconds, and on :meth:`ParquetSink.close`)
writes one small file with one row group, beside the dataset, and renames it into place:
readers (:meth:`Capture.load <sio_notebook.notebook.recording.capture.Capture.load>` while a
capture runs, DuckDB) never see a half-written file, and a killed kernel loses at most the
rows not yet flushed.

The sink itself (:meth:`ParquetSink.__call__`) is one ``deque.append`` on the event loop;
converting and writing happen in a worker thread, so the loop keeps ingesting.

Each file's Parquet metadata also keeps the server's URL (``sio_notebook.url``, password
redacted), when the capture's client knows it: a dataset says where it was recorded, so a
contract inferred from it (``nb.asyncapi(path)``) has its ``servers``. :func:`read_url`
reads it back.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import tempfile
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from ...sansio.url import redact_url
from .rows import CapturedEvent

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = ["ParquetSink", "StoreError", "read_rows", "read_url", "require_pyarrow"]

logger = logging.getLogger(__name__)

#: Field metadata marking a column whose values were stored as JSON text (mixed types).
JSON_FIELD = b"sio_notebook.json"
#: File metadata key: the URL of the server the rows came from (password redacted).
URL_KEY = b"sio_notebook.url"
_PART = "part-"


class StoreError(RuntimeError):
    """Writing the Parquet dataset failed (the rows are kept and retried at the next flush)."""


def require_pyarrow() -> Any:
    """``import pyarrow`` with a clear message when the ``parquet`` extra is missing."""
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401  (the writer lives in the submodule)
    except ImportError:
        raise ImportError(
            "capturing to Parquet needs pyarrow: pip install 'sio-notebook[parquet]'"
        ) from None
    return pyarrow


def event_dir(root: Path, event: str) -> Path:
    """``root/event=<name>``; the name is percent-encoded so ``/`` or ``=`` cannot escape."""
    return root / f"event={quote(event, safe='')}"


_open_sinks: weakref.WeakSet[ParquetSink] = weakref.WeakSet()


@atexit.register
def _close_open_sinks() -> None:
    """A kernel that exits normally (shutdown, restart) writes what is still waiting."""
    for sink in list(_open_sinks):
        try:
            sink.close()
        except Exception:  # noqa: BLE001 - already logged by the sink; exiting anyway
            logger.exception("closing %s at exit failed", sink.path)


class ParquetSink:
    """A capture sink that writes every row it is given to a Parquet dataset at ``path``.

    Args:
        path: the dataset directory (created; an existing one is appended to).
        flush_rows: write a group once this many rows are waiting.
        flush_seconds: write what is waiting at least this often.
        max_pending: rows allowed to wait for the writer; beyond it the sink writes on the
            calling thread, so a writer that falls far behind slows ingest instead of growing
            memory without bound (below it the loop never waits for a write).
        url: the server's URL to keep in each file's metadata, or a function giving it (asked
            at each write until it knows: a client learns its URL only once it connects).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        flush_rows: int = 10_000,
        flush_seconds: float = 1.0,
        max_pending: int = 50_000,
        url: str | Callable[[], str | None] | None = None,
    ) -> None:
        pa = require_pyarrow()
        # pyarrow's first array maps ~50 MB (its allocator and libraries), once per process:
        # pay it here, not in the middle of a capture, so the capture's memory stays flat.
        pa.array([0], type=pa.int64())
        if flush_rows < 1:
            raise ValueError("flush_rows must be at least 1")
        if not flush_seconds > 0:
            raise ValueError("flush_seconds must be positive")
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise FileExistsError(f"{self.path} exists and is not a Parquet dataset directory")
        self.path.mkdir(parents=True, exist_ok=True)
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self.max_pending = max(max_pending, flush_rows)
        self.rows_written = 0
        """Rows written to complete files so far."""
        self.files_written = 0
        self.error: BaseException | None = None
        """The last write error (None once a later flush succeeds)."""
        self._url = url
        self._run = uuid.uuid4().hex[:8]  # file names of this sink: appending never clashes
        self._seq = 0
        self._pending: deque[tuple[Any, ...]] = deque()
        self._retry: list[tuple[Any, ...]] = []
        self._wake = threading.Event()
        self._closed = False
        self._write_lock = threading.Lock()
        self._thread = threading.Thread(target=self._work, name=f"parquet-sink {self.path.name}", daemon=True)
        self._thread.start()
        _open_sinks.add(self)

    # The hot path: called on the event loop for every captured row.

    def __call__(self, row: CapturedEvent | tuple[Any, ...]) -> None:
        if self._closed:  # never drop a row silently (a capture logs this and removes the sink)
            raise StoreError(f"{self.path} is closed; start a new ParquetSink to write more rows")
        pending = self._pending
        pending.append(row)
        n = len(pending)
        if n >= self.flush_rows:
            if n >= self.max_pending:
                self._flush_now()  # backpressure: the writer is far behind; write here
            elif not self._wake.is_set():
                self._wake.set()

    # Public methods

    @property
    def pending(self) -> int:
        """Rows waiting to be written."""
        return len(self._pending) + len(self._retry)

    def flush(self) -> None:
        """Write every waiting row now (on the calling thread). Raises :class:`StoreError`."""
        self._flush_now()
        if self.error is not None:
            raise StoreError(f"writing {self.path} failed: {self.error}") from self.error

    def close(self) -> None:
        """Write the last group and stop the writer thread. Raises :class:`StoreError` if the
        last write failed (the rows that could not be written are then still in memory)."""
        if not self._closed:
            self._closed = True
            self._wake.set()
            self._thread.join()
            self._flush_now()
        if self.error is not None:
            raise StoreError(f"writing {self.path} failed: {self.error}") from self.error

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        err = f", error: {self.error}" if self.error else ""
        return (
            f"<ParquetSink {self.path} {state}: {self.rows_written} rows in {self.files_written} files, "
            f"{self.pending} pending{err}>"
        )

    # The writer thread

    def _work(self) -> None:
        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            if self._closed:  # close() writes the rest itself, after joining this thread
                return
            self._flush_now()

    def _flush_now(self) -> None:
        with self._write_lock:
            pending = self._pending
            n = len(pending)
            fresh = [pending.popleft() for _ in range(n)]  # deque.popleft is thread-safe
            seq = self._seq  # the store's own row numbers, in arrival order
            batch = self._retry + [(seq + i, *row[1:]) for i, row in enumerate(fresh, 1)]
            self._seq = seq + n
            self._retry = []
            if not batch:
                return
            try:
                self._write(batch)
            except Exception as exc:  # keep the rows; the next flush retries them
                logger.exception("writing %d rows to %s failed; will retry", len(batch), self.path)
                self.error = exc
                self._retry = batch
            else:
                self.error = None

    def _table_in_slices(self, rows: list[tuple[Any, ...]]) -> pa.Table:
        """:func:`rows_to_table` over slices of at most ``flush_rows`` rows, yielding the GIL
        between them: pyarrow's conversion of Python values holds the GIL, so one slice
        bounds how long the event loop can wait for it (a long batch after a backlog would
        otherwise hold it for tens of milliseconds per column)."""
        import pyarrow as pa

        step = self.flush_rows
        if len(rows) <= step:
            return rows_to_table(rows)
        tables = []
        for start in range(0, len(rows), step):
            tables.append(rows_to_table(rows[start : start + step]))
            time.sleep(0)  # let the loop thread take the GIL
        return pa.concat_tables(tables, promote_options="permissive")

    @property
    def url(self) -> str | None:
        """The server URL written into the files' metadata (password redacted), if known."""
        url = self._url() if callable(self._url) else self._url
        if url:
            self._url = url = redact_url(str(url))  # known: no need to ask again
        return url or None

    def _write(self, batch: list[tuple[Any, ...]]) -> None:
        import pyarrow.parquet as pq

        url = self.url

        groups: dict[str, list[tuple[Any, ...]]] = {}
        for row in batch:
            groups.setdefault(str(row[3]), []).append(row)
        written: list[Path] = []
        try:
            for event, rows in groups.items():
                table = self._table_in_slices(rows)
                if url:
                    table = table.replace_schema_metadata({**(table.schema.metadata or {}), URL_KEY: url.encode()})
                directory = event_dir(self.path, event)
                directory.mkdir(exist_ok=True)
                self.files_written += 1
                final = directory / f"{_PART}{self._run}-{self.files_written:06d}.parquet"
                # Written beside the dataset (a glob over it never sees the partial file), then
                # renamed into place: rename is atomic within one file system.
                fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}-", suffix=".tmp", dir=self.path.parent)
                os.close(fd)
                try:
                    pq.write_table(table, tmp)
                    os.replace(tmp, final)
                finally:
                    if os.path.exists(tmp):
                        os.unlink(tmp)
                written.append(final)
        except BaseException:
            for f in written:  # all or nothing: the whole batch is retried
                f.unlink(missing_ok=True)
            raise
        self.rows_written += len(batch)


# ---------------------------------------------------------------------- rows -> Arrow


_META = ("time", "namespace", "event", "direction", "seq")


def rows_to_table(rows: Sequence[tuple[Any, ...]]) -> pa.Table:
    """The Arrow table of one event's rows ``(seq, time, namespace, event, args[, direction])``.

    The columns are those of :func:`~sio_notebook.notebook.recording.frames.rows_to_frames` (which
    defines them), after ``seq``. Columns pyarrow cannot type (mixed types across rows)
    are stored as JSON text, marked in the field metadata, and decoded by :func:`read_rows`.

    The common case, every row one dict payload with consistent types, takes a direct
    pyarrow path (about 15x faster than building the pandas frame first); a test checks it
    gives the same table as the general path.
    """
    try:
        fast = _dict_rows_to_table(rows)
    except _NotSimple:
        fast = None
    return fast if fast is not None else _frame_rows_to_table(rows)


class _NotSimple(Exception):
    pass


def _head(rows: Sequence[tuple[Any, ...]]) -> tuple[list[Any], pa.Schema]:
    """The seq/time/namespace[/direction] arrays (the columns every event has)."""
    import numpy as np
    import pyarrow as pa

    times = np.fromiter((r[1] for r in rows), dtype="float64", count=len(rows))
    micros = (times * 1e6).round().astype("int64")  # as frames.py: µs, rounded
    arrays: list[Any] = [
        pa.array([r[0] for r in rows], type=pa.int64()),
        pa.array(micros, type=pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        pa.array([r[2] for r in rows], type=pa.string()),
    ]
    fields = [pa.field("seq", pa.int64()), pa.field("time", arrays[1].type), pa.field("namespace", pa.string())]
    directions = [r[5] if len(r) > 5 else "in" for r in rows]
    if any(d != "in" for d in directions):
        arrays.append(pa.array(directions, type=pa.string()))
        fields.append(pa.field("direction", pa.string()))
    return arrays, pa.schema(fields)


def _dict_rows_to_table(rows: Sequence[tuple[Any, ...]]) -> pa.Table | None:
    import pyarrow as pa

    payloads: list[dict[Any, Any]] = [r[4][0] for r in rows if len(r[4]) == 1 and type(r[4][0]) is dict]
    if len(payloads) != len(rows):
        return None
    keys = dict.fromkeys(k for p in payloads for k in p)
    arrays, schema = _head(rows)
    fields = list(schema)
    columns: list[tuple[str, Any, list[Any]]] = []  # name, array, the values it was made from
    try:
        for key in keys:
            if not isinstance(key, str):
                return None
            values = [p.get(key) for p in payloads]
            columns.append((f"data.{key}" if key in _META else key, pa.array(values), values))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return None
    flat: list[tuple[str, Any]] = []
    while columns:  # nested dicts are struct columns: flatten them as json_normalize does ("a.b")
        name, array, values = columns.pop(0)
        if pa.types.is_struct(array.type):
            if array.type.num_fields == 0 or array.null_count:
                return None  # {} values, or rows lacking the dict: the general path decides
            # In the payloads' own key order: pyarrow 18 (Colab's) infers a struct's fields
            # sorted by name, later releases in the dicts' order.
            order = dict.fromkeys(k for v in values for k in v)
            columns[:0] = [(f"{name}.{k}", array.field(k), [v.get(k) for v in values]) for k in order]
            continue
        if pa.types.is_null(array.type):
            array = array.cast(pa.string())
        flat.append((name, array))
    for name, array in flat:
        arrays.append(array)
        fields.append(pa.field(name, array.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _frame_rows_to_table(rows: Sequence[tuple[Any, ...]]) -> pa.Table:
    import pyarrow as pa

    from .frames import rows_to_frames

    frame = next(iter(rows_to_frames(rows).values()))
    arrays, schema = _head(rows)
    fields = list(schema)
    for name in frame.columns:
        if name in ("time", "namespace", "direction"):
            continue
        column = frame[name]
        if name == "seq":
            name = "data.seq"
        try:
            array = pa.Array.from_pandas(column)
            if _has_empty_struct(array.type):  # Parquet cannot store a struct without fields
                raise pa.ArrowNotImplementedError(f"{name}: an empty dict has no Parquet type")
            field = pa.field(str(name), array.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            array = pa.array([None if v is None else _json(v) for v in column], type=pa.string())
            field = pa.field(str(name), pa.string(), metadata={JSON_FIELD: b"1"})
        if pa.types.is_null(array.type):  # all missing: keep the column, typed as text
            array = array.cast(pa.string())
            field = pa.field(str(name), pa.string())
        arrays.append(array)
        fields.append(field)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _has_empty_struct(arrow_type: Any) -> bool:
    """Whether ``arrow_type`` is or holds a struct with no field (what pyarrow makes of ``{}``
    values, e.g. a ``{"auth": {}}`` payload, and cannot write): such a column goes as JSON."""
    import pyarrow as pa

    if pa.types.is_struct(arrow_type):
        return arrow_type.num_fields == 0 or any(
            _has_empty_struct(arrow_type.field(i).type) for i in range(arrow_type.num_fields)
        )
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type) or pa.types.is_fixed_size_list(arrow_type):
        return _has_empty_struct(arrow_type.value_type)
    return False


def _json(value: Any) -> str:
    def default(v: Any) -> Any:
        if isinstance(v, (bytes, bytearray, memoryview)):
            return {"$bytes": bytes(v).hex()}
        return str(v)

    return json.dumps(value, default=default, ensure_ascii=False)


# ---------------------------------------------------------------------- reading back


def _event_tables(path: Path) -> dict[str, pa.Table]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.is_dir():
        raise FileNotFoundError(f"no Parquet capture at {path}")
    tables: dict[str, pa.Table] = {}
    for directory in sorted(path.iterdir()):
        if not directory.is_dir() or not directory.name.startswith("event="):
            continue
        files = sorted(f for f in directory.glob("*.parquet") if not f.name.startswith((".", "_")))
        if not files:
            continue
        # The file alone, not a dataset: pyarrow 18 (Colab's) would add the directory's
        # Hive key as an ``event`` column.
        parts = [pq.ParquetFile(f).read() for f in files]
        tables[unquote(directory.name[len("event="):])] = pa.concat_tables(parts, promote_options="permissive")
    return tables


def read_url(path: str | os.PathLike[str]) -> str | None:
    """The server URL kept in the dataset's metadata (the newest file that has one), if any."""
    import pyarrow.parquet as pq

    files = sorted(Path(path).glob("event=*/*.parquet"), key=lambda f: f.stat().st_mtime, reverse=True)
    for f in files:
        if f.name.startswith((".", "_")):
            continue
        url = (pq.read_schema(f).metadata or {}).get(URL_KEY)
        if url:
            return str(url.decode())
    return None


def read_rows(path: str | os.PathLike[str]) -> list[CapturedEvent]:
    """Every row of the dataset at ``path`` (finished or still being written), in arrival
    order, as :class:`~sio_notebook.notebook.recording.rows.CapturedEvent` rows.

    A dict payload is rebuilt from its columns (dotted names nest again, missing values are
    left out); a ``data`` column gives the payload itself. Events captured with several
    arguments were stored as one list, and come back as one list argument.
    """
    rows: list[tuple[float, int, str, str, tuple[Any, ...], str]] = []
    for event, table in _event_tables(Path(path)).items():
        json_cols = {f.name for f in table.schema if f.metadata and f.metadata.get(JSON_FIELD)}
        seqs = table.column("seq").to_pylist()
        times = table.column("time").cast("int64").to_pylist()  # µs since the epoch
        namespaces = table.column("namespace").to_pylist()
        n = table.num_rows
        directions = table.column("direction").to_pylist() if "direction" in table.column_names else ["in"] * n
        payload_cols = [c for c in table.column_names if c not in ("seq", "time", "namespace", "direction")]
        payloads = table.select(payload_cols).to_pylist()
        for seq, micros, ns, direction, values in zip(seqs, times, namespaces, directions, payloads, strict=True):
            for c in json_cols:
                if values.get(c) is not None:
                    values[c] = json.loads(values[c], object_hook=_unbytes)
            rows.append((micros / 1e6, seq, ns, event, _args_of(values), direction or "in"))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [CapturedEvent(i, t, ns, ev, args, d) for i, (t, _, ns, ev, args, d) in enumerate(rows, 1)]


def _unbytes(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "$bytes" in obj:
        return bytes.fromhex(obj["$bytes"])
    return obj


def _args_of(values: dict[str, Any]) -> tuple[Any, ...]:
    present = {k: v for k, v in values.items() if v is not None}
    if not present:
        return () if "data" not in values else (None,)
    if list(present) == ["data"]:
        return (present["data"],)
    payload: dict[str, Any] = {}
    for key, value in present.items():
        if key.startswith("data.") and key[5:] in _META:
            key = key[5:]
        node = payload
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[leaf] = value
    return (payload,)

