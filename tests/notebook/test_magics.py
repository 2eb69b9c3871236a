"""The magic's parsing, in-process, on a fake client (the kernel tests cover the real one)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import sio_notebook
from sio_notebook.notebook import connections as registry
from sio_notebook.notebook.views.widgets import Pending

from .fakes import FakeClient


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    ip = InteractiveShell.instance()
    sio_notebook.load_ipython_extension(ip)
    sio_notebook.load_ipython_extension(ip)  # idempotent
    yield ip
    sio_notebook.unload_ipython_extension(ip)


class _OneRegistry(dict):  # type: ignore[type-arg]
    """Stands for the per-loop registries: every loop of the test sees the same connections
    (fixtures run outside the test's loop)."""

    def __init__(self, connections: dict[str, registry.Connection]) -> None:
        super().__init__()
        self.connections = connections

    def setdefault(self, loop: object, default: object = None) -> dict[str, registry.Connection]:
        return self.connections

    def values(self) -> list[dict[str, registry.Connection]]:  # type: ignore[override]
        return [self.connections]


def _registry(monkeypatch: pytest.MonkeyPatch, connections: dict[str, registry.Connection]) -> None:
    monkeypatch.setattr(registry, "_registries", _OneRegistry(connections))


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, shell: InteractiveShell) -> FakeClient:
    fake = FakeClient()
    fake.set_state("connected", namespaces=("/", "/x"))
    _registry(monkeypatch, {"sio": registry.Connection("sio", fake, fake.status().url)})
    shell.user_ns["sio"] = fake
    return fake


async def _sent(shell: InteractiveShell, client: FakeClient, line: str, cell: str | None = None) -> tuple:
    pending = shell.run_line_magic("sio", line) if cell is None else shell.run_cell_magic("sio", line, cell)
    assert isinstance(pending, Pending)
    await pending
    return client.sent[-1]


async def test_payload_is_json_or_a_python_expression(shell: InteractiveShell, client: FakeClient) -> None:
    shell.user_ns["name"] = "ada"
    assert await _sent(shell, client, 'emit chat {"a": true, "b": null}') == ("chat", {"a": True, "b": None}, "/")
    assert await _sent(shell, client, 'emit chat {"text": "hi " + name}') == ("chat", {"text": "hi ada"}, "/")
    assert await _sent(shell, client, "emit chat name, 2") == ("chat", ("ada", 2), "/")
    assert await _sent(shell, client, "emit chat [1, 2]") == ("chat", [1, 2], "/")
    assert await _sent(shell, client, "emit chat") == ("chat", None, "/")
    # no {var} expansion: braces reach the payload as written
    assert await _sent(shell, client, "emit chat {name}") == ("chat", {"ada"}, "/")


async def test_options_around_the_payload(shell: InteractiveShell, client: FakeClient) -> None:
    assert await _sent(shell, client, 'emit chat {"a": 1} --namespace /x') == ("chat", {"a": 1}, "/x")
    assert await _sent(shell, client, 'emit -n /x chat {"a": 1}') == ("chat", {"a": 1}, "/x")
    assert await _sent(shell, client, 'emit chat --namespace=/x 5') == ("chat", 5, "/x")
    # option-like text inside a JSON string stays in the payload
    assert await _sent(shell, client, 'emit chat {"a": "x --timeout 5"}') == ("chat", {"a": "x --timeout 5"}, "/")
    assert await _sent(shell, client, 'emit "two words" 1') == ("two words", 1, "/")


async def test_cell_body_is_the_payload(shell: InteractiveShell, client: FakeClient) -> None:
    client.ack = ("ok",)
    assert await _sent(shell, client, "call add -n /x", '{"a": 1,\n "b": 2}\n') == ("add", {"a": 1, "b": 2}, "/x")
    with pytest.raises(UsageError, match="from the cell body"):
        shell.run_cell_magic("sio", "emit chat 1", "2")


async def test_call_returns_the_ack(shell: InteractiveShell, client: FakeClient) -> None:
    client.ack = 7
    pending = shell.run_line_magic("sio", "call echo 7 --timeout 2")
    assert await pending == 7
    assert "ack in" in pending.last_pushed["text/plain"]


async def test_capture_and_form(shell: InteractiveShell, client: FakeClient) -> None:
    cap = shell.run_line_magic("sio", "capture tick tock --namespace /x --max-rows 3")
    assert cap.events == ("tick", "tock") and cap.namespaces == ("/x",) and cap.max_rows == 3
    client.feed("/x", "tick", 1)
    client.feed("/", "tick", 2)
    assert len(cap) == 1
    assert registry.get_connection("sio").captures == [cap]
    form = shell.run_line_magic("sio", "form --namespace /x")
    assert form.namespace.value == "/x"


def test_usage_errors_are_plain(shell: InteractiveShell, client: FakeClient) -> None:
    for line in ["bogus", "emit", "connect", "status extra", "capture", "emit chat {oops", "call e 1 -t x",
                 "connect http://h --name 1x", "connect http://h --header novalue"]:
        with pytest.raises(UsageError) as info:
            shell.run_line_magic("sio", line)
        assert type(info.value) is UsageError, line  # a subclass would print a traceback
        assert "\n" not in str(info.value)


async def test_connect_binds_the_client_and_replaces(shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch) -> None:
    _registry(monkeypatch, {})
    made: list[FakeClient] = []

    class Factory(FakeClient):
        def __init__(self, **kwargs: object) -> None:
            super().__init__()
            made.append(self)
            self.connect_kwargs: dict = {}

        async def connect(self, url: str, **kwargs: object) -> None:
            self.connect_kwargs = {"url": url, **kwargs}
            self.set_state("connected", url=url, namespaces=tuple(kwargs.get("namespaces", ["/"])))

    real_connect = registry.connect
    monkeypatch.setattr(registry, "connect", lambda *a, **k: real_connect(*a, client_factory=Factory, **k))
    shell.user_ns["token"] = "t0k"
    shell.run_line_magic(
        "sio",
        "connect http://h:1 --name c --namespace /a --auth \"{'tok': token}\" --header X-A:1 --transports polling,websocket",
    )
    first = shell.user_ns["c"]
    await registry.wait_connected(first, timeout=1)
    assert first.connect_kwargs == {
        "url": "http://h:1", "headers": {"X-A": "1"}, "wait_timeout": 5.0, "retry": False,
        "namespaces": ["/a"], "transports": ["polling", "websocket"], "auth": {"tok": "t0k"},
    }
    cap = shell.run_line_magic("sio", "capture * --name c")
    form = shell.run_line_magic("sio", "form --name c")
    first.feed("/", "tick", 1)
    shell.run_line_magic("sio", "connect http://h:1 --name c")
    second = shell.user_ns["c"]
    # the capture and the form follow the name to the new client; rows carry on
    assert second is not first and cap.active and cap.client is second and form.current_client() is second
    first.feed("/", "tick", "lost")
    second.feed("/", "tick", 2)
    assert [r.args for r in cap] == [(1,), (2,)]
    for _ in range(20):
        await asyncio.sleep(0.01)
    assert first.disconnected and list(registry.list_connections()) == ["c"]
    shell.run_line_magic("sio", "disconnect --name c")
    for _ in range(20):
        await asyncio.sleep(0.01)
    assert second.disconnected and registry.list_connections() == {}
    assert not cap.active and cap.gone == "connection 'c' closed"
    form.event.value = "e"
    assert form.send() is None and "is closed" in form.message


async def test_payload_errors_say_what_was_tried(shell: InteractiveShell, client: FakeClient) -> None:
    with pytest.raises(UsageError) as info:
        shell.run_line_magic("sio", "call echo hello")
    message = str(info.value)
    assert "not JSON (Expecting value" in message and "nor Python (NameError: name 'hello'" in message
    assert 'quote it: "hello"' in message
    assert await _sent(shell, client, 'call echo "hello"') == ("echo", "hello", "/")


def test_the_name_is_checked_before_the_payload_is_evaluated(shell: InteractiveShell, client: FakeClient) -> None:
    shell.user_ns["calls"] = []
    with pytest.raises(UsageError, match="no connection named 'nosuch'"):
        shell.run_line_magic("sio", "emit e calls.append(1) --name nosuch")
    assert shell.user_ns["calls"] == []


async def test_header_values_are_literal_unless_braced(shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch) -> None:
    _registry(monkeypatch, {})
    seen: list[dict] = []

    class Factory(FakeClient):
        def __init__(self, **kwargs: object) -> None:
            super().__init__()

        async def connect(self, url: str, **kwargs: object) -> None:
            seen.append(dict(kwargs["headers"]))  # type: ignore[arg-type]

    real_connect = registry.connect
    monkeypatch.setattr(registry, "connect", lambda *a, **k: real_connect(*a, client_factory=Factory, **k))
    shell.user_ns["tok"] = "s3cret"
    shell.run_line_magic("sio", """connect http://h:1 --header 'X-Json:{"a":1}' --header X-T:{tok} --header X-D:$tok""")
    await asyncio.sleep(0.01)
    assert seen == [{"X-Json": '{"a":1}', "X-T": "s3cret", "X-D": "$tok"}]
    registry.disconnect("sio")


def test_help_is_clean_and_complete(shell: InteractiveShell) -> None:
    doc = shell.find_line_magic("sio").__doc__
    assert not doc.lstrip().startswith("::") and doc.startswith("%sio [")
    for option in ("--rows", "--retry", "--outgoing", "--lifecycle", "--max-rows", "--header"):
        assert option in doc.split("options:")[0], option  # in the summary, not only the option list


def test_unload_removes_the_magics(shell: InteractiveShell) -> None:
    assert shell.find_line_magic("sio") is not None and shell.find_cell_magic("sio") is not None
    cell = "%sio emit go\nticks = %sio expect tick --within 1\n"
    awaited = (
        "get_ipython().run_line_magic('sio', 'emit go')\n"
        "ticks = await get_ipython().run_line_magic('sio', 'expect tick --within 1')\n"
    )
    assert shell.transform_cell(cell) == awaited  # once, though the fixture loaded twice
    sio_notebook.unload_ipython_extension(shell)
    assert shell.find_line_magic("sio") is None and shell.find_cell_magic("sio") is None
    assert "await" not in shell.transform_cell(cell)
    sio_notebook.load_ipython_extension(shell)
    assert shell.find_line_magic("sio") is not None


def test_each_event_loop_has_its_own_connections() -> None:
    # `marimo run` serves each viewer of an app from a thread with its own loop: a second
    # viewer's connect(name="sio") must not replace (and close) the first viewer's.
    import threading

    clients: dict[str, FakeClient] = {}
    seen: dict[str, list[str]] = {}
    first_connected, second_connected = threading.Event(), threading.Event()

    class Factory(FakeClient):
        def __init__(self, **kwargs: object) -> None:
            super().__init__()

        async def connect(self, url: str, **kwargs: object) -> None:
            self.set_state("connected", url=url)

    async def viewer(name: str, connected: threading.Event, other: threading.Event) -> None:
        clients[name] = registry.connect(f"http://{name}:1", name="sio", client_factory=Factory)
        connected.set()
        await asyncio.to_thread(other.wait, 10)  # both viewers connected "sio" now
        await asyncio.sleep(0.05)
        seen[name] = [str(c.client.status().url) for c in registry.list_connections().values()]

    one = threading.Thread(target=asyncio.run, args=(viewer("one", first_connected, second_connected),))
    one.start()
    first_connected.wait(10)
    asyncio.run(viewer("two", second_connected, first_connected))
    one.join(10)
    assert seen == {"one": ["http://one:1"], "two": ["http://two:1"]}, seen
    assert not clients["one"].disconnected and not clients["two"].disconnected


async def test_the_capture_path_may_be_a_variable(shell: InteractiveShell, client: FakeClient, tmp_path: Path) -> None:
    """``--to {SESSION}`` and ``--to $SESSION`` take the path from the namespace; plain text is the path."""
    pytest.importorskip("pyarrow")
    shell.user_ns["SESSION"] = str(tmp_path / "braced.parquet")
    braced = shell.run_line_magic("sio", "capture tick --to {SESSION}")
    shell.user_ns["OTHER"] = tmp_path / "dollar.parquet"
    dollar = shell.run_line_magic("sio", "capture tock --to $OTHER")
    literal = shell.run_line_magic("sio", f"capture tack --to {tmp_path / 'plain.parquet'}")
    try:
        assert str(braced.store.path) == str(tmp_path / "braced.parquet")
        assert str(dollar.store.path) == str(tmp_path / "dollar.parquet")
        assert str(literal.store.path) == str(tmp_path / "plain.parquet")
        assert not (tmp_path.parent / "{SESSION}").exists()
    finally:
        for cap in (braced, dollar, literal):
            cap.stop()
