"""Live conformance: check every event against an AsyncAPI 3 document, ``nb.conform``.

::

    log = %sio log
    checker = nb.conform(log, "demo.asyncapi.yaml")   # or a document (dict), or a client
    checker.violations                                 # DataFrame: time, direction, namespace,
                                                       #   event, path, message (and seq)
    checker.summary()                                  # drift per event

Each event that arrives or is sent (and each ack a notebook call got) is validated
against its message's payload schema (:mod:`.spec` finds it) with jsonschema's Draft 7
validator, the dialect of AsyncAPI's schema format. An event the document does not know,
in that namespace and direction, is a violation too. Bytes (binary attachments) are valid
only where the schema says ``x-sio-binary`` (see :mod:`.schema`), and a string is not
valid where bytes were.

Where it shows: with a capture as the source, each violating row gets a note
(:meth:`Capture.annotate <sio_notebook.notebook.recording.capture.Capture.annotate>`) that its event
log marks (⚠, with the messages as the tooltip); the status view of the client counts the
violations (:mod:`sio_notebook.notebook.views.status_lines`). With a client as the source the
checker watches through a capture of its own, so only the status counts them.

Cost: one validation per event while the checker runs (``checker.stop()`` ends it); the
validators are built once per message, the first time in a thread (``await
checker.ready()`` waits for them; rows arriving before are checked then, in order).

A spec it cannot check with is said, never swallowed: each payload schema is checked
against JSON Schema's own rules when the validators are built, and a bad one is a
``ValueError`` naming the message and jsonschema's reason (raised by ``nb.conform`` when
jsonschema is loaded already, else by ``await checker.ready()``). If validating an event
still raises (a payload jsonschema cannot handle), the checker keeps that error in
:attr:`Checker.error`, stops, and its status line says ``not checking: <reason>``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..recording.capture import Capture
from ..recording.frames import payload_of
from ..views.live import running_loop
from ..views.status_lines import remove_status_line, set_status_line
from .deps import available, require
from .expect import is_capture
from .spec import Key, index_messages, load_spec

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Checker", "conform"]

logger = logging.getLogger(__name__)

#: Violations kept in :attr:`Checker.violations` (counts go on past it).
MAX_VIOLATIONS = 100_000
_WORDS = {"in": "server-to-client", "out": "client-to-server", "ack": "ack"}


class Binary(str):
    """A bytes value as jsonschema sees it: a string that knows it was binary."""

    __slots__ = ()


def _for_validation(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Binary("")
    if isinstance(value, dict):
        return {k: _for_validation(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_for_validation(v) for v in value]
    return value


_validator_class: Any = None


def _validator(schema: dict[str, Any]) -> Any:
    """A Draft 7 validator that tells bytes from text (``x-sio-binary``)."""
    global _validator_class
    if _validator_class is None:
        jsonschema = require("jsonschema")
        base = jsonschema.Draft7Validator
        plain_type = base.VALIDATORS["type"]

        def type_(validator: Any, types: Any, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
            binary = isinstance(instance, Binary)
            if binary and not schema.get("x-sio-binary"):
                yield jsonschema.ValidationError(f"binary data where {types!r} was expected")
            elif not binary and schema.get("x-sio-binary"):
                yield jsonschema.ValidationError(f"{_short(instance)} is not binary data")
            else:
                yield from plain_type(validator, types, instance, schema)

        _validator_class = jsonschema.validators.extend(base, {"type": type_})
    return _validator_class(schema)


def _checked_validator(key: Key, schema: dict[str, Any]) -> Any:
    """:func:`_validator`, after checking ``schema`` against the dialect's meta-schema: a
    schema jsonschema cannot use would otherwise raise on the first event, not here."""
    validator = _validator(schema)
    try:
        _validator_class.check_schema(schema)
    except require("jsonschema").SchemaError as exc:
        where = _path(exc.absolute_path)
        raise ValueError(
            f"the spec's payload schema of {_describe(key)} is not a valid JSON Schema"
            f" (at {where}): {_cut(exc.message)}"
        ) from None
    return validator


def _describe(key: Key) -> str:
    namespace, event, direction = key
    return f"{event!r} ({_WORDS[direction]}) in {namespace}"


def _one_line(error: BaseException) -> str:
    """An error as one status line (jsonschema's own messages span several, with the schema)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return _cut(text, 200)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "\u2026"


def _cut(message: str, limit: int = 300) -> str:
    """jsonschema quotes the whole value in its message: keep a big payload from filling the table."""
    return message if len(message) <= limit else message[: limit - 1] + "\u2026"


def _path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class Checker:
    """Validates a source's events against a spec; see the module docstring."""

    def __init__(self, source: Any, spec: Any) -> None:
        if not available("jsonschema"):
            require("jsonschema")  # before anything else: the missing extra is the first thing to say
        self.spec: dict[str, Any] = load_spec(spec)
        self.schemas: dict[Key, dict[str, Any]] = index_messages(self.spec)
        self.error: BaseException | None = None
        """Why the checker stopped on its own: the validators could not be built, or
        validating an event raised (then nothing more is checked; the status says so)."""
        self._validators: dict[Key, Any] | None = None
        self._backlog: list[Any] = []
        self._ready: asyncio.Future[None] | None = None
        self._namespaces = {key[0] for key in self.schemas}
        self.checked: Counter[Key] = Counter()
        """Events checked, per (namespace, event, direction)."""
        self.failed: Counter[Key] = Counter()
        """Events that violated the spec, per (namespace, event, direction)."""
        self._records: list[tuple[Any, ...]] = []
        self._paths: dict[Key, Counter[str]] = {}
        self._last: dict[Key, str] = {}
        if is_capture(source):
            self.capture: Capture = source
            self._own = False
        elif hasattr(source, "on_any_outgoing"):
            self.capture = Capture(source, "*", outgoing=True, max_rows=1)  # only its sink matters
            self._own = True
        else:
            raise TypeError(f"source must be a client (AsyncClient) or a capture, not {type(source).__name__}")
        info = self.spec.get("info") or {}
        self.title = f"{info.get('title', 'spec')} {info.get('version', '')}".strip()
        self.active = True
        try:
            self._start_validators()
        except BaseException:
            if self._own:
                self.capture.stop()  # no capture left running for a checker that was refused
            raise
        self.capture.add_sink(self._check)
        self._client = self.capture.client
        if self._client is not None:
            set_status_line(self._client, f"conform-{id(self)}", self._status_line)

    # The validators: built off the event loop the first time

    def _start_validators(self) -> None:
        """Build the validators; on a running loop, in a thread when jsonschema is not loaded yet.

        ``import jsonschema`` can take seconds where JupyterLab is installed (its optional
        format checkers build parsers at import), and a kernel's loop blocked that long
        misses the server's pings and drops the connection. Rows that arrive meanwhile wait
        in a backlog and are checked, in order, once the validators are ready.
        """
        loop = running_loop()
        if loop is None or "jsonschema" in sys.modules:
            self._validators = self._build()
            return
        self._ready = loop.create_future()

        def build() -> None:
            try:
                validators = self._build()
            except BaseException as exc:  # noqa: BLE001 - reported on the loop, never lost
                loop.call_soon_threadsafe(self._built, None, exc)
            else:
                loop.call_soon_threadsafe(self._built, validators, None)

        threading.Thread(target=build, name="conform-validators", daemon=True).start()

    def _build(self) -> dict[Key, Any]:
        return {key: _checked_validator(key, schema) for key, schema in self.schemas.items()}

    def _built(self, validators: dict[Key, Any] | None, error: BaseException | None) -> None:
        if error is not None:
            self._give_up(error, "could not build its validators")
        else:
            self._validators = validators
        backlog, self._backlog = self._backlog, []
        for row in backlog:  # arrived while checking (even if stop() came since): checked now
            if self.error is not None:
                break
            self._validate(row)
        if self._ready is not None and not self._ready.done():
            self._ready.set_result(None)

    async def ready(self) -> None:
        """Wait until the validators are built (rows are queued until then, not lost);
        raises the error if they could not be."""
        if self._ready is not None:
            await asyncio.shield(self._ready)
        if self.error is not None:
            raise self.error

    # Checking (a capture sink: called for every row, on the loop)

    def check_row(self, row: Any) -> list[tuple[str, str]]:
        """``[(JSON path, message)]`` of one captured row (empty if it conforms)."""
        key: Key = (row.namespace, row.event, row.direction)
        validator = (self._validators or {}).get(key)
        if validator is None:
            return [("$", self._unknown(key))]
        payload = _for_validation(payload_of(row.args))
        return [(_path(e.absolute_path), _cut(e.message)) for e in validator.iter_errors(payload)]

    def _unknown(self, key: Key) -> str:
        namespace, event, direction = key
        if namespace not in self._namespaces:
            return f"namespace {namespace} is not in the spec"
        others = [d for (ns, ev, d) in self.schemas if ns == namespace and ev == event]
        if others:
            return f"{event!r} is in the spec only as {', '.join(_WORDS[d] for d in sorted(others))}, not {_WORDS[direction]}"
        return f"event {event!r} ({_WORDS[direction]}) is not in the spec for {namespace}"

    def _check(self, row: Any) -> None:
        if row.direction not in _WORDS or not self.active:
            return
        if self._validators is None:
            if self.error is None:
                self._backlog.append(row)  # checked once the validators are built
            return
        self._validate(row)

    def _validate(self, row: Any) -> None:
        key: Key = (row.namespace, row.event, row.direction)
        try:
            problems = self.check_row(row)
        except Exception as exc:  # noqa: BLE001 - said in the status and the log, and checking stops
            error = RuntimeError(f"validating {_describe(key)} raised {type(exc).__name__}: {_one_line(exc)}")
            error.__cause__ = exc
            self._give_up(error, "stopped")
            return
        self.checked[key] += 1
        if not problems:
            return
        self.failed[key] += 1
        paths = self._paths.setdefault(key, Counter())
        for path, message in problems:
            paths[path] += 1
            if len(self._records) < MAX_VIOLATIONS:
                self._records.append((row.time, row.direction, row.namespace, row.event, path, message, row.seq))
        self._last[key] = problems[0][1]
        if not self._own:
            self.capture.annotate(row.seq, "; ".join(f"{p}: {m}" for p, m in problems))

    # Results

    @property
    def count(self) -> int:
        """Events that violated the spec so far."""
        return sum(self.failed.values())

    @property
    def violations(self) -> pd.DataFrame:
        """One row per problem: time (UTC), direction, namespace, event, path (JSON path in
        the payload, ``$`` for the whole event), message, seq (the capture's row number)."""
        import pandas as pd

        frame = pd.DataFrame(self._records, columns=["time", "direction", "namespace", "event", "path", "message", "seq"])
        frame["time"] = pd.to_datetime((frame["time"].astype("float64") * 1e6).round().astype("int64"), unit="us", utc=True)
        out: pd.DataFrame = frame
        return out

    def summary(self) -> pd.DataFrame:
        """The drift per event: checked, violating, share, the paths that broke, the last message."""
        import pandas as pd

        rows = []
        for key in sorted(self.checked, key=lambda k: (-self.failed[k], k)):
            ns, event, direction = key
            failed = self.failed[key]
            paths = ", ".join(f"{p} ({n})" for p, n in self._paths.get(key, Counter()).most_common(3))
            rows.append((ns, event, _WORDS[direction], self.checked[key], failed,
                         failed / self.checked[key], paths, self._last.get(key, "")))
        columns = ["namespace", "event", "direction", "checked", "violations", "share", "paths", "last message"]
        out: pd.DataFrame = pd.DataFrame(rows, columns=columns)
        return out

    def stop(self) -> None:
        """Stop checking (the results stay) and take the line off the client's status view."""
        self._halt()
        if self._client is not None:
            remove_status_line(self._client, f"conform-{id(self)}")

    def _halt(self) -> None:
        if not self.active:
            return
        self.active = False
        self.capture.remove_sink(self._check)
        if self._own:
            self.capture.stop()

    def _give_up(self, error: BaseException, what: str) -> None:
        """Stop on an error, and say so: the status line stays, saying ``not checking``."""
        self.error = error
        self._backlog = []
        logger.error("nb.conform %s: %s", what, error, exc_info=error)
        self._halt()

    def _status_line(self) -> tuple[str, str]:
        if self.error is not None:
            return "conformance", f"not checking: {_one_line(self.error)}"
        if self._validators is None:
            waiting = len(self._backlog)
            return "conformance", f"loading the validator ({waiting:,} event{'s' if waiting != 1 else ''} waiting)"
        n = self.count
        events = sum(self.checked.values())
        text = f"{n:,} violation{'s' if n != 1 else ''} in {events:,} event{'s' if events != 1 else ''} ({self.title})"
        return "conformance", text

    def __repr__(self) -> str:
        state = "" if self.active else " (stopped)"
        return f"<Checker {self._status_line()[1]}{state}>"

    def _repr_html_(self) -> str:
        from ..views.render import STYLE, escape

        cls = "sio-err" if self.count else "sio-ok"
        return f'{STYLE}<div class="sio-view"><span class="{cls}">conformance: {escape(self._status_line()[1])}</span></div>'


def conform(source: Any, spec: Any) -> Checker:
    """Start checking ``source`` (a client or a capture) against ``spec`` (an AsyncAPI 3
    document or the path of one): see the module docstring."""
    return Checker(source, spec)
