"""The Pyodide tier (scripts/test-pyodide): collected only inside Pyodide.

These tests drive the browser transports (``js.WebSocket`` and ``js.fetch``), which exist
only in WebAssembly; natively the same behaviour is covered by tests/aio on aiohttp. They
are not skipped natively, they are simply not this tier's: scripts/test-pyodide runs them.
"""

from __future__ import annotations

import sys

collect_ignore_glob = [] if sys.platform == "emscripten" else ["test_*.py"]
