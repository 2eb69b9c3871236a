"""The one exception hierarchy of sio_notebook.

The class names are python-socketio's (``import sio_notebook as socketio`` keeps
``except socketio.exceptions.ConnectionError`` working). Where a builtin with the same
meaning exists, the class also inherits it, so ``except TimeoutError`` (the builtin)
catches our timeout too and the shadowing of builtin names costs users nothing::

    SocketIOError
     ├─ ConnectionError (builtins.ConnectionError)   connect() failed: server down, refused,
     │   │                                           not a Socket.IO server, namespace refused
     │   └─ ConnectionRefusedError                   server-side name, kept for parity
     ├─ TimeoutError (builtins.TimeoutError)         call()/ack/receive deadline passed
     ├─ BadNamespaceError                            emit to a namespace that is not connected
     ├─ DisconnectedError                            the connection is gone for good (acks that
     │                                               cannot arrive any more, SimpleClient)
     ├─ ProtocolError (ValueError)                   malformed Engine.IO / Socket.IO data
     │   ├─ LocalProtocolError                       we were asked to send something illegal
     │   └─ RemoteProtocolError                      the server sent something illegal
     ├─ TransportError                               HTTP / WebSocket level failure
     │   └─ PayloadTooLargeError                     the server refused an oversized payload
     ├─ BufferFullError                              the offline emit buffer is full
     ├─ ExpectationFailed (AssertionError)           nb.expect / %sio expect: the expected
     │                                               events did not arrive in time
     └─ UnsupportedPlatformError (RuntimeError)      this client cannot run here (the thread
                                                     Client in a browser: Pyodide has no threads)

    IgnoredOptionWarning (UserWarning)               an option that does nothing here (custom
                                                     headers, proxies, ssl... in a browser)

``TypeError`` (unserialisable data) and ``ValueError`` (bad arguments: reserved event
names, bad URLs, unknown transports) are raised as the builtins, before anything is sent.
"""

from __future__ import annotations

import builtins
from typing import Any

__all__ = [
    "SocketIOError",
    "ConnectionError",
    "ConnectionRefusedError",
    "TimeoutError",
    "BadNamespaceError",
    "DisconnectedError",
    "ProtocolError",
    "LocalProtocolError",
    "RemoteProtocolError",
    "TransportError",
    "PayloadTooLargeError",
    "BufferFullError",
    "ExpectationFailed",
    "UnsupportedPlatformError",
    "IgnoredOptionWarning",
]


class SocketIOError(Exception):
    """Root of every exception raised by sio_notebook."""


class ConnectionError(SocketIOError, builtins.ConnectionError):  # noqa: A001
    """The connection could not be made (or a namespace was refused).

    ``data`` carries what the server said, when it said something: the JSON error body
    of an HTTP 400/403 (``{"code": .., "message": ..}``) or the ``data`` of a
    CONNECT_ERROR packet.
    """

    def __init__(self, message: str = "", data: Any = None) -> None:
        super().__init__(message) if data is None else super().__init__(message, data)
        self.message = message
        self.data = data

    def __str__(self) -> str:
        return self.message


class ConnectionRefusedError(ConnectionError):  # noqa: A001
    """Kept for python-socketio parity (it is the server-side refusal exception there)."""


class TimeoutError(SocketIOError, builtins.TimeoutError):  # noqa: A001
    """A deadline passed: an ack did not arrive in time, or ``receive()`` timed out."""


class BadNamespaceError(SocketIOError):
    """The namespace is not connected (and the emit cannot be buffered)."""


class DisconnectedError(SocketIOError):
    """The connection is gone and will not come back by itself.

    Raised to callers waiting for an ack when the client knows it can no longer arrive
    (``disconnect()``, reconnection given up, ``reconnection=False`` after a drop).
    """


class ProtocolError(SocketIOError, ValueError):
    """Data that breaks the Engine.IO 4 / Socket.IO 5 rules."""


class LocalProtocolError(ProtocolError):
    """We were asked to encode something the protocol does not allow."""


class RemoteProtocolError(ProtocolError):
    """The server sent something the protocol does not allow."""


class TransportError(SocketIOError):
    """An HTTP or WebSocket failure below the protocol (status codes, closed sockets)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PayloadTooLargeError(TransportError):
    """The server refused a payload above its ``maxHttpBufferSize`` (HTTP 413, WS 1009)."""


class BufferFullError(SocketIOError):
    """The buffer of emits waiting for a connection is full (``max_buffered_emits``)."""


class ExpectationFailed(SocketIOError, AssertionError):
    """An expectation about a server's events did not hold (``nb.expect``, ``%sio expect``).

    It is an ``AssertionError`` so that pytest reports it as a failed assertion and a
    notebook run headless (nbclient, papermill, ``pytest --nbmake``) fails on it, and a
    ``SocketIOError`` so that ``except SocketIOError`` still catches everything the package
    raises. The message says what was expected and lists what did arrive in the window.
    """


class UnsupportedPlatformError(SocketIOError, RuntimeError):
    """This client cannot run on this platform.

    The thread ``Client`` needs a thread for its event loop; a browser (Pyodide,
    JupyterLite) has none, so there only ``AsyncClient`` runs, on the page's own loop.
    """


class IgnoredOptionWarning(UserWarning):
    """An option was given that does nothing on this platform.

    In a browser the page owns HTTP: ``fetch`` and ``WebSocket`` take no custom headers
    (a WebSocket cannot send any), cookies, proxies or TLS settings. Warned once per
    option and process, so a loop of connects does not repeat it.
    """
