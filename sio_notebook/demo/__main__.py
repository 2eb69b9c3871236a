"""``python -m sio_notebook.demo [--headless]``: the demo server and the quick-start notebook.

See :mod:`sio_notebook.demo.runner` for what it does and its options (``--help``).
"""

from __future__ import annotations

import sys

from .runner import main

if __name__ == "__main__":
    sys.exit(main())
