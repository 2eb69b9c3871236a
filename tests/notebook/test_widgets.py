"""The views driven directly, without a kernel (IPython's display goes to stdout here).

A view's pushes are counted by the view itself (``pushes``) and what it last sent is
``last_pushed``; the kernel tests check the real IOPub messages.
"""

from __future__ import annotations

import asyncio
import html
import re
import time

import pytest

from sio_notebook.notebook import EmitForm, EventTable, Pending, StatusWidget, capture
from sio_notebook.notebook.recording.roundtrips import round_trips

from .fakes import FakeClient


def _text(view) -> str:
    return html.unescape(re.sub(r"<style>.*?</style>|<[^>]+>", "", view.last_pushed["text/html"]))


async def test_event_log_coalesces_a_flood_into_few_pushes() -> None:
    client = FakeClient()
    cap = capture(client, "tick")
    table = EventTable(cap, rows=5, max_fps=4)
    table.show()
    t0 = time.monotonic()
    i = 0
    while time.monotonic() - t0 < 1.5:
        for _ in range(100):
            client.feed("/", "tick", {"i": i})
            i += 1
        await asyncio.sleep(0.002)
    await asyncio.sleep(0.3)  # the last coalesced push
    elapsed = time.monotonic() - t0
    assert i > 10_000
    assert 2 <= table.pushes <= elapsed * 4 + 2, table.pushes
    last = table.last_pushed["text/html"]
    assert f">{i - 1}</td>" in last  # newest row shown...
    assert last.index(f">{i - 1}</td>") < last.index(f">{i - 5}</td>")  # ...first
    assert f">{i - 6}</td>" not in last  # only `rows` rows
    assert f"{i:,} events captured" in _text(table)
    assert "<th>i</th>" in last  # a single-event capture shows its payload fields as columns
    table.close()
    assert cap._observers == []


async def test_view_pause_and_clear_act_on_the_view_only() -> None:
    client = FakeClient()
    cap = capture(client, "e", max_rows=2)
    table = EventTable(cap, max_fps=100)
    table.show()
    client.feed("/", "e", "first")
    await asyncio.sleep(0.05)
    assert "first" in _text(table)
    table._bar.pause.value = True  # the toggle button
    assert table.paused and table._bar.pause.description == "Resume view"
    # where the bar cannot render (saved, untrusted, nbconvert) it leaves no line: the
    # log's header already says "view paused"
    bar = table._bar.bundle()
    assert bar["text/html"] == "" and bar["text/plain"] == ""
    assert "view paused" in table.text() and "view paused" in table.html()
    client.feed("/", "e", "second")
    client.feed("/", "e", "third")
    await asyncio.sleep(0.05)
    assert "second" not in _text(table)  # frozen
    assert "3 events captured" in _text(table) and "1 dropped" in _text(table)  # the header still counts
    table._bar.pause.value = False
    await asyncio.sleep(0.05)
    assert "third" in _text(table)
    table._bar.clear.click()
    await asyncio.sleep(0.05)
    assert len(cap) == 2 and cap.count == 3  # the data stays
    assert "third" not in _text(table)
    client.feed("/", "e", "fourth")
    await asyncio.sleep(0.05)
    assert "fourth" in _text(table) and "third" not in _text(table)


async def test_filter_by_event_namespace_and_text() -> None:
    client = FakeClient()
    cap = capture(client)
    table = EventTable(cap, max_fps=100)
    table.show()
    client.feed("/", "tick", {"symbol": "ACME"})
    client.feed("/chat", "chat", {"text": "hello"})
    client.feed("/", "tick", {"symbol": "UMBR"})
    table._bar.filter.value = "umbr"
    await asyncio.sleep(0.05)
    assert "UMBR" in _text(table) and "ACME" not in _text(table) and "filter: umbr" in _text(table)
    table.filter = "/chat"
    await asyncio.sleep(0.05)
    assert "hello" in _text(table) and "UMBR" not in _text(table)
    assert table._bar.filter.value == "/chat"


async def test_pause_is_disabled_on_a_stopped_capture() -> None:
    client = FakeClient()
    cap = capture(client, "e")
    table = EventTable(cap, max_fps=100)
    assert not table._bar.pause.disabled
    cap.stop()
    await asyncio.sleep(0.01)
    assert table._bar.pause.disabled


async def test_status_pushes_only_changes() -> None:
    client = FakeClient()
    client.set_state("connecting")
    status = StatusWidget(client, interval=0.05)
    status.show()
    assert "sio-state-connecting" in status.last_pushed["text/html"]
    client.set_state("connected", sid="abc", transport="websocket", namespaces=("/",))
    assert "sio-state-connected" in status.last_pushed["text/html"]  # at once, no timer needed
    pushes = status.pushes
    await asyncio.sleep(0.3)  # ~6 ticks, nothing changed
    assert status.pushes == pushes
    client.bump(events_in=7, last_ping_age=0.4)
    await asyncio.sleep(0.12)
    assert status.pushes == pushes + 1 and "7 / 0" in _text(status)
    client.bump(last_ping_age=0.9)  # rounds to the same second: nothing sent
    await asyncio.sleep(0.12)
    assert status.pushes == pushes + 1
    client.set_state("disconnected", disconnect_reason="server disconnect", last_error="gone <b>")
    assert "server disconnect" in _text(status) and "last error" in _text(status) and "gone <b>" in _text(status)
    assert status._timer is None  # no polling while disconnected for good
    client.set_state("reconnecting")
    assert status._timer is not None
    status.detach()
    assert client._status_listeners == [] and client._any == []
    client.set_state("connected")
    assert "sio-state-reconnecting" in status.last_pushed["text/html"]  # frozen after detach
    assert "connection closed" in _text(status)


async def test_status_shows_an_old_error_greyed_and_rates() -> None:
    client = FakeClient()
    client.set_state("reconnecting", last_error="ConnectionError: refused")
    status = StatusWidget(client)
    status.show()
    assert 'class="sio-err"' in status.last_pushed["text/html"]
    client.set_state("connected", sid="x", transport="websocket")
    out = status.last_pushed["text/html"]
    assert 'class="sio-old-err"' in out and "earlier error, 0 s ago" in out and 'class="sio-err"' not in out
    now = time.time()
    for i in range(30):
        status.rates.add("tick", now - 5 + i / 10)
    assert "tick" in status.html() and "/s" in status.html()
    status.close()


async def test_status_reports_extra_errors() -> None:
    client = FakeClient()
    status = StatusWidget(client)
    status.report_error(ConnectionError("refused"))
    assert "ConnectionError: refused" in status.html()
    status.close()


async def test_form_reads_json_then_python_before_sending() -> None:
    client = FakeClient()
    form = EmitForm(client)
    form.event.value = "chat"
    form.payload.value = '{"text": hi}'
    assert form.send() is None
    assert "not JSON" in form.message and "nor Python (NameError: name 'hi' is not defined)" in form.message
    assert client.sent == []
    form.payload.value = "{'n': 1 + 1}"  # Python, as in the magics
    await form.send()
    assert client.sent == [("chat", {"n": 2}, "/")]
    form.event.value = " "
    assert form.send() is None and "event name" in form.message


async def test_form_sends_and_lists_acks_and_errors() -> None:
    client = FakeClient()
    client.set_state("connected", namespaces=("/", "/chat"))
    form = EmitForm(client)
    form.show()
    assert list(form.namespace.options) == ["/", "/chat"]
    client.ack = ("ok", {"n": 1})
    form.event.value = "echo"
    form.namespace.value = "/chat"
    form.payload.value = '{"text": "<b>hi</b>"}'
    await form.send()
    assert client.sent == [("echo", {"text": "<b>hi</b>"}, "/chat")]
    (entry,) = form.sends
    assert entry["state"] == "ack" and entry["rtt"] >= 0 and entry["value"] == ("ok", {"n": 1})
    results = form.results.last_pushed["text/html"]
    assert "ack in" in results and "<b>hi" not in results
    assert round_trips(client)[-1].event == "echo"
    # no ack wanted
    form.ack.value = False
    form.payload.value = ""
    await form.send()
    assert client.sent[-1] == ("echo", None, "/chat")
    assert form.sends[0]["state"] == "sent"
    # buffered by the client: queued, not sent
    client.buffering = True
    await form.send()
    assert form.sends[0]["state"] == "queued" and form.sends[0]["text"] == "queued (1 waiting)"
    client.buffering = False
    # timeout
    form.ack.value = True
    form.timeout.value = 0.05
    client.ack_delay = 1
    await form.send()
    assert form.sends[0]["state"] == "error" and form.sends[0]["text"] == "no ack within 0.05 s"
    assert [e["n"] for e in form.sends] == [4, 3, 2, 1]  # newest first
    data, metadata = form._repr_mimebundle_()
    assert "text/html" in data and "application/vnd.jupyter.widget-view+json" in data  # a fallback beside the view
    assert metadata == {}  # not on Colab: anywidget asks for no display metadata
    form.close()


async def test_pending_call_is_awaitable_and_shows_the_ack() -> None:
    client = FakeClient()
    client.ack = 42
    p = Pending(client, "call", "echo", {"x": 1}, timeout=1)
    p.show()
    assert "\u23f3" in p.last_pushed["text/html"] and "waiting for the ack" in p.last_pushed["text/plain"]
    assert await p == 42
    assert p.done() and p.result() == 42 and p.rtt is not None
    assert "ack in" in p.last_pushed["text/html"] and "42" in p.last_pushed["text/plain"]
    assert round_trips(client)[-1].seconds == p.rtt


async def test_pending_call_timeout_and_emit_sent_or_queued() -> None:
    client = FakeClient()
    client.ack_delay = 1
    p = Pending(client, "call", "slow", timeout=0.05)
    p.show()
    with pytest.raises(TimeoutError):
        await p
    assert "no ack within 0.05 s" in p.last_pushed["text/plain"]
    e = Pending(client, "emit", "chat", ("a", "b"), namespace="/c")
    e.show()
    assert await e is None
    assert client.sent[-1] == ("chat", ("a", "b"), "/c")
    assert e.state == "sent" and e.last_pushed["text/plain"].endswith(": sent")
    client.buffering = True
    client.set_state("reconnecting")
    q = Pending(client, "emit", "chat", "later")
    q.show()
    await q
    assert q.state == "queued" and "queued (1 waiting)" in q.last_pushed["text/plain"]
    client.bump(queued=0)
    client.set_state("connected")
    await asyncio.sleep(0.01)
    assert q.state == "sent" and "sent (was queued)" in q.last_pushed["text/plain"]


async def test_the_event_log_works_without_anywidget(monkeypatch: pytest.MonkeyPatch) -> None:
    """JupyterLite installs the wheel without its dependencies: with no anywidget the log has
    no control bar, and still logs and shows its rows (the bar's module imports it lazily)."""
    import sys

    monkeypatch.setitem(sys.modules, "anywidget", None)  # import anywidget -> ImportError
    monkeypatch.delitem(sys.modules, "sio_notebook.notebook.frontends.inputs", raising=False)
    client = FakeClient()
    cap = capture(client, "tick")
    table = EventTable(cap, rows=5)
    client.feed("/", "tick", {"i": 1})
    assert len(cap) == 1
    assert table.text().startswith("tick: 1 captured") and '{"i":1}' in table.text(), table.text()
    assert "1 event</span> captured" in table.html() and "<td>tick</td>" in table.html()  # it renders, without its bar


def test_on_colab_the_inputs_are_shown_with_the_custom_widget_manager_anywidget_asks_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """Colab renders third-party widgets with its custom widget manager; anywidget names it in
    its display metadata, which the inputs' bundles (built from the model id) must carry along."""
    import sys
    import types

    from sio_notebook.notebook.frontends.inputs import LogControlsInputs
    from sio_notebook.notebook.frontends.show import widget_metadata

    output = types.ModuleType("google.colab.output")  # what Colab's runtime has, as anywidget reads it
    output._widgets = types.SimpleNamespace(_installed_url="https://colab.example/widgets.js")  # type: ignore[attr-defined]
    output.enable_custom_widget_manager = lambda: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    widget = LogControlsInputs()
    try:
        manager = widget_metadata(widget)["application/vnd.jupyter.widget-view+json"]["colab"]["custom_widget_manager"]
        assert manager == {"url": "https://colab.example/widgets.js"}
    finally:
        widget.close()
    monkeypatch.delitem(sys.modules, "google.colab.output")
    assert widget_metadata(LogControlsInputs()) == {}
