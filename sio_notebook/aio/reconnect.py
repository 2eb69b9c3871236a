"""Reconnector: the reconnection loop (JS Manager ``reconnection*`` options).

Backoff delays come from the pure :func:`sio_notebook.sansio.backoff.backoff_delay`;
this module sleeps them, counts attempts, fires the lifecycle events
(``reconnect_attempt``, ``reconnect_error``, ``reconnect``, ``reconnect_failed``) and
gives up after ``reconnection_attempts``. ``disconnect()`` stops it at any await.
"""

from __future__ import annotations

import asyncio

from ..exceptions import ConnectionError
from ..sansio.backoff import backoff_delay
from ..sansio.events import AcksLost
from ..sansio.reasons import TRANSPORT_CLOSE
from ..sansio.state import CONNECTED, DISCONNECTED, RECONNECTING, ClientEvent
from .acks import fail_acks
from .connector import Connector
from .dispatch import Dispatch
from .runtime import ClientRuntime

__all__ = ["Reconnector"]



class Reconnector:
    """Runs and stops the reconnection loop of one client."""

    __slots__ = ("runtime", "connector", "dispatch")

    def __init__(self, runtime: ClientRuntime, connector: Connector, dispatch: Dispatch) -> None:
        self.runtime = runtime
        self.connector = connector
        self.dispatch = dispatch

    def start(self) -> None:
        """A connection was lost and namespaces are still wanted: reconnect in a task."""
        runtime = self.runtime
        runtime.move(ClientEvent.LOSE)
        runtime.reconnect_task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        """disconnect(): abort the loop (also connect(retry=True), which has no task)."""
        runtime = self.runtime
        runtime.reconnect_abort = True
        task = runtime.reconnect_task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        runtime.reconnect_task = None

    async def run(self) -> None:
        """Backoff and retry until connected, given up, or cancelled (``disconnect()``)."""
        runtime, connector, dispatch, options = self.runtime, self.connector, self.dispatch, self.runtime.options
        logger = runtime.logger
        attempt = 0
        engine = runtime.engine
        if engine is not None:
            await engine.wait_closed()
        while runtime.state is RECONNECTING and not runtime.reconnect_abort:
            options = runtime.options
            if options.reconnection_attempts and attempt >= options.reconnection_attempts:
                logger.warning("reconnection failed after %d attempts: giving up", attempt)
                runtime.last_error = f"gave up after {attempt} reconnection attempts: {runtime.last_error}"
                dispatch.fire_lifecycle("reconnect_failed")
                await connector.close_for_good(runtime.disconnect_reason)
                return
            delay = backoff_delay(
                attempt, options.reconnection_delay, options.reconnection_delay_max, options.randomization_factor
            )
            await asyncio.sleep(delay)
            if runtime.abort_requested():
                return
            attempt += 1
            runtime.reconnect_attempts += 1
            runtime.notify_status()
            logger.info("reconnection attempt %d", attempt)
            dispatch.fire_lifecycle("reconnect_attempt", attempt)
            try:
                await connector.open_engine()
            except (ConnectionError, ValueError, TypeError) as exc:
                runtime.last_error = str(exc)
                logger.info("reconnection attempt %d failed: %s", attempt, exc)
                dispatch.fire_lifecycle("reconnect_error", exc)
                continue
            if runtime.abort_requested():  # disconnect() ran while this attempt was connecting
                await connector.close_for_good(None)
                return
            await connector.wait_for_namespaces(max(options.request_timeout, 1))
            if runtime.engine_open() and runtime.state is CONNECTED:
                runtime.reconnect_task = None
                dispatch.fire_lifecycle("reconnect", attempt)
                return
            if runtime.state is DISCONNECTED:
                return
            engine = runtime.engine
            if engine is not None and not engine.closed:
                if not runtime.session.wanted_namespaces():
                    return
                if runtime.all_settled():
                    runtime.move(ClientEvent.SETTLE)
                    runtime.reconnect_task = None
                    dispatch.fire_lifecycle("reconnect", attempt)
                    return
                await engine.close()
                session = runtime.session
                session.engine_lost(TRANSPORT_CLOSE)  # this attempt did not settle in time
                for event in session.events_received():
                    # Only the lost acks: as before the redesign, no disconnect handlers
                    # run for an attempt that never settled (NamespaceLost is dropped).
                    if type(event) is AcksLost:
                        fail_acks(event.tokens, event.error)
            runtime.move(ClientEvent.LOSE)
