"""One Engine.IO connection on asyncio: handshake, upgrade, reader, writer, heartbeat.

The rules come from :mod:`sio_notebook.sansio.engineio`; this module only moves frames
and time. Three tasks run per connection:

* the **reader** reads frames from the current transport and hands each message to the
  ``on_message`` callback, synchronously and in order;
* the **writer** drains one outbox, so frames are written in the order they were queued
  and the frames of one binary message are never interleaved with others; on polling
  it is also what guarantees a single POST in flight;
* the **watchdog** sleeps until the heartbeat deadline and closes the connection with
  "ping timeout" if no ping moved it (§1.5).

The polling→websocket upgrade (§1.6) runs as a fourth, short-lived task.
``on_close(reason, error)`` is called exactly once, whatever ends the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, cast

from ..exceptions import ConnectionError, PayloadTooLargeError, ProtocolError, TransportError
from ..sansio import engineio
from ..sansio.engineio import EngineProtocol, Frame, encode_message, encode_messages
from ..sansio.reasons import CLIENT_DISCONNECT, PARSE_ERROR, PING_TIMEOUT, TRANSPORT_CLOSE, TRANSPORT_ERROR
from ..sansio.upgrade import Upgrade
from ..sansio.url import EngineURL
from .flag import Flag
from .network import NetworkOptions
from .transports import Transport, TransportOpener, WebSocketLike, default_opener, opener_errors

__all__ = ["EngineConnection"]


#: A polling body is dispatched this many packets at a time, yielding to the loop in
#: between: a body of 10^6 packets must not freeze every other task for seconds.
DISPATCH_SLICE = 256


class EngineConnection:
    """An open Engine.IO session over polling or WebSocket (see the module docstring)."""

    def __init__(
        self,
        *,
        on_message: Callable[[Frame], None],
        on_close: Callable[[str, BaseException | None], None],
        logger: logging.Logger,
        on_ping: Callable[[], None] | None = None,
        opener: TransportOpener | None = None,
    ) -> None:
        #: Makes the transports: the platform's by default (aiohttp's, or the browser's in
        #: Pyodide); the scripted test tier passes its own.
        self.opener: TransportOpener = opener or default_opener()
        # What ends a connection as "transport error": ours, the OS's, and the opener's
        # library's own (aiohttp.ClientError natively).
        library = opener_errors(self.opener)
        self._transport_errors: tuple[type[BaseException], ...] = (TransportError, OSError, asyncio.TimeoutError, *library)
        self._upgrade_errors: tuple[type[BaseException], ...] = (ConnectionError, EOFError, *self._transport_errors)
        self._on_message = on_message
        self._on_close = on_close
        self._on_ping = on_ping  # called once per server ping, after the pong is queued
        self.log = logger
        self.protocol: EngineProtocol | None = None
        self.transport: Transport | None = None
        self._outbox: list[Frame] = []
        self._wake = Flag()
        self._writer_idle = Flag(True)
        # §1.6 pause: created only while an upgrade runs (most connections never upgrade,
        # and each asyncio.Event costs about a kilobyte).
        self._upgrading = False
        self._reader_paused: asyncio.Event | None = None
        self._upgrade_done: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._watchdog: asyncio.TimerHandle | None = None
        self.closed = False
        self.close_reason: str | None = None

    # --- opening ---------------------------------------------------------------------

    async def open(
        self,
        http: Any,
        url: EngineURL,
        *,
        transports: list[str],
        headers: dict[str, str],
        ssl: Any,
        request_timeout: float,
        websocket_options: dict[str, Any] | None,
        upgrade: bool = True,
        connect_timeout: float | None = None,
        network: NetworkOptions | None = None,
    ) -> engineio.OpenInfo:
        """Handshake on the first transport; start the tasks; upgrade in the background.

        ``connect_timeout`` bounds opening the session (the JS client's ``timeout``); it
        is longer than one request's timeout because a burst of connections queues up.
        """
        open_timeout = connect_timeout if connect_timeout is not None else request_timeout
        self._http, self._url, self._headers, self._ssl = http, url, headers, ssl
        self._request_timeout = request_timeout
        self._ws_options = websocket_options
        self._network = network
        transport: Transport
        if transports[0] == "websocket":
            transport = await self.opener.open_websocket(
                http, url.websocket(), headers, ssl=ssl, request_timeout=open_timeout, extra=websocket_options,
                network=network,
            )
            try:
                first = await transport.read_one(open_timeout)
                info = engineio.parse_open(first)
            except (ProtocolError, TransportError, EOFError, asyncio.TimeoutError) as exc:
                await transport.close()
                raise ConnectionError(
                    f"{url.ws_base} did not start an Engine.IO session: {exc or type(exc).__name__}"
                ) from exc
        else:
            polling = self.opener.polling(
                http, url, headers, ssl=ssl, request_timeout=request_timeout, network=network
            )
            try:
                info = await polling.handshake(open_timeout)
            except ProtocolError as exc:
                raise ConnectionError(f"{url.http_base} is not a Socket.IO server: {exc}") from exc
            transport = polling
        self.protocol = EngineProtocol(info, time.monotonic())
        self.transport = transport
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._read_loop(), name="sio-reader"),
            loop.create_task(self._write_loop(), name="sio-writer"),
        ]
        self._arm_watchdog()
        if upgrade and transport.name == "polling" and "websocket" in transports and "websocket" in info.upgrades:
            self._tasks.append(loop.create_task(self._upgrade(), name="sio-upgrade"))
        self.log.info("Engine.IO session %s open over %s", info.sid, transport.name)
        return info

    @property
    def transport_name(self) -> str | None:
        return self.transport.name if self.transport else None

    # --- sending ---------------------------------------------------------------------

    def send(self, messages: list[Frame]) -> None:
        """Queue Engine.IO messages (Socket.IO packets) for the writer; never blocks.

        The core's codec frames them (§1.3: text gets the ``4`` type prefix).
        """
        if self.closed:
            raise TransportError("the Engine.IO connection is closed")
        if len(messages) == 1:  # the common case, without building a list
            self._outbox.append(encode_message(messages[0]))
        else:
            self._outbox += encode_messages(messages)
        self._wake.set()

    @property
    def writable(self) -> bool:
        """JS ``transport.writable``: open, nothing queued, no write (or upgrade) in progress.

        Volatile emits are dropped while this is False (they shed load instead of queueing).
        """
        return not self.closed and not self._outbox and self._writer_idle.is_set() and not self._upgrading

    def _send_control(self, frames: list[Frame]) -> None:
        """Queue Engine.IO control frames (pongs) as they are."""
        if not self.closed:
            self._outbox.extend(frames)
            self._wake.set()

    def alive(self) -> bool:
        """Check the heartbeat deadline now (§1.5, the throttled-timer check).

        A blocked event loop or a suspended machine can sleep through the watchdog; an
        emit then would vanish into a dead socket. If the deadline has passed, the
        connection is closed with "ping timeout" before the caller sends anything.
        """
        if self.closed or self.protocol is None:
            return False
        if self.protocol.expired(time.monotonic()):
            self._finish(PING_TIMEOUT, None)
            return False
        return True

    async def close(self) -> None:
        """Close on purpose (``disconnect()``): flush, say goodbye, stop the tasks."""
        if self.closed:
            return
        with contextlib.suppress(asyncio.TimeoutError, TransportError):
            await asyncio.wait_for(self.flush(), 2)
        transport = self.transport
        self._finish(CLIENT_DISCONNECT, None, notify=False)
        if transport is not None:
            await transport.close()
        await self._cancel_tasks()

    async def flush(self) -> None:
        """Wait until everything queued so far has been written."""
        while (self._outbox or not self._writer_idle.is_set()) and not self.closed:
            self._wake.set()
            await self._writer_idle.wait()
            await asyncio.sleep(0)

    async def wait_closed(self) -> None:
        await self._cancel_tasks()

    # --- tasks -----------------------------------------------------------------------

    async def _read_loop(self) -> None:
        assert self.protocol is not None
        protocol = self.protocol
        try:
            while not self.closed:
                transport = self.transport
                assert transport is not None
                if transport.name == "websocket":
                    await self._read_websocket(cast(WebSocketLike, transport))
                    return
                frames = await transport.read()
                # The arrival time, not the request's start: a long-poll GET can wait a
                # whole pingInterval for the ping it carries, and the deadline it re-arms
                # must count from when the ping came (§1.5).
                now = time.monotonic()
                for index, frame in enumerate(frames):
                    if index and not index % DISPATCH_SLICE and await self._yield_slice():
                        return
                    message = protocol.receive_frame(frame, now)
                    if message is not None:
                        self._on_message(message)
                    elif self._after_control():
                        return
                if self._upgrading:
                    # §1.6 step 3: pause polling: this GET has ended (the server answers
                    # it with a noop once the probe succeeded); issue no new one.
                    assert self._reader_paused is not None and self._upgrade_done is not None
                    self._reader_paused.set()
                    await self._upgrade_done.wait()
        except asyncio.CancelledError:
            if not self.closed:  # not by us: asyncio.run() cancels every task on Ctrl-C
                await self._close_on_teardown()
            raise
        except ProtocolError as exc:
            self.log.warning("malformed data from the server: %s", exc)
            self._finish(PARSE_ERROR, exc)
        except EOFError as exc:
            self._finish(TRANSPORT_CLOSE, exc)
        except self._transport_errors as exc:
            self.log.info("transport failed: %s", exc)
            self._finish(TRANSPORT_ERROR, exc)
        except Exception as exc:  # a bug in a message callback must not leave us half-open
            self.log.exception("unexpected error in the Engine.IO reader")
            self._finish(TRANSPORT_ERROR, exc)

    async def _read_websocket(self, transport: WebSocketLike) -> None:
        """The hot loop: one frame per message, straight from the WebSocket to the protocol."""
        assert self.protocol is not None
        receive_frame = self.protocol.receive_frame
        on_message = self._on_message
        receive = transport.ws.receive
        monotonic = time.monotonic
        text, binary = transport.frame_kinds
        while not self.closed:
            msg = await receive()
            kind = msg.type
            if kind is not text and kind is not binary:
                transport.raise_closed(msg)
            message = receive_frame(msg.data, monotonic())
            if message is not None:
                on_message(message)
            elif self._after_control():
                return

    async def _yield_slice(self) -> bool:
        """Between slices of a huge polling body: let other tasks run. True if closed meanwhile."""
        await asyncio.sleep(0)
        return self.closed

    def _after_control(self) -> bool:
        """After a control frame: honour a close, send the pong. True when closed."""
        protocol = self.protocol
        assert protocol is not None
        if protocol.close_reason:
            self._finish(TRANSPORT_CLOSE, None)
            return True
        pongs = protocol.data_to_send()
        if pongs:
            self._send_control(pongs)
            if self._on_ping is not None:
                for _ in pongs:
                    self._on_ping()
        return False

    async def _write_loop(self) -> None:
        try:
            while not self.closed:
                await self._wake.wait()
                self._wake.clear()
                while self._outbox and not self.closed:
                    if self._upgrading and self._upgrade_done is not None and self.transport and self.transport.name == "polling":
                        await self._upgrade_done.wait()  # §1.6: no new POST while upgrading
                        continue
                    if not self._writer_idle.is_set():  # write_now() is writing a frame
                        await self._writer_idle.wait()
                        continue
                    self._writer_idle.clear()
                    batch, self._outbox = self._outbox, []
                    assert self.transport is not None
                    try:
                        await self.transport.write(batch)
                    finally:
                        self._writer_idle.set()
        except asyncio.CancelledError:
            raise
        except PayloadTooLargeError as exc:
            self.log.warning("%s", exc)
            self._finish(TRANSPORT_ERROR, exc)
        except self._transport_errors as exc:
            self.log.info("transport write failed: %s", exc)
            self._finish(TRANSPORT_ERROR, exc)
        except Exception as exc:
            # The writer must never end silently: with it gone every later emit and pong
            # would be dropped while the state still said "connected". Closing hands the
            # loss to the client's reconnection and recovery.
            self.log.exception("unexpected error in the Engine.IO writer: closing the connection")
            self._finish(TRANSPORT_ERROR, exc)
        finally:
            self._writer_idle.set()

    async def write_now(self) -> None:
        """Write a lone queued frame from the calling task when the writer is idle.

        call() uses it: it saves the hop to the writer task, a loop iteration on every
        ack round trip. Only ever one frame, so a cancelled caller cannot cut a
        multi-frame (binary) message in half: aiohttp hands a frame to the socket before
        its first await.
        """
        transport = self.transport
        if (
            len(self._outbox) != 1
            or self.closed
            or not self._writer_idle.is_set()
            or self._upgrading
            or transport is None
            or transport.name != "websocket"
        ):
            return
        batch, self._outbox = self._outbox, []
        self._writer_idle.clear()
        try:
            await transport.write(batch)
        except TransportError as exc:
            self.log.info("transport write failed: %s", exc)
            self._finish(TRANSPORT_ERROR, exc)
        except Exception as exc:  # as in _write_loop: never lose the connection silently
            self.log.exception("unexpected error writing a frame: closing the connection")
            self._finish(TRANSPORT_ERROR, exc)
        finally:
            self._writer_idle.set()
            if self._outbox:
                self._wake.set()

    def _arm_watchdog(self) -> None:
        """§1.5: a timer at the heartbeat deadline (a timer, not a task: cheaper per connection)."""
        assert self.protocol is not None
        loop = asyncio.get_running_loop()
        delay = self.protocol.deadline - time.monotonic()
        self._watchdog = loop.call_later(max(delay, 0) + 0.001, self._check_heartbeat)

    def _check_heartbeat(self) -> None:
        if self.closed or self.protocol is None:
            return
        if self.protocol.expired(time.monotonic()):
            self.log.warning("no ping from the server in pingInterval + pingTimeout: ping timeout")
            self._finish(PING_TIMEOUT, None)
        else:
            self._arm_watchdog()  # a ping moved the deadline: sleep until the new one

    async def _upgrade(self) -> None:
        """§1.6: probe, pause polling, send upgrade, switch. Failure keeps polling.

        The steps and their frames are :class:`~sio_notebook.sansio.upgrade.Upgrade`'s;
        this method opens the socket, waits for polling to drain, and swaps transports.
        """
        assert self.protocol is not None
        sid = self.protocol.info.sid
        ws: WebSocketLike | None = None
        upgrade = Upgrade()
        try:
            ws = await self.opener.open_websocket(
                self._http,
                self._url.websocket(sid),
                self._headers,
                ssl=self._ssl,
                request_timeout=self._request_timeout,
                extra=self._ws_options,
                network=self._network,
            )
            await ws.write(upgrade.start())
            upgrade.receive(await ws.read_one(self._request_timeout))  # UpgradeFailed: stay on polling
            self._reader_paused = asyncio.Event()
            self._upgrade_done = asyncio.Event()
            self._upgrading = upgrade.pausing  # step 3: no new GET or POST
            self._wake.set()
            await asyncio.wait_for(self._reader_paused.wait(), self._request_timeout + 10)
            await asyncio.wait_for(self._writer_idle.wait(), self._request_timeout + 10)
            if self.closed:
                await ws.close()
                return
            await ws.write(upgrade.switch())
            polling, self.transport = self.transport, ws
            if polling is not None:
                polling.release_connections()  # issue 10 §2.4: no idle sockets left behind
            self.log.info("upgraded to websocket")
        except asyncio.CancelledError:
            if ws is not None and self.transport is not ws:
                await ws.close()
            raise
        except self._upgrade_errors as exc:
            self.log.info("websocket upgrade failed, staying on polling: %s", exc or type(exc).__name__)
            if ws is not None:
                await ws.close()
        except Exception:  # a bug must not end this task silently; polling still works
            self.log.exception("unexpected error in the websocket upgrade, staying on polling")
            if ws is not None and self.transport is not ws:
                await ws.close()
        finally:
            upgrade.fail()  # a no-op once switched
            self._upgrading = upgrade.pausing
            if self._upgrade_done is not None:
                self._upgrade_done.set()
            self._wake.set()

    # --- closing ---------------------------------------------------------------------

    def fail(self, reason: str, error: BaseException | None) -> None:
        """Close now because of ``error`` (e.g. "parse error"): the owner's on_close runs."""
        self._finish(reason, error)

    def _finish(self, reason: str, error: BaseException | None, notify: bool = True) -> None:
        """Mark the connection closed (once) and tell the owner why."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._outbox = []
        self._upgrading = False
        if self._upgrade_done is not None:
            self._upgrade_done.set()
        self._wake.set()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        transport = self.transport
        if notify and transport is not None:
            # Drop the socket without ceremony: the peer is gone or misbehaving. The task
            # is kept in _tasks so wait_closed() awaits it: nothing outlives the connection.
            self._tasks.append(asyncio.get_running_loop().create_task(transport.close(), name="sio-close"))
        if notify:
            self._on_close(reason, error)

    async def _close_on_teardown(self) -> None:
        """The loop is being torn down around us: close the WebSocket properly.

        Otherwise its response and pooled connection are only garbage-collected, with
        "Unclosed response" / "Unclosed connection" ResourceWarnings. (A polling GET is
        released by aiohttp when its task is cancelled; the client closes its session.)
        """
        transport = self.transport
        self._finish(CLIENT_DISCONNECT, None, notify=False)
        if transport is not None and transport.name == "websocket":
            await transport.close()

    async def _cancel_tasks(self) -> None:
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            if task.get_name() != "sio-close":  # let the socket close finish
                task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
