"""The bundled demo server answers bad input with an error value, at once."""

from __future__ import annotations

import time

import pytest

import sio_notebook


@pytest.mark.timeout(60)
async def test_add_acks_bad_input_with_an_error_value(demo_url: str) -> None:
    client = sio_notebook.AsyncClient(reconnection=False)
    await client.connect(demo_url, wait_timeout=10)
    try:
        assert await client.call("add", {"a": 1, "b": 2}, timeout=5) == 3
        t0 = time.monotonic()
        for bad in ({"a": 1}, "1+2", {"a": "1", "b": 2}, None):
            answer = await client.call("add", bad, timeout=5)
            assert isinstance(answer, dict) and answer["error"].startswith('add needs {"a": number, "b": number}'), answer
        assert time.monotonic() - t0 < 2.0  # answered, not left to time out
    finally:
        await client.disconnect()
