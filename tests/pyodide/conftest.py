"""The Pyodide tier: tests that run inside Pyodide, and one that runs Pyodide in Chromium.

``test_browser_client.py`` drives the browser transports (``js.WebSocket``/``js.fetch``),
which exist only in WebAssembly: scripts/test-pyodide runs it inside Pyodide under Node,
and natively it is not this tier's (tests/aio covers the same behaviour on aiohttp).
``test_in_chromium.py`` is a native test: it loads Pyodide in a real Chromium page, where
the page's origin differs from the server's (CORS), and runs the client there.
``test_jupyterlite.py`` (native too) builds a JupyterLite site offline and runs the ``%sio``
magics in it, in Chromium.
"""

from __future__ import annotations

import sys

if sys.platform == "emscripten":
    collect_ignore = ["test_in_chromium.py", "test_jupyterlite.py", "jupyterlite_site.py"]
else:
    collect_ignore = ["test_browser_client.py"]
