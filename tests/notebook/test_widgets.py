"""Widgets driven directly, without a kernel (ipywidgets falls back to dummy comms)."""

from __future__ import annotations

import asyncio
import time

import pytest

from sio_notebook.notebook import EmitForm, EventTable, Pending, StatusWidget, capture

from .fakes import FakeClient


def _count_changes(widget, name: str = "value") -> list:
    changes: list = []
    widget.observe(lambda change: changes.append(change["new"]), names=name)
    return changes


async def test_event_table_coalesces_a_flood_into_few_renders() -> None:
    client = FakeClient()
    cap = capture(client, "tick")
    table = EventTable(cap, rows=5, max_fps=4)
    bodies = _count_changes(table.body)
    headers = _count_changes(table.header)
    t0 = time.monotonic()
    i = 0
    while time.monotonic() - t0 < 1.5:
        for _ in range(100):
            client.feed("/", "tick", {"i": i})
            i += 1
        await asyncio.sleep(0.002)
    await asyncio.sleep(0.3)  # the last coalesced render
    elapsed = time.monotonic() - t0
    assert i > 10_000
    assert 2 <= len(bodies) <= elapsed * 4 + 2, len(bodies)
    assert len(headers) <= elapsed * 4 + 2 + 2  # plus the rate decay renders
    last = bodies[-1]
    assert f'{{&quot;i&quot;:{i - 1}}}' in last  # newest row shown...
    assert last.index(f":{i - 1}}}") < last.index(f":{i - 5}}}")  # ...first
    assert f":{i - 6}}}" not in last  # only `rows` rows
    assert f">{i}</span> events" in table.header.value
    table.close()
    assert cap._observers == []


async def test_event_table_pause_and_clear() -> None:
    client = FakeClient()
    cap = capture(client, "e", max_rows=2)
    table = EventTable(cap, max_fps=100)
    client.feed("/", "e", "first")
    await asyncio.sleep(0.05)
    assert "first" in table.body.value
    table.pause_button.click()
    assert table.paused and table.pause_button.description == "Resume"
    client.feed("/", "e", "second")
    client.feed("/", "e", "third")
    await asyncio.sleep(0.05)
    assert "second" not in table.body.value  # frozen
    assert ">3</span> events" in table.header.value  # the header still counts
    assert ">1</span> dropped" in table.header.value
    table.pause_button.click()
    await asyncio.sleep(0.05)
    assert "third" in table.body.value
    table.clear_button.click()
    await asyncio.sleep(0.05)
    assert len(cap) == 0
    assert ">0</span> events" in table.header.value
    assert "third" not in table.body.value


async def test_event_table_rate_falls_back_to_zero() -> None:
    client = FakeClient()
    cap = capture(client, "e")
    table = EventTable(cap, max_fps=20)
    for _ in range(5):
        for _ in range(50):
            client.feed("/", "e", 1)
        await asyncio.sleep(0.1)
    assert table.rate() > 100
    await asyncio.sleep(4.5)
    assert table.rate() == 0
    assert "0.0/s" in table.header.value


async def test_status_widget_sends_only_changes() -> None:
    client = FakeClient()
    client.set_state("connecting")
    status = StatusWidget(client, interval=0.05)
    headers = _count_changes(status.header)
    details = _count_changes(status.details)
    assert "sio-state-connecting" in status.header.value
    client.set_state("connected", sid="abc", transport="websocket", namespaces=("/",))
    assert "sio-state-connected" in status.header.value  # at once, no timer needed
    assert len(headers) == 1 and len(details) == 1
    await asyncio.sleep(0.3)  # ~6 ticks, nothing changed
    assert len(headers) == 1 and len(details) == 1
    client.bump(events_in=7, last_ping_age=0.4)
    await asyncio.sleep(0.12)
    assert len(details) == 2 and "7 / 0" in status.details.value
    client.bump(last_ping_age=0.9)  # rounds to the same second: nothing sent
    await asyncio.sleep(0.12)
    assert len(details) == 2
    client.set_state("disconnected", disconnect_reason="server disconnect", last_error="gone <b>")
    assert "server disconnect" in status.header.value and "gone &lt;b&gt;" in status.header.value
    assert status._timer is None  # no polling while disconnected for good
    client.set_state("reconnecting")
    assert status._timer is not None
    status.detach()
    assert client._status_listeners == []
    client.set_state("connected")
    assert "sio-state-reconnecting" in status.header.value  # frozen after detach


async def test_status_widget_reports_extra_errors() -> None:
    client = FakeClient()
    status = StatusWidget(client)
    status.report_error(ConnectionError("refused"))
    assert "ConnectionError: refused" in status.header.value
    status.close()


async def test_emit_form_validates_json_before_sending() -> None:
    client = FakeClient()
    form = EmitForm(client)
    form.event.value = "chat"
    form.payload.value = '{"text": hi}'
    assert form.send() is None
    assert "not valid JSON" in form.message.value and "line 1, column 10" in form.message.value
    assert client.sent == []
    form.event.value = " "
    assert form.send() is None and "event name" in form.message.value


async def test_emit_form_sends_and_lists_acks_and_errors() -> None:
    client = FakeClient()
    client.set_state("connected", namespaces=("/", "/chat"))
    form = EmitForm(client)
    assert list(form.namespace.options) == ["/", "/chat"]
    client.ack = ("ok", {"n": 1})
    form.event.value = "echo"
    form.namespace.value = "/chat"
    form.payload.value = '{"text": "<b>hi</b>"}'
    await form.send()
    assert client.sent == [("echo", {"text": "<b>hi</b>"}, "/chat")]
    (entry,) = form.sends
    assert entry["state"] == "ack" and entry["rtt"] >= 0 and entry["value"] == ("ok", {"n": 1})
    assert "ack in" in form.results.value and "<b>hi" not in form.results.value
    # no ack wanted
    form.ack.value = False
    form.payload.value = ""
    await form.send()
    assert client.sent[-1] == ("echo", None, "/chat")
    assert form.sends[0]["state"] == "sent"
    # timeout
    form.ack.value = True
    form.timeout.value = 0.05
    client.ack_delay = 1
    await form.send()
    assert form.sends[0]["state"] == "error" and form.sends[0]["text"] == "no ack within 0.05 s"
    assert [e["n"] for e in form.sends] == [3, 2, 1]  # newest first
    form.close()


async def test_pending_call_is_awaitable_and_shows_the_ack() -> None:
    client = FakeClient()
    client.ack = 42
    p = Pending(client, "call", "echo", {"x": 1}, timeout=1)
    assert "\u23f3" in p.widget.value
    assert await p == 42
    assert p.done() and p.result() == 42 and p.rtt is not None
    assert "ack in" in p.widget.value and "42" in p.widget.value


async def test_pending_call_timeout_and_emit() -> None:
    client = FakeClient()
    client.ack_delay = 1
    p = Pending(client, "call", "slow", timeout=0.05)
    with pytest.raises(TimeoutError):
        await p
    assert "no ack within 0.05 s" in p.widget.value
    e = Pending(client, "emit", "chat", ("a", "b"), namespace="/c")
    assert await e is None
    assert client.sent[-1] == ("chat", ("a", "b"), "/c")
    assert "sent" in e.widget.value
