"""The notebook layer in a real kernel, driven with jupyter_client, against the Node peer.

These tests look at the IOPub stream the way a frontend does: widgets opened (comm_open),
updated later by background tasks (comm_msg), at a bounded rate, while the kernel keeps
answering cells.
"""

from __future__ import annotations

import ast
import re
import statistics
import time
from collections import Counter
from typing import Any

import pytest

from .kernel import Kernel

pytestmark = pytest.mark.timeout(300)


def _models(reply_or_msgs: Any) -> list[str]:
    msgs = reply_or_msgs.outputs if hasattr(reply_or_msgs, "outputs") else reply_or_msgs
    return [m["content"]["data"]["state"]["_model_name"] for m in msgs if m["msg_type"] == "comm_open"]


def _wait_for_update(
    kernel: Kernel, since: float, pattern: str, timeout: float = 15.0, display_id: str | None = None
) -> str:
    """The first view update (``update_display_data`` text/html) after ``since`` matching
    ``pattern`` (of the view ``display_id`` only, if given: other views update too)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for _, m in kernel.messages(since, ("update_display_data",)):
            if display_id is not None and m["content"]["transient"]["display_id"] != display_id:
                continue
            value = m["content"]["data"].get("text/html", "")
            if re.search(pattern, value):
                return value
        time.sleep(0.05)
    raise AssertionError(f"no view update matching {pattern!r}")


def _displays(reply: Any) -> list[dict[str, Any]]:
    return [m["content"] for m in reply.of_type("display_data")]


def _connect(kernel: Kernel, url: str, name: str) -> Any:
    reply = kernel.ok(f"%sio connect {url} --name {name}")
    kernel.ok(f"import sio_notebook.notebook as nb\nawait nb.wait_connected({name}, timeout=30)")
    return reply


def test_connect_shows_a_live_status_widget(kernel: Kernel, node_server: Any) -> None:
    since = time.monotonic()
    reply = kernel.ok(f"%sio connect {node_server.url} --name st")
    assert reply.elapsed < 2.0  # scheduled, not awaited
    assert _models(reply) == []  # a plain output, no widget: it survives saving
    (display,) = _displays(reply)
    assert display["transient"]["display_id"].startswith("sio-")
    assert "sio-status" in display["data"]["text/html"]
    assert display["data"]["text/plain"].startswith("connecting http://")
    # the view turns "connected" after the cell finished, pushed by the kernel on its own
    _wait_for_update(kernel, since, r"class=\"sio-badge sio-state-connected\"")
    assert kernel.ok("st.connected").result() == "True"
    status = kernel.ok("%sio")
    assert "st  connected" in status.of_type("display_data")[0]["content"]["data"]["text/plain"]


def test_flood_of_10000_events_is_captured_while_the_kernel_stays_responsive(
    kernel: Kernel, node_server: Any
) -> None:
    _connect(kernel, node_server.url, "fl")
    reply = kernel.ok("cap = %sio capture tick --name fl --max-rows 20000")
    # the log's control bar (filter, pause view, clear view): one anywidget, nothing else
    assert [m for m in _models(reply) if m != "LayoutModel"] == ["AnyModel"]  # (+ its DOM layout)
    bar, log = _displays(reply)
    assert "text/html" in bar["data"] and "application/vnd.jupyter.widget-view+json" in bar["data"]
    assert "sio-log" in log["data"]["text/html"] and "display_id" in log["transient"]

    since = time.monotonic()
    kernel.ok('%sio emit flood {"count": 10000} --name fl')
    latencies: list[float] = []
    counts: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = kernel.ok("cap.count")  # a trivial cell
        latencies.append(r.elapsed)
        counts.append(int(r.result()))
        if counts[-1] >= 10_000:
            break
        time.sleep(0.02)
    flood_end = time.monotonic()
    time.sleep(1.5)  # the last coalesced renders
    print(
        f"\nflood of 10,000: {len(latencies)} trivial cells answered during it, response time "
        f"max {max(latencies) * 1000:.0f} ms, median {statistics.median(latencies) * 1000:.0f} ms; "
        f"counts seen {counts[:3]}...{counts[-2:]}; flood took {flood_end - since:.2f} s"
    )
    assert counts[-1] == 10_000
    assert max(latencies) < 2.0, latencies

    # every row, in order
    kernel.ok(
        "df = cap.df\n"
        "assert len(cap) == 10000 and cap.dropped == 0\n"
        "assert df['i'].tolist() == list(range(10000))\n"
        "assert list(df.columns) == ['time', 'namespace', 'event', 'i']\n"
        "assert df['time'].is_monotonic_increasing"
    )

    # view updates: live, but coalesced far below jupyter_server's 1000 msg/s limit
    window = [(t, m) for t, m in kernel.messages(since) if t <= flood_end + 1.5]
    comm_msgs = [t for t, m in window if m["msg_type"] in ("comm_msg", "update_display_data")]
    counted = [t for t, m in window if m["msg_type"] not in ("status", "comm_open", "execute_input")]
    per_second = Counter(int(t - since) for t in comm_msgs)
    worst = max(sum(1 for t in counted if s <= t < s + 1.0) for s in counted) if counted else 0
    print(f"comm_msg per second: {dict(sorted(per_second.items()))}; worst 1 s window of rate-limited IOPub: {worst}")
    assert len(comm_msgs) >= 3  # the table and the status moved during the flood
    assert max(per_second.values()) < 100
    assert worst < 100
    header = _wait_for_update(kernel, since, r"10,000 events</span> captured")
    assert "0</span> dropped" in header


def test_call_shows_the_ack_and_round_trip_time(kernel: Kernel, node_server: Any) -> None:
    _connect(kernel, node_server.url, "ca")
    since = time.monotonic()
    reply = kernel.ok('r = %sio call echo {"a": [1, "<b>"]} --name ca')
    assert _models(reply) == []
    value = _wait_for_update(kernel, since, r"ack in")
    assert re.search(r"ack in [\d.]+ ms</span>", value)
    assert "&lt;b&gt;" in value and "<b>\"" not in value
    assert ast.literal_eval(kernel.ok("await r").result()) == {"a": [1, "<b>"]}
    # timeouts are reported in the widget, and raised on await
    since = time.monotonic()
    kernel.ok("t = %sio call no-such-event --name ca --timeout 0.3")
    _wait_for_update(kernel, since, r"no ack within 0.3 s")
    assert kernel.run("await t").content["ename"] == "TimeoutError"
    # the cell form: the body is the payload
    kernel.ok("%%sio call echo --name ca\n{'k': 'v'}")
    assert kernel.ok("await _").result() == "{'k': 'v'}"


@pytest.mark.parametrize(
    "line, message",
    [
        ("%sio bogus", "argument action: invalid choice: 'bogus'"),
        ("%sio emit", "emit needs an EVENT"),
        ("%sio connect notaurl", "URL 'notaurl' is not JSON (Expecting value"),
        ("%sio connect ftp://x", "not an http(s):// or ws(s):// URL"),
        ("%sio call --name ca echo {oops", "PAYLOAD '{oops' is not JSON (Expecting property name"),
        ("%sio call --name ca echo hello", "nor Python (NameError: name 'hello' is not defined)"),
        ("%sio status --name nobody", "no connection named 'nobody'"),
        ("%sio capture --name ca", "capture needs at least one EVENT"),
        ("%sio call echo 1 --timeout soon", "argument -t/--timeout: invalid float value: 'soon'"),
        ("%sio connect http://h --transports carrier-pigeon", "unknown transport 'carrier-pigeon'"),
        ("%%sio status\nbody", "%%sio works with emit and call only"),
    ],
)
def test_bad_input_is_a_one_line_usage_error(kernel: Kernel, line: str, message: str) -> None:
    reply = kernel.run(line)
    assert reply.content["status"] == "error" and reply.content["ename"] == "UsageError"
    assert reply.of_type("error") == []  # no traceback is shown
    text = reply.text()  # one line, which ipykernel may flush in two stream messages
    assert text.startswith("UsageError: ") and text.count("\n") == 1, text
    assert message in text


def test_help_comes_from_magic_arguments(kernel: Kernel) -> None:
    reply = kernel.ok("%sio?")
    (page,) = reply.content["payload"]
    help_text = page["data"]["text/plain"]
    assert "-n NS, --namespace NS" in help_text and "--max-rows N" in help_text
    assert "%sio emit EVENT [PAYLOAD]" in help_text and "--rows N" in help_text and "--retry" in help_text
    assert not help_text.lstrip().startswith("::")


def test_connect_options_auth_headers_namespaces(kernel: Kernel, node_server: Any) -> None:
    kernel.ok(
        f"%sio connect {node_server.url} --name au --namespace /private --namespace /custom "
        "--auth '{\"token\": \"good\"}' --header X-Notebook:yes --transports websocket\n"
        "hs = %sio capture handshake --name au --namespace /private"
    )
    kernel.ok(
        "await nb.wait_connected(au, timeout=30)\n"
        "assert sorted(au.namespaces) == ['/custom', '/private'] and au.transport() == 'websocket'\n"
        "await hs.wait_for(1, timeout=10)\n"
        "row = hs.df.iloc[0]\n"
        "assert row['auth.token'] == 'good' and row['headers.x-notebook'] == 'yes'"
    )
    reply = kernel.ok("r = %sio call echo 1 --name au --namespace /custom\nawait r")
    assert reply.result() == "1"


def test_connect_never_blocks_and_reports_failure_in_the_widget(kernel: Kernel) -> None:
    since = time.monotonic()
    reply = kernel.ok("%sio connect http://127.0.0.1:9 --name dead")
    assert reply.elapsed < 2.0
    view = _displays(reply)[0]["transient"]["display_id"]
    _wait_for_update(kernel, since, r"last error.*Connect call failed", display_id=view)
    r = kernel.run("await nb.wait_connected(dead, timeout=10)")
    assert r.content["status"] == "error" and r.content["ename"] == "ConnectionError"


def test_reconnect_replaces_the_old_connection(kernel: Kernel, node_server: Any) -> None:
    _connect(kernel, node_server.url, "re")
    kernel.ok("first = re\nfirst_cap = %sio capture tick --name re\nawait re.emit('flood', {'count': 5})")
    kernel.ok("await first_cap.wait_for(5, timeout=10)")
    reply = kernel.ok(f"%sio connect {node_server.url} --name re")
    assert len(_displays(reply)) == 1  # the status view, shown again
    kernel.ok(
        "await nb.wait_connected(re, timeout=30)\n"
        "import asyncio\n"
        "for _ in range(100):\n"
        "    if first.status().state == 'disconnected': break\n"
        "    await asyncio.sleep(0.05)\n"
        "assert re is not first and re.connected\n"
        "assert first.status().state == 'disconnected'\n"
        "assert first.status().disconnect_reason == 'client disconnect'\n"
        "assert first_cap.active and first_cap.client is re and len(first_cap) == 5  # follows the name\n"
        "assert nb.get_connection('re').client is re\n"
        "assert [n for n in nb.list_connections() if n == 're'] == ['re']"
    )
    # the capture keeps counting on the new client
    kernel.ok("await re.emit('flood', {'count': 3})\nawait first_cap.wait_for(8, timeout=10)")
    # the new client works: emits right after connect are buffered, not lost
    kernel.ok("%sio connect " + node_server.url + " --name re\nx = %sio call echo 7 --name re")
    assert kernel.ok("await x").result() == "7"


def test_emit_in_the_same_cell_as_connect(kernel: Kernel, node_server: Any) -> None:
    # The client is "connecting" as soon as the magic returns (AsyncClient.start_connect),
    # on every Python version, so an emit in the same cell is buffered, not refused.
    reply = kernel.ok(f"%sio connect {node_server.url} --name sc\nv = await sc.call('echo', 'same cell', timeout=10)\nv")
    assert reply.result() == "'same cell'"


def test_status_widget_follows_a_reconnection(kernel: Kernel, node_server: Any) -> None:
    reply = _connect(kernel, node_server.url, "rc")
    view = _displays(reply)[0]["transient"]["display_id"]
    since = time.monotonic()
    kernel.ok("rc_cap = %sio capture tick --name rc\nawait rc.emit('kill-transport')")
    _wait_for_update(kernel, since, r"class=\"sio-badge sio-state-reconnecting\".*transport", display_id=view)
    again = time.monotonic()
    _wait_for_update(kernel, again, r"class=\"sio-badge sio-state-connected\"", display_id=view)
    _wait_for_update(kernel, since, r"reconnect attempts</td><td>[1-9]", display_id=view)
    kernel.ok(
        "assert rc.connected and rc.status().reconnect_attempts >= 1\n"
        "await rc.emit('flood', {'count': 3})\n"
        "await rc_cap.wait_for(3, timeout=10)  # the capture survived the reconnection"
    )


def test_a_click_on_the_form_sends(kernel: Kernel, node_server: Any) -> None:
    _connect(kernel, node_server.url, "fo")
    reply = kernel.ok("form = nb.EmitForm(fo, event='echo', payload='{\"x\": 1}')\nform.send_button.model_id")
    button = ast.literal_eval(reply.result())
    # what a browser sends when Send is pressed: the form's press counter, incremented
    msg = kernel.kc.session.msg(
        "comm_msg", {"comm_id": button, "data": {"method": "update", "state": {"sends": 1}, "buffer_paths": []}}
    )
    kernel.kc.shell_channel.send(msg)
    kernel.ok(
        "import asyncio\n"
        "for _ in range(100):\n"
        "    if form.sends and form.sends[0]['state'] != 'pending': break\n"
        "    await asyncio.sleep(0.05)\n"
        "assert form.sends[0]['state'] == 'ack' and form.sends[0]['value'] == {'x': 1}"
    )


def test_emit_says_queued_while_the_server_is_down_and_sent_when_written(kernel: Kernel, node_server: Any) -> None:
    reply = kernel.ok("%sio connect http://127.0.0.1:9 --name down --retry\nq = %sio emit chat 1 --name down\nawait q")
    shown = reply.of_type("display_data", "update_display_data")
    texts = [m["content"]["data"]["text/plain"] for m in shown]
    assert any("emit 'chat' on /: queued (1 waiting)" in t for t in texts), texts
    assert not any(t.endswith(": sent") for t in texts)
    assert kernel.ok("down.status().queued").result() == "1"
    kernel.ok("%sio disconnect --name down")
    _connect(kernel, node_server.url, "up")
    reply = kernel.ok("s = %sio emit chat 1 --name up\nawait s\ns.state")
    assert reply.result() == "'sent'"


def test_the_last_state_is_pushed_at_the_end_of_each_cell(kernel: Kernel, node_server: Any) -> None:
    # nbclient keeps only messages parented to the cell it runs: the post_execute hook
    # re-sends each view's state inside the cell, so an executed notebook shows it.
    reply = kernel.ok(f"%sio connect {node_server.url} --name pe")
    (display,) = _displays(reply)
    display_id = display["transient"]["display_id"]
    reply = kernel.ok("await nb.wait_connected(pe, timeout=30)")
    updates = [
        m["content"] for m in reply.of_type("update_display_data") if m["content"]["transient"]["display_id"] == display_id
    ]
    assert updates and "sio-state-connected" in updates[-1]["data"]["text/html"]


def test_frames_pause_and_resume_in_the_kernel(kernel: Kernel, node_server: Any) -> None:
    _connect(kernel, node_server.url, "fr")
    kernel.ok(
        "c = %sio capture tick flood-done --name fr\n"
        "await fr.emit('flood', {'count': 5})\n"
        "await c.wait_for(6, timeout=10)\n"  # 5 floods and flood-done
        "frames = c.frames()\n"
        "assert set(frames) == {'tick', 'flood-done'}, set(frames)\n"
        "assert list(frames['tick'].columns) == ['time', 'namespace', 'i'] and str(frames['tick']['i'].dtype) == 'int64'\n"
        "assert list(frames['flood-done'].columns) == ['time', 'namespace', 'count']\n"
        "c.pause()\n"
        "await fr.call('flood', {'count': 3}, timeout=10)\n"
        "await fr.call('echo', 1, timeout=10)  # the flood went by while paused\n"
        "assert c.count == 6 and c.paused\n"
        "c.resume()\n"
        "await fr.emit('flood', {'count': 2})\n"
        "await c.wait_for(9, timeout=10)\n"
        "assert c.frames()['tick']['i'].tolist()[-2:] == [0, 1]"
    )


def test_rerun_connect_the_form_acks_on_the_new_client(kernel: Kernel, node_server: Any) -> None:
    _connect(kernel, node_server.url, "fw")
    kernel.ok("fw_form = %sio form --name fw\nfw_log = %sio log --name fw\nold = fw")
    _connect(kernel, node_server.url, "fw")
    kernel.ok(
        "assert fw is not old and fw_form.current_client() is fw\n"
        "fw_form.event.value = 'echo'\nfw_form.payload.value = '[1, 2]'\n"
        "await fw_form.send()\n"
        "assert fw_form.sends[0]['state'] == 'ack' and fw_form.sends[0]['value'] == [1, 2], fw_form.sends\n"
        "kinds = [(r.direction, r.event) for r in fw_log]\n"
        "assert ('out', 'echo') in kinds and ('ack', 'echo') in kinds and ('life', 'connect') in kinds, kinds"
    )


def test_rerunning_load_ext_is_quiet(kernel: Kernel) -> None:
    reply = kernel.ok("%load_ext sio_notebook")  # the fixture loaded it already
    assert reply.text() == "" and reply.of_type("stream", "display_data", "execute_result", "error") == []
    assert kernel.ok("get_ipython().find_line_magic('sio') is not None").result() == "True"


def test_an_emit_queued_while_connecting_turns_sent(kernel: Kernel, node_server: Any) -> None:
    reply = kernel.ok(f"%sio connect {node_server.url} --name qs --namespace / --namespace /custom\n"
                      "e = %sio emit echo 1 --name qs --namespace /custom\nawait e\ne.state")
    assert reply.result() == "'queued'"
    kernel.ok(
        "await nb.wait_connected(qs, timeout=30)\n"
        "import asyncio\n"
        "for _ in range(100):\n"
        "    if e.state != 'queued': break\n"
        "    await asyncio.sleep(0.05)\n"
        "assert e.state == 'sent' and e.text().endswith('sent (was queued)'), e.text()"
    )
