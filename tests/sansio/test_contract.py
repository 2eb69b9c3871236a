"""The core's in/out contract: feed() decisions, ack answers per connection, the lost-ack
policy, reserved names, the reason vocabulary and the MESSAGE codec. All pure."""

from __future__ import annotations

from typing import Any

import pytest

from sio_notebook.exceptions import DisconnectedError, LocalProtocolError, PayloadTooLargeError, RemoteProtocolError
from sio_notebook.sansio import reasons
from sio_notebook.sansio.acks import AckKind, answer_args, callback_args, loss_error, told_of_loss
from sio_notebook.sansio.engineio import Packet, PacketType, encode_message, encode_messages, encode_packet
from sio_notebook.sansio.session import CloseConnection, ConnectError, EventReceived, ServerDisconnected
from sio_notebook.sansio.socketio import JsonSerializer, check_event_name

from .test_session import connected, new_session, reply

# --- feed(): events plus close decisions ------------------------------------------------


def test_feed_turns_malformed_data_into_a_parse_error_close() -> None:
    session = connected()
    (decision,) = session.feed("2{}")
    assert type(decision) is CloseConnection
    assert decision.reason == reasons.PARSE_ERROR and decision.reconnect
    assert isinstance(decision.error, RemoteProtocolError)
    assert session.feed('2["ok"]') == [EventReceived("/", "ok", [], None)]  # the session goes on


def test_last_namespace_refused_means_close_without_reconnection() -> None:
    session = new_session("/private")
    session.engine_opened()
    events = session.feed('4/private,{"message":"no"}')
    assert [type(e) for e in events] == [ConnectError, CloseConnection]
    assert events[1] == CloseConnection(reasons.SERVER_DISCONNECT, None, reconnect=False)


def test_server_disconnect_of_the_last_namespace_closes() -> None:
    events = connected("/", "/admin").feed("1/admin,")
    assert [type(e) for e in events] == [ServerDisconnected]  # "/" is still wanted
    session = connected()
    assert [type(e) for e in session.feed("1")] == [ServerDisconnected, CloseConnection]


def test_feed_passes_ordinary_events_through_unchanged() -> None:
    session = connected()
    assert session.feed('2["a",1]') == session.receive('2["a",1]') == [EventReceived("/", "a", [1], None)]


# --- answering the server's ack requests ---------------------------------------------


def test_an_answer_goes_only_on_the_connection_the_request_came_on() -> None:
    session = connected()
    first = session.connection
    assert session.answer_frames("/", 7, ("a", 1), first) == ['37["a",1]']
    session.engine_lost()
    assert session.answer_frames("/", 7, "late", first) is None  # engine gone
    session.engine_opened()
    session.receive(reply("/", "sid-again"))
    assert session.connection == first + 1
    assert session.answer_frames("/", 7, "late", first) is None  # another connection's id 7
    assert session.answer_frames("/", 7, None, session.connection) == ["37[]"]


@pytest.mark.parametrize(("result", "args"), [(None, []), (1, [1]), ((1, 2), [1, 2]), ([1, 2], [[1, 2]])])
def test_a_handler_result_becomes_ack_arguments(result: Any, args: list[Any]) -> None:
    assert answer_args(result) == args


# --- the lost-ack policy (JS 4.7.5) ----------------------------------------------------


def test_who_hears_of_a_loss() -> None:
    assert told_of_loss(AckKind.FUTURE) and told_of_loss(AckKind.ERROR_FIRST)
    assert not told_of_loss(AckKind.CALLBACK)  # plain callbacks are dropped
    assert not told_of_loss(AckKind.INTERNAL)  # the retry queue re-sends instead


def test_callback_arguments() -> None:
    assert callback_args(AckKind.ERROR_FIRST, [1]) == [None, 1]
    assert callback_args(AckKind.CALLBACK, [1]) == [1]


def test_the_error_a_loss_reports() -> None:
    error = loss_error(reasons.PING_TIMEOUT, None)
    assert type(error) is DisconnectedError
    assert str(error) == "the connection was lost (ping timeout) before the ack arrived"
    too_big = loss_error(reasons.TRANSPORT_ERROR, PayloadTooLargeError("413", 413))
    assert type(too_big) is PayloadTooLargeError and too_big.status == 413


# --- reserved names, reasons, the MESSAGE codec ----------------------------------------


@pytest.mark.parametrize("name", ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"])
def test_reserved_names_are_refused_in_one_place(name: str) -> None:
    with pytest.raises(LocalProtocolError, match="reserved event name"):
        check_event_name(name)
    with pytest.raises(LocalProtocolError, match="reserved event name"):
        JsonSerializer().encode_event("/", [name], None)  # the codec uses the same rule
    check_event_name("message")


def test_the_reason_vocabulary_is_the_js_clients() -> None:
    assert {
        "client disconnect", "server disconnect", "transport close", "transport error", "ping timeout", "parse error",
    } == reasons.REASONS


@pytest.mark.parametrize("message", ['2["a"]', "", b"\x00\x01", '0{"sid":"x"}'])
def test_encode_messages_matches_the_single_packet_codec(message: str | bytes) -> None:
    framed = encode_packet(Packet(PacketType.MESSAGE, message))
    assert encode_messages([message]) == [framed] and encode_message(message) == framed
