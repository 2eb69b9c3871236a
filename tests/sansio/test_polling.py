"""Polling rules (§1.7 batching, §1.9 error bodies): pure."""

from __future__ import annotations

from sio_notebook.sansio.polling import MAX_PACKETS_PER_POST, batches, describe_http_error, is_engineio_error


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
    text, data = describe_http_error(400, '{"code": 1, "message": "Session ID unknown"}')
    assert text == "the server answered HTTP 400: Session ID unknown (Engine.IO error code 1)"
    assert is_engineio_error(data)
    assert describe_http_error(413, "")[0].endswith("larger than its maxHttpBufferSize")
    text, data = describe_http_error(404, "<html>Not Found</html>")
    assert text == "the server answered HTTP 404: '<html>Not Found</html>'" and data is None
    assert not is_engineio_error(data)
    assert is_engineio_error(describe_http_error(400, '"Invalid session"')[1])  # python-engineio
