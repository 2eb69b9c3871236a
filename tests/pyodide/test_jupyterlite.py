"""The notebook layer in JupyterLite: ``%sio`` magics and views in a real browser, offline.

A JupyterLite site (Notebook 7 interface, the Pyodide kernel) is built here with no CDN
(tests/pyodide/jupyterlite_site.py), served on one port, and its notebook connects to the
Node server on another: piplite installs the wheel, ``%sio connect`` shows the status view,
``await sio.call`` returns the ack, and a ``%sio capture`` log counts events as they arrive.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyterlite_site import build_site, ensure_pyodide  # tests/pyodide (no package: "pyodide" is Pyodide's)
from notebook.browsing import ARTIFACTS, browser_marks, chromium, free_port
from peers.launcher import ServerHandle

pytestmark = [pytest.mark.browser, *browser_marks(600)]

CELLS = [
    'import piplite\nawait piplite.install(["comm", "ipywidgets", "sio-notebook"], deps=False)\nimport sys\nsys.version',
    "%load_ext sio_notebook",
    "%sio connect {url}",
    'await sio.call("echo", {{"from": "JupyterLite"}})',
    'cap = %sio capture tick\nawait sio.emit("flood", {{"count": 50}})\nawait cap.wait_for(50, timeout=30)\nlen(cap)',
]
#: The text of each code cell's outputs, in order.
OUTPUT_TEXTS = (
    "cells => cells.map(c => (c.querySelector('.jp-OutputArea') || {innerText: ''}).innerText)"
)


@contextlib.contextmanager
def serve(directory: Path, port: int) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                          ".mjs": "text/javascript", ".wasm": "application/wasm"}

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_sio_magics_and_views_in_jupyterlite(node_server: ServerHandle, tmp_path: Path) -> None:
    ensure_pyodide()
    contents = tmp_path / "contents"
    contents.mkdir()
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(cell.format(url=node_server.url)) for cell in CELLS],
        metadata={"kernelspec": {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}},
    )
    nbformat.write(notebook, contents / "sio.ipynb")
    port = free_port()
    site = build_site(tmp_path / "site", contents, f"http://127.0.0.1:{port}")
    with serve(site, port) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(f"{url}/notebooks/index.html?path=sio.ipynb")
        page.wait_for_selector(".jp-Notebook .jp-Cell .jp-InputArea-editor", timeout=120_000)
        with contextlib.suppress(Exception):  # "Select Kernel", if the kernelspec is not taken as is
            page.click(".jp-Dialog .jp-mod-accept", timeout=5_000)
        page.click(".jp-Notebook .jp-Cell .jp-InputArea-editor")
        for _ in CELLS:
            page.keyboard.press("Shift+Enter")
        deadline = time.monotonic() + 300
        outputs: list[str] = []
        while time.monotonic() < deadline:
            outputs = page.eval_on_selector_all(".jp-Notebook .jp-Cell.jp-CodeCell", OUTPUT_TEXTS)
            if outputs[len(CELLS) - 1].strip() or any("Error" in text for text in outputs):
                break
            page.wait_for_timeout(500)  # the page's own clock: the kernel is in a worker of this page
        # The views are updated in place after the events (throttled, and at the end of
        # each cell): wait for the capture's log to show them, then read every output again.
        try:
            page.wait_for_function(
                "document.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')[4].innerText.includes('50 events captured')",
                timeout=60_000,
            )
            # and the status view (cell 3), which refreshes on its own timer, has counted them
            page.wait_for_function(
                "(() => { const t = document.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')[2].innerText;"
                " const m = /events in \\/ out\\s+(\\d+)/.exec(t); return t.includes('websocket') && m && +m[1] >= 50; })()",
                timeout=30_000,
            )
        finally:  # on a timeout too: what the page showed is the failure's story
            outputs = page.eval_on_selector_all(".jp-Notebook .jp-Cell.jp-CodeCell", OUTPUT_TEXTS)
            page.screenshot(path=str(ARTIFACTS / "jupyterlite.png"), full_page=True)
            print("JupyterLite outputs:", *outputs, sep="\n---\n")
        page.screenshot(path=str(ARTIFACTS / "jupyterlite.png"), full_page=True)
    assert not any("Traceback" in text or "Error" in text for text in outputs), outputs
    assert "'3.14." in outputs[0]  # CPython 3.14, in the browser
    status = outputs[2]
    assert "connected" in status and node_server.url in status and "websocket" in status
    assert "{'from': 'JupyterLite'}" in outputs[3]
    log = outputs[4]
    assert log.rstrip().endswith("50") and "50 events captured" in log and "tick" in log
    received = re.search(r"events in / out\s+(\d+) / (\d+)", status)
    assert received is not None and int(received.group(1)) >= 50, status  # the status view moved too
