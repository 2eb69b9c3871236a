"""JupyterLab in headless Chromium: run the quick-start notebook and look at the widgets.

Needs Debian's chromium (``apt-get install chromium``) and the Python ``playwright``
package (no ``playwright install``: the system browser is used). Screenshots go to
``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
TOKEN = "testtoken"

try:
    from playwright.sync_api import Page, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(420),
    pytest.mark.skipif(sync_playwright is None, reason="the playwright Python package is not installed"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, demo_url: str) -> Iterator[str]:
    """JupyterLab on a copy of notebooks/ (autosave never touches the repository)."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    shutil.copytree(ROOT / "sio_notebook" / "demo" / "notebooks", root)
    settings = base / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    port = _free_port()
    env = dict(
        os.environ,
        SIO_DEMO_URL=demo_url,
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
    )
    log = open(base / "lab.log", "w")  # noqa: SIM115 - closed below
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={TOKEN}", "--LabApp.expose_app_in_browser=True",
        f"--ServerApp.root_dir={root}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("JupyterLab did not start:\n" + (base / "lab.log").read_text())
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(base / "lab.log", ARTIFACTS / "jupyterlab.log")


@pytest.fixture
def page(lab: str) -> Iterator[Page]:
    assert sync_playwright is not None
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        try:
            yield pg
        finally:
            pg.screenshot(path=str(ARTIFACTS / "quickstart-last.png"), full_page=True)
            context.close()
            browser.close()


_KERNEL_IDLE = (
    "(() => { const k = window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel;"
    " return !!k && k.status === 'idle'; })()"
)
# Every code cell ran (no [*] and no unrun cell) and the kernel is idle again.
_ALL_RAN = (
    "(() => { const w = window.jupyterapp.shell.currentWidget; const k = w.sessionContext.session?.kernel;"
    " if (!k || k.status !== 'idle') return false;"
    " return w.content.widgets.every(c => c.model.type !== 'code'"
    "   || (c.model.executionCount !== null && c.model.executionState !== 'running')); })()"
)
_ERRORS = (
    "(() => window.jupyterapp.shell.currentWidget.content.widgets"
    " .filter(c => c.model.type === 'code')"
    " .flatMap(c => c.model.outputs.toJSON())"
    " .filter(o => o.output_type === 'error')"
    " .map(o => o.ename + ': ' + o.evalue))()"
)


def test_quickstart_runs_in_jupyterlab(page: Page, lab: str) -> None:
    page.goto(f"{lab}/lab/workspaces/t1/tree/quickstart.ipynb?reset&token={TOKEN}")
    page.wait_for_function(_KERNEL_IDLE, timeout=90_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(_ALL_RAN, timeout=180_000, polling=500)
    assert page.evaluate(_ERRORS) == []

    # the status widget says connected
    status = page.locator(".jp-Cell-outputArea .sio-status").first
    status.scroll_into_view_if_needed()  # JupyterLab does not lay out cells far off-screen
    status.locator(".sio-state-connected").wait_for(timeout=30_000)
    assert status.locator(".sio-state").text_content() == "connected"
    status.screenshot(path=str(ARTIFACTS / "quickstart-status.png"))

    # the live table shows rows, and keeps counting
    table = page.locator(".jp-Cell-outputArea .sio-event-table").first
    table.scroll_into_view_if_needed()
    table.locator("table.sio-table tbody tr").first.wait_for(timeout=30_000)
    rows = table.locator("table.sio-table tbody tr").count()
    assert rows >= 20
    count = int(table.locator(".sio-count").text_content() or 0)
    page.wait_for_function(
        "(n) => Number(document.querySelector('.sio-event-table .sio-count').textContent) > n",
        arg=count,
        timeout=30_000,
    )
    assert "tick" in (table.locator("table.sio-table tbody").text_content() or "")
    table.screenshot(path=str(ARTIFACTS / "quickstart-table.png"))

    # a real click on the emit form's Send button shows the ack
    form = page.locator(".jp-Cell-outputArea .sio-emit-form").first
    form.scroll_into_view_if_needed()
    acks_before = form.locator(".sio-send-ack").count()
    form.get_by_role("button", name="Send").click()
    page.wait_for_function(
        "(n) => document.querySelectorAll('.sio-emit-form .sio-send-ack').length > n",
        arg=acks_before,
        timeout=30_000,
    )
    assert "42" in (form.locator(".sio-send-ack").first.text_content() or "")
    form.screenshot(path=str(ARTIFACTS / "quickstart-form.png"))
    page.screenshot(path=str(ARTIFACTS / "quickstart-page.png"), full_page=True)
