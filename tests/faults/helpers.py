"""Helpers for the fault-injection tests: record what handlers see, await conditions, count resources.

Tests never sleep to synchronise: handlers record into a :class:`Recorder` and the test
awaits a condition on it (bounded by a timeout). The recorder is thread-safe, so the
same code serves the thread ``Client`` (whose handlers run on its dispatcher thread):
``wait_sync`` blocks a thread, ``until`` suspends a coroutine.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from collections.abc import Callable
from typing import Any

TIMEOUT = 15.0


class Recorder:
    """What the handlers saw, in order: ``(name, args, monotonic time)`` entries. Thread-safe."""

    def __init__(self) -> None:
        self.log: list[tuple[str, tuple[Any, ...], float]] = []
        self._cond = threading.Condition()
        self._async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def add(self, name: str, *args: Any) -> None:
        with self._cond:
            self.log.append((name, args, time.monotonic()))
        self.poke()

    def poke(self) -> None:
        """Wake the waiters without recording anything (for high-rate data kept elsewhere)."""
        with self._cond:
            self._cond.notify_all()
            waiters = list(self._async_waiters)
        for loop, event in waiters:
            try:
                if loop.is_closed():
                    continue
                if _running_loop() is loop:
                    event.set()
                else:
                    loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the loop is closing
                pass

    def handler(self, name: str) -> Callable[..., None]:
        """A plain handler that records its arguments under ``name``."""

        def record(*args: Any) -> None:
            self.add(name, *args)

        record.__name__ = f"record_{name}"
        return record

    def of(self, name: str) -> list[tuple[Any, ...]]:
        with self._cond:
            return [args for n, args, _ in self.log if n == name]

    def count(self, name: str) -> int:
        with self._cond:
            return sum(1 for n, _, _ in self.log if n == name)

    def times(self, name: str) -> list[float]:
        with self._cond:
            return [t for n, _, t in self.log if n == name]

    def names(self) -> list[str]:
        with self._cond:
            return [n for n, _, _ in self.log]

    def _describe(self, what: str, timeout: float) -> str:
        with self._cond:
            tail = [(n, repr(a)[:80]) for n, a, _ in self.log[-12:]]
        return f"timed out after {timeout} s waiting for {what}; last events: {tail}"

    async def until(self, predicate: Callable[[], bool], timeout: float = TIMEOUT, what: str = "") -> None:
        """Suspend until ``predicate()`` holds; it is re-checked whenever something is recorded."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        entry = (loop, event)
        with self._cond:
            self._async_waiters.append(entry)
        try:
            async def waiter() -> None:
                while not predicate():
                    event.clear()
                    if predicate():
                        return
                    await event.wait()

            try:
                await asyncio.wait_for(waiter(), timeout)
            except asyncio.TimeoutError:
                raise AssertionError(self._describe(what or repr(predicate), timeout)) from None
        finally:
            with self._cond:
                self._async_waiters.remove(entry)

    def wait_sync(self, predicate: Callable[[], bool], timeout: float = TIMEOUT, what: str = "") -> None:
        """Block this thread until ``predicate()`` holds (for the thread Client)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            else:
                return
        raise AssertionError(self._describe(what or repr(predicate), timeout))


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def eventually(predicate: Callable[[], bool], timeout: float = TIMEOUT, what: str = "") -> None:
    """Poll ``predicate`` every 10 ms, for facts that no event reports (tasks winding down)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        await asyncio.sleep(0.01)


def eventually_sync(predicate: Callable[[], bool], timeout: float = TIMEOUT, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.01)


# --- resources ------------------------------------------------------------------------


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_bytes() -> int:
    """Resident set size of this process, from /proc/self/status (VmRSS)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def thread_names() -> list[str]:
    return sorted(t.name for t in threading.enumerate())


def other_tasks() -> set[asyncio.Task[Any]]:
    """Every task of the running loop except the current one."""
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current}


def settle_gc() -> None:
    for _ in range(3):
        gc.collect()
