"""The loop thread behind every thread-based Client (a "blocking portal").

aiohttp is asyncio-only and a ClientSession belongs to the loop that created it, so the
thread Client runs the one asyncio implementation on a private event loop in a daemon
thread, and blocks the calling thread on ``concurrent.futures`` results. One loop thread
serves every Client of the process; each Client has its own handler thread
(:mod:`.dispatcher`), so nothing user-written ever runs on the loop thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["LoopThread"]

T = TypeVar("T")


class LoopThread:
    """An asyncio loop running forever in a daemon thread."""

    _shared: LoopThread | None = None
    _shared_lock = threading.Lock()

    def __init__(self) -> None:
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
            if cls._shared is None or not cls._shared.thread.is_alive():
                cls._shared = cls()
            return cls._shared

    def in_loop_thread(self) -> bool:
        return threading.current_thread() is self.thread

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on the loop and wait for its result in this thread.

        Ctrl-C (or any exception) while waiting cancels the coroutine, so an interrupted
        ``connect()`` does not go on connecting in the background.
        """
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
        if self.in_loop_thread():
            return func(*args)
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def invoke() -> None:
            try:
                future.set_result(func(*args))
            except BaseException as exc:  # handed to the caller's thread
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(invoke)
        return future.result()

    def call_soon(self, func: Callable[..., Any], *args: Any) -> None:
        """Schedule a plain function on the loop thread without waiting."""
        if self.in_loop_thread():
            func(*args)
        else:
            self.loop.call_soon_threadsafe(func, *args)
