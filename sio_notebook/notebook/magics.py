"""The ``%sio`` / ``%%sio`` magics (``%load_ext sio_notebook``).

Magics never block the kernel: they schedule work on the kernel's event loop and show
live state in widgets; what they return can be awaited in a later cell (or the same
cell)::

    %sio connect http://127.0.0.1:5055            # binds `sio`, shows its status
    cap = %sio capture tick                        # live event log; `cap` is a Capture
    log = %sio log                                 # every event, in and out, acks, lifecycle
    r = %sio call echo {"text": "hi"}              # shows the ack and round-trip time
    await r                                        # -> the ack value
    %sio emit chat {"text": "hello " + name}       # PAYLOAD: JSON or a Python expression
    %sio                                           # lists connections

The line is not ``{var}``-expanded (``@no_var_expand``): JSON braces stay as written and
PAYLOAD is read as JSON first, then as a Python expression in the user namespace (a
tuple means several arguments; :mod:`.payload`, shared with the emit form). The
connection name is checked before anything is evaluated. For ``connect``, a URL or
``--auth`` may be ``{expr}`` or ``$name`` (a URL also a bare variable name); a
``--header`` value is literal text unless written ``{expr}`` (and JSON such as
``{"a":1}`` stays literal). Mistakes raise a one-line ``UsageError``.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import shlex
from collections.abc import Callable
from typing import Any, TypeVar

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments

from . import connections as _conn
from .actions import ConnectionList
from .payload import PayloadError, parse_payload
from .views.live import show_bundle

__all__ = ["SioMagics"]

_F = TypeVar("_F", bound=Callable[..., Any])
# IPython's magic_arguments decorators carry no annotations: give them their real shape.
_magic_arguments: Callable[[], Callable[[_F], _F]] = magic_arguments
_argument: Callable[..., Callable[[_F], _F]] = argument

ACTIONS = ("connect", "status", "disconnect", "emit", "call", "capture", "log", "plot", "form", "expect", "list")
_URL = re.compile(r"^(?:https?|wss?)://", re.IGNORECASE)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Options allowed around the PAYLOAD of emit/call (the payload itself is free text).
_PAYLOAD_OPTS = r"(?:-n|--namespace|--name|-t|--timeout)"
_LEADING_OPT = re.compile(rf"^({_PAYLOAD_OPTS})(?:=|\s+)(\S+)\s*")
_TRAILING_OPT = re.compile(rf"\s+({_PAYLOAD_OPTS})(?:=|\s+)(\S+)\s*$")
_EVENT = re.compile(r"""^("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\S+)\s*""")


def _cleandoc(func: Any) -> Any:
    # magic_arguments prints the docstring above the options in `%sio?`: dedent it first.
    func.__doc__ = inspect.cleandoc(func.__doc__ or "")
    return func


def _clean_help(func: Any) -> Any:
    # magic_arguments writes its usage as a reST literal block ("::" then an indented
    # block), which `%sio?` shows verbatim: drop the marker and the indent.
    doc = func.__doc__ or ""
    if doc.startswith("::"):
        usage, sep, rest = doc[2:].lstrip("\n").partition("\n\n")
        func.__doc__ = inspect.cleandoc(usage) + sep + rest
    return func


def _usage(message: str) -> UsageError:
    # A plain UsageError (never a subclass): IPython shows it as one line, no traceback.
    return UsageError(message)


@magics_class
class SioMagics(Magics):
    """Socket.IO client magics."""

    @_clean_help
    @no_var_expand
    @_magic_arguments()
    @_argument(
        "action",
        nargs="?",
        choices=ACTIONS,
        help="what to do; no action lists the connections",
    )
    @_argument(
        "args",
        nargs="*",
        help="connect: URL; emit/call: EVENT [PAYLOAD]; capture: EVENT ... ('*' for all); log: EVENT ... (default '*')",
    )
    @_argument(
        "-n",
        "--namespace",
        action="append",
        metavar="NS",
        help="namespace (connect: repeat to connect several; emit/call/capture: the one to use)",
    )
    @_argument(
        "--transports",
        action="extend",
        nargs="+",
        metavar="T",
        help="connect: polling and/or websocket (space- or comma-separated; after the URL)",
    )
    @_argument("--auth", metavar="EXPR", help="connect: auth payload, JSON or a Python expression")
    @_argument("--header", action="append", metavar="K:V", help="connect: extra HTTP header (repeatable)")
    @_argument("--retry", action="store_true", help="connect: keep retrying if the first attempt fails")
    @_argument("--name", default="sio", metavar="VAR", help="the connection's variable name (default: sio)")
    @_argument("-t", "--timeout", type=float, default=10.0, metavar="S", help="call: ack timeout (default 10 s)")
    @_argument("--max-rows", type=int, default=100_000, metavar="N", help="capture: ring buffer size")
    @_argument("--rows", type=int, default=100, metavar="N", help="capture/log: rows shown in the event log")
    @_argument("--outgoing", action="store_true", help="capture: also record sent events and acks (log: always)")
    @_argument("--lifecycle", action="store_true", help="capture: also record connect/disconnect/reconnect (log: always)")
    @_argument(
        "--to", metavar="PATH", help="capture/log/plot: also stream every row to this Parquet dataset ({expr}/$name: a variable)"
    )
    @_argument("--by", metavar="KEY", help="plot: one series per value of this payload field")
    @_argument("--window", type=float, metavar="S", help="plot: show only the last S seconds")
    @_argument("--where", metavar="JSON", help="expect: payload fields that must match, JSON or a Python expression")
    @_argument("--within", type=float, default=5.0, metavar="S", help="expect: seconds to wait (default 5)")
    @_argument("--count", type=int, default=1, metavar="N", help="expect: how many matching events (default 1)")
    @_cleandoc
    @line_cell_magic
    def sio(self, line: str, cell: str | None = None) -> Any:
        """Socket.IO client in the kernel's event loop (never blocks the kernel).

        %sio connect URL [--namespace NS ...] [--transports T] [--auth EXPR]
                         [--header K:V ...] [--retry] [--name VAR]
        %sio status | %sio disconnect | %sio          (the last lists the connections;
                                                      `await` what disconnect returns)
        %sio emit EVENT [PAYLOAD] [--namespace NS]    (says "sent" or "queued (N waiting)")
        %sio call EVENT [PAYLOAD] [--timeout S]       (shows the ack and round-trip time)
        %%sio emit EVENT / %%sio call EVENT           (the cell body is the payload)
        %sio capture EVENT ... [--namespace NS] [--max-rows N] [--rows N]
                               [--outgoing] [--lifecycle]   (returns a Capture; event log)
        %sio log [EVENT ...]                          (capture with --outgoing --lifecycle)
        %sio capture ... --to PATH                    (every row also to a Parquet dataset; {expr}/$name too)
        %sio plot EVENT FIELD [--by KEY] [--window S] (live chart of a numeric payload field)
        %sio form [--namespace NS]                    (emit form; results below it)
        %sio expect EVENT [--where JSON] [--within S] [--count N] [--namespace NS]
                                                      (waits, as `await nb.expect` does: the
                                                      payloads, or the cell fails with
                                                      ExpectationFailed; what the cell
                                                      emitted before it runs meanwhile)

        Every action takes --name VAR (default sio): the connection to use. Captures,
        logs and forms follow that name when %sio connect runs again.

        PAYLOAD is JSON or else a Python expression in the user namespace (quote bare
        words: "hello"); a tuple sends several arguments. emit/call return an
        awaitable: `r = %sio call ev 1` then `await r` gives the ack value.
        """
        stripped = line.strip()
        action = stripped.split(None, 1)[0] if stripped else ""
        if action in ("emit", "call"):
            return self._emit_or_call(action, stripped[len(action) :], cell)
        if cell is not None:
            raise _usage("%%sio works with emit and call only: %%sio emit EVENT (the body is the payload)")
        try:
            tokens = shlex.split(stripped)
        except ValueError as exc:
            raise _usage(f"cannot split the line: {exc}") from None
        args = self.sio.parser.parse_args(tokens)
        action = args.action or "list"
        return getattr(self, f"_do_{action}")(args)

    # Actions

    def _do_list(self, args: Any) -> None:
        if args.args:
            raise _usage(f"unexpected arguments: {' '.join(args.args)}")
        show_bundle(ConnectionList(), raw=False)

    def _do_connect(self, args: Any) -> None:
        if len(args.args) != 1:
            raise _usage("connect needs one URL: %sio connect URL [--namespace NS] ...")
        self._check_name(args.name)
        url = self._value(args.args[0], "URL", "url")
        if not isinstance(url, str) or not _URL.match(url):
            raise _usage(f"not an http(s):// or ws(s):// URL: {url!r}")
        transports = None
        if args.transports:
            transports = [t.strip() for item in args.transports for t in item.split(",") if t.strip()]
            bad = [t for t in transports if t not in ("polling", "websocket")]
            if bad:
                raise _usage(f"unknown transport {bad[0]!r} (use polling and/or websocket)")
        headers = {}
        for item in args.header or ():
            key, sep, value = item.partition(":")
            if not sep or not key.strip():
                raise _usage(f"--header needs KEY:VALUE, got {item!r}")
            headers[key.strip()] = self._header_value(value.strip(), key.strip())
        auth = None if args.auth is None else self._value(args.auth, "--auth")
        client = _conn.connect(
            url,
            name=args.name,
            namespaces=args.namespace,
            transports=transports,
            auth=auth,
            headers=headers,
            retry=args.retry,
        )
        self._user_ns()[args.name] = client
        _conn.get_connection(args.name).status_view().show()

    def _do_status(self, args: Any) -> None:
        self._no_positional(args)
        self._connection(args.name).status_view().show()

    def _do_disconnect(self, args: Any) -> _Closing:
        self._no_positional(args)
        conn = self._connection(args.name)
        status = conn.status_view()
        task = _conn.disconnect(args.name)
        status.show()
        return _Closing(task)

    def _do_form(self, args: Any) -> Any:
        self._no_positional(args)
        from .views.form import EmitForm

        conn = self._connection(args.name)
        ns = args.namespace[-1] if args.namespace else "/"
        form = EmitForm(conn.client, connection=args.name, namespace=ns)
        conn.views.append(form)
        form.show()
        return form

    def _do_capture(self, args: Any, full_log: bool = False) -> Any:
        if not args.args and not full_log:
            raise _usage("capture needs at least one EVENT ('*' for every event)")
        if args.max_rows < 1 or args.rows < 1:
            raise _usage("--max-rows and --rows must be at least 1")
        from .recording.capture import Capture

        conn = self._connection(args.name)
        cap = Capture(
            conn.client,
            args.args or ("*",),
            namespace=args.namespace,
            max_rows=args.max_rows,
            outgoing=args.outgoing or full_log,
            lifecycle=args.lifecycle or full_log,
            connection=args.name,
        )
        conn.captures.append(cap)
        if args.to:
            self._write_to(cap, self._path(args.to))
        cap.table(rows=args.rows).show()  # and not again when IPython displays the result
        return cap

    @staticmethod
    def _write_to(cap: Any, path: str) -> None:
        try:
            cap.write_to(path)
        except (ImportError, OSError, ValueError) as exc:
            cap.stop()
            raise _usage(f"cannot write to {path}: {exc}") from None

    def _do_plot(self, args: Any) -> Any:
        if len(args.args) != 2:
            raise _usage("plot needs EVENT FIELD, e.g. %sio plot tick price --by symbol --window 60")
        if args.window is not None and args.window <= 0:
            raise _usage("--window must be a positive number of seconds")
        from .recording.capture import Capture

        conn = self._connection(args.name)
        event, field = args.args
        cap = Capture(conn.client, (event,), namespace=args.namespace, max_rows=args.max_rows, connection=args.name)
        conn.captures.append(cap)
        if args.to:
            self._write_to(cap, self._path(args.to))
        chart = cap.plot(field, by=args.by, window=args.window)
        chart.show()  # and not again when IPython displays the result
        return chart

    def _do_expect(self, args: Any) -> Any:
        if len(args.args) != 1:
            raise _usage("expect needs one EVENT: ticks = %sio expect tick --where '{\"symbol\": \"ACME\"}' --within 2")
        if args.namespace and len(args.namespace) > 1:
            raise _usage("expect takes one --namespace")
        conn = self._connection(args.name)
        where = None if args.where is None else self._payload(args.where, "--where")
        if where is not None and not (isinstance(where, dict) or callable(where)):
            raise _usage(f"--where must be a JSON object of payload fields (or a callable), got {args.where}")
        from .prove.view import ExpectationView

        try:
            view = ExpectationView(conn.client, args.args[0], where, args.within, args.count,
                                   args.namespace[0] if args.namespace else None)
        except (TypeError, ValueError) as exc:
            raise _usage(f"expect: {exc}") from None
        view.show()  # and not again when IPython displays the result
        return view

    def _do_log(self, args: Any) -> Any:
        return self._do_capture(args, full_log=True)

    def _emit_or_call(self, action: str, rest: str, cell: str | None) -> Any:
        options: list[str] = []
        rest = rest.strip()

        def leading() -> None:
            nonlocal rest
            while m := _LEADING_OPT.match(rest):
                options.extend(m.groups())
                rest = rest[m.end() :]

        leading()
        m = _EVENT.match(rest)
        if not m:
            form = f"%%sio {action} EVENT" if cell is not None else f"%sio {action} EVENT [PAYLOAD]"
            raise _usage(f"{action} needs an EVENT: {form}")
        event = m.group(1)
        if event[0] in "'\"":
            event = self._literal(event, "EVENT")
        rest = rest[m.end() :]
        leading()
        rest = self._strip_trailing_options(rest, options)
        if cell is not None:
            if rest:
                raise _usage(f"%%sio {action} takes the payload from the cell body, not the line")
            rest = cell.strip()
        args = self.sio.parser.parse_args([action, event, *options])
        if args.namespace and len(args.namespace) > 1:
            raise _usage(f"{action} takes one --namespace")
        conn = self._connection(args.name)  # before the payload is evaluated
        data = self._payload(rest) if rest else None
        from .views.pending import Pending

        pending = Pending(
            conn.client,
            action,
            event,
            data,
            namespace=args.namespace[0] if args.namespace else None,
            timeout=args.timeout,
        )
        pending.show()
        return pending

    # Helpers

    @staticmethod
    def _strip_trailing_options(rest: str, options: list[str]) -> str:
        """Move ``--namespace NS`` / ``--timeout S`` / ``--name V`` at the end of the line
        into ``options``, unless they are part of a valid JSON or Python payload."""
        if _is_json(rest):
            return rest
        stripped, found = rest, list[str]()
        while m := _TRAILING_OPT.search(" " + stripped):
            found[:0] = m.groups()
            stripped = (" " + stripped)[: m.start()].strip()
        if found and (not stripped or _is_json(stripped) or _compiles(stripped)):
            options.extend(found)
            return stripped
        return rest

    def _user_ns(self) -> dict[str, Any]:
        assert self.shell is not None  # magics are always registered on a shell
        ns: dict[str, Any] = self.shell.user_ns
        return ns

    def _connection(self, name: str) -> _conn.Connection:
        try:
            return _conn.get_connection(name)
        except KeyError:
            raise _usage(f"no connection named {name!r}: run %sio connect URL --name {name} first") from None

    def _check_name(self, name: str) -> None:
        if not _IDENT.match(name):
            raise _usage(f"--name must be a Python identifier, got {name!r}")

    @staticmethod
    def _no_positional(args: Any) -> None:
        if args.args:
            raise _usage(f"{args.action} takes no arguments, got: {' '.join(args.args)}")

    @staticmethod
    def _literal(text: str, what: str) -> Any:
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise _usage(f"bad quoted {what}: {text}") from None

    def _value(self, text: str, what: str, kind: str = "expr") -> Any:
        """A connect option value: ``$name`` and ``{expr}`` are evaluated; otherwise a
        URL is literal if it has a scheme (else an expression, e.g. a variable name),
        and ``--auth`` is JSON or an expression."""
        if text.startswith("$") and _IDENT.match(text[1:]):
            return self._payload(text[1:], what)
        if kind == "url" and text.startswith("{") and text.endswith("}"):
            return self._payload(text[1:-1], what)
        if kind == "url" and "://" in text:
            return text
        return self._payload(text, what)

    def _path(self, text: str) -> Any:
        """A ``--to`` path: literal text, unless written ``{expr}`` or ``$name`` (as the
        connect options; the magic takes its line unexpanded, so IPython does not)."""
        if text.startswith("$") and _IDENT.match(text[1:]):
            return self._payload(text[1:], "--to")
        if text.startswith("{") and text.endswith("}"):
            return self._payload(text[1:-1], "--to")
        return text

    def _header_value(self, text: str, key: str) -> str:
        """A header value is literal text, unless it is ``{expr}`` (and not JSON)."""
        if text.startswith("{") and text.endswith("}") and not _is_json(text):
            return str(self._payload(text[1:-1], f"header {key}"))
        return text

    def _payload(self, text: str, what: str = "PAYLOAD") -> Any:
        try:
            return parse_payload(text, self._user_ns(), what)
        except PayloadError as exc:
            raise _usage(str(exc)) from None


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _compiles(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return True


class _Closing:
    """What ``%sio disconnect`` returns: ``await`` it to wait until the connection is
    closed (then the views show their final state, also in a headless run). Displays
    nothing: the status view above already shows the end."""

    def __init__(self, task: Any) -> None:
        self.task = task

    def __await__(self) -> Any:
        return self.task.__await__()

    def _ipython_display_(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"<closing: {'done' if self.task.done() else 'in progress'}>"
