"""python-socketio's AsyncServer behind a checking front door, for the network tests.

``Gateway(ssl_context=None, require_authorization=None).start()`` runs python-socketio's
server on aiohttp on 127.0.0.1 in a thread of its own (own loop), optionally over TLS,
and records every HTTP request it gets (polling GETs/POSTs and the WebSocket handshake)
in ``requests`` as :class:`Seen`. With ``require_authorization`` set, any request whose
``Authorization`` header differs is answered 401 before python-socketio sees it.

The server answers ``echo`` with its arguments. Also: :func:`make_ca` writes a throwaway
CA and a 127.0.0.1 server certificate signed by it (``openssl``), for the TLS tests.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web

__all__ = ["Gateway", "Seen", "LocalCA", "make_ca"]


@dataclass(frozen=True)
class Seen:
    method: str
    transport: str
    authorization: str | None
    headers: dict[str, str]


class Gateway:
    def __init__(self, ssl_context: ssl.SSLContext | None = None, require_authorization: str | None = None) -> None:
        self.ssl_context = ssl_context
        self.require_authorization = require_authorization
        self.requests: list[Seen] = []
        self.refused = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="gateway", daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self) -> Gateway:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(20)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(20)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def transports_seen(self) -> set[str]:
        return {seen.transport for seen in self.requests}

    async def _start(self) -> None:
        sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=2, ping_timeout=2)

        @sio.on("echo")
        async def echo(sid: str, *args: Any) -> Any:
            return args

        @web.middleware
        async def front_door(request: web.Request, handler: Any) -> web.StreamResponse:
            authorization = request.headers.get("Authorization")
            self.requests.append(
                Seen(request.method, request.query.get("transport", "?"), authorization, dict(request.headers))
            )
            if self.require_authorization is not None and authorization != self.require_authorization:
                self.refused += 1
                return web.Response(status=401, text="authorization required")
            return await handler(request)

        app = web.Application(middlewares=[front_door])
        sio.attach(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        self.port = self._runner.addresses[0][1]


@dataclass(frozen=True)
class LocalCA:
    ca_file: Path  # the CA certificate (what a client trusts)
    cert_file: Path  # the server's certificate, for 127.0.0.1, signed by the CA
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_ca(folder: Path) -> LocalCA:
    """A CA and a server certificate for IP 127.0.0.1 signed by it, with the openssl CLI."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder, timeout=60)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=sio-notebook test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                    "extendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return LocalCA(folder / "ca.pem", folder / "server.pem", folder / "server.key")
