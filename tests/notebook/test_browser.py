"""The views in a real browser: JupyterLab (Light and Dark) and Notebook 7, headless Chromium.

Checks what a person sees:

* contrast: every text of every view reaches WCAG AA (4.5:1), computed from the browser's
  computed styles (colours composited over the real background), in Light and Dark;
* layout: the narrow columns of the event log (row, time, direction, namespace, event)
  stay on one line with binary and long payloads in view;
* re-running ``%sio connect``: the form (filled in and clicked) acks on the new client and
  the capture keeps counting;
* reopened with a new kernel (JupyterLab, Notebook 7) and in ``nbconvert --to html``: the
  last states are shown and no widget error.

Needs Debian's chromium and the Python ``playwright`` package (no ``playwright install``);
Notebook 7 needs the ``notebook`` package (the ``browser`` extra). Screenshots go to
``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
import pytest

from .browsing import ARTIFACTS, browser_marks, chromium, jupyterlab, skip_unless_ci, write_notebook
from .browsing import CELL_ERRORS as _ERRORS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

TOKEN = "testtoken"
NOTEBOOK = "views.ipynb"

pytestmark = [pytest.mark.browser, *browser_marks(timeout=420)]

# The notebook the browser runs: every view, binary and long payloads, an ack with an
# error value, a re-run connect, and a disconnect (the last cell, run on its own).
CELLS = [
    'import os\n\nURL = os.environ["SIO_DEMO_URL"]',
    "%load_ext sio_notebook\n%sio connect {URL} --namespace / --namespace /chat",
    "import sio_notebook.notebook as nb\n\nawait nb.wait_connected(sio, timeout=30)",
    "log = %sio log --rows 30",
    "ticks = %sio capture tick --rows 6",
    'await sio.call("echo", {"note": "binary", "data": bytes(range(256)) * 2}, timeout=10)\n'
    'await sio.call("echo", {"text": "long " * 150}, timeout=10)\n'
    "await log.wait_for(log.count + 1, timeout=10)",
    'r = %sio call add {"a": 40, "b": 2}',
    'bad = %sio call add {"a": 1}',
    # both acks are in before the re-run connect below replaces their client
    "await r\nawait bad",
    "%sio form",
    "%sio status",
    "%sio connect {URL} --namespace / --namespace /chat",
    "await nb.wait_connected(sio, timeout=30)\nawait log.wait_for(log.count + 3, timeout=30)",
    "%sio disconnect",
]

CONTRAST_JS = """
(selectors) => {
  const cv = document.createElement('canvas'); cv.width = cv.height = 1;
  const ctx = cv.getContext('2d', {willReadFrequently: true});
  const rgba = (c) => {
    ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = 'rgba(0,0,0,0)'; ctx.fillStyle = c; ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data; return [d[0], d[1], d[2], d[3] / 255];
  };
  const over = (top, base) => [0, 1, 2].map(i => top[i] * top[3] + base[i] * (1 - top[3]));
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor); if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let base = [255, 255, 255];
    for (const c of layers.reverse()) base = over(c, base);
    return base;
  };
  const lum = (c) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const results = {};
  for (const [name, sel] of Object.entries(selectors)) {
    const items = [];
    for (const root of document.querySelectorAll(sel)) {
      for (const el of [root, ...root.querySelectorAll('*')]) {
        if (['STYLE', 'SCRIPT'].includes(el.tagName) || el.getClientRects().length === 0) continue;
        const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim()).map(n => n.textContent).join('');
        const text = own || (['INPUT', 'TEXTAREA'].includes(el.tagName) ? (el.value || el.placeholder) : '');
        if (!text.trim()) continue;
        const st = getComputedStyle(el);
        if (st.visibility === 'hidden' || st.display === 'none') continue;
        const bg = background(el);
        const fgRaw = rgba(!own && !el.value && el.placeholder ? getComputedStyle(el, '::placeholder').color : st.color);
        const fg = over(fgRaw, bg);
        items.push({text: text.trim().slice(0, 40), ratio: ratio(fg, bg), cls: el.className || el.tagName,
                    fg: fg.map(Math.round), bg: bg.map(Math.round)});
      }
    }
    items.sort((a, b) => a.ratio - b.ratio);
    results[name] = {count: items.length, min: items.length ? items[0].ratio : null, worst: items.slice(0, 3)};
  }
  return results;
}
"""

# Lines of text per narrow cell of the event log (1 when nothing wraps).
LAYOUT_JS = """
() => {
  const out = {cells: 0, wrapped: [], binary: 0, long: 0, overflow: []};
  for (const table of document.querySelectorAll('.sio-log table.sio-table')) {
    for (const cell of table.querySelectorAll('th, td')) {
      if (cell.classList.contains('sio-payload') || cell.cellIndex > 4) continue;
      const r = document.createRange(); r.selectNodeContents(cell);
      const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top))).size;
      out.cells += 1;
      if (lines > 1) out.wrapped.push(cell.textContent);
    }
    const box = table.closest('.sio-scroll');
    if (box && box.scrollWidth > box.clientWidth + 1) out.overflow.push(['table', box.scrollWidth, box.clientWidth]);
    for (const p of table.querySelectorAll('td.sio-payload')) {
      if (p.scrollWidth > p.clientWidth + 1) out.overflow.push([p.textContent.slice(0, 60), p.scrollWidth, p.clientWidth]);
      if (p.textContent.includes('512 bytes')) out.binary += 1;
      if (p.querySelector('details')) out.long += 1;
    }
  }
  return out;
}
"""

VIEWS = {
    "status": ".jp-OutputArea-output .sio-status",
    "log": ".jp-OutputArea-output .sio-log",
    "pending": ".jp-OutputArea-output .sio-pending",
    "form": ".jp-OutputArea-output .sio-form-results",
    "form inputs": ".sio-emit-form",
    "log controls": ".sio-log-controls",
}


@pytest.fixture(scope="module")
def server_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("root")
    write_notebook(root / NOTEBOOK, CELLS)
    return root


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, server_root: Path, demo_url: str) -> Iterator[str]:
    """JupyterLab (and Notebook 7, same server) on a scratch directory."""
    # every cell laid out (no windowing), so every view can be measured
    tracker = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"}}
    with jupyterlab(tmp_path_factory.mktemp("lab"), server_root, TOKEN, {"SIO_DEMO_URL": demo_url}, tracker) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()


_KERNEL_IDLE = (
    "(() => { const k = window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel;"
    " return !!k && k.status === 'idle'; })()"
)
# The code cells above the active one ran (no [*], no unrun cell) and the kernel is idle.
_ABOVE_RAN = (
    "(() => { const w = window.jupyterapp.shell.currentWidget; const k = w.sessionContext.session?.kernel;"
    " if (!k || k.status !== 'idle') return false; const cells = w.content.widgets.slice(0, -1);"
    " return cells.every(c => c.model.type !== 'code'"
    "   || (c.model.executionCount !== null && c.model.executionState !== 'running')); })()"
)
RESULTS: dict[str, Any] = {}


def _theme(page: Page, name: str) -> None:
    page.evaluate(f"window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{name}'}})")
    dark = "true" if "Dark" in name else "false"
    page.wait_for_function(f"document.body.dataset.jpThemeLight === '{'false' if dark == 'true' else 'true'}'")
    page.wait_for_timeout(500)  # the theme's CSS is applied


def _contrast(page: Page, label: str) -> dict[str, Any]:
    found = page.evaluate(CONTRAST_JS, VIEWS)
    RESULTS[label] = {k: (v["min"], v["count"]) for k, v in found.items()}
    print(f"\ncontrast {label}: " + ", ".join(f"{k} min {v['min']:.2f} over {v['count']} texts"
                                              for k, v in found.items() if v["min"] is not None))
    for view, info in found.items():
        if info["min"] is not None:
            assert info["min"] >= 4.5, (label, view, info["worst"])
    return found


_RECT_JS = """
(sel) => {
  const el = document.querySelector(sel); if (!el) return null;
  const box = el.closest('.jp-Cell') || el; box.scrollIntoView({block: 'start'});
  const r = box.getBoundingClientRect();
  return {x: Math.max(r.x, 0), y: Math.max(r.y, 0), width: Math.min(r.width, 1400), height: Math.min(r.height, 1000)};
}
"""


def _shoot(page: Page, prefix: str) -> None:
    # The views are re-rendered a few times a second: measure and clip in one go
    # instead of waiting for an element that is replaced meanwhile.
    for name, sel in [("status", ".sio-status"), ("log", ".sio-log"), ("form", ".sio-form-results"),
                      ("pending", ".sio-pending")]:
        clip = page.evaluate(_RECT_JS, f".jp-OutputArea-output {sel}")
        if clip and clip["width"] > 0 and clip["height"] > 0:
            page.screenshot(path=str(ARTIFACTS / f"{prefix}-{name}.png"), clip=clip)


def test_views_live_in_jupyterlab_light_and_dark(page: Page, lab: str, server_root: Path) -> None:
    page.goto(f"{lab}/lab/workspaces/live/tree/{NOTEBOOK}?reset&token={TOKEN}")
    page.wait_for_function(_KERNEL_IDLE, timeout=90_000)
    _theme(page, "JupyterLab Light")
    # run everything but the last cell (the disconnect)
    page.evaluate(
        "(() => { const nb = window.jupyterapp.shell.currentWidget.content;"
        " nb.activeCellIndex = nb.widgets.length - 1;"
        " return window.jupyterapp.commands.execute('notebook:run-all-above'); })()"
    )
    page.wait_for_function(_ABOVE_RAN, timeout=180_000, polling=500)
    assert page.evaluate(_ERRORS) == []

    status = page.locator(".jp-OutputArea-output .sio-status").first
    status.locator(".sio-state-connected").wait_for(timeout=30_000)
    page.locator(".jp-OutputArea-output .sio-log td.sio-payload").first.wait_for(timeout=30_000)

    # layout: the narrow columns never wrap, with binary and long payloads in view
    layout = page.evaluate(LAYOUT_JS)
    assert layout["binary"] >= 1 and layout["long"] >= 1, layout
    assert layout["cells"] > 50 and layout["wrapped"] == [], layout
    assert layout["overflow"] == [], layout["overflow"]  # long payloads wrap inside their cell

    # re-run connect happened above: the form, filled in and clicked, acks on the new client
    form = page.locator(".sio-emit-form").first
    form.scroll_into_view_if_needed()
    form.locator("input[type=text]").first.fill("add")
    form.locator("textarea").fill('{"a": 20, "b": 22}')
    page.wait_for_timeout(300)  # the widget model syncs on input events
    form.get_by_role("button", name="Send").click()
    results = page.locator(".jp-OutputArea-output .sio-form-results").first
    results.locator(".sio-send-ack").first.wait_for(timeout=30_000)
    assert "42" in (results.locator(".sio-send-ack").first.text_content() or "")
    # ... and the capture keeps counting on the new client
    count = page.locator(".sio-log .sio-count").first
    before = int((count.text_content() or "0").split()[0].replace(",", ""))
    page.wait_for_function(
        "(n) => Number(document.querySelector('.sio-log .sio-count').textContent.split(' ')[0].replace(/,/g, '')) > n",
        arg=before + 5,
        timeout=30_000,
    )

    _contrast(page, "JupyterLab Light (live)")
    _shoot(page, "after-lab-light")
    _theme(page, "JupyterLab Dark")
    _contrast(page, "JupyterLab Dark (live)")
    _shoot(page, "after-lab-dark")
    page.screenshot(path=str(ARTIFACTS / "after-lab-dark-page.png"), full_page=True)
    _theme(page, "JupyterLab Light")

    # the last cell: disconnect; the views show the end, the inputs turn static
    page.evaluate(
        "(() => { const nb = window.jupyterapp.shell.currentWidget.content;"
        " nb.activeCellIndex = nb.widgets.length - 1;"
        " return window.jupyterapp.commands.execute('notebook:run-cell'); })()"
    )
    page.wait_for_function(
        "document.querySelector('.jp-OutputArea-output .sio-status .sio-badge').textContent === 'disconnected'",
        timeout=30_000,
    )
    page.wait_for_function("document.querySelectorAll('.sio-emit-form, .sio-log-controls').length === 0", timeout=30_000)
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("!window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)
    page.evaluate("window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    page.wait_for_timeout(1000)
    saved = nbformat.read(server_root / NOTEBOOK, as_version=4)
    mimes = {m for c in saved.cells for o in c.get("outputs", []) for m in o.get("data", {})}
    assert "application/vnd.jupyter.widget-view+json" not in mimes, mimes


def _check_reopened(page: Page, where: str) -> None:
    page.locator(".sio-status").first.wait_for(timeout=60_000)
    page.wait_for_timeout(3000)  # widget managers get their chance to complain
    body = page.locator("body").inner_text()
    assert "Error displaying widget" not in body and "Loading widget" not in body, where
    status = page.locator(".sio-status .sio-badge").first.text_content()
    assert status == "disconnected", (where, status)
    assert "ack in" in (page.locator(".sio-pending").first.text_content() or "")
    assert "42" in (page.locator(".sio-pending").first.text_content() or "")
    assert page.locator(".sio-log table.sio-table tbody tr").count() >= 10
    assert "connection 'sio' closed" in (page.locator(".sio-log").first.text_content() or "")
    assert "ack in" in (page.locator(".sio-form-results").first.text_content() or "")


def test_reopened_with_a_new_kernel_shows_the_last_states(page: Page, lab: str) -> None:
    if "JupyterLab Light (live)" not in RESULTS:
        skip_unless_ci("needs the live test's saved notebook (run the whole module)")
    page.goto(f"{lab}/lab/workspaces/reopen/tree/{NOTEBOOK}?reset&token={TOKEN}")
    _check_reopened(page, "JupyterLab")
    _theme(page, "JupyterLab Light")
    _contrast(page, "JupyterLab Light (reopened)")
    _shoot(page, "after-reopened-lab-light")
    _theme(page, "JupyterLab Dark")
    _contrast(page, "JupyterLab Dark (reopened)")
    _shoot(page, "after-reopened-lab-dark")
    _theme(page, "JupyterLab Light")
    page.evaluate("window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")


def test_notebook_7_shows_the_last_states(page: Page, lab: str) -> None:
    # (not importorskip: inside this test package, "notebook" is tests/notebook)
    try:
        major = int(importlib.metadata.version("notebook").split(".")[0])
    except importlib.metadata.PackageNotFoundError:
        major = 0
    if major < 7:
        skip_unless_ci("Notebook 7 is not installed (pip install 'notebook>=7')")
    if "JupyterLab Light (live)" not in RESULTS:
        skip_unless_ci("needs the live test's saved notebook (run the whole module)")
    page.goto(f"{lab}/notebooks/{NOTEBOOK}?token={TOKEN}")
    _check_reopened(page, "Notebook 7")
    _contrast(page, "Notebook 7 Light (reopened)")
    page.screenshot(path=str(ARTIFACTS / "after-notebook7-page.png"), full_page=True)


def test_nbconvert_html_offline_shows_the_last_states(server_root: Path, tmp_path: Path, browser: Browser) -> None:
    if "JupyterLab Light (live)" not in RESULTS:
        skip_unless_ci("needs the live test's saved notebook (run the whole module)")
    out = tmp_path / "views.html"
    subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "html", str(server_root / NOTEBOOK), "--output", str(out)],
        check=True, capture_output=True, timeout=120,
    )
    html = out.read_text()
    assert "sio-status" in html and "disconnected" in html and "ack in" in html
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, offline=True)
    try:
        page = context.new_page()
        page.goto(out.as_uri())
        page.locator(".sio-log table.sio-table tbody tr").first.wait_for(timeout=30_000)
        found = page.evaluate(CONTRAST_JS, {k: v.replace(".jp-OutputArea-output ", "") for k, v in VIEWS.items()})
        RESULTS["nbconvert HTML"] = {k: (v["min"], v["count"]) for k, v in found.items()}
        for view, info in found.items():
            if info["min"] is not None:
                assert info["min"] >= 4.5, ("nbconvert", view, info["worst"])
        page.screenshot(path=str(ARTIFACTS / "after-nbconvert-page.png"), full_page=True)
    finally:
        context.close()
    (ARTIFACTS / "contrast.json").write_text(json.dumps(RESULTS, indent=1))
