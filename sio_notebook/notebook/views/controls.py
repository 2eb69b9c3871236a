"""The event log's control bar (filter, pause view, clear view) and widget outputs.

The bar is the only interactive part of the log; the log itself is a plain output (see
:mod:`.log`). The bar is an anywidget (:mod:`.frontends.inputs`), so the same bar works in
JupyterLab, Notebook 7, VS Code, Colab's ipywidgets 7, Voilà and marimo. Its display bundle
carries a ``text/html`` of its current state beside the widget view, for frontends that
cannot render widgets (nbconvert, untrusted notebooks).
"""

from __future__ import annotations

from typing import Any

from ..frontends.detect import frontend
from ..frontends.show import show_bundle, update_bundle, widget_bundle, widget_metadata

__all__ = ["LogControls", "WidgetOutput", "widget_bundle"]


class WidgetOutput:
    """A widget shown with a ``display_id``, so that :meth:`finish` can replace it, in
    place, by a static ``text/html`` of its final state.

    A widget output saved in a notebook shows "Error displaying widget: model not found"
    once its kernel is gone. Inputs that can no longer act (their connection was closed
    for good) are therefore turned into plain outputs, which survive saving. Voilà ignores
    that update: the widget is closed, and its view goes with it. marimo has no display
    ids and keeps the element: the widget's ``closed`` trait makes the page empty it.
    """

    display_id: str
    finished = False
    widget: Any

    def _display_widget(self, bundle: dict[str, Any]) -> None:
        if not getattr(self, "display_id", None):
            import uuid

            self.display_id = f"sio-w-{uuid.uuid4().hex}"
        show_bundle(bundle, self.display_id, metadata=widget_metadata(self.widget))

    def finish(self, html: str, plain: str) -> None:
        """Replace every displayed copy by ``html`` / ``plain`` (no widget any more)."""
        if self.finished:
            return
        self.finished = True
        if getattr(self, "display_id", None) and frontend() != "marimo":
            update_bundle({"text/html": html, "text/plain": plain}, self.display_id)
        if frontend() == "voila":  # Voilà ignores the update above: take the widget away
            self.widget.close()
        elif frontend() == "marimo":  # its element stays: the page empties it
            self.widget.closed = True


class LogControls(WidgetOutput):
    """Filter box, *Pause view* toggle and *Clear view* button of an event log view."""

    def __init__(self, view: Any) -> None:
        from ..frontends.inputs import Field, LogControlsInputs, on_owner_loop  # anywidget: on first use only

        self.view = view
        self.widget = LogControlsInputs(marimo_theme=frontend() == "marimo")
        self.filter = Field(self.widget, "filter")
        self.pause = Field(
            self.widget,
            "paused",
            description=lambda: "Resume view" if self.widget.paused else "Pause view",
            disabled_trait="pause_disabled",
        )
        self.clear = Field(self.widget, "clears", description="Clear view")
        # presses may arrive on another thread (a kernel subshell): act on the view's loop
        self.widget.observe(on_owner_loop(self._on_filter), names="filter")
        self.widget.observe(on_owner_loop(self._on_pause), names="paused")
        self.widget.observe(on_owner_loop(lambda _: view.clear()), names="clears")
        self._syncing = False
        self.sync()

    def sync(self) -> None:
        """Show the view's state (and disable what cannot act: a capture gone for good)."""
        widget = self.widget
        self._syncing = True
        try:
            if widget.filter != self.view.filter:
                widget.filter = self.view.filter
            if widget.paused != self.view.paused:
                widget.paused = self.view.paused
            gone = bool(self.view.capture.gone) or not self.view.capture.active
            if widget.pause_disabled != (gone and not self.view.paused):
                widget.pause_disabled = gone and not self.view.paused
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

    def bundle(self) -> dict[str, Any]:
        """The widget's view entry with a readable fallback of its state."""
        html, plain = self.view.fallback()
        return widget_bundle(self.widget, html, plain)

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.bundle(), widget_metadata(self.widget)

    def show(self) -> None:
        self._display_widget(self.bundle())
