"""The same live checks as Voilà and marimo (issue 16), in JupyterLab and Notebook 7: the
bundled quick-start, run top to bottom in headless Chromium.

There the views are plain outputs updated in place (``update_display_data``) and the
inputs are widgets; this module checks that what works in Voilà and marimo works here
too, with the same :class:`~.liveviews.LiveViewChecks`: the status reaches "connected",
the log's count grows, the chart changes, ``%sio call add`` shows 42, the form's Send
shows its ack, and the log's filter, pause and clear act on the log.
(``test_browser.py`` checks contrast, layout, re-running connect and saved notebooks.)

Screenshots: ``test-artifacts/after-lab-live-*.png``, ``after-notebook7-live-*.png``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .browsing import ARTIFACTS, ROOT, browser_marks, chromium, jupyterlab, whole_page
from .browsing import CELL_ERRORS as _ERRORS
from .liveviews import LiveViewChecks, wait_for_view

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, *browser_marks(timeout=120)]

QUICKSTART = ROOT / "sio_notebook" / "demo" / "notebooks" / "quickstart.ipynb"
TOKEN = "livetoken"
_KERNEL_IDLE = (
    "(() => { const k = window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel;"
    " return !!k && k.status === 'idle'; })()"
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, demo_url: str) -> Iterator[tuple[str, Path]]:
    """JupyterLab (and Notebook 7) on a scratch folder with a copy of the quick-start per frontend."""
    base = tmp_path_factory.mktemp("livelab")
    root = base / "root"
    root.mkdir()
    for name in ("lab", "notebook7"):
        shutil.copy(QUICKSTART, root / f"quickstart-{name}.ipynb")
    # every cell laid out (no windowing): the views far down the page are in the DOM
    tracker = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"}}
    with jupyterlab(base, root, TOKEN, {"SIO_DEMO_URL": demo_url}, tracker, log_name="live-jupyterlab.log") as url:
        yield url, root


def _run_all(page: Page, url: str, shot: str) -> Iterator[Page]:
    page.goto(url, timeout=90_000)
    page.wait_for_function(_KERNEL_IDLE, timeout=90_000, polling=500)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    try:
        wait_for_view(page, "v.status !== null", "the status is shown", 60)
        yield page
    finally:
        whole_page(page, ARTIFACTS / f"{shot}-page.png")
        errors = page.evaluate(_ERRORS)
        page.evaluate("window.jupyterapp.shell.currentWidget?.sessionContext?.shutdown()")
        assert errors == [], errors


@pytest.fixture(scope="class")
def browser_page() -> Iterator[Page]:
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1200, "height": 1000})
        try:
            yield context.new_page()
        finally:
            context.close()


class TestJupyterLab(LiveViewChecks):
    shots = "after-lab-live"

    @pytest.fixture(scope="class")
    @classmethod
    def live_page(cls, browser_page: Page, lab: tuple[str, Path]) -> Iterator[Page]:
        yield from _run_all(browser_page, f"{lab[0]}/lab/workspaces/live/tree/quickstart-lab.ipynb?reset&token={TOKEN}",
                            cls.shots)


class TestNotebook7(LiveViewChecks):
    shots = "after-notebook7-live"

    @pytest.fixture(scope="class")
    @classmethod
    def live_page(cls, browser_page: Page, lab: tuple[str, Path]) -> Iterator[Page]:
        yield from _run_all(browser_page, f"{lab[0]}/notebooks/quickstart-notebook7.ipynb?token={TOKEN}", cls.shots)
