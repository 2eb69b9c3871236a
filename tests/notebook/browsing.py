"""What the browser tests share: Chromium, a scratch JupyterLab server, and their marks.

Each browser test module builds its own notebook and checks its own views; starting
JupyterLab on a scratch directory (no news pop-up, its own config and settings) and
launching the Debian Chromium through Playwright are the same for all of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"

try:
    from playwright.sync_api import Browser, Playwright, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

#: JavaScript for the page: the errors in the outputs of the open notebook's code cells.
CELL_ERRORS = (
    "(() => window.jupyterapp.shell.currentWidget.content.widgets"
    " .filter(c => c.model.type === 'code')"
    " .flatMap(c => c.model.outputs.toJSON())"
    " .filter(o => o.output_type === 'error')"
    " .map(o => o.ename + ': ' + o.evalue))()"
)


def browser_marks(timeout: int) -> list[pytest.MarkDecorator]:
    """The marks of a browser test module besides ``pytest.mark.browser`` (which each module
    writes itself, where tests/test_markers.py reads it): time-limited, and skipped (with
    the reason) where Playwright or Chromium is missing."""
    return [
        pytest.mark.timeout(timeout),
        pytest.mark.skipif(sync_playwright is None, reason="the playwright Python package is not installed"),
        pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    """Wait until ``url`` answers, or fail with the end of ``log`` if ``proc`` died or 90 s passed."""
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.2)


def write_notebook(path: Path, cells: Sequence[str]) -> None:
    """A notebook of code ``cells`` for the python3 kernel."""
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in cells],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    nbformat.write(nb, path)


@contextlib.contextmanager
def jupyterlab(
    base: Path,
    root: Path,
    token: str,
    env: Mapping[str, str],
    settings: Mapping[str, dict[str, Any]] | None = None,
    log_name: str = "jupyterlab.log",
) -> Iterator[str]:
    """JupyterLab (and Notebook 7, same server) serving ``root``, with its config, runtime,
    workspaces and settings under ``base``; yields its URL. ``settings`` maps
    ``"@jupyterlab/<plugin>/<file>"`` to its JSON; the news pop-up is always off. The
    server log is copied to test-artifacts/``log_name``."""
    wanted = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"}}
    for name, value in {**wanted, **(settings or {})}.items():
        path = base / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    port = free_port()
    full_env = dict(
        os.environ,
        **env,
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
    )
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={root}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = base / "lab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/api/status?token={token}", proc, "JupyterLab", log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(log, ARTIFACTS / log_name)


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """The Debian Chromium, headless, through Playwright."""
    assert sync_playwright is not None
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _launch(p)
        try:
            yield browser
        finally:
            browser.close()


def _launch(p: Playwright) -> Browser:
    return p.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ],
    )
