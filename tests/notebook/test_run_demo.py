"""``python -m sio_notebook.notebook.run_demo --headless`` end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest


@pytest.mark.timeout(300)
def test_headless_run_writes_the_executed_quickstart(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sio_notebook.notebook.run_demo", "--headless", "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "demo server: http://127.0.0.1:" in proc.stdout
    nb = nbformat.read(tmp_path / "quickstart.executed.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    # widget views were saved (their state as of each cell's end)
    assert any(
        "application/vnd.jupyter.widget-view+json" in o.get("data", {}) for c in code for o in c.outputs
    )
