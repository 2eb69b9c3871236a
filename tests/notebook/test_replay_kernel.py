"""Replay from a real kernel: the progress line ends with what was sent."""

from __future__ import annotations

import pytest
from peers.launcher import ServerHandle

from .kernel import Kernel

pytestmark = pytest.mark.timeout(120)


def test_replay_shows_progress_and_returns_the_count(kernel: Kernel, node_server: ServerHandle) -> None:
    kernel.ok(
        "import sio_notebook as socketio\n"
        "rsio = socketio.AsyncClient(reconnection=False)\n"
        f"await rsio.connect({node_server.url!r}, transports=['websocket'])\n"
        "echo = nb.capture(rsio, 'message-back')\n"
        "rows = [(i + 1, 1000.0 + i, '/', 'message', ({'i': i},)) for i in range(2000)]"
    )
    reply = kernel.ok("from sio_notebook.notebook.recording.replay import replay\nsent = await replay(rows, rsio)\nsent")
    assert reply.result() == "2000"
    texts = [m["content"]["data"]["text/plain"] for m in reply.of_type("display_data", "update_display_data")]
    assert texts and texts[0].startswith("replaying 0 / 2,000 events (0%) to http://127.0.0.1")
    assert texts[-1].startswith("done 2,000 / 2,000 events (100%)"), texts[-1]
    kernel.ok("await echo.wait_for(2000, timeout=30)\nassert [r.args[0]['i'] for r in echo] == list(range(2000))")
