"""What the proving tools show, in JupyterLab (headless Chromium), Light and Dark: the event
log marks the rows that broke the contract, the status view counts them, a failed
``%sio expect`` says what came instead, and the latency view shows its timeouts; the saved
notebook keeps all of it. Screenshots: ``test-artifacts/prove-*.png``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from peers.launcher import ServerHandle

from .browsing import ARTIFACTS, CELL_ERRORS, browser_marks, chromium, jupyterlab, write_notebook

if TYPE_CHECKING:
    from playwright.sync_api import Page

TOKEN = "provetoken"
pytestmark = [pytest.mark.browser, *browser_marks(timeout=300)]

CELLS = [
    # 0: connect (the status view is this cell's output) and record everything from the start
    "import asyncio, os\n"
    "import sio_notebook.notebook as nb\n"
    "%load_ext sio_notebook\n"
    "url = os.environ['SIO_PROVE_NODE_URL']\n"
    "%sio connect $url --name bsio\n"
    "learn = nb.capture(bsio, '*', outgoing=True)",
    # 1: explore (every kind of traffic the notebook will see), infer the contract, check the log
    "await nb.wait_connected(bsio, timeout=30)\n"
    "for n in (1, 2):\n"
    "    t = asyncio.ensure_future(nb.expect(bsio, 'message-back', within=10))\n"
    "    await bsio.emit('message', {'n': n, 'text': 'ok'})\n"
    "    await t\n"
    "t = asyncio.ensure_future(nb.expect(bsio, 'subscribed', within=10))\n"
    "await bsio.emit('subscribe', {'id': 0, 'delay': 5})\n"
    "await bsio.emit('subscribe', {'id': 9, 'drop': True})\n"
    "await t\n"
    "t = asyncio.ensure_future(nb.expect(bsio, 'flood-done', within=10))\n"
    "await bsio.emit('flood', {'count': 2})\n"
    "await t\n"
    "doc = nb.asyncapi(learn, title='Node peer', version='1.0.0')\n"
    "log = %sio log --name bsio\n"
    "checker = nb.conform(log, doc)\n"
    "await checker.ready()",
    # 2: one conforming exchange, one whose payload type changed
    "for n in (3, 'four'):\n"
    "    t = asyncio.ensure_future(nb.expect(bsio, 'message-back', within=10))\n"
    "    await bsio.emit('message', {'n': n, 'text': 'ok'})\n"
    "    await t\n"
    "checker.summary()",
    # 3: request/reply latency with a timeout
    "t = asyncio.ensure_future(nb.expect(bsio, 'subscribed', where={'id': 3}, within=10))\n"
    "await bsio.emit('subscribe', {'id': 1, 'delay': 5})\n"
    "await bsio.emit('subscribe', {'id': 2, 'drop': True})\n"
    "await bsio.emit('subscribe', {'id': 3, 'delay': 250})  # answered, but late\n"
    "await t\n"
    "nb.latency(log, 'subscribe', reply='subscribed', match='id', timeout=0.1)",
    # 4: an expectation that fails (last: run-all stops here)
    "%sio emit flood {\"count\": 2} --name bsio\n"
    "%sio expect tick --where '{\"i\": 99}' --within 0.5 --name bsio",
]

_ALL_RAN = (
    "(() => { const w = window.jupyterapp.shell.currentWidget; const k = w.sessionContext.session?.kernel;"
    " if (!k || k.status !== 'idle') return false;"
    " return w.content.widgets.every(c => c.model.type !== 'code'"
    "   || (c.model.executionCount !== null && c.model.executionState !== 'running')); })()"
)
_KERNEL_IDLE = (
    "(() => { const k = window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel;"
    " return !!k && k.status === 'idle'; })()"
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, node_server: ServerHandle) -> Iterator[tuple[str, Path]]:
    base = tmp_path_factory.mktemp("provelab")
    root = base / "root"
    root.mkdir()
    write_notebook(root / "prove.ipynb", CELLS)
    with jupyterlab(base, root, TOKEN, {"SIO_PROVE_NODE_URL": node_server.url}, log_name="prove-jupyterlab.log") as url:
        yield url, root


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1200, "height": 1400})
        pg = context.new_page()
        try:
            yield pg
        finally:
            pg.screenshot(path=str(ARTIFACTS / "prove-last.png"), full_page=True)
            context.close()


def _cell(page: Page, i: int) -> object:
    return page.locator(".jp-Notebook .jp-Cell").nth(i).locator(".jp-Cell-outputArea")


def _shots(page: Page, theme: str) -> None:
    for i, name in ((0, "status"), (1, "log"), (3, "latency"), (4, "expect")):
        area = page.locator(".jp-Notebook .jp-Cell").nth(i).locator(".jp-Cell-outputArea")
        area.scroll_into_view_if_needed()
        area.screenshot(path=str(ARTIFACTS / f"prove-{name}-{theme}.png"))


def test_marks_counts_failures_and_timeouts_are_shown_and_saved(page: Page, lab: tuple[str, Path]) -> None:
    url, root = lab
    page.goto(f"{url}/lab/workspaces/p1/tree/prove.ipynb?reset&token={TOKEN}")
    page.wait_for_function(_KERNEL_IDLE, timeout=90_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(_ALL_RAN + " || document.querySelectorAll('.sio-expect-failed').length > 0",
                           timeout=120_000, polling=500)
    page.wait_for_function(_KERNEL_IDLE, timeout=60_000)
    errors = page.evaluate(CELL_ERRORS)
    assert len(errors) == 1 and errors[0].startswith("ExpectationFailed: expected 1 'tick' event where i == 99"), errors

    # the log marks the two rows of the changed payload (sent and echoed), the tooltip says why
    marks = page.locator(".sio-log td.sio-noted")
    page.wait_for_function("() => document.querySelectorAll('.sio-log td.sio-noted').length === 2", timeout=30_000)
    assert "$.n: 'four' is not of type 'integer'" in (marks.first.get_attribute("title") or "")
    # the status view counts them
    status = page.locator(".sio-status").first
    page.wait_for_function(
        "() => (document.querySelector('.sio-status')?.textContent || '').includes('2 violations in')", timeout=30_000)
    assert "conformance" in (status.text_content() or "")
    # the failed expectation, and the latency view with its timeout
    failed = page.locator(".sio-expect-failed").first
    assert "\u2717" in (failed.text_content() or "") and "arrived in that window" in (failed.text_content() or "")
    latency = page.locator(".sio-latency").last
    assert "1 round trip" in (latency.text_content() or "")
    assert "2 timeouts (no answer within 0.1 s)" in (latency.text_content() or "")

    _shots(page, "light")
    warn_light = page.evaluate("() => getComputedStyle(document.querySelector('td.sio-noted .sio-warn')).color")
    page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=30_000)
    warn_dark = page.evaluate("() => getComputedStyle(document.querySelector('td.sio-noted .sio-warn')).color")
    assert warn_light != warn_dark, "the violation mark does not follow the theme"
    _shots(page, "dark")
    page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")

    # saved: the marks, the count and the failure are in the notebook file (once the views
    # stop moving: the log's rates and the status's ping age re-render every second)
    page.evaluate(
        "async () => { const w = window.jupyterapp.shell.currentWidget; await w.sessionContext.session.kernel"
        ".requestExecute({code: 'log.stop(); learn.stop()\\nd = %sio disconnect --name bsio\\nawait d'}).done; }"
    )
    page.wait_for_function(
        "() => (document.querySelector('.sio-status')?.textContent || '').includes('disconnected')", timeout=30_000)
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)
    saved = json.loads((root / "prove.ipynb").read_text())
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for c in saved["cells"] for o in c.get("outputs", []))
    assert html.count("sio-noted") == 2 and "2 violations in" in html and "sio-expect-failed" in html
