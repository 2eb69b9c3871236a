"""``python -m sio_notebook.mock DATASET``: prints its URL, serves, stops cleanly on SIGTERM and Ctrl-C."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sio_notebook import AsyncClient
from sio_notebook.notebook import Capture

from .conftest import expected_events

# Whole programs end to end, run once on the full tier's Python (scripts/test-matrix).
pytestmark = pytest.mark.once


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "sio_notebook.mock", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until the server printed its URL (or exited)
    m = re.fullmatch(r"mock server listening on (http://127\.0\.0\.1:\d+)\n", line)
    if m is None:
        process.kill()
        raise AssertionError(f"unexpected first line {line!r}; stderr: {process.communicate()[1]}")
    return process, m.group(1)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
async def test_the_command_line_serves_the_dataset_and_stops_cleanly(
    recorded: Path, recorded_capture: Capture, sig: signal.Signals
) -> None:
    process, url = _start(str(recorded), "--port", "0", "--speed", "50")
    try:
        client = AsyncClient()
        got: list[tuple[str, tuple[Any, ...]]] = []
        done = asyncio.Event()

        def on_any(namespace: str, event: str, args: tuple[Any, ...]) -> None:
            got.append((event, args))
            if event == "flood-done":
                done.set()

        client.on_any(on_any)
        await client.connect(url)
        await asyncio.wait_for(done.wait(), 10)
        assert got == expected_events(recorded_capture)
        disconnected = asyncio.Event()
        client.on("disconnect", lambda *a: disconnected.set())
        process.send_signal(sig)
        out, err = await asyncio.to_thread(process.communicate, timeout=15)
        assert process.returncode == 0, err
        assert out == "mock server stopped\n" and "Traceback" not in err
        await asyncio.wait_for(disconnected.wait(), 10)  # the server said goodbye
        await client.disconnect()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_missing_dataset_or_a_bad_speed_says_what_is_wrong(tmp_path: Path) -> None:
    missing = subprocess.run(
        [sys.executable, "-m", "sio_notebook.mock", str(tmp_path / "nothing.parquet")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert missing.returncode == 2 and "no Parquet capture at" in missing.stderr, missing.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "sio_notebook.mock", str(tmp_path), "--speed", "-1"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert bad.returncode == 2 and "--speed: must be positive" in bad.stderr, bad.stderr


def test_a_busy_port_says_so_without_a_traceback(recorded: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = subprocess.run(
            [sys.executable, "-m", "sio_notebook.mock", str(recorded), "--port", str(port)],
            capture_output=True, text=True, timeout=60, check=False,
        )
    assert taken.returncode == 2, taken
    assert taken.stderr.startswith(f"python -m sio_notebook.mock: cannot serve on 127.0.0.1:{port}: "), taken.stderr
    assert "address already in use" in taken.stderr.lower() and "Traceback" not in taken.stderr, taken.stderr
    assert taken.stdout == ""
