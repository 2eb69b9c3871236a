"""What the browser tests share: Chromium, the frontends' servers, and their marks.

Each browser test module builds its own notebook and checks its own views; starting
a frontend's server on a free port of 127.0.0.1 (JupyterLab on a scratch directory with
no news pop-up and its own config and settings, Voilà, ``marimo run``), stopping it and
keeping its log in test-artifacts/, and launching the Debian Chromium through Playwright
are the same for all of them.
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
    from playwright.sync_api import Browser, Page, Playwright, sync_playwright
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
    the reason) where Playwright or Chromium is missing, except in CI (``CI`` set), where a
    browser tier that cannot run must fail, not pass by skipping."""
    marks = [pytest.mark.timeout(timeout)]
    if not os.environ.get("CI"):
        marks += [
            pytest.mark.skipif(sync_playwright is None, reason="the playwright Python package is not installed"),
            pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
        ]
    return marks


def skip_unless_ci(reason: str) -> None:
    """Skip with ``reason`` where a prerequisite is missing; in CI (``CI`` set) fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI runs every browser test)")
    pytest.skip(reason)


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


#: Jupyter servers refuse to run as root unless told (CI and this machine run as root).
_AS_ROOT = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


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
    workspaces and settings under ``base``; yields its URL. Both pages expose their
    application as ``window.jupyterapp`` (for the tests' scripts). ``settings`` maps
    ``"@jupyterlab/<plugin>/<file>"`` to its JSON; the news pop-up is always off. The
    server log is copied to test-artifacts/``log_name``."""
    wanted = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"}}
    for name, value in {**wanted, **(settings or {})}.items():
        path = base / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    port = free_port()
    full_env = dict(
        _scratch_jupyter_env(base, env),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
    )
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True",
        "--JupyterNotebookApp.expose_app_in_browser=True", f"--ServerApp.root_dir={root}",
        *_AS_ROOT,
    ]
    url = f"http://127.0.0.1:{port}"
    with server(cmd, f"{url}/api/status?token={token}", "JupyterLab", base / "lab.log", log_name, full_env):
        yield url


@contextlib.contextmanager
def server(
    cmd: Sequence[str], ready_url: str, what: str, log: Path, log_name: str, env: Mapping[str, str], cwd: Path | None = None,
) -> Iterator[None]:
    """Run ``cmd`` (a frontend's server) until the block ends, once ``ready_url`` answers.

    Its output goes to ``log``, copied to test-artifacts/``log_name`` when it stops; it is
    stopped with SIGTERM, then killed after 20 s. If it dies or does not answer within
    90 s, the error carries the end of its log."""
    with open(log, "w") as out:
        proc = subprocess.Popen(list(cmd), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_http(ready_url, proc, what, log)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(log, ARTIFACTS / log_name)


def _scratch_jupyter_env(base: Path, env: Mapping[str, str]) -> dict[str, str]:
    """The environment with Jupyter's config, data and runtime dirs under ``base``: no
    setting of this machine's user changes what a test sees."""
    return dict(
        os.environ,
        **env,
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
    )


@contextlib.contextmanager
def voila(base: Path, notebook: Path, env: Mapping[str, str]) -> Iterator[str]:
    """Voilà serving ``notebook`` (its kernel gets ``env``), with scratch Jupyter dirs under
    ``base``; yields the notebook's URL (each visit runs it in a new kernel). The log goes
    to test-artifacts/voila.log."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "voila", notebook.name, "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
        "--show_tracebacks=True",
    ]
    url = f"http://127.0.0.1:{port}/"
    with server(cmd, url, "Voila", base / "voila.log", "voila.log", _scratch_jupyter_env(base, env), notebook.parent):
        yield url


@contextlib.contextmanager
def marimo_run(base: Path, app: Path, env: Mapping[str, str]) -> Iterator[str]:
    """``marimo run APP --headless`` (no token, no sandbox, no update check; the app's
    kernel gets ``env``); yields the app's URL. Each visit starts a new session, which runs
    the app's cells. The log goes to test-artifacts/marimo.log."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "marimo", "run", str(app), "--headless", "--no-token", "--no-sandbox",
        "--host", "127.0.0.1", "--port", str(port),
    ]
    full_env = dict(os.environ, **env, MARIMO_SKIP_UPDATE_CHECK="1", HOME=str(base))
    url = f"http://127.0.0.1:{port}/"
    with server(cmd, url, "marimo run", base / "marimo.log", "marimo.log", full_env, base):
        yield url


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


def whole_page(page: Page, path: Path) -> None:
    """Screenshot all of the page's content into ``path``. Voilà and marimo scroll inside a
    container of the viewport's height, where ``full_page`` sees only one screen: the
    viewport is made as tall as the tallest content first (at most 8000 px)."""
    height = page.evaluate("Math.max(...[...document.querySelectorAll('*')].map(e => e.scrollHeight))")
    width = page.viewport_size["width"] if page.viewport_size else 1200
    page.set_viewport_size({"width": width, "height": min(max(int(height), 1000), 8000)})
    page.screenshot(path=str(path), full_page=True)
