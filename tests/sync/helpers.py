"""Helpers for the thread ``Client`` behaviour tests: record what handlers see, wait for it.

The thread Client runs handlers on its own handler thread, so the recorder is guarded by a
``threading.Condition``: handlers record into an :class:`Events` and the test thread waits
for a condition on it, woken by each record and bounded by a timeout. Tests never sleep to
synchronise. :func:`eventually` polls the few facts no handler reports (the background
websocket upgrade), like its asyncio twin in tests/aio/helpers.py.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

TIMEOUT = 10.0
#: A predicate over state that no handler reports (``sio.status()``) is re-checked this often
#: even when nothing is recorded; a safety net, not the synchronisation (status listeners record).
RECHECK = 0.1


class Events:
    """What the handlers saw, in order: ``(name, args, monotonic time, thread name)`` entries."""

    def __init__(self) -> None:
        self._log: list[tuple[str, tuple[Any, ...], float, str]] = []
        self._cond = threading.Condition()

    def add(self, name: str, *args: Any) -> None:
        with self._cond:
            self._log.append((name, args, time.monotonic(), threading.current_thread().name))
            self._cond.notify_all()

    def handler(self, name: str) -> Callable[..., None]:
        """A plain handler recording its arguments under ``name``."""

        def record(*args: Any) -> None:
            self.add(name, *args)

        record.__name__ = f"record_{name}"
        return record

    @property
    def log(self) -> list[tuple[str, tuple[Any, ...], float, str]]:
        with self._cond:
            return list(self._log)

    def of(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args, _, _ in self.log if n == name]

    def count(self, name: str) -> int:
        return sum(1 for n, _, _, _ in self.log if n == name)

    def times(self, name: str) -> list[float]:
        return [t for n, _, t, _ in self.log if n == name]

    def threads(self, name: str) -> list[str]:
        """The names of the threads that recorded ``name``."""
        return [th for n, _, _, th in self.log if n == name]

    def names(self) -> list[str]:
        return [n for n, _, _, _ in self.log]

    def until(self, predicate: Callable[[], bool], timeout: float = TIMEOUT, what: str = "") -> None:
        """Block until ``predicate()`` is true; it is re-checked each time something is recorded.

        The predicate runs without the lock held, so it may call the client (``sio.status()``
        hops to the loop thread, where coroutine handlers may be recording at that moment).
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                seen = len(self._log)
            if predicate():
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                tail = [(n, repr(a)[:80]) for n, a, _, _ in self.log[-15:]]
                raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}; last events: {tail}")
            with self._cond:
                if len(self._log) == seen:
                    self._cond.wait(min(remaining, RECHECK))

    def first(self, name: str, timeout: float = TIMEOUT) -> tuple[Any, ...]:
        """The arguments of the first ``name`` event (waiting for it if needed)."""
        self.until(lambda: self.count(name) >= 1, timeout, what=repr(name))
        return self.of(name)[0]

    def nth(self, name: str, n: int, timeout: float = TIMEOUT) -> tuple[Any, ...]:
        """The arguments of the ``n``-th (1-based) ``name`` event."""
        self.until(lambda: self.count(name) >= n, timeout, what=f"{n} x {name!r}")
        return self.of(name)[n - 1]


def eventually(predicate: Callable[[], bool], timeout: float = TIMEOUT, what: str = "") -> None:
    """Poll ``predicate`` (every 10 ms) for facts that no event reports, such as the upgrade."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.01)


def in_thread(func: Callable[..., T], *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
    """Run ``func`` in a new daemon thread; its result (or exception) lands in the future.

    ``future.result(timeout)`` is the bounded way to wait for a blocking Client method.
    """
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(func(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread, which re-raises it
            future.set_exception(exc)

    threading.Thread(target=run, name=f"test-{getattr(func, '__name__', 'call')}", daemon=True).start()
    return future


def bounded(func: Callable[..., T], *args: Any, timeout: float = TIMEOUT, **kwargs: Any) -> T:
    """Call a blocking function in another thread and fail the test if it takes over ``timeout``."""
    future = in_thread(func, *args, **kwargs)
    concurrent.futures.wait([future], timeout)
    if not future.done():  # (not `except TimeoutError`: the function may raise one itself)
        raise AssertionError(f"{getattr(func, '__qualname__', func)} did not return within {timeout} s")
    return future.result()
