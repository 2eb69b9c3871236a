"""Polling rules (§1.7 batching, §1.9 error bodies): pure."""

from __future__ import annotations

import pytest

from sio_notebook.exceptions import ConnectionError, TransportError
from sio_notebook.sansio import polling
from sio_notebook.sansio.polling import (
    MAX_PACKETS_PER_POST,
    UNKNOWN_SESSION_ADVICE,
    batches,
    describe_http_error,
    is_engineio_error,
    is_unknown_session,
)


def test_small_frames_share_one_body() -> None:
    assert batches(["42[\"a\"]", "42[\"b\"]"], 1_000_000) == [["42[\"a\"]", "42[\"b\"]"]]


def test_never_more_than_16_packets_per_body() -> None:
    frames = [f"4{i}" for i in range(40)]
    result = batches(frames, 1_000_000)
    assert [len(b) for b in result] == [16, 16, 8]
    assert MAX_PACKETS_PER_POST == 16
    assert [f for b in result for f in b] == frames  # order kept, nothing lost


def test_max_payload_splits_bodies_by_the_js_estimate() -> None:
    # 1 + (len + 2) per packet: two 10-character packets need 1 + 12 + 12 = 25 bytes.
    frames = ["4" + "x" * 9, "4" + "y" * 9]
    assert batches(frames, 25) == [frames]
    assert batches(frames, 24) == [[frames[0]], [frames[1]]]


def test_utf8_length_and_binary_estimate_count() -> None:
    # "é" is 2 bytes in UTF-8: 1 + (2*5 + 2) = 13 > 12.
    assert batches(["é" * 5, "a"], 12) == [["é" * 5], ["a"]]
    # binary counts 1.34 x its length + 1 (base64 on the wire).
    assert batches([b"\x00" * 100, b"\x01"], 140) == [[b"\x00" * 100], [b"\x01"]]


def test_an_oversized_packet_still_goes_alone() -> None:
    big = "4" + "z" * 100
    assert batches(["4a", big, "4b"], 50) == [["4a"], [big], ["4b"]]


def test_error_bodies() -> None:
    text, data = describe_http_error(400, '{"code": 3, "message": "Bad request"}')
    assert text == "the server answered HTTP 400: Bad request (Engine.IO error code 3)"
    assert is_engineio_error(data)
    assert describe_http_error(413, "")[0].endswith("larger than its maxHttpBufferSize")
    text, data = describe_http_error(404, "<html>Not Found</html>")
    assert text == "the server answered HTTP 404: '<html>Not Found</html>'" and data is None
    assert not is_engineio_error(data)
    assert is_engineio_error(describe_http_error(400, '"Invalid session"')[1])  # python-engineio


def test_an_unknown_session_says_what_happened_and_what_to_do() -> None:
    """Issue 17: a cluster without sticky sessions answers the second request of a session
    with error 1; the text must point at the load balancer, not at the client."""
    text, data = describe_http_error(400, '{"code": 1, "message": "Session ID unknown"}')
    assert text.startswith("the server answered HTTP 400: Session ID unknown (Engine.IO error code 1); ")
    assert text.endswith(UNKNOWN_SESSION_ADVICE)
    assert is_unknown_session(400, data)
    # What happened, and the two ways out.
    assert "reached a server that does not know this session" in text
    assert "load balancer without sticky sessions" in text and "restarted" in text
    assert "enable sticky sessions" in text and "transports=['websocket']" in text
    # python-engineio's words for the same thing.
    text, data = describe_http_error(400, '"Invalid session"')
    assert is_unknown_session(400, data) and text.endswith(UNKNOWN_SESSION_ADVICE)


def test_other_errors_carry_no_load_balancer_advice() -> None:
    for status, body in [(400, '{"code": 3, "message": "Bad request"}'), (400, '{"code": 0, "message": "x"}'),
                         (403, '{"code": 4, "message": "Forbidden"}'), (500, '{"code": 1, "message": "?"}'),
                         (400, '"Unsupported transport"'), (400, "")]:
        text, data = describe_http_error(status, body)
        assert not is_unknown_session(status, data), (status, body)
        assert "sticky" not in text, (status, body)


@pytest.mark.parametrize(
    ("status", "body", "handshake", "kind", "text"),
    [
        (401, "Unauthorized", True, ConnectionError, "http://h refused the request: "),
        (404, "Not Found", True, ConnectionError, "http://h is not a Socket.IO server (or socketio_path is wrong): "),
        (400, '{"code":1,"message":"Session ID unknown"}', True, ConnectionError, "Session ID unknown"),
        (502, "Bad Gateway", True, ConnectionError, "HTTP 502"),
        (400, '{"code":1,"message":"Session ID unknown"}', False, TransportError, "GET failed: "),
    ],
)
def test_what_a_failed_get_means(status: int, body: str, handshake: bool, kind: type, text: str) -> None:
    """§1.9: a refusal of the handshake is the connect's ConnectionError; once open, a lost connection."""
    error = polling.get_failure(status, body, "http://h", handshake=handshake)
    assert type(error) is kind
    assert text in str(error)
    if kind is TransportError:
        assert error.status == status  # type: ignore[attr-defined]
