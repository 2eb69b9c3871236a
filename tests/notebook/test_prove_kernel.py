"""The proving tools in a real kernel against the real Node server (tests/peers/node):
expectations (function and magic), request/reply latency, the inferred contract and live
conformance; and a notebook of expectations run headless by nbclient fails with the message."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from peers.launcher import ServerHandle

from .kernel import Kernel

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def connected(kernel: Kernel, node_server: ServerHandle) -> Kernel:
    kernel.ok(
        "import asyncio\n"
        f"%sio connect {node_server.url} --name psio\n"
        "await nb.wait_connected(psio, timeout=30)"
    )
    return kernel


def test_expect_returns_the_matching_payloads(connected: Kernel) -> None:
    connected.ok(
        "t = asyncio.ensure_future(nb.expect(psio, 'tick', where={'i': 3}, within=10))\n"
        "await psio.emit('flood', {'count': 5})\n"
        "assert await t == [{'i': 3}], t.result()\n"
        "cap = nb.capture(psio, 'tick')\n"
        "t = asyncio.ensure_future(nb.expect(cap, 'tick', where=lambda p: p['i'] % 2, count=2, within=10))\n"
        "await psio.emit('flood', {'count': 5})\n"
        "assert await t == [{'i': 1}, {'i': 3}], t.result()"
    )


def test_a_failed_expectation_fails_the_cell_with_what_arrived(connected: Kernel) -> None:
    reply = connected.run(
        "t = asyncio.ensure_future(nb.expect(psio, 'tick', where={'i': 99}, within=1))\n"
        "await psio.emit('flood', {'count': 3})\n"
        "await t"
    )
    assert not reply.ok and reply.content["ename"] == "ExpectationFailed"
    message = reply.content["evalue"]
    assert message.startswith("expected 1 'tick' event where i == 99 within 1 s; 0 matched in 1.0")
    assert "4 events arrived in that window:" in message  # three ticks and flood-done
    assert '\u2193 in  /  tick  {"i":0}' in message and '/  flood-done  {"count":3}' in message
    connected.ok("assert isinstance(t.exception(), AssertionError)")


def test_the_expect_magic_waits_like_nb_expect_and_fails_the_cell(connected: Kernel) -> None:
    # The %sio emit runs once the cell awaits: after the expectation is listening.
    ok = connected.ok(
        "%sio emit flood {\"count\": 3} --name psio\n"
        "e = %sio expect tick --where '{\"i\": 1}' --within 10 --name psio\n"
        "assert e == [{'i': 1}], e"
    )
    shown = [m["content"]["data"]["text/html"] for m in ok.of_type("display_data", "update_display_data")]
    assert any("sio-expect-passed" in h and "passed in" in h for h in shown), shown
    plain = connected.ok(
        "%sio emit flood {\"count\": 3} --name psio\n"
        "%sio expect tick --where '{\"i\": 2}' --within 10 --name psio"
    )
    assert plain.result() == "[{'i': 2}]"  # the payloads are the cell's result
    bad = connected.run("%sio expect flood-done --where '{\"count\": 7}' --within 0.5 --count 1 --name psio")
    assert not bad.ok and bad.content["ename"] == "ExpectationFailed"
    assert "expected 1 'flood-done' event where count == 7 within 0.5 s" in bad.content["evalue"]
    shown = [m["content"]["data"]["text/html"] for m in bad.of_type("display_data", "update_display_data")]
    assert any("sio-expect-failed" in h and "\u2717" in h for h in shown), shown
    indented = connected.ok(  # not a top-level line (it could be in a def): the awaitable view, as before
        "if True:\n"
        "    e = %sio expect tick --where '{\"i\": 1}' --within 10 --name psio\n"
        "await psio.emit('flood', {'count': 3})\n"
        "assert await e == [{'i': 1}]\n"
        "print(e.text())"
    )
    assert "expect 1 'tick' where i == 1 within 10 s: passed in" in indented.text()
    usage = connected.run("%sio expect tick --where '[1]' --name psio")
    assert not usage.ok and "--where must be a JSON object" in usage.content["evalue"]


def test_latency_pairs_subscribe_with_subscribed_and_counts_timeouts(connected: Kernel) -> None:
    connected.ok(
        "first = nb.latency(psio, 'subscribe', reply='subscribed', match='id', timeout=0.1)\n"  # starts watching
        "assert first.count == 0, first\n"
        "cap = nb.capture(psio, 'subscribed', outgoing=True)\n"
        "await psio.emit('subscribe', {'id': 1, 'delay': 10})\n"
        "await psio.emit('subscribe', {'id': 2, 'delay': 250})\n"
        "await psio.emit('subscribe', {'id': 3, 'drop': True})\n"
        "await nb.expect(psio, 'subscribed', where={'id': 2}, within=10)\n"
        "for source in (cap, psio):\n"
        "    stats = nb.latency(source, 'subscribe', reply='subscribed', match='id', timeout=0.1)\n"
        "    assert (stats.count, stats.timeouts, stats.pending) == (1, 2, 0), (source, stats)\n"
        "    assert 0.005 < stats.p50 < 0.1, stats\n"
        "live = nb.latency(cap, 'subscribe', reply='subscribed', match='id', timeout=30)\n"
        "assert (live.count, live.timeouts, live.pending) == (2, 0, 1), live"
    )
    # acks as today, and a call that timed out is counted, not dropped
    connected.ok("r = %sio call echo 1 --name psio\nawait r")
    connected.run("r = %sio call subscribe {\"id\": 4, \"drop\": true} --timeout 0.2 --name psio\nawait r")
    result = connected.ok(
        "stats = nb.latency(psio, 'subscribe')\n"
        "assert stats.count == 0 and stats.timeouts == 1 and stats.timeout == 0.2, stats\n"
        "str(stats)"
    ).result()
    assert "1 timeout (no answer within 0.2 s)" in result


def test_contract_inferred_then_checked_live(connected: Kernel, tmp_path: Path) -> None:
    spec = tmp_path / "node.asyncapi.yaml"
    connected.ok(
        "learn = nb.capture(psio, 'message', 'message-back', 'echo', outgoing=True)\n"
        "for n in (1, 2):\n"
        "    t = asyncio.ensure_future(nb.expect(psio, 'message-back', within=10))\n"
        "    await psio.emit('message', {'n': n, 'tags': ['a'], 'note': None if n == 1 else 'x'})\n"
        "    await t\n"
        "r = %sio call echo {\"x\": 1} --name psio\n"
        "await r\n"
        f"doc = nb.asyncapi(learn, title='Node peer', version='1.0.0', path={str(spec)!r})\n"
        "msgs = doc['channels']['root']['messages']\n"
        "assert msgs['message-back']['payload']['properties']['n'] == {'type': 'integer'}, msgs\n"
        "assert msgs['message-back']['payload']['properties']['note'] == {'type': ['null', 'string']}, msgs\n"
        "assert doc['operations']['send_root_echo']['reply']['messages'] == [{'$ref': '#/channels/root/messages/echo.ack'}]\n"
        "assert doc['servers']['main']['host'] == psio.status().url.split('//')[1].rstrip('/'), doc['servers']"
    )
    assert spec.read_text().startswith("asyncapi: 3.0.0")
    connected.ok(
        "log = %sio log --name psio\n"
        f"checker = nb.conform(log, {str(spec)!r})\n"
        "t = asyncio.ensure_future(nb.expect(psio, 'message-back', within=10))\n"
        "await psio.emit('message', {'n': 'three', 'tags': ['a'], 'note': None})\n"
        "await t\n"
        "await checker.ready()  # rows that came while jsonschema loaded (in a thread) are checked now\n"
        "v = checker.violations\n"
        "assert set(zip(v.direction, v.event, v.path)) == {('out', 'message', '$.n'), ('in', 'message-back', '$.n')}, v\n"
        "assert (v.message == \"'three' is not of type 'integer'\").all(), v.message\n"
        "s = checker.summary()\n"
        "assert s.violations.sum() == 2 and set(s.event) == {'message', 'message-back'}, s\n"
        "assert log.table().html().count('\\u26a0') == 2\n"
        "status = nb.get_connection('psio').status_view()\n"
        "assert 'conformance: 2 violations in 2 events (Node peer 1.0.0)' in status.text(), status.text()\n"
        "checker.stop()"
    )


def test_a_notebook_of_expectations_fails_headless(node_server: ServerHandle, tmp_path: Path) -> None:
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(source) for source in (
        "%load_ext sio_notebook\nimport asyncio\nimport sio_notebook.notebook as nb",
        f"%sio connect {node_server.url} --name hsio\nawait nb.wait_connected(hsio, timeout=30)",
        "t = asyncio.ensure_future(nb.expect(hsio, 'flood-done', where={'count': 2}, within=10))\n"
        "await hsio.emit('flood', {'count': 2})\nawait t",
        "%sio emit flood {\"count\": 3} --name hsio\n"
        "%sio expect tick --where '{\"i\": 1}' --within 10 --name hsio",
        "%sio emit flood {\"count\": 2} --name hsio\n"
        "%sio expect tick --where '{\"i\": 5}' --within 1 --name hsio",  # a plain line, as a user writes it
        "print('never reached')",
    )]
    client = NotebookClient(book, timeout=60, startup_timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError) as info:
        client.execute()
    text = str(info.value)
    assert "ExpectationFailed" in text and "expected 1 'tick' event where i == 5 within 1 s; 0 matched" in text
    assert '\u2193 in  /  tick  {"i":1}' in text
    assert not book.cells[5].outputs  # the run stopped at the failed expectation
    passed = [o.data["text/plain"] for o in book.cells[3].outputs if o.output_type == "execute_result"]
    assert passed == ["[{'i': 1}]"]  # the passing plain line waited and gave the payloads
    errors = [o for o in book.cells[4].outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "ExpectationFailed"
    views = [o.data["text/html"] for o in book.cells[4].outputs
             if o.output_type == "display_data" and "sio-expect" in o.data["text/html"]]
    assert views and "\u2717" in views[0]  # the saved view shows the failure too
