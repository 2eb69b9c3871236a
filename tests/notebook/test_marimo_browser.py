"""The views are live in marimo (issue 16): the example app shipped in the package, run
with ``marimo run --headless`` on a free port and opened in headless Chromium.

marimo has no magics and no IPython display: a marimo user writes the app with the
Python API, and marimo drops display updates once a view's cell has finished. The app
(``sio_notebook/demo/marimo_app.py``) connects to the demo server (``SIO_DEMO_URL``),
shows the status, a capture of ``tick`` as a log and a chart, a call of ``add`` with
``{"a": 40, "b": 2}`` and an emit form. The checks (:class:`~.liveviews.LiveViewChecks`)
ask that, on the page, the status reaches "connected", the log's count grows, the chart
changes, the call view shows 42 and the form's Send shows its ack.

``SIO_MARIMO_APP=path/to/app.py`` runs the same checks on another app (e.g. the app a
user writes from the README's Python API).

Screenshots: ``test-artifacts/after-marimo-*.png``; marimo's log: ``test-artifacts/marimo.log``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .browsing import ARTIFACTS, ROOT, browser_marks, chromium, marimo_run, whole_page
from .liveviews import LiveViewChecks, wait_for_view

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, *browser_marks(timeout=120)]

APP = Path(os.environ.get("SIO_MARIMO_APP") or ROOT / "sio_notebook" / "demo" / "marimo_app.py")


@pytest.fixture(scope="module")
def marimo_url(tmp_path_factory: pytest.TempPathFactory, demo_url: str) -> Iterator[str]:
    assert APP.is_file(), f"the marimo example app is missing: {APP}"
    with marimo_run(tmp_path_factory.mktemp("marimo"), APP.resolve(), {"SIO_DEMO_URL": demo_url}) as url:
        yield url


@pytest.fixture(scope="module")
def live_page(marimo_url: str) -> Iterator[Page]:
    """The app's page, once its views are on it (marimo runs the cells when a session opens)."""
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1200, "height": 1000})
        page = context.new_page()
        try:
            page.goto(marimo_url, timeout=90_000)
            wait_for_view(page, "v.status !== null", "marimo shows the status", 90)
            yield page
        finally:
            whole_page(page, ARTIFACTS / "after-marimo-page.png")
            context.close()


class TestMarimo(LiveViewChecks):
    shots = "after-marimo"
