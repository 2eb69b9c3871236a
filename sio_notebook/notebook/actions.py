"""Everything the ``%sio`` magics do, as plain Python functions (marimo has no magics).

marimo, scripts and any frontend without IPython use these; the magics call the same
code. Each takes a connection *name* (as made by :func:`~.connections.connect`) or a
client; with a name, the view follows the connection when it is replaced by
``connect(..., name=...)`` again, and says so once it is closed, exactly like the
magics' views::

    import sio_notebook.notebook as nb
    sio = nb.connect("http://127.0.0.1:5055")     # %sio connect URL
    nb.status()                                    # %sio status
    nb.connection_list()                           # %sio
    nb.emit("chat", {"text": "hi"})               # %sio emit chat {...}
    r = nb.call("add", {"a": 1, "b": 2})          # %sio call add {...}; `await r` -> 3
    cap = nb.capture("sio", "tick")                # %sio capture tick
    log = nb.log()                                 # %sio log
    chart = nb.plot("tick", "price", by="symbol")  # %sio plot tick price --by symbol
    form = nb.form()                               # %sio form
    nb.disconnect()                                # %sio disconnect

Every returned object displays itself as a live view: as a Jupyter cell's result, as a
marimo cell's last expression, or with ``.show()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .connections import Connection, get_connection, list_connections
from .recording.capture import Capture
from .views.render import escape

__all__ = ["ConnectionList", "call", "capture", "connection_list", "emit", "form", "log", "plot", "status"]


def _resolve(name_or_client: Any) -> tuple[Any, str | None]:
    """``(client, followed name)``: a name must be a live connection (clear error if not);
    a client made by :func:`~.connections.connect` is followed by its name too."""
    if isinstance(name_or_client, str):
        try:
            conn = get_connection(name_or_client)
        except KeyError:
            raise KeyError(
                f"no connection named {name_or_client!r}: connect first with "
                f"sio_notebook.notebook.connect(URL, name={name_or_client!r})"
            ) from None
        return conn.client, conn.name
    if name_or_client is None or not hasattr(name_or_client, "status"):
        raise TypeError(f"expected a connection name or a client, got {name_or_client!r}")
    try:
        return name_or_client, get_connection(name_or_client).name
    except KeyError:  # a client made some other way: used as it is
        return name_or_client, None


def _connection(name: str | None) -> Connection | None:
    return None if name is None else get_connection(name)


def status(name_or_client: Any = "sio") -> Any:
    """The live status view of a connection (``%sio status``); shared by every call."""
    client, name = _resolve(name_or_client)
    if name is not None:
        return get_connection(name).status_view()
    from .views.status import StatusWidget

    return StatusWidget(client)


def emit(event: str, data: Any = None, *, name: Any = "sio", namespace: str | None = None) -> Any:
    """Emit ``event`` (``%sio emit``): a live line that says sent or queued; awaitable."""
    from .views.pending import Pending

    client, _ = _resolve(name)
    return Pending(client, "emit", event, data, namespace=namespace)


def call(event: str, data: Any = None, *, name: Any = "sio", namespace: str | None = None, timeout: float = 10.0) -> Any:
    """Call ``event`` (``%sio call``): a live line with the ack and its round-trip time;
    ``await`` it for the ack value."""
    from .views.pending import Pending

    client, _ = _resolve(name)
    return Pending(client, "call", event, data, namespace=namespace, timeout=timeout)


def capture(
    name_or_client: Any,
    *events: str,
    namespace: str | Iterable[str] | None = None,
    max_rows: int = 100_000,
    outgoing: bool = False,
    lifecycle: bool = False,
    path: Any = None,
    flush_rows: int = 10_000,
    flush_seconds: float = 1.0,
) -> Capture:
    """Start capturing ``events`` (all if none or ``"*"``; ``%sio capture``). Given a
    connection name, the capture follows it; with ``path``, every row also goes to that
    Parquet dataset. Displays as its live event log."""
    client, name = _resolve(name_or_client)
    cap = Capture(
        client,
        events or ("*",),
        namespace=namespace,
        max_rows=max_rows,
        outgoing=outgoing,
        lifecycle=lifecycle,
        connection=name,
    )
    if path is not None:
        try:
            cap.write_to(path, flush_rows=flush_rows, flush_seconds=flush_seconds)
        except BaseException:
            cap.stop()  # no capture left running without the store that was asked for
            raise
    conn = _connection(name)
    if conn is not None:
        conn.captures.append(cap)
    return cap


def log(name_or_client: Any = "sio", *events: str, max_rows: int = 100_000, path: Any = None) -> Capture:
    """Every event in and out, acks and lifecycle (``%sio log``): a capture shown as its log."""
    return capture(name_or_client, *events, max_rows=max_rows, outgoing=True, lifecycle=True, path=path)


def plot(what: Any, y: str | None = None, *, name: Any = "sio", **kwargs: Any) -> Any:
    """A live chart of payload field ``y`` (``%sio plot EVENT FIELD``): of a
    :class:`Capture` (``plot(cap, "price")``), or of a new capture of the event named
    ``what`` on connection ``name`` (``plot("tick", "price", by="symbol")``).
    ``kwargs`` (``by``, ``window``, ``kind``...) go to the chart."""
    cap = what if isinstance(what, Capture) else capture(name, what)
    return cap.plot(y, **kwargs)


def form(name_or_client: Any = "sio", *, namespace: str = "/", **kwargs: Any) -> Any:
    """The emit form (``%sio form``): event, namespace, payload, ack; results below."""
    from .views.form import EmitForm

    client, name = _resolve(name_or_client)
    view = EmitForm(client, connection=name, namespace=namespace, **kwargs)
    conn = _connection(name)
    if conn is not None:
        conn.views.append(view)
    return view


class ConnectionList:
    """The connections as a table (``%sio`` alone): name, state, URL, sid, transport,
    namespaces, active captures. A snapshot: show it again for a newer one."""

    HEAD = ("name", "state", "url", "sid", "transport", "namespaces", "captures")

    def rows(self) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = []
        for name, conn in list_connections().items():
            st = conn.client.status()
            captures = str(len([c for c in conn.captures if c.active]))
            rows.append(
                (name, st.state, st.url or conn.url, st.sid or "", st.transport or "", ", ".join(st.namespaces), captures)
            )
        return rows

    def __repr__(self) -> str:
        rows = self.rows()
        if not rows:
            return "no connections (use %sio connect URL, or sio_notebook.notebook.connect(URL))"
        return "\n".join("  ".join(r) for r in [self.HEAD, *rows])

    def _repr_html_(self) -> str:
        rows = self.rows()
        if not rows:
            return "<i>no connections</i> (use <code>%sio connect URL</code> or <code>nb.connect(URL)</code>)"
        head = "".join(f"<th>{h}</th>" for h in self.HEAD)
        body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in r) + "</tr>" for r in rows)
        return f'<table class="sio-connections"><tr>{head}</tr>{body}</table>'


def connection_list() -> ConnectionList:
    """What ``%sio`` alone shows: the connections as a table."""
    return ConnectionList()
