"""What a mock server plays: a captured session read as a script of server events and acks.

A capture holds rows (:class:`~sio_notebook.notebook.recording.rows.CapturedEvent`) of four
directions; the mock uses three of them:

* ``"in"`` rows are what the server sent: per namespace, they become the
  :attr:`Recording.streams` the mock sends, in order, to every client that connects to that
  namespace, with their recorded times (so the gaps can be replayed, scaled).
* ``"out"`` rows are what the client sent, and ``"ack"`` rows the acks it got back (a capture
  made with ``outgoing=True`` records both for calls made through the notebook layer:
  ``%sio call``, the emit form, :class:`~sio_notebook.notebook.views.pending.Pending`). Each ack is
  paired with the call that asked for it, giving :attr:`Recording.calls`: per namespace and
  event, the recorded ``(arguments, ack)`` pairs in order.
* ``"life"`` rows (connect, disconnect...) are not messages: only their time counts, as the
  start of the session (:attr:`Recording.start`).

Pairing an ack with its call: a row read from memory carries the round-trip time, so the call
is the unpaired ``out`` row of the same namespace and event whose time is nearest to
``ack.time - rtt``. A Parquet dataset does not keep the round-trip time, so there the call is
the latest unpaired ``out`` row of that namespace and event before the ack (exact for calls
made one after another, as a notebook makes them; concurrent calls to one event with
different arguments may pair crosswise). An ack with no call left to pair is kept with
unknown arguments: it can still answer through the fallback below.

Answering a call (:class:`AckBook`, one per connected client): the recorded pair whose
arguments equal the call's (compared as JSON would see them: tuples as lists, ``None``-valued
keys as absent, since a Parquet round trip drops them), the first not used yet by this
client, the last one again once all are used; else the next recorded ack of that event in
recorded order (the last one again at the end). An event with no recorded ack gets no ack,
as on a real server whose handler returns nothing for a fire-and-forget emit.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AckBook", "Call", "Recording", "ServerEvent", "canonical"]

#: The directions of a capture's rows (see :class:`~sio_notebook.notebook.recording.rows.CapturedEvent`).
IN, OUT, ACK = "in", "out", "ack"
_UNKNOWN = object()  # the arguments of an ack whose call was not captured


@dataclass(frozen=True)
class ServerEvent:
    """One event the server sent: when (``time.time()`` at capture), its name and arguments."""

    time: float
    event: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Call:
    """A recorded call: the arguments the client sent (canonical form) and the ack it got."""

    args: Any
    ack: tuple[Any, ...]


def canonical(value: Any) -> Any:
    """``value`` as it compares after a trip through JSON and Parquet: tuples are lists,
    dict keys are text, ``None``-valued keys are absent, bytes stay bytes."""
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return value


def _arguments(args: Sequence[Any]) -> Any:
    # One argument compares as itself, several as a list: a Parquet dataset stores several
    # arguments as one list (sio_notebook.notebook.recording.store), so both forms must meet.
    return canonical(args[0] if len(args) == 1 else list(args))


@dataclass
class Recording:
    """The server side of a captured session (see the module docstring)."""

    streams: dict[str, list[ServerEvent]] = field(default_factory=dict)
    """Per namespace, the events the server sent, in arrival order."""
    calls: dict[tuple[str, str], list[Call]] = field(default_factory=dict)
    """Per ``(namespace, event)``, the recorded calls with their acks, in call order."""
    start: float = 0.0
    """The time of the first row of any direction (a ``connect`` lifecycle row, when the
    capture recorded one): the moment a paced stream's times are counted from."""

    @property
    def namespaces(self) -> list[str]:
        """The namespaces a client may connect to: those with a row of any direction."""
        return sorted(set(self.streams) | {ns for ns, _ in self.calls})

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]], namespaces: Iterable[str] = ()) -> Recording:
        """The recording of capture rows ``(seq, time, namespace, event, args, direction[, rtt])``.

        ``namespaces`` adds namespaces a client may connect to although no row of them was
        captured (a namespace that was connected but quiet).
        """
        recording = cls()
        for ns in namespaces:
            recording.streams.setdefault(ns, [])
        outs: dict[tuple[str, str], list[tuple[float, tuple[Any, ...]]]] = {}
        ordered = sorted(rows, key=lambda r: (r[1], r[0]))
        if ordered:
            recording.start = float(ordered[0][1])
        for row in ordered:
            t, ns, event, args = float(row[1]), str(row[2]), str(row[3]), tuple(row[4])
            direction = row[5] if len(row) > 5 else IN
            if direction == IN:
                recording.streams.setdefault(ns, []).append(ServerEvent(t, event, args))
            elif direction == OUT:
                recording.streams.setdefault(ns, [])
                outs.setdefault((ns, event), []).append((t, args))
            elif direction == ACK:
                rtt = row[6] if len(row) > 6 else None
                sent = _take_call(outs.get((ns, event), []), t, rtt)
                call_args = _UNKNOWN if sent is None else _arguments(sent)
                recording.calls.setdefault((ns, event), []).append(Call(call_args, args))
        return recording

    @classmethod
    def load(cls, source: Any) -> Recording:
        """The recording of a capture, a Parquet dataset path (read with
        :func:`~sio_notebook.notebook.recording.store.read_rows`) or an iterable of rows.

        Raises ``FileNotFoundError`` for a path that holds no dataset and ``ValueError`` for a
        source with no rows at all (a mock of nothing would accept no connection).
        """
        if isinstance(source, Recording):
            return source
        if isinstance(source, (str, os.PathLike)):
            from ..notebook.recording.store import read_rows

            rows: list[Sequence[Any]] = list(read_rows(source))
        else:
            rows = list(source)
        namespaces = getattr(source, "namespaces", None) or ()
        recording = cls.from_rows(rows, namespaces)
        if not recording.namespaces:
            raise ValueError(f"nothing to serve: {source!r} holds no captured rows")
        return recording


def _take_call(outs: list[tuple[float, tuple[Any, ...]]], ack_time: float, rtt: float | None) -> tuple[Any, ...] | None:
    """Remove and return the arguments of the call ``outs`` holds for an ack at ``ack_time``."""
    before = [i for i, (t, _) in enumerate(outs) if t <= ack_time]
    if not before:
        return None
    if rtt is None:
        index = before[-1]
    else:
        sent_at = ack_time - rtt
        index = min(before, key=lambda i: abs(outs[i][0] - sent_at))
    return outs.pop(index)[1]


class AckBook:
    """The acks one connected client gets for its calls (see the module docstring)."""

    def __init__(self, recording: Recording) -> None:
        self._calls = recording.calls
        self._used: set[tuple[str, str, int]] = set()
        self._next: dict[tuple[str, str], int] = {}

    def answer(self, namespace: str, event: str, args: Sequence[Any]) -> tuple[Any, ...] | None:
        """The ack arguments for this call, or ``None`` when the recording has no ack for it."""
        calls = self._calls.get((namespace, event))
        if not calls:
            return None
        wanted = _arguments(args)
        matching = [i for i, call in enumerate(calls) if call.args is not _UNKNOWN and call.args == wanted]
        if matching:
            index = next((i for i in matching if (namespace, event, i) not in self._used), matching[-1])
        else:
            index = min(self._next.get((namespace, event), 0), len(calls) - 1)
        self._used.add((namespace, event, index))
        self._next[(namespace, event)] = index + 1
        return calls[index].ack
