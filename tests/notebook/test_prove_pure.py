"""The proving tools without a server: fields and where=, reply pairing, schema inference,
the AsyncAPI document's shape, and conformance checks fed by the FakeClient."""

from __future__ import annotations

import asyncio
import math

import pytest

import sio_notebook.notebook as nb
from sio_notebook.exceptions import ExpectationFailed, SocketIOError
from sio_notebook.notebook.prove.fields import MISSING, get_field, make_predicate
from sio_notebook.notebook.prove.pairing import pair_replies
from sio_notebook.notebook.prove.schema import BINARY, infer_schema
from sio_notebook.notebook.recording.capture import Capture
from sio_notebook.notebook.recording.rows import CapturedEvent
from sio_notebook.notebook.views.log import EventTable
from sio_notebook.notebook.views.status import StatusWidget

from .fakes import FakeClient

# ---------------------------------------------------------------- fields and where=


def test_dotted_fields_reach_into_nested_payloads() -> None:
    payload = {"a": {"b": {"c": 1}}, "x.y": 2, "n": None}
    assert get_field(payload, "a.b.c") == 1
    assert get_field(payload, "x.y") == 2  # a key with a dot is found whole first
    assert get_field(payload, "n") is None
    assert get_field(payload, "a.z") is MISSING and get_field("text", "a") is MISSING


def test_where_dict_callable_and_bad_values() -> None:
    test = make_predicate({"user.name": "ada", "n": 1})
    assert test({"user": {"name": "ada"}, "n": 1})
    assert not test({"user": {"name": "ada"}, "n": True})  # True is not 1 for an expectation
    assert not test({"user": {"name": "bob"}, "n": 1}) and not test("ada")
    assert make_predicate(lambda p: p > 2)(3)
    with pytest.raises(TypeError, match="dict of payload fields or a callable"):
        make_predicate(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="field names"):
        make_predicate({1: "x"})


def test_expectation_failed_is_in_the_one_hierarchy() -> None:
    assert issubclass(ExpectationFailed, AssertionError) and issubclass(ExpectationFailed, SocketIOError)
    assert nb.ExpectationFailed is ExpectationFailed


async def test_expect_refuses_bad_arguments_before_waiting() -> None:
    client = FakeClient()
    for kwargs, error in (({"within": 0}, "within"), ({"count": 0}, "count"), ({"namespace": "chat"}, "namespace")):
        with pytest.raises(ValueError, match=error):
            await nb.expect(client, "tick", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="client .* or a capture"):
        await nb.expect(object(), "tick")
    cap = nb.capture(client, "tick")
    with pytest.raises(ValueError, match="records tick, not 'chat'"):
        await nb.expect(cap, "chat")
    cap.stop()
    with pytest.raises(ValueError, match="stopped"):
        await nb.expect(cap, "tick")


async def test_expect_counts_only_new_rows_of_a_capture_and_lists_the_window() -> None:
    client = FakeClient()
    cap = nb.capture(client, "*")
    client.feed("/", "tick", {"i": 0})  # before the call: does not count
    task = asyncio.ensure_future(nb.expect(cap, "tick", where={"i": 0}, within=0.3))
    await asyncio.sleep(0)
    client.feed("/", "tick", {"i": 1})
    client.feed("/chat", "chat", "hello")
    with pytest.raises(ExpectationFailed) as info:
        await task
    text = str(info.value)
    assert text.startswith("expected 1 'tick' event where i == 0 within 0.3 s; 0 matched")
    assert "2 events arrived in that window:" in text
    assert '#2  ' in text and '\u2193 in  /  tick  {"i":1}' in text and '/chat  chat  "hello"' in text
    task = asyncio.ensure_future(nb.expect(cap, "tick", where=lambda p: p["i"] > 1, count=2, within=2))
    await asyncio.sleep(0)
    for i in range(5):
        client.feed("/", "tick", {"i": i})
    assert await task == [{"i": 2}, {"i": 3}]


# ---------------------------------------------------------------- reply pairing


def _row(seq: int, t: float, event: str, payload: object, direction: str, ns: str = "/") -> CapturedEvent:
    return CapturedEvent(seq, t, ns, event, (payload,), direction)


def test_pairing_by_id_out_of_order_with_late_and_missing_replies() -> None:
    rows = [
        _row(1, 0.0, "subscribe", {"id": 1}, "out"),
        _row(2, 0.1, "subscribe", {"id": 2}, "out"),
        _row(3, 0.2, "subscribe", {"id": 3}, "out"),
        _row(4, 0.3, "subscribed", {"id": 2}, "in"),   # 0.2 s
        _row(5, 0.5, "subscribed", {"id": 1}, "in"),   # 0.5 s
        _row(6, 0.6, "subscribed", {"id": 9}, "in"),   # answers nothing
        _row(7, 5.0, "subscribe", {"id": 4}, "out"),   # still pending at now=5.5
        _row(8, 5.2, "subscribed", {"id": 3}, "in"),   # 5 s late: a timeout
    ]
    out = pair_replies(rows, "subscribe", "subscribed", match="id", timeout=2.0, now=5.5)
    assert sorted(round(s.seconds, 3) for s in out.samples) == [0.2, 0.5]
    assert (out.timeouts, out.pending, out.unsolicited) == (1, 1, 1)
    later = pair_replies(rows, "subscribe", "subscribed", match="id", timeout=2.0, now=8.0)
    assert (later.timeouts, later.pending) == (2, 0)


def test_pairing_in_order_per_namespace_and_ids_keep_their_type() -> None:
    rows = [
        _row(1, 0.0, "req", {}, "out"), _row(2, 0.0, "req", {}, "out", "/b"),
        _row(3, 0.1, "rep", {}, "in", "/b"), _row(4, 0.3, "rep", {}, "in"),
    ]
    out = pair_replies(rows, "req", "rep", timeout=1.0, now=1.0)
    assert sorted(round(s.seconds, 3) for s in out.samples) == [0.1, 0.3]
    ids = [_row(1, 0.0, "req", {"id": 1}, "out"), _row(2, 0.1, "rep", {"id": True}, "in")]
    assert pair_replies(ids, "req", "rep", match="id", timeout=1.0, now=0.5).unsolicited == 1


def test_latency_of_a_recording_counts_timeouts_and_shows_them() -> None:
    client = FakeClient()
    cap = nb.capture(client, "*", outgoing=True)
    client.feed_out("/", "subscribe", {"id": 1})
    client.feed("/", "subscribed", {"id": 1})
    client.feed_out("/", "subscribe", {"id": 2})
    stats = nb.latency(cap, "subscribe", reply="subscribed", match="id", timeout=0.5)
    assert stats.count == 1 and stats.pending == 1 and stats.timeouts == 0
    late = nb.latency(cap, "subscribe", reply="subscribed", match="id", timeout=1e-9)
    assert late.timeouts == 2 and late.count == 0 and math.isnan(late.p50)
    assert "2 timeouts (no answer within 1e-09 s)" in str(late)
    html = late.html()
    assert "subscribe \u2192 subscribed by id" in html and "--jp-error-color1" in html
    with pytest.raises(ValueError, match="give reply= too"):
        nb.latency(cap, "subscribe", match="id")
    with pytest.raises(ValueError, match="outgoing=True"):
        nb.latency(nb.capture(client, "*"), "subscribe", reply="subscribed")


# ---------------------------------------------------------------- schema inference


def test_schema_inference_types_required_nullability_nesting_and_bytes() -> None:
    schema = infer_schema([
        {"price": 1, "sym": "A", "note": None, "tags": ["x"], "meta": {"v": 1}, "blob": b"\x00"},
        {"price": 2.5, "sym": "B", "note": "hi", "tags": [], "meta": {"v": 2, "w": True}, "blob": b""},
    ])
    props = schema["properties"]
    assert schema["type"] == "object"
    assert props["price"] == {"type": "number"}  # integers and floats merge to number
    assert props["note"] == {"type": ["null", "string"]}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["meta"]["required"] == ["v"] and props["meta"]["properties"]["w"] == {"type": "boolean"}
    assert props["blob"] == BINARY
    assert sorted(schema["required"]) == ["blob", "meta", "note", "price", "sym", "tags"]
    assert infer_schema([]) == {} and infer_schema([None]) == {"type": "null"}


# ---------------------------------------------------------------- the document and conformance


def _traffic(client: FakeClient) -> None:
    client.feed("/", "tick", {"i": 1, "price": 1.5})
    client.feed("/", "tick", {"i": 2, "price": 2})
    client.feed_out("/", "add", {"a": 1, "b": 2})
    client.feed("/chat", "chat", {"user": "ada", "text": "hi", "blob": b"\x01"})


def test_document_shape_channels_messages_operations_and_acks() -> None:
    client = FakeClient(url="http://127.0.0.1:5055")
    cap = nb.capture(client, "*", outgoing=True)
    _traffic(client)
    cap.record("/", "add", (3,), direction="ack", rtt=0.01)
    doc = nb.asyncapi(cap, title="Fake", version="2.0.0")
    assert doc["asyncapi"] == "3.0.0" and doc["info"]["title"] == "Fake" and doc["info"]["version"] == "2.0.0"
    assert doc["servers"]["main"]["host"] == "127.0.0.1:5055" and doc["servers"]["main"]["protocol"] == "ws"
    assert {c["address"] for c in doc["channels"].values()} == {"/", "/chat"}
    root = doc["channels"]["root"]["messages"]
    assert root["tick"]["payload"]["properties"]["price"] == {"type": "number"}
    assert root["add.ack"]["payload"] == {"type": "integer"} and root["add.ack"]["x-sio-direction"] == "ack"
    chat = doc["channels"]["chat"]["messages"]["chat"]
    assert chat["x-sio-binary"] is True and chat["payload"]["properties"]["blob"]["format"] == "binary"
    ops = doc["operations"]
    assert ops["receive_root_tick"]["action"] == "receive"
    assert ops["send_root_add"]["action"] == "send"
    assert ops["send_root_add"]["reply"]["messages"] == [{"$ref": "#/channels/root/messages/add.ack"}]
    with pytest.raises(ValueError, match=r"\.yaml, \.yml or \.json"):
        nb.asyncapi(cap, path="doc.txt")


def test_conform_flags_type_changes_and_unknown_events_and_shows_them(tmp_path: object) -> None:
    client = FakeClient()
    learn = nb.capture(client, "*", outgoing=True)
    _traffic(client)
    doc = nb.asyncapi(learn)
    log = nb.capture(client, "*", outgoing=True)
    checker = nb.conform(log, doc)
    status = StatusWidget(client)
    client.feed("/", "tick", {"i": 3, "price": 3.0})               # conforms
    client.feed("/", "tick", {"i": "four", "price": 4.0})          # type changed
    client.feed("/", "surprise", 1)                                # unknown event
    client.feed_out("/", "tick", {})                               # known only as received
    client.feed("/chat", "chat", {"user": "ada", "text": "hi", "blob": "text"})  # text where bytes were
    frame = checker.violations
    assert list(frame.columns) == ["time", "direction", "namespace", "event", "path", "message", "seq"]
    assert len(frame) == 4 and checker.count == 4
    first = frame.iloc[0]
    assert (first.event, first.path, first.message) == ("tick", "$.i", "'four' is not of type 'integer'")
    assert "event 'surprise' (server-to-client) is not in the spec for /" in set(frame.message)
    assert "'tick' is in the spec only as server-to-client, not client-to-server" in set(frame.message)
    assert "'text' is not binary data" in set(frame.message)
    summary = checker.summary()
    tick = summary[(summary.event == "tick") & (summary.direction == "server-to-client")].iloc[0]
    assert (tick.checked, tick.violations, tick.share, tick.paths) == (2, 1, 0.5, "$.i (1)")
    assert summary.iloc[0].violations == 1 and summary.violations.sum() == 4
    html = EventTable(log, controls=False).html()
    assert html.count("\u26a0") == 4 and "is not of type" in html
    assert "conformance: 4 violations in 5 events" in status.text()
    checker.stop()
    client.feed("/", "tick", {"i": "x"})
    assert checker.count == 4 and "conformance" not in status.text()
    with pytest.raises(ValueError, match="AsyncAPI 3"):
        nb.conform(log, {"asyncapi": "2.6.0"})
    assert isinstance(log, Capture)


def _spec_with(payload: dict[str, object]) -> dict[str, object]:
    return {
        "asyncapi": "3.0.0", "info": {"title": "Bad", "version": "1"},
        "channels": {"root": {"address": "/", "messages": {"tick": {"payload": payload}}}},
        "operations": {"receive_tick": {"action": "receive", "channel": {"$ref": "#/channels/root"},
                                        "messages": [{"$ref": "#/channels/root/messages/tick"}]}},
    }


def test_conform_refuses_a_spec_whose_schema_jsonschema_cannot_use() -> None:
    # {"type": "integr"} used to pass nb.conform and raise UnknownType on the first event,
    # which the capture logged and dropped while the status kept saying "0 violations".
    client = FakeClient()
    log = nb.capture(client, "*")
    with pytest.raises(ValueError) as info:
        nb.conform(log, _spec_with({"type": "object", "properties": {"i": {"type": "integr"}}}))
    message = str(info.value)
    assert message.startswith("the spec's payload schema of 'tick' (server-to-client) in / is not a valid JSON Schema")
    assert "(at $.properties.i.type): 'integr' is not valid under any of the given schemas" in message
    assert "conformance" not in StatusWidget(client).text()  # nothing left behind
    with pytest.raises(ValueError, match="not a valid JSON Schema"):
        nb.conform(client, _spec_with({"type": "integr"}))  # a client: its own capture is not left running


def test_conform_that_cannot_validate_an_event_stops_and_says_so() -> None:
    # A schema jsonschema accepts, and a payload it cannot check: msgpack payloads can have
    # integer keys, and patternProperties runs a regex over each key.
    client = FakeClient()
    log = nb.capture(client, "*")
    checker = nb.conform(log, _spec_with({"type": "object", "patternProperties": {"^x": {"type": "integer"}}}))
    status = StatusWidget(client)
    client.feed("/", "tick", {"x1": 1})
    client.feed("/", "tick", {1: 2})
    assert not checker.active and isinstance(checker.error, RuntimeError)
    assert isinstance(checker.error.__cause__, TypeError)
    line = status.text()
    assert "conformance: not checking: validating 'tick' (server-to-client) in / raised TypeError:" in line, line
    assert sum(checker.checked.values()) == 1 and checker.count == 0
    client.feed("/", "tick", {"x1": "not checked"})
    assert checker.count == 0 and "not checking" in repr(checker)
    checker.stop()
    assert "conformance" not in status.text()


def test_the_notebook_layer_imports_without_the_prove_extra_and_names_it_when_needed() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for name in ('genson', 'jsonschema', 'yaml'):\n"
        "    sys.modules[name] = None  # as if not installed\n"
        "import sio_notebook.notebook as nb\n"
        "assert callable(nb.expect) and callable(nb.latency)\n"
        "for call in (lambda: nb.conform(object(), {'asyncapi': '3.0.0'}), lambda: nb.asyncapi('x.parquet')):\n"
        "    try:\n"
        "        call()\n"
        "    except ImportError as exc:\n"
        "        print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "nb.conform validates payloads with jsonschema, which is missing: pip install 'sio-notebook[prove]'" in result.stdout
    assert "nb.asyncapi infers JSON Schemas with genson, which is missing: pip install 'sio-notebook[prove]'" in result.stdout


def test_conform_loads_jsonschema_off_the_loop_and_checks_what_came_meanwhile() -> None:
    # A fresh interpreter, where jsonschema is not imported yet: nb.conform on a running loop
    # returns at once, rows wait in a backlog, and are checked once the validators are built.
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import asyncio, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
        "from fakes import FakeClient\n"
        "import sio_notebook.notebook as nb\n"
        "from sio_notebook.notebook.views.status_lines import status_lines\n"
        "async def main():\n"
        "    client = FakeClient()\n"
        "    learn = nb.capture(client, '*')\n"
        "    client.feed('/', 'tick', {'i': 1})\n"
        "    doc = nb.asyncapi(learn)\n"
        "    log = nb.capture(client, '*')\n"
        "    assert 'jsonschema' not in sys.modules\n"
        "    checker = nb.conform(log, doc)\n"
        "    client.feed('/', 'tick', {'i': 'two'})\n"
        "    print(status_lines(client))\n"
        "    checker.stop()\n"  # before its validators are built: what came until now is still checked
        "    client.feed('/', 'tick', {'i': 'after the stop'})\n"
        "    await checker.ready()\n"
        "    print(status_lines(client), checker.count)\n"
        "    print(repr(checker))\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    before, after, stopped = result.stdout.splitlines()
    assert "loading the validator (1 event waiting)" in before
    assert after == "[] 1"  # the line went with stop(); the count did not
    assert stopped.startswith("<Checker 1 violation in 1 event (") and stopped.endswith("(stopped)>"), stopped


def test_conform_off_the_loop_with_a_bad_spec_stops_and_ready_raises() -> None:
    # Where jsonschema loads in a thread, the bad schema is found there: ready() raises it,
    # the checker stops, and the status says why instead of counting nothing.
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import asyncio, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
        "from fakes import FakeClient\n"
        "import sio_notebook.notebook as nb\n"
        "from sio_notebook.notebook.views.status_lines import status_lines\n"
        "async def main():\n"
        "    client = FakeClient()\n"
        "    log = nb.capture(client, '*')\n"
        "    assert 'jsonschema' not in sys.modules\n"
        f"    checker = nb.conform(log, {_spec_with({'type': 'integr'})!r})\n"
        "    client.feed('/', 'tick', 1)\n"
        "    try:\n"
        "        await checker.ready()\n"
        "    except ValueError as exc:\n"
        "        print('raised', exc)\n"
        "    print(status_lines(client), checker.active)\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    raised, shown = result.stdout.splitlines()
    assert raised.startswith("raised the spec's payload schema of 'tick' (server-to-client) in / is not a valid JSON Schema")
    assert "[('conformance', 'not checking: the spec's payload schema of 'tick'" in shown.replace('"', "'")
    assert shown.endswith(" False")


def test_only_top_level_expect_magic_lines_are_awaited() -> None:
    # What IPython makes of `%sio expect ...` lines, and lines that must stay as they are.
    from sio_notebook.notebook.autoawait import await_expectations

    expect = "get_ipython().run_line_magic('sio', 'expect tick --within 1')"
    lines = [
        expect + "\n",
        "café = " + expect + "\r\n",  # ast counts the target's bytes, not its characters
        "get_ipython().run_line_magic('sio', 'emit tick 1')\n",  # other actions never block
        "    e = " + expect + "\n",  # indented: could be in a def
        "x = f(" + expect + ")\n",  # not the whole line
        "get_ipython().run_line_magic('time', 'expect')\n",
        "y = (1,\n",
    ]
    out = await_expectations(lines)
    assert out[:2] == ["await " + expect + "\n", "café = await " + expect + "\r\n"]
    assert out[2:] == lines[2:]
    plain = ["a = 1\n"]
    assert await_expectations(plain) is plain
