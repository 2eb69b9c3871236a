"""The core's in/out contract: inputs queue their outputs, which two drains give back
(data_to_send, events_received); close decisions; ack answers per connection; the
lost-ack policy; reserved names; the reason vocabulary; the MESSAGE codec. All pure."""

from __future__ import annotations

from typing import Any

import pytest

from sio_notebook.exceptions import DisconnectedError, LocalProtocolError, PayloadTooLargeError, RemoteProtocolError
from sio_notebook.sansio import reasons
from sio_notebook.sansio.acks import AckKind, answer_args, callback_args, loss_error, told_of_loss
from sio_notebook.sansio.engineio import Packet, PacketType, encode_message, encode_messages, encode_packet
from sio_notebook.sansio.events import AcksLost, CloseConnection, ConnectError, EventReceived, NamespaceLost, ServerDisconnected
from sio_notebook.sansio.socketio import JsonSerializer, check_event_name

from .test_session import Token, connected, new_session, receive, reply

# --- the feed/drain contract: inputs queue, data_to_send()/events_received() drain -----


def test_outputs_wait_in_order_until_drained_and_are_given_once() -> None:
    session = new_session("/", "/admin")
    session.engine_opened()
    session.receive_data(reply("/", "R"))
    session.receive_data('2["first"]')
    assert session.emit("/", ["out"]) is True
    assert session.data_to_send() == ["0", "0/admin,", '2["out"]']  # CONNECTs, then the emit
    assert session.data_to_send() == []
    events = session.events_received()
    assert [type(e).__name__ for e in events] == ["Connected", "EventReceived"]
    assert session.events_received() == []


def test_receive_data_never_raises_malformed_data_is_a_parse_error_close() -> None:
    session = connected()
    session.receive_data("2{}")
    (decision,) = session.events_received()
    assert type(decision) is CloseConnection
    assert decision.reason == reasons.PARSE_ERROR and decision.reconnect
    assert isinstance(decision.error, RemoteProtocolError)
    assert receive(session, '2["ok"]') == [EventReceived("/", "ok", [], None)]  # the session goes on


def test_last_namespace_refused_means_close_without_reconnection() -> None:
    session = new_session("/private")
    session.engine_opened()
    events = receive(session, '4/private,{"message":"no"}')
    assert [type(e) for e in events] == [ConnectError, CloseConnection]
    assert events[1] == CloseConnection(reasons.SERVER_DISCONNECT, None, reconnect=False)


def test_server_disconnect_of_the_last_namespace_closes() -> None:
    assert [type(e) for e in receive(connected("/", "/admin"), "1/admin,")] == [ServerDisconnected]  # "/" is still wanted
    assert [type(e) for e in receive(connected(), "1")] == [ServerDisconnected, CloseConnection]


def test_a_loss_reports_lost_acks_before_the_namespaces_it_ended() -> None:
    session = connected("/", "/admin")
    token = Token("t")
    session.emit("/admin", ["ask"], token)
    session.data_to_send()
    session.engine_lost(reasons.PING_TIMEOUT)
    lost, *ended = session.events_received()
    assert lost == AcksLost((token,), lost.error)
    assert str(lost.error) == "the connection was lost (ping timeout) before the ack arrived"
    assert ended == [NamespaceLost("/", reasons.PING_TIMEOUT), NamespaceLost("/admin", reasons.PING_TIMEOUT)]


def test_frames_queued_for_a_lost_connection_are_never_sent_on_the_next() -> None:
    session = connected()
    session.emit("/", ["never-drained"])
    session.engine_lost(reasons.TRANSPORT_CLOSE)
    session.engine_opened()
    assert session.data_to_send() == ["0"]  # only the new CONNECT


def test_an_overflow_drop_is_reported_as_a_lost_ack() -> None:
    session = new_session(max_buffered_emits=1, buffer_overflow="drop_oldest")
    first, second = Token("first"), Token("second")
    assert session.emit("/", ["a"], first) is False
    assert session.events_received() == []
    assert session.emit("/", ["b"], second) is False
    (lost,) = session.events_received()
    assert lost.tokens == (first,) and str(lost.error) == "dropped: the offline emit buffer is full"


# --- answering the server's ack requests ---------------------------------------------


def test_an_answer_goes_only_on_the_connection_the_request_came_on() -> None:
    session = connected()
    first = session.connection
    assert session.answer("/", 7, ("a", 1), first) is True
    assert session.data_to_send() == ['37["a",1]']
    session.engine_lost(reasons.TRANSPORT_CLOSE)
    assert session.answer("/", 7, "late", first) is False  # engine gone
    session.engine_opened()
    receive(session, reply("/", "sid-again"))
    assert session.connection == first + 1
    assert session.answer("/", 7, "late", first) is False  # another connection's id 7
    assert session.data_to_send() == ["0"]  # only the CONNECT: nothing was queued
    assert session.answer("/", 7, None, session.connection) is True
    assert session.data_to_send() == ["37[]"]


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
