"""Views as plain display outputs updated in place: what survives saving.

A :class:`LiveOutput` shows as a ``display_data`` output with a ``display_id``
(``text/html`` plus a ``text/plain`` line) and later sends ``update_display_data`` with
the same id. A notebook stores the *last* update, and plain HTML renders everywhere:
JupyterLab, Notebook 7, VS Code and Colab with or without a kernel, ``nbconvert --to
html`` offline. (A widget output shows "Error displaying widget: model not found" once
its kernel is gone; see the README's notebook section.)

Voilà and marimo drop display updates (:mod:`.frontends.detect`): there the same HTML
is carried by one small anywidget (:mod:`.frontends.live_html`), whose synced ``html``
trait each push sets; marimo shows it through ``mo.ui.anywidget`` (``_display_``).

Updates are coalesced: at most ``max_fps`` per view per second (jupyter_server drops
IOPub messages above 1000/s, and a dropped update leaves a view stale), and only when
the bundle changed.

Headless execution (nbclient, papermill, ``nbconvert --execute``) keeps only messages
whose parent is the cell being executed; updates sent by background tasks between
cells are lost. So a ``post_execute`` hook (:func:`install_hook`) pushes every shown
view's current state synchronously at the end of every cell, and nbclient applies those
updates to the earlier cells' outputs: an executed notebook shows final states.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import html
import math
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Any

from ..frontends.detect import frontend
from ..frontends.show import marimo_append, marimo_element, show_bundle, update_bundle, widget_bundle, widget_metadata

__all__ = ["LiveOutput", "Throttle", "describe", "install_hook", "push_all", "show_bundle", "update_bundle"]


def running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def describe(exc: BaseException) -> str:
    """``"Name: message"`` of an exception, for people (aiohttp's nested names shortened)."""
    from .render import humanize_error

    text = humanize_error(str(exc))
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def execution_count() -> int | None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return None
    shell = get_ipython()
    return None if shell is None else int(shell.execution_count)


class Throttle:
    """Run ``callback`` on the loop at most once per ``interval`` seconds.

    ``poke()`` asks for a run as soon as the rate allows; pokes that arrive while a run
    is scheduled are merged into it. Without a running loop the callback runs at once.
    Errors go to ``on_error`` instead of the loop's exception handler (whose output would
    land in the kernel's log, not in the notebook).
    """

    def __init__(
        self,
        callback: Callable[[], None],
        interval: float,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._callback = callback
        self.interval = interval
        self._on_error = on_error
        self._handle: asyncio.TimerHandle | None = None
        self._when = math.inf
        self._last = -math.inf

    def poke(self, delay: float = 0.0) -> None:
        loop = running_loop()
        if loop is None:
            self._run()
            return
        now = time.monotonic()
        when = max(now + delay, self._last + self.interval)
        if self._handle is not None:
            if when >= self._when:
                return
            self._handle.cancel()
        self._when = when
        self._handle = loop.call_later(max(when - now, 0.0), self._run)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._when = math.inf

    def _run(self) -> None:
        self._handle = None
        self._when = math.inf
        self._last = time.monotonic()
        try:
            self._callback()
        except Exception as exc:  # noqa: BLE001 - shown in the view
            if self._on_error is None:
                raise
            self._on_error(exc)


_shown: weakref.WeakSet[LiveOutput] = weakref.WeakSet()
_hooked: set[int] = set()


def push_all(*_: Any) -> None:
    """Send every shown view's current state now (the ``post_execute`` hook), parented to
    the cell that just ran, if it changed since the hook last sent it (a background push
    in between went to an earlier cell, which headless runners no longer listen to)."""
    for view in list(_shown):
        with contextlib.suppress(Exception):  # a broken view must not break the cell
            view._push_for_cell()


def install_hook(shell: Any = None) -> None:
    """Register :func:`push_all` as ``post_execute`` hook of the IPython shell (once)."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover
            return
        shell = get_ipython()
    if shell is None or id(shell) in _hooked:
        return
    shell.events.register("post_execute", push_all)
    _hooked.add(id(shell))


def uninstall_hook(shell: Any) -> None:
    if id(shell) in _hooked:
        shell.events.unregister("post_execute", push_all)
        _hooked.discard(id(shell))


class ShownOncePerCell(abc.ABC):
    """Display now with :meth:`show`, and not a second time when the same object is also
    the cell's result.

    A magic that already displayed its view in the running cell also returns it (so that
    ``x = %sio ...`` binds it); IPython's displayhook must not show it twice. Displayed
    again from any later cell, both outputs then update.
    """

    _shown_in: int | None = None

    @abc.abstractmethod
    def _display(self) -> None:
        """Send the output to the front end."""

    def show(self) -> None:
        """Display now, and not again at the end of this cell."""
        self._display()
        self._shown_in = execution_count()

    def _ipython_display_(self) -> None:
        if self._shown_in is not None and self._shown_in == execution_count():
            return
        self._display()

    def _display_(self) -> Any:
        """marimo's display protocol: the element a cell's last expression shows."""
        return marimo_element(self._shown_widgets())

    def _shown_widgets(self) -> list[Any]:
        """The anywidgets this object shows as in marimo, top to bottom."""
        raise NotImplementedError(f"{type(self).__name__} cannot be shown in marimo")


class LiveOutput(ShownOncePerCell):
    """Base of the plain views: subclasses give :meth:`html` and :meth:`text`, and call
    :meth:`changed` when their state moved (coalesced to ``max_fps`` pushes a second)."""

    max_fps: float = 4.0

    def __init__(self) -> None:
        self.display_id = f"sio-{uuid.uuid4().hex}"
        self.pushes = 0
        """Updates sent so far (for tests and curiosity)."""
        self._last: dict[str, str] | None = None
        self._last_hooked: dict[str, str] | None = None
        self._displayed = False
        self._throttle = Throttle(self.push, 1.0 / self.max_fps, on_error=self._render_error)
        self._widget: Any = None

    @abc.abstractmethod
    def html(self) -> str:
        """The view as HTML (themed with the --jp-* variables)."""

    @abc.abstractmethod
    def text(self) -> str:
        """The view as plain text (what nbconvert --to text and a terminal show)."""

    def bundle(self) -> dict[str, str]:
        """The current ``{"text/html", "text/plain"}`` of the view."""
        return {"text/html": self.html(), "text/plain": self.text()}

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        return self.bundle()

    @property
    def last_pushed(self) -> dict[str, str] | None:
        """The bundle last sent to the front end (``None`` before the first display)."""
        return self._last

    def changed(self, delay: float = 0.0) -> None:
        """Ask for a push (merged with others; at most ``max_fps`` a second)."""
        if self._displayed:
            self._throttle.poke(delay)

    def push(self, force: bool = False) -> None:
        """Send the current state to every output of this view, if it changed (or ``force``)."""
        if not self._displayed:
            return
        bundle = self.bundle()
        if bundle == self._last and not force:
            return
        self._send(bundle)
        self._last = bundle
        self.pushes += 1

    def _send(self, bundle: dict[str, str]) -> None:
        # A view shown as a widget (Voilà, marimo) updates the widget: those frontends
        # drop display updates. Everywhere else, the plain output is updated in place.
        if self._widget is not None:
            self._widget.html = bundle["text/html"]
        else:
            update_bundle(bundle, self.display_id)

    def _push_for_cell(self) -> None:
        if not self._displayed:
            return
        bundle = self.bundle()
        if bundle != self._last_hooked:  # sent again, now parented to the cell that ran
            self._send(bundle)
            self._last = self._last_hooked = bundle
            self.pushes += 1
        if self.finished():  # nothing will change any more: stop looking at it
            _shown.discard(self)

    def finished(self) -> bool:
        """Whether the view can no longer change (then the end-of-cell hook forgets it)."""
        return False

    def live_widget(self) -> Any:
        """The anywidget carrying this view's HTML where display updates are dropped
        (Voilà, marimo: :mod:`.frontends.live_html`); made on first use."""
        if self._widget is None:
            from ..frontends.live_html import LiveHTML

            self._widget = LiveHTML(html=self.html(), marimo_theme=frontend() == "marimo")
        return self._widget

    def _display(self) -> None:
        where = frontend()
        if where == "marimo":
            marimo_append(self._display_())
            return
        bundle = self.bundle()
        if where == "voila":
            widget = self.live_widget()
            widget.html = bundle["text/html"]
            data = widget_bundle(widget, bundle["text/html"], bundle["text/plain"])
            show_bundle(data, self.display_id, metadata=widget_metadata(widget))
        else:
            show_bundle(bundle, self.display_id)
        self._shown_now(bundle)

    def shown_widget(self) -> Any:
        """The live widget with the current state, this view counted as shown (so it
        pushes from now on): what marimo puts on the page."""
        bundle = self.bundle()
        widget = self.live_widget()
        widget.html = bundle["text/html"]
        self._shown_now(bundle)
        return widget

    def _shown_widgets(self) -> list[Any]:
        return [self.shown_widget()]

    def _shown_now(self, bundle: dict[str, str]) -> None:
        self._last = self._last_hooked = bundle
        self._displayed = True
        _shown.add(self)
        install_hook()

    def _render_error(self, exc: BaseException) -> None:
        text = f"view error: {describe(exc)}"
        self._send({"text/plain": text, "text/html": f"<pre>{html.escape(text)}</pre>"})
