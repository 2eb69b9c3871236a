"""The live chart in JupyterLab (headless Chromium): it appears, follows a 50,000-event flood
with a bounded number of front-end updates, reads in Light and Dark, and the saved notebook
shows the last frame again, in JupyterLab, Notebook 7 and ``nbconvert --to html`` opened offline.

Screenshots go to ``test-artifacts/``; the Light one is the README's picture
(``docs/img/live-chart.png``): ``SIO_UPDATE_README_PICTURE=1`` copies it there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from peers.launcher import ServerHandle

from .browsing import ARTIFACTS, ROOT, browser_marks, chromium, free_port, jupyterlab, wait_http, write_notebook
from .browsing import CELL_ERRORS as _ERRORS

if TYPE_CHECKING:
    from playwright.sync_api import Page

PICTURE = ROOT / "docs" / "img" / "live-chart.png"
TOKEN = "charttoken"

pytestmark = [pytest.mark.browser, *browser_marks(timeout=300)]

CELLS = [
    # 0: the demo server's prices, fast (50 ticks/s), for a chart worth looking at
    "import os\n"
    "import sio_notebook as socketio\n"
    "import sio_notebook.notebook as nb\n"
    "from sio_notebook.notebook.views.chart import plot\n"
    "demo = socketio.AsyncClient()\n"
    "await demo.connect(os.environ['SIO_CHART_DEMO_URL'])\n"
    "prices = nb.capture(demo, 'tick')\n"
    "await prices.wait_for(150, timeout=60)",
    # 1
    "plot(prices, 'price', by='symbol', normalize=True, title='price')",
    # 2: a flood from the Node server
    "node = socketio.AsyncClient(reconnection=False)\n"
    "await node.connect(os.environ['SIO_CHART_NODE_URL'], transports=['websocket'])\n"
    "ticks = nb.capture(node, 'tick', max_rows=1000)\n"
    "flood = plot(ticks, 'i', title='flood')\n"
    "flood",
    # 3
    "await node.call('flood', {'count': 50_000}, timeout=60)\n"
    "await ticks.wait_for(50_000, timeout=60)\n"
    "ticks.count, len(ticks), flood.points",
]

_KERNEL_IDLE = (
    "(() => { const k = window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel;"
    " return !!k && k.status === 'idle'; })()"
)
_ALL_RAN = (
    "(() => { const w = window.jupyterapp.shell.currentWidget; const k = w.sessionContext.session?.kernel;"
    " if (!k || k.status !== 'idle') return false;"
    " return w.content.widgets.every(c => c.model.type !== 'code'"
    "   || (c.model.executionCount !== null && c.model.executionState !== 'running')); })()"
)
# Record every new frame of the "flood" chart the page shows (each is one update_display_data).
_OBSERVE = """() => {
  window.floodFrames = [];
  new MutationObserver(() => {
    const svg = document.querySelector('svg[aria-label="flood"]');
    const head = svg && svg.querySelector('text[style*="bold"]');
    const text = head ? head.textContent : null;
    const last = window.floodFrames[window.floodFrames.length - 1];
    if (text && (!last || last.text !== text)) window.floodFrames.push({t: performance.now(), text});
  }).observe(document.body, {subtree: true, childList: true});
}"""


@pytest.fixture(scope="module")
def fast_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo server with a tick every 20 ms."""
    port = free_port()
    log = tmp_path_factory.mktemp("demo") / "demo.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sio_notebook.demo.server", "--port", str(port), "--tick-interval", "0.02",
             "--seed", "7"], stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/socket.io/?EIO=4&transport=polling", proc, "the demo server", log)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, fast_demo: str, node_server: ServerHandle) -> Iterator[tuple[str, Path]]:
    base = tmp_path_factory.mktemp("chartlab")
    root = base / "root"
    root.mkdir()
    write_notebook(root / "chart.ipynb", CELLS)
    env = {"SIO_CHART_DEMO_URL": fast_demo, "SIO_CHART_NODE_URL": node_server.url}
    with jupyterlab(base, root, TOKEN, env, log_name="chart-jupyterlab.log") as url:
        yield url, root


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1200, "height": 1000})
        pg = context.new_page()
        try:
            yield pg
        finally:
            pg.screenshot(path=str(ARTIFACTS / "chart-last.png"), full_page=True)
            context.close()


def test_live_chart_in_jupyterlab_follows_a_flood_and_survives_saving(page: Page, lab: tuple[str, Path]) -> None:
    url, root = lab
    page.goto(f"{url}/lab/workspaces/c1/tree/chart.ipynb?reset&token={TOKEN}")
    page.wait_for_function(_KERNEL_IDLE, timeout=90_000)
    page.evaluate(_OBSERVE)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(_ALL_RAN, timeout=120_000, polling=500)
    assert page.evaluate(_ERRORS) == []

    # the flood chart appeared, updated while the flood ran, and its last frame has every point
    flood = page.locator('.jp-Cell-outputArea svg[aria-label="flood"]').first
    page.wait_for_function(
        "() => (document.querySelector('svg[aria-label=\"flood\"]')?.textContent || '').includes('50,000 points')",
        timeout=30_000,
    )
    frames = page.evaluate("window.floodFrames")
    assert len(frames) >= 2, f"the chart did not update during the flood: {frames}"
    seconds = (frames[-1]["t"] - frames[0]["t"]) / 1000
    assert len(frames) <= 4 * seconds + 3, f"{len(frames)} frames in {seconds:.1f} s: updates are not coalesced"
    assert flood.locator("polyline").count() == 1
    points = flood.locator("polyline").get_attribute("points") or ""
    assert 2 <= len(points.split()) <= 2 * 720 + 2

    # the price chart: one line per symbol; screenshots in Light, then Dark
    # (the chart is replaced by each frame: look at it through its cell's output area)
    prices = page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".jp-Cell-outputArea")
    prices.scroll_into_view_if_needed()
    assert page.evaluate("() => document.querySelectorAll('svg[aria-label=\"price by symbol\"] polyline').length") == 5
    prices.screenshot(path=str(ARTIFACTS / "live-chart-light.png"))
    if os.environ.get("SIO_UPDATE_README_PICTURE"):  # the tracked README picture only on request
        shutil.copy(ARTIFACTS / "live-chart-light.png", PICTURE)
    light_text = page.evaluate(
        "() => getComputedStyle(document.querySelector('svg[aria-label=\"price by symbol\"] text')).fill"
    )
    page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=30_000)  # the theme is loaded
    dark_text = page.evaluate(
        "() => getComputedStyle(document.querySelector('svg[aria-label=\"price by symbol\"] text')).fill"
    )
    assert light_text != dark_text, "the chart's text colour does not follow the theme"
    prices.scroll_into_view_if_needed()
    prices.screenshot(path=str(ARTIFACTS / "live-chart-dark.png"))
    page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")

    # stop the captures (the saved frames say "stopped"), save, and reopen
    page.evaluate(
        "async () => { const w = window.jupyterapp.shell.currentWidget;"
        " await w.sessionContext.session.kernel.requestExecute({code: 'prices.stop(); ticks.stop()'}).done; }"
    )
    page.wait_for_function(
        "() => (document.querySelector('svg[aria-label=\"price by symbol\"]')?.textContent || '').includes('stopped')",
        timeout=30_000,
    )
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)
    saved = json.loads((root / "chart.ipynb").read_text())
    outputs = [o for c in saved["cells"] for o in c.get("outputs", [])]
    html_outputs = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("50,000 points" in "".join(h) for h in html_outputs), "the saved flood chart is not its last frame"

    # JupyterLab reopened on a fresh workspace: the saved SVG is shown as it was
    page.goto(f"{url}/lab/workspaces/c2/tree/chart.ipynb?reset&token={TOKEN}")
    reopened = page.locator('.jp-Cell-outputArea svg[aria-label="flood"]').first
    reopened.wait_for(state="attached", timeout=60_000)
    assert "50,000 points" in (reopened.text_content() or "") and "stopped" in (reopened.text_content() or "")
    assert page.locator(".jp-Cell-outputArea").get_by_text("Error displaying widget").count() == 0

    # Notebook 7 (same server) shows the saved frame too
    page.goto(f"{url}/notebooks/chart.ipynb?token={TOKEN}")
    nb7 = page.locator('.jp-Cell-outputArea svg[aria-label="flood"]').first
    nb7.wait_for(state="attached", timeout=60_000)
    assert "50,000 points" in (nb7.text_content() or "")
    page.locator('.jp-Cell-outputArea svg[aria-label="price by symbol"]').first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "live-chart-notebook7.png"))

    # nbconvert --to html, opened with the network cut: the chart is drawn
    out = root / "chart.html"
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", str(root / "chart.ipynb"), "--output", "chart"],
                   check=True, capture_output=True, timeout=120)
    page.context.set_offline(True)
    page.goto(out.as_uri())
    offline = page.locator('svg[aria-label="price by symbol"]').first
    offline.wait_for(timeout=30_000)
    assert offline.locator("polyline").count() == 5
    box = offline.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150
    offline.screenshot(path=str(ARTIFACTS / "live-chart-nbconvert.png"))
    page.context.set_offline(False)
