"""The checks that the views are live, for every frontend's browser test (issue 16).

A frontend that shows our views only as they were when their cell finished (Voilà ignores
``update_display_data``; marimo drops display updates once the cell has run) shows a
frozen picture. So each check reads what a person sees, in the real browser, and asks
that it *moves* or reaches its true final state:

* the status reaches "connected";
* the event log's count grows between two reads seconds apart;
* the live chart's lines change;
* the call line (``%sio call`` / the Python API's call view) shows its ack value;
* the emit form's *Send* shows its ack in the form's results;
* the log's filter, *Pause view* and *Clear view* act on the log shown.

A test module subclasses :class:`LiveViewChecks` and provides a ``live_page`` fixture: a
page that shows those views (the status, a capture's log of the demo server's ``tick``,
a chart of it, a call of ``add`` with ``{"a": 40, "b": 2}``, an emit form on the same
connection); ``shots`` names its screenshots (``test-artifacts/{shots}-{view}.png``).
The first of each view on the page is the one checked.

The views' HTML may sit in a widget's shadow root (anywidget renders into one in some
frontends), so the page's script looks through open shadow roots too.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .browsing import ARTIFACTS

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

#: Every element matching a CSS selector, in the document and in open shadow roots.
_ALL = (
    "const all = (sel) => { const out = [];"
    " const walk = (root) => { out.push(...root.querySelectorAll(sel));"
    "   for (const e of root.querySelectorAll('*')) if (e.shadowRoot) walk(e.shadowRoot); };"
    " walk(document); return out; };"
    " const first = (sel) => all(sel)[0] || null;"
)

#: What the views show now, read in one go (the views are re-rendered a few times a second).
_READ = (
    "() => {" + _ALL + """
  const text = (sel) => { const e = first(sel); return e ? e.textContent : null; };
  const count = text('.sio-log .sio-count');
  const chart = first('.sio-chart svg');
  const log = first('.sio-log');
  const rows = log ? [...log.querySelectorAll('table tbody tr')] : [];
  const head = log ? log.cloneNode(true) : null;
  if (head) head.querySelectorAll('table').forEach(t => t.remove());
  return {
    status: text('.sio-status .sio-badge'),
    count: count === null ? null : Number(count.trim().split(' ')[0].replace(/,/g, '')),
    log_head: head ? head.textContent : null,
    log_rows: rows.map(r => r.textContent),
    log_numbers: rows.map(r => Number(r.cells[0].textContent)),
    chart: chart ? [...chart.querySelectorAll('path, polyline')]
      .map(p => p.getAttribute('d') || p.getAttribute('points')).join('|') : null,
    chart_label: chart ? chart.getAttribute('aria-label') : null,
    call: text('.sio-pending'),
    call_ack: text('.sio-pending .sio-ack'),
    form: text('.sio-form-results'),
    form_ack: text('.sio-form-results .sio-send-ack .sio-ack'),
  };
}"""
)

#: The first of each view, framed for its screenshot (scrolled into view).
_RECT = (
    "(sel) => {" + _ALL + """
  const el = first(sel); if (!el) return null;
  el.scrollIntoView({block: 'center'});
  const r = el.getBoundingClientRect(), pad = 6;
  return {x: Math.max(r.x - pad, 0), y: Math.max(r.y - pad, 0), width: r.width + 2 * pad, height: r.height + 2 * pad};
}"""
)


def read_views(page: Page) -> dict[str, Any]:
    """The state of every view as a person sees it now."""
    return dict(page.evaluate(_READ))


def wait_for_view(page: Page, condition: str, what: str, timeout: float, arg: Any = None) -> dict[str, Any]:
    """Wait until ``condition`` (JavaScript over ``v``, the views as :func:`read_views`
    gives them, and ``arg``) holds; fail saying ``what`` was awaited and what the views
    showed instead. Returns the views as they were when it held."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    js = "(arg) => { const v = (" + _READ + ")(); return (" + condition + ") ? v : null; }"
    try:
        handle = page.wait_for_function(js, arg=arg, timeout=timeout * 1000, polling=200)
    except PlaywrightTimeout:
        raise AssertionError(f"{what}: not within {timeout:.0f} s; the page shows {read_views(page)}") from None
    return dict(handle.json_value())


def shoot(page: Page, name: str, selector: str) -> None:
    """Screenshot the first ``selector`` on the page into test-artifacts/``name``.png."""
    clip = page.evaluate(_RECT, selector)
    assert clip and clip["width"] > 0 and clip["height"] > 0, f"{selector} is not on the page"
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), clip=clip)


def form_locator(page: Page) -> Locator:
    """The emit form's inputs (whichever widget library draws them)."""
    return page.locator(".sio-emit-form").first


class LiveViewChecks:
    """The live checks of issue 16; subclasses give ``live_page`` and ``shots``."""

    shots = "after"

    def test_status_reaches_connected(self, live_page: Page) -> None:
        wait_for_view(live_page, "v.status === 'connected'", "the status says 'connected'", 30)
        shoot(live_page, f"{self.shots}-status", ".sio-status")

    def test_log_count_grows_between_two_reads(self, live_page: Page) -> None:
        # The point is change over time: read, then poll for a count that grew by at least
        # 10 (the demo server ticks every 0.2 s: two seconds of ticks).
        wait_for_view(live_page, "v.count !== null", "the log shows a count", 30)
        first = read_views(live_page)["count"]
        t0 = time.monotonic()
        later = wait_for_view(live_page, "v.count >= arg", "the log's count grows by 10", 20, arg=first + 10)
        print(f"log count: {first} then {later['count']} {time.monotonic() - t0:.1f} s later")
        shoot(live_page, f"{self.shots}-log", ".sio-log")

    def test_chart_changes(self, live_page: Page) -> None:
        wait_for_view(live_page, "v.chart", "the chart shows lines", 30)
        first = read_views(live_page)
        later = wait_for_view(live_page, "v.chart !== arg", "the chart's lines change", 20, arg=first["chart"])
        print(f"chart: {first['chart_label']!r} then {later['chart_label']!r}")
        shoot(live_page, f"{self.shots}-chart", ".sio-chart")

    def test_call_line_shows_its_ack(self, live_page: Page) -> None:
        seen = wait_for_view(live_page, "v.call_ack !== null", "the call line shows its ack", 30)
        assert seen["call_ack"] == "42", seen["call"]
        assert "ack in" in seen["call"], seen["call"]
        shoot(live_page, f"{self.shots}-call", ".sio-pending")

    def test_form_send_shows_its_ack(self, live_page: Page) -> None:
        form = form_locator(live_page)
        try:
            form.scroll_into_view_if_needed(timeout=30_000)
        except Exception as exc:  # noqa: BLE001 - Playwright's timeout, said as what is missing
            raise AssertionError(f"the emit form's inputs are not on the page; it shows {read_views(live_page)}") from exc
        # Each input sends its value to the kernel on input, before the click (one ordered channel).
        form.get_by_label("event", exact=True).fill("add")
        form.get_by_label("payload", exact=True).fill('{"a": 20, "b": 22}')
        form.get_by_role("button", name="Send").click()
        seen = wait_for_view(live_page, "v.form_ack !== null", "the form's results show the ack of Send", 30)
        assert seen["form_ack"] == "42", seen["form"]
        shoot(live_page, f"{self.shots}-form", ".sio-emit-form")
        shoot(live_page, f"{self.shots}-form-results", ".sio-form-results")

    def test_log_filter_pause_and_clear_act_on_the_log(self, live_page: Page) -> None:
        bar = live_page.locator(".sio-log-controls").first
        try:
            bar.scroll_into_view_if_needed(timeout=30_000)
        except Exception as exc:  # noqa: BLE001 - Playwright's timeout, said as what is missing
            raise AssertionError(f"the log's filter bar is not on the page; it shows {read_views(live_page)}") from exc
        wait_for_view(live_page, "v.log_rows.length >= 5", "the log shows rows", 30)
        # The filter keeps only the rows that mention it (the demo's ticks name five symbols).
        box = bar.locator("input[type=text]").first
        box.fill("ACME")
        wait_for_view(
            live_page,
            "v.log_head.includes('filter: ACME') && v.log_rows.length > 0 && v.log_rows.every(r => r.includes('ACME'))",
            "the filter keeps only ACME rows", 30,
        )
        shoot(live_page, f"{self.shots}-log-filtered", ".sio-log")
        box.fill("")
        wait_for_view(live_page, "!v.log_head.includes('filter:')", "the filter is off again", 30)
        # Pause view: the rows shown stay as they are while the header keeps counting.
        bar.get_by_role("button", name="Pause view").click()
        paused = wait_for_view(live_page, "v.log_head.includes('view paused')", "the header says 'view paused'", 30)
        later = wait_for_view(live_page, "v.count >= arg", "the header keeps counting while paused", 20, arg=paused["count"] + 5)
        assert later["log_rows"] == paused["log_rows"], "the rows moved while the view was paused"
        bar.get_by_role("button", name="Resume view").click()
        wait_for_view(live_page, "!v.log_head.includes('view paused')", "the view resumes", 30)
        # Clear view: the rows so far go; the rows that arrive after it show.
        before = read_views(live_page)["count"]
        bar.get_by_role("button", name="Clear view").click()
        wait_for_view(
            live_page, "v.log_rows.length > 0 && v.log_numbers.every(n => n > arg)",
            "after Clear view, only rows newer than the clear show", 30, arg=before,
        )
