"""Capture sinks: every ingested row reaches a sink, even rows the ring buffer evicts."""

from __future__ import annotations

import pytest

from sio_notebook.notebook import CapturedEvent, capture

from .fakes import FakeClient


def test_sink_sees_every_row_even_when_the_ring_buffer_evicts() -> None:
    client = FakeClient()
    cap = capture(client, "tick", max_rows=2)
    seen: list[CapturedEvent] = []
    cap.add_sink(seen.append)
    for i in range(5):
        client.feed("/", "tick", {"i": i})
    client.feed("/", "other", 0)  # filtered out: not a row, so not sunk
    assert [r.seq for r in seen] == [1, 2, 3, 4, 5]
    assert [r.args[0]["i"] for r in seen] == [0, 1, 2, 3, 4]
    assert isinstance(seen[0], CapturedEvent) and seen[0].event == "tick"
    assert len(cap) == 2
    cap.remove_sink(seen.append)
    client.feed("/", "tick", {"i": 5})
    assert len(seen) == 5


def test_a_failing_sink_is_logged_and_removed_and_the_capture_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    client = FakeClient()
    cap = capture(client, "tick")
    calls: list[int] = []

    def broken(row: CapturedEvent) -> None:
        calls.append(row.seq)
        raise RuntimeError("disk full")

    cap.add_sink(broken)
    client.feed("/", "tick", 1)
    client.feed("/", "tick", 2)
    assert calls == [1]
    assert cap.count == 2 and len(cap) == 2
    assert "capture sink" in caplog.text and "disk full" in caplog.text
