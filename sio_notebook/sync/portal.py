"""The loop thread behind every thread-based Client (a "blocking portal").

aiohttp is asyncio-only and a ClientSession belongs to the loop that created it, so the
thread Client runs the one asyncio implementation on a private event loop in a daemon
thread, and blocks the calling thread on ``concurrent.futures`` results. One loop thread
serves every Client of the process; each Client has its own handler thread
(:mod:`.dispatcher`), so nothing user-written ever runs on the loop thread.

fork() (gunicorn ``--preload``, multiprocessing): the child has no loop thread, only a
copy of the loop's state. At fork (``os.register_at_fork``) every LoopThread is marked
stale in the child; its inherited sockets are released (their descriptors pointed at
/dev/null, so the parent's connections close when the parent closes them) and the next
use starts a fresh loop thread. Nothing waits on the dead loop: that is what made emits
block forever and exit take 2 s per inherited client.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["LoopThread"]

T = TypeVar("T")


class LoopThread:
    """An asyncio loop running forever in a daemon thread."""

    _shared: LoopThread | None = None
    _shared_lock = threading.Lock()

    def __init__(self) -> None:
        _portals.add(self)
        self._stale = False  # True in a forked child until the loop thread is restarted
        self._start()

    def _start(self) -> None:
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.call_soon(started.set)
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, name="sio-notebook-loop", daemon=True)
        self.thread.start()
        started.wait()

    @classmethod
    def shared(cls) -> LoopThread:
        """The process-wide loop thread, started on first use."""
        with cls._shared_lock:
            shared = cls._shared
            if shared is None or (not shared._stale and not shared.thread.is_alive()):
                shared = cls._shared = cls()
        if shared._stale:
            shared._restart_if_forked()
        return shared

    def in_loop_thread(self) -> bool:
        return threading.current_thread() is self.thread

    def _restart_if_forked(self) -> None:
        """In a forked child: a fresh loop thread (the inherited loop has no thread)."""
        with _restart_lock:
            if self._stale:
                self._start()
                self._stale = False

    def _forked(self) -> None:
        """In the child, right after fork(): release what the dead loop held."""
        self._stale = True
        selector = getattr(self.loop, "_selector", None)  # asyncio's; no public way to list its fds
        if selector is None:  # pragma: no cover - every asyncio loop on POSIX has one
            return
        fds = [key.fd for key in selector.get_map().values()]
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            for fd in fds:
                # dup2, not close: the number stays taken, so when an inherited socket
                # object is collected later it closes /dev/null, not a file the child
                # opened since. The parent's connection no longer has a second owner.
                with contextlib.suppress(OSError):
                    os.dup2(devnull, fd)
        finally:
            os.close(devnull)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on the loop and wait for its result in this thread.

        Ctrl-C (or any exception) while waiting cancels the coroutine, so an interrupted
        ``connect()`` does not go on connecting in the background.
        """
        if self._stale:
            self._restart_if_forked()
        if self.in_loop_thread():
            coro.close()
            raise RuntimeError(
                "a blocking sio_notebook.Client method was called on its own loop thread; "
                "use AsyncClient inside coroutines"
            )
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise
        except BaseException:
            future.cancel()
            raise

    def call(self, func: Callable[..., T], *args: Any) -> T:
        """Run a plain function on the loop thread and return its result (or raise)."""
        if self._stale:
            self._restart_if_forked()
        if self.in_loop_thread():
            return func(*args)
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def invoke() -> None:
            try:
                future.set_result(func(*args))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(invoke)
        return future.result()

    def call_soon(self, func: Callable[..., Any], *args: Any) -> None:
        """Schedule a plain function on the loop thread without waiting."""
        if self._stale:
            self._restart_if_forked()
        if self.in_loop_thread():
            func(*args)
        else:
            self.loop.call_soon_threadsafe(func, *args)


_portals: weakref.WeakSet[LoopThread] = weakref.WeakSet()
_restart_lock = threading.Lock()


def _after_fork_in_child() -> None:
    global _restart_lock
    _restart_lock = threading.Lock()  # another thread may have held it at fork
    LoopThread._shared_lock = threading.Lock()
    for portal in list(_portals):
        portal._forked()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)
