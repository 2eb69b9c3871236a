"""The demo runner's old home: ``python -m sio_notebook.notebook.run_demo`` still works.

The runner lives in :mod:`sio_notebook.demo.runner` and is started with
``python -m sio_notebook.demo`` (it must work with only ``[demo]`` installed, and importing
``sio_notebook.notebook`` needs the ``[notebook]`` extra). The names are re-exported here for
code that imported them from this module (tests/notebook/conftest.py uses ``DemoServer``).
"""

from __future__ import annotations

import sys

from ..demo.runner import DemoServer, RunSummary, execute_notebook, main, notebooks_dir, prepare_workdir

__all__ = ["DemoServer", "RunSummary", "execute_notebook", "main", "notebooks_dir", "prepare_workdir"]

if __name__ == "__main__":
    sys.exit(main())
