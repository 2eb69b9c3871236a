"""The handler thread of a thread-based Client.

python-socketio starts one thread per incoming message, so handlers run concurrently and
finish out of order (its issues #382, #392) and threads pile up under load. Here each
Client has ONE dispatcher thread that runs its handlers one after another, in arrival
order. A slow handler delays later handlers but never the heartbeat (that lives on the
loop thread), and a handler may call ``emit()``, ``call()`` or ``disconnect()`` itself:
those hop to the loop thread, which keeps reading while the handler waits.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Dispatcher"]

_STOP = object()


class Dispatcher:
    """Runs submitted calls in order on one daemon thread.

    ``stop()`` retires the current thread after the calls already queued; a later
    ``start()`` begins a new thread with a fresh queue, so a Client can disconnect and
    connect again any number of times without leaking threads.
    """

    def __init__(self, name: str, logger: logging.Logger) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._log = logger
        self._name = name
        self._thread: threading.Thread | None = None
        self._retired: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, args=(self._queue, self._retired), name=self._name, daemon=True
                )
                self._thread.start()

    def submit(self, func: Callable[..., Any], *args: Any) -> None:
        """Queue ``func(*args)``; never blocks (called from the loop thread)."""
        self._queue.put((func, args))

    def stop(self) -> None:
        """Let the current thread finish what is queued, then end."""
        with self._lock:
            if self._thread is None:
                return
            self._queue.put(_STOP)
            self._retired, self._thread = self._thread, None
            self._queue = queue.SimpleQueue()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the retired thread (the one that ran the last handlers)."""
        for thread in (self._retired, self._thread):
            if thread is not None and thread is not threading.current_thread() and thread is self._retired:
                thread.join(timeout)

    def drain(self, timeout: float | None = None) -> None:
        """Wait (at most ``timeout``) until the calls queued so far have run."""
        if self.in_dispatcher():
            return  # they run after the caller's own handler
        done = threading.Event()
        with self._lock:
            thread, retired = self._thread, self._retired
            if thread is not None:
                self._queue.put((done.set, ()))
        if thread is not None:
            done.wait(timeout)
        elif retired is not None:
            retired.join(timeout)

    def in_dispatcher(self) -> bool:
        current = threading.current_thread()
        return current is self._thread or current is self._retired

    def _run(self, items: queue.SimpleQueue[Any], previous: threading.Thread | None) -> None:
        if previous is not None:
            previous.join()  # the last session's handlers (a slow disconnect handler) finish first
        get = items.get
        while True:
            item = get()
            if item is _STOP:
                return
            func, args = item
            try:
                func(*args)
            except Exception:  # noqa: BLE001 - a handler's exception never kills the dispatcher
                self._log.exception("error in a Socket.IO handler")
