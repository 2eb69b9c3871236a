"""The ipywidgets control bar of the event log (filter, pause view, clear view).

The bar is the only interactive part of the log; the log itself is a plain output (see
:mod:`.log`). Its display bundle carries a ``text/html`` of its current state beside
the widget view, for front ends that cannot render widgets (nbconvert, untrusted views).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W  # noqa: N812 - the ipywidgets documentation's own alias

__all__ = ["LogControls", "WidgetOutput", "widget_bundle"]


#: The mime type of a widget view (the Jupyter widgets message protocol, version 2).
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def widget_bundle(widget: W.Widget, html: str, plain: str) -> dict[str, Any]:
    """The widget's view plus a ``text/html`` and ``text/plain`` fallback.

    Built from ``get_view_spec()``, public in ipywidgets 7 and 8 alike: ipywidgets 7
    (Colab's) widgets have no ``_repr_mimebundle_`` (they display through
    ``_ipython_display_``), and 8's returns the same view spec.
    """
    return {WIDGET_VIEW: widget.get_view_spec(), "text/html": html, "text/plain": plain}


class WidgetOutput:
    """A widget shown with a ``display_id``, so that :meth:`finish` can replace it, in
    place, by a static ``text/html`` of its final state.

    A widget output saved in a notebook shows "Error displaying widget: model not found"
    once its kernel is gone. Inputs that can no longer act (their connection was closed
    for good) are therefore turned into plain outputs, which survive saving.
    """

    display_id: str
    finished = False

    def _display_widget(self, bundle: dict[str, Any]) -> None:
        from .live import show_bundle

        if not getattr(self, "display_id", None):
            import uuid

            self.display_id = f"sio-w-{uuid.uuid4().hex}"
        show_bundle(bundle, self.display_id)

    def finish(self, html: str, plain: str) -> None:
        """Replace every displayed copy by ``html`` / ``plain`` (no widget any more)."""
        if self.finished:
            return
        self.finished = True
        if getattr(self, "display_id", None):
            from .live import update_bundle

            update_bundle({"text/html": html, "text/plain": plain}, self.display_id)


class LogControls(WidgetOutput):
    """Filter box, *Pause view* toggle and *Clear view* button of an event log view."""

    def __init__(self, view: Any) -> None:
        self.view = view
        self.filter = W.Text(
            placeholder="filter: event, /namespace or text",
            continuous_update=True,
            layout=W.Layout(width="22em"),
        )
        self.pause = W.ToggleButton(description="Pause view", tooltip="freeze the rows shown (the capture goes on)")
        self.clear = W.Button(description="Clear view", tooltip="hide the rows so far (cap.clear() forgets the data)")
        self.filter.observe(self._on_filter, names="value")
        self.pause.observe(self._on_pause, names="value")
        self.clear.on_click(lambda _: view.clear())
        self.widget = W.HBox([self.filter, self.pause, self.clear])
        self.widget.add_class("sio-log-controls")
        self._syncing = False
        self.sync()

    def sync(self) -> None:
        """Show the view's state (and disable what cannot act: a capture gone for good)."""
        self._syncing = True
        try:
            if self.filter.value != self.view.filter:
                self.filter.value = self.view.filter
            if self.pause.value != self.view.paused:
                self.pause.value = self.view.paused
            description = "Resume view" if self.view.paused else "Pause view"
            if self.pause.description != description:
                self.pause.description = description
            gone = bool(self.view.capture.gone) or not self.view.capture.active
            if self.pause.disabled != (gone and not self.view.paused):
                self.pause.disabled = gone and not self.view.paused
        finally:
            self._syncing = False
        if self.view.capture.gone:  # the log's header says so; the controls just go
            self.finish("", "")

    def close(self) -> None:
        self.widget.close()

    def _on_filter(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self.view.filter = change["new"]

    def _on_pause(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self.view.pause() if change["new"] else self.view.resume()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return widget_bundle(self.widget, self.view.fallback_html(), "event log controls (need a running kernel)")

    def show(self) -> None:
        self._display_widget(self._repr_mimebundle_())
