"""The client in a real browser: Pyodide 314 in Chromium, against the real Node server.

Under Node (scripts/test-pyodide) ``ws`` and Node's fetch stand in for the browser's; here
they are Chromium's own WebSocket and fetch, and the page (a static server on one port)
talks to the Socket.IO server on another port, so polling goes through CORS as it does
from JupyterLite. The package is served as a zip and unpacked into Pyodide's file system
(what installing a pure-Python wheel amounts to; micropip is not in the npm package).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyterlite_site import PYODIDE_DIR, ensure_pyodide  # tests/pyodide (no package: "pyodide" is Pyodide's)
from notebook.browsing import ARTIFACTS, browser_marks, chromium
from peers.launcher import ServerHandle

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.browser, *browser_marks(300)]

#: Runs in the page, in Pyodide. Its last expression (JSON) is what the test checks.
SCENARIO = """
import asyncio, io, json, sys, zipfile
from pyodide.http import pyfetch

archive = await (await pyfetch("/sio_notebook.zip")).bytes()
zipfile.ZipFile(io.BytesIO(archive)).extractall("/tmp/site")
sys.path.insert(0, "/tmp/site")
import sio_notebook as socketio

modes = {"websocket": ["websocket"], "polling": ["polling"], "upgrade": ["polling", "websocket"]}
report = {"platform": sys.platform, "version": sys.version.split()[0]}
for mode, transports in modes.items():
    client = socketio.AsyncClient(reconnection=False)
    ticks, done = [], asyncio.Event()
    client.on("tick", lambda data: ticks.append(data["i"]))
    client.on("flood-done", lambda *_: done.set())
    await client.connect(SERVER, transports=transports)
    want = "polling" if mode == "polling" else "websocket"
    for _ in range(200):
        if client.transport() == want:
            break
        await client.call("echo", 0)
    blob = bytes(range(256)) * 4
    echoed = await client.call("echo", {"text": "héllo 😀", "blob": blob})
    received = await client.call("bin-big", {"size": 1000})
    await client.emit("flood", {"count": 1000})
    await asyncio.wait_for(done.wait(), 30)
    transport = client.transport()
    await client.disconnect()
    report[mode] = {
        "transport": transport,
        "echo_text": echoed["text"],
        "echo_blob_ok": echoed["blob"] == blob,
        "received_binary": [type(received).__name__, len(received), received[:4].hex()],
        "ticks_in_order": ticks == list(range(1000)),
        "connected_after_disconnect": client.connected,
    }
report["aiohttp_imported"] = "aiohttp" in sys.modules
json.dumps(report)
"""

PAGE = """<!doctype html>
<meta charset="utf-8"><title>sio_notebook in Pyodide</title>
<body style="font: 14px sans-serif; margin: 1em"><h1>sio_notebook in Pyodide (Chromium)</h1><pre id="out">loading Pyodide…</pre>
<script type="module">
import { loadPyodide } from "/pyodide/pyodide.mjs";
const out = document.getElementById("out");
try {
  const pyodide = await loadPyodide({ indexURL: "/pyodide/" });
  out.textContent = "running the client…";
  const scenario = await (await fetch("/scenario.py")).text();
  pyodide.globals.set("SERVER", new URLSearchParams(location.search).get("server"));
  const result = await pyodide.runPythonAsync(scenario);
  out.textContent = JSON.stringify(JSON.parse(result), null, 2);
  window.sioResult = result;
} catch (error) {
  out.textContent = "error: " + error;
  window.sioError = String(error);
}
</script>
"""


def _package_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((ROOT / "sio_notebook").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(ROOT).as_posix())
    return buffer.getvalue()


@contextlib.contextmanager
def static_site(tmp_path: Path) -> Iterator[str]:
    """The page, Pyodide (the npm package's files) and the package, on a port of their own."""
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "scenario.py").write_text(SCENARIO, encoding="utf-8")
    (tmp_path / "sio_notebook.zip").write_bytes(_package_zip())
    (tmp_path / "pyodide").symlink_to(PYODIDE_DIR, target_is_directory=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                          ".mjs": "text/javascript", ".wasm": "application/wasm"}

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_async_client_in_pyodide_in_chromium(node_server: ServerHandle, tmp_path: Path) -> None:
    ensure_pyodide()
    with static_site(tmp_path) as site, chromium() as browser:
        page = browser.new_page(viewport={"width": 900, "height": 1100})
        page.goto(f"{site}/index.html?server={node_server.url}")
        page.wait_for_function("window.sioResult || window.sioError", timeout=240_000)
        error = page.evaluate("window.sioError || null")
        page.screenshot(path=str(ARTIFACTS / "pyodide-chromium.png"), full_page=True)
        assert error is None, error
        report = json.loads(page.evaluate("window.sioResult"))
    assert report["platform"] == "emscripten" and report["version"].startswith("3.14")
    assert report["aiohttp_imported"] is False
    for mode in ("websocket", "polling", "upgrade"):
        result = report[mode]
        assert result["transport"] == ("polling" if mode == "polling" else "websocket")
        assert result["echo_text"] == "héllo 😀" and result["echo_blob_ok"] is True
        assert result["received_binary"] == ["bytes", 1000, "00010203"]
        assert result["ticks_in_order"] is True
        assert result["connected_after_disconnect"] is False
