"""How the thread Client reaches servers (issue 10 §2.4, §2.6, §2.7: the § headers below
are that issue's items, not docs/protocol.md's); the twin of tests/aio/test_network.py
(same test names).

Besides the AsyncClient's cases (the sockets left after the upgrade, URL credentials,
proxies, TLS with a custom CA), the thread-only ways to customise the HTTP session:
python-socketio's ``http_session=requests.Session()`` (its proxies, verify, cert,
headers, auth and cookies are honoured), a factory callable run on the loop thread, and
a clear refusal of an aiohttp session made on another loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
import requests
from peers.forward_proxy import ForwardProxy
from peers.gateway import Gateway, LocalCA, make_ca

from sio_notebook import Client, exceptions

from .helpers import eventually

pytestmark = pytest.mark.timeout(60)

PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ws_proxy", "wss_proxy")


def sockets_to(port: int) -> int:
    """How many sockets this process has open to 127.0.0.1:``port`` (/proc/self/fd, /proc/net/tcp)."""
    inodes = set()
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed since listdir
            link = os.readlink(f"/proc/self/fd/{name}")
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                remote_port, state, inode = int(fields[2].rsplit(":", 1)[1], 16), fields[3], fields[9]
                if remote_port == port and inode in inodes and state != "06":  # 06: TIME_WAIT
                    count += 1
    return count


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    relay = ForwardProxy().start()
    yield relay
    relay.stop()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway().start()
    yield server
    server.stop()


@pytest.fixture
def tls_gateway(ca: LocalCA) -> Iterator[Gateway]:
    server = Gateway(ssl_context=ca.server_context()).start()
    yield server
    server.stop()


def upgraded(sio: Client) -> None:
    eventually(lambda: sio.transport() == "websocket", what="the upgrade")


# --- file descriptors (issue 10 §2.4) ---------------------------------------------------


def test_upgrade_releases_the_polling_connections(server, make_client, no_proxy_env):
    sio = make_client()
    sio.connect(server.url, transports=["polling", "websocket"])
    upgraded(sio)
    # Before the fix: 3 sockets (the websocket + the idle GET and POST keep-alives) for 15 s.
    eventually(lambda: sockets_to(server.port) == 1, timeout=5, what="one socket per upgraded client")
    assert sio.call("echo", "still fine") == "still fine"
    sio.disconnect()
    eventually(lambda: sockets_to(server.port) == 0, timeout=5, what="no socket left after disconnect")


FD_SCRIPT = """
import resource
import sio_notebook as socketio
resource.setrlimit(resource.RLIMIT_NOFILE, (__LIMIT__, __LIMIT__))
clients, errors = [], []
for _ in range(__COUNT__):
    client = socketio.Client(reconnection=False)
    try:
        client.connect(__URL__, transports=["polling", "websocket"], wait_timeout=5)
        clients.append(client)
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
        break
print("connected", len(clients), flush=True)
for error in errors:
    print("error", error, flush=True)
for client in clients:
    client.disconnect()
"""


def test_running_out_of_file_descriptors_is_reported_as_emfile(node_server, no_proxy_env):
    script = FD_SCRIPT.replace("__LIMIT__", "64").replace("__COUNT__", "200").replace("__URL__", repr(node_server.url))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    print(proc.stdout)
    connected = int(proc.stdout.split("connected ")[1].split()[0])
    errors = [line for line in proc.stdout.splitlines() if line.startswith("error")]
    assert 3 < connected < 200 and len(errors) == 1, proc.stdout
    assert "ConnectionError" in errors[0] and "EMFILE" in errors[0] and "RLIMIT_NOFILE 64" in errors[0], errors[0]
    assert "timed out" not in errors[0]


# --- URL credentials (issue 10 §2.7) ----------------------------------------------------


@pytest.mark.parametrize("transports", [["polling"], ["websocket"], ["polling", "websocket"]],
                         ids=["polling", "websocket", "upgrade"])
def test_url_credentials_are_sent_as_basic_authorization(make_client, transports, caplog, no_proxy_env):
    expected = "Basic YWxpY2U6czNjcmV0"  # alice:s3cret
    server = Gateway(require_authorization=expected).start()
    try:
        caplog.set_level(logging.DEBUG, logger="sio_notebook")
        sio = make_client(logger=True, engineio_logger=True)
        url = f"http://alice:s3cret@127.0.0.1:{server.port}"
        sio.connect(url, transports=transports)
        if len(transports) == 2:
            upgraded(sio)
        assert sio.call("echo", "hi") == "hi"
        assert server.refused == 0 and server.requests
        assert all(seen.authorization == expected for seen in server.requests)
        assert server.transports_seen() == set(transports)
        assert sio.status().url == f"http://alice:***@127.0.0.1:{server.port}"
        sio.disconnect()
        assert "s3cret" not in caplog.text
    finally:
        server.stop()


def test_url_credentials_do_not_replace_an_explicit_authorization_header(make_client, no_proxy_env):
    server = Gateway(require_authorization="Bearer token").start()
    try:
        sio = make_client()
        sio.connect(f"http://alice:s3cret@127.0.0.1:{server.port}", headers={"Authorization": "Bearer token"})
        assert sio.call("echo", 1) == 1
    finally:
        server.stop()


def test_wrong_url_credentials_are_refused(make_client, no_proxy_env):
    server = Gateway(require_authorization="Basic YWxpY2U6czNjcmV0").start()
    try:
        sio = make_client()
        with pytest.raises(exceptions.ConnectionError, match="refused the request: the server answered HTTP 401") as info:
            sio.connect(f"http://alice:badpass@127.0.0.1:{server.port}", transports=["polling"])
        assert "badpass" not in str(info.value) and "not a Socket.IO server" not in str(info.value)
    finally:
        server.stop()


# --- proxies (issue 10 §2.6) ------------------------------------------------------------


@pytest.mark.parametrize("transports", [["polling"], ["websocket"], ["polling", "websocket"]],
                         ids=["polling", "websocket", "upgrade"])
def test_http_proxy_from_the_environment(gateway, proxy, make_client, transports, no_proxy_env):
    no_proxy_env.setenv("HTTP_PROXY", proxy.url)
    sio = make_client()
    sio.connect(gateway.url, transports=transports)
    if len(transports) == 2:
        upgraded(sio)
    assert sio.call("echo", "via proxy") == "via proxy"
    targets = [target for _, target in proxy.requests]
    assert targets and all(f"127.0.0.1:{gateway.port}" in target for target in targets), targets
    if "websocket" in transports:
        assert any("transport=websocket" in t for t in targets), targets


def test_no_proxy_bypasses_the_proxy(gateway, proxy, make_client, no_proxy_env):
    no_proxy_env.setenv("HTTP_PROXY", proxy.url)
    no_proxy_env.setenv("NO_PROXY", "127.0.0.1")
    sio = make_client()
    sio.connect(gateway.url, transports=["polling", "websocket"])
    upgraded(sio)
    assert sio.call("echo", 1) == 1
    assert proxy.requests == []


def test_https_proxy_tunnels_tls(tls_gateway, ca, proxy, make_client, no_proxy_env):
    no_proxy_env.setenv("HTTPS_PROXY", proxy.url)
    sio = make_client(ssl_verify=str(ca.ca_file))
    sio.connect(tls_gateway.url, transports=["polling", "websocket"])
    upgraded(sio)
    assert sio.call("echo", "tls via proxy") == "tls via proxy"
    assert proxy.requests and all(method == "CONNECT" for method, _ in proxy.requests), proxy.requests


def test_proxies_option_overrides_the_environment(gateway, proxy, make_client, no_proxy_env):
    no_proxy_env.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    sio = make_client(proxies={"http": proxy.url})
    sio.connect(gateway.url, transports=["polling", "websocket"])
    upgraded(sio)
    assert sio.call("echo", 2) == 2
    assert len(proxy.requests) >= 2
    direct = make_client(proxies={})
    direct.connect(gateway.url, transports=["polling"])
    assert direct.call("echo", 3) == 3


# --- TLS with a custom CA (issue 10 §2.6) -----------------------------------------------


@pytest.mark.parametrize("how", ["ca-path", "ssl-context"])
@pytest.mark.parametrize("transports", [["polling", "websocket"], ["websocket"]], ids=["upgrade", "websocket"])
def test_tls_with_a_custom_ca(tls_gateway, ca, make_client, how, transports, no_proxy_env):
    verify: object = str(ca.ca_file) if how == "ca-path" else ssl.create_default_context(cafile=str(ca.ca_file))
    sio = make_client(ssl_verify=verify)
    sio.connect(tls_gateway.url, transports=transports)
    upgraded(sio)
    assert sio.call("echo", "secure") == "secure"


def test_tls_without_the_ca_is_refused(tls_gateway, make_client, no_proxy_env):
    sio = make_client()
    with pytest.raises(exceptions.ConnectionError, match="(?i)certificate"):
        sio.connect(tls_gateway.url, transports=["polling"])


def test_tls_with_ssl_verify_false_is_accepted(tls_gateway, make_client, no_proxy_env):
    sio = make_client(ssl_verify=False)
    sio.connect(tls_gateway.url, transports=["polling", "websocket"])
    upgraded(sio)
    assert sio.call("echo", 1) == 1


def test_bad_ssl_verify_values_are_refused_up_front(tmp_path: Path):
    with pytest.raises(ValueError, match="no CA bundle"):
        Client(ssl_verify=str(tmp_path / "missing.pem"))
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(ValueError, match="not a PEM CA bundle"):
        Client(ssl_verify=str(tmp_path / "junk.pem"))
    with pytest.raises(TypeError, match="ssl_verify"):
        Client(ssl_verify=3)


# --- http_session --------------------------------------------------------------------------


def test_http_session_factory_is_called_on_the_loop(gateway, make_client, no_proxy_env):
    made: list[tuple[aiohttp.ClientSession, bool]] = []

    def factory() -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(headers={"X-From-Factory": "yes"})
        made.append((session, asyncio.get_running_loop() is not None))
        return session

    sio = make_client(http_session=factory)
    sio.connect(gateway.url, transports=["polling", "websocket"])
    upgraded(sio)
    assert sio.call("echo", 1) == 1
    assert all(seen.headers.get("X-From-Factory") == "yes" for seen in gateway.requests)
    sio.disconnect()
    assert len(made) == 1 and made[0][1] and made[0][0].closed


def test_requests_session_is_honoured(tls_gateway, ca, proxy, make_client, no_proxy_env):
    """python-socketio's idiom: a requests.Session with verify, proxies, headers, auth, cookies."""
    http = requests.Session()
    http.verify = str(ca.ca_file)
    http.proxies = {"https": proxy.url}
    http.headers["X-Team"] = "blue"
    http.auth = ("alice", "s3cret")
    http.cookies.set("sticky", "node-2")
    sio = make_client(http_session=http)
    sio.connect(tls_gateway.url, transports=["polling", "websocket"])
    upgraded(sio)
    assert sio.call("echo", "ok") == "ok"
    assert proxy.requests and all(method == "CONNECT" for method, _ in proxy.requests)
    for seen in tls_gateway.requests:
        assert seen.headers.get("X-Team") == "blue"
        assert seen.authorization == "Basic YWxpY2U6czNjcmV0"
        assert "sticky=node-2" in seen.headers.get("Cookie", "")
        assert "python-requests" not in seen.headers.get("User-Agent", "")


def test_requests_session_with_verify_false(tls_gateway, make_client, no_proxy_env):
    http = requests.Session()
    http.verify = False
    sio = make_client(http_session=http)
    sio.connect(tls_gateway.url, transports=["polling"])
    assert sio.call("echo", 1) == 1


def test_aiohttp_session_of_another_loop_is_refused_clearly():
    async def make() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    loop = asyncio.new_event_loop()
    try:
        http = loop.run_until_complete(make())
        with pytest.raises(TypeError, match="callable returning a new aiohttp.ClientSession"):
            Client(http_session=http)
        loop.run_until_complete(http.close())
    finally:
        loop.close()
