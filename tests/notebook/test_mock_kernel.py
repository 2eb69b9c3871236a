"""The mock server from a real kernel: record a session from the Node peer with the magics,
stop the peer, serve the Parquet dataset with ``nb.mock_server`` and talk to it with the magics."""

from __future__ import annotations

from typing import Any

import pytest

from .kernel import Kernel

pytestmark = pytest.mark.timeout(180)


def test_record_from_node_then_replay_from_the_mock_in_a_kernel(kernel: Kernel, server_factory: Any) -> None:
    node = server_factory("node")
    kernel.ok(
        f"%sio connect {node.url} --name live --namespace / --namespace /custom\n"
        "await nb.wait_connected(live, timeout=30)\n"
        "rec = %sio capture * --outgoing --name live --to mock-session.parquet\n"
        "a = %sio call echo {\"x\": 1} --name live\n"
        "b = %sio call flood {\"count\": 3, \"binary\": true, \"size\": 4} --name live\n"
        "c = %sio call echo {\"where\": \"custom\"} --name live --namespace /custom\n"
    )
    kernel.ok(
        "acks = (await a, await b, await c)\n"  # the peer sends flood-done before flood's ack
        "rec.stop()\n"
        "closing = %sio disconnect --name live\n"
        "await closing\n"
        "acks"
    )
    node.stop()  # from here on only the recording answers
    reply = kernel.ok(
        "server = await nb.mock_server('mock-session.parquet')\n"
        "%sio connect {server.url} --name replay --namespace / --namespace /custom\n"
        "got = %sio capture * --name replay\n"
        "server"
    )
    assert reply.result().startswith("<MockServer http://127.0.0.1:") and "/, /custom" in reply.result()
    kernel.ok(
        "recorded = nb.Capture.load('mock-session.parquet')\n"
        "sent = [(r.namespace, r.event, r.args) for r in recorded if r.direction == 'in']\n"
        "await got.wait_for(len(sent), timeout=30)\n"
        "assert sorted(sent, key=lambda r: r[0]) == sorted([(r.namespace, r.event, r.args) for r in got], key=lambda r: r[0])\n"
        "assert [r.args[0]['blob'] for r in got if r.event == 'tick'] == [bytes(range(4))] * 3"
    )
    reply = kernel.ok(
        "x = %sio call echo {\"x\": 1} --name replay\n"
        "y = %sio call echo {\"where\": \"custom\"} --name replay --namespace /custom\n"
        "z = %sio call nobody-listens --name replay --timeout 0.5\n"
        "(await x, await y)"
    )
    assert reply.result() == "({'x': 1}, {'where': 'custom'})"
    reply = kernel.run("await z")
    assert not reply.ok and reply.content["ename"] == "TimeoutError"
    kernel.ok("assert 'no ack within 0.5 s' in z.text(), z.text()")
    kernel.ok("closing = %sio disconnect --name replay\nawait closing\nawait server.stop()\nassert server.url is None")
