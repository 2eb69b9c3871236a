"""The views are live in Voilà (issue 16): the bundled quick-start notebook, served by Voilà
and opened in headless Chromium.

Voilà runs the notebook when the page is opened, shows each cell's outputs as they were
when the cell finished and ignores ``update_display_data`` (voila-dashboards/voila #498,
#837). The quick-start uses the magics as a user does: ``%sio connect`` to the demo
server, ``%sio capture tick`` (the log), the live chart, ``%sio call add {"a": 40, "b":
2}``, ``%sio form``. The checks (:class:`~.liveviews.LiveViewChecks`) ask that, on the
page, the status reaches "connected", the log's count grows, the chart changes, the call
line shows 42 and the form's Send shows its ack.

Screenshots: ``test-artifacts/after-voila-*.png``; Voilà's log: ``test-artifacts/voila.log``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .browsing import ARTIFACTS, ROOT, browser_marks, chromium, voila, whole_page
from .liveviews import LiveViewChecks, wait_for_view

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, *browser_marks(timeout=120)]

QUICKSTART = ROOT / "sio_notebook" / "demo" / "notebooks" / "quickstart.ipynb"


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory: pytest.TempPathFactory, demo_url: str) -> Iterator[str]:
    """Voilà serving a copy of the quick-start (Voilà never writes to the package)."""
    base = tmp_path_factory.mktemp("voila")
    notebook = base / "root" / QUICKSTART.name
    notebook.parent.mkdir()
    shutil.copy(QUICKSTART, notebook)
    with voila(base, notebook, {"SIO_DEMO_URL": demo_url}) as url:
        yield url


@pytest.fixture(scope="module")
def live_page(voila_url: str) -> Iterator[Page]:
    """The quick-start's page, once Voilà has run every cell (its last cell lists the connections)."""
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1200, "height": 1000})
        page = context.new_page()
        try:
            page.goto(voila_url, timeout=90_000)
            wait_for_view(page, "v.status !== null && v.form !== null", "Voila shows the views", 90)
            page.get_by_text("captures", exact=True).first.wait_for(timeout=60_000)  # the last cell's table
            yield page
        finally:
            whole_page(page, ARTIFACTS / "after-voila-page.png")
            context.close()


class TestVoila(LiveViewChecks):
    shots = "after-voila"
