"""Putting a view on the page, per frontend.

* Jupyter frontends and Voilà: ``IPython.display.display`` of a mime bundle. A widget
  is shown with its ``application/vnd.jupyter.widget-view+json`` entry built here from
  its model id (the same for ipywidgets 7 and 8: ``version_major`` 2), beside a
  ``text/html`` and ``text/plain`` of its state. ipywidgets 7 (Colab) has no
  ``_repr_mimebundle_`` on its widgets, so nothing here relies on one; and the fallback
  is what a saved notebook, an untrusted one or ``nbconvert`` shows. The display's
  metadata is the widget's own (:func:`widget_metadata`): on Colab, anywidget names there
  the custom widget manager that renders it.
* marimo: no IPython display. A view object is shown as a cell's last expression (its
  ``_display_`` returns :func:`marimo_element`), or by ``view.show()``, which appends it
  to the cell's output (:func:`marimo_append`, marimo's ``mo.output.append``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["marimo_append", "marimo_element", "show_bundle", "update_bundle", "widget_bundle", "widget_metadata"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def show_bundle(
    bundle: Any, display_id: str | None = None, raw: bool = True, metadata: dict[str, Any] | None = None
) -> None:
    """``IPython.display.display`` (typed): show ``bundle`` (a mime dict, or an object)."""
    from IPython.display import display

    show: Callable[..., None] = display
    extra: dict[str, Any] = {"metadata": metadata} if metadata else {}
    if display_id is None:
        show(bundle, raw=raw, **extra)
    else:
        show(bundle, raw=raw, display_id=display_id, **extra)


def update_bundle(bundle: dict[str, str], display_id: str) -> None:
    """``IPython.display.update_display`` (typed): replace every output of ``display_id``."""
    from IPython.display import update_display

    update: Callable[..., None] = update_display
    update(bundle, raw=True, display_id=display_id)


def widget_bundle(widget: Any, html: str, plain: str) -> dict[str, Any]:
    """A widget's view entry (from its model id) plus a ``text/html`` and ``text/plain``
    of its state for frontends that cannot render it."""
    view = {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}
    return {WIDGET_VIEW: view, "text/html": html, "text/plain": plain}


def widget_metadata(widget: Any) -> dict[str, Any]:
    """The display metadata ``widget`` asks for itself: anywidget's ``_repr_mimebundle_``
    returns ``(data, metadata)``, and on Colab the metadata names the custom widget manager
    that renders third-party widgets (elsewhere it is empty). ``{}`` for any other widget."""
    represent = getattr(widget, "_repr_mimebundle_", None)
    shown = represent() if callable(represent) else None
    if isinstance(shown, tuple) and len(shown) == 2 and isinstance(shown[1], dict):
        return shown[1]
    return {}


def marimo_element(widgets: Sequence[Any]) -> Any:
    """The marimo element showing ``widgets`` (anywidgets), stacked top to bottom."""
    import marimo as mo

    elements = [mo.ui.anywidget(w) for w in widgets]
    return elements[0] if len(elements) == 1 else mo.vstack(elements)


def marimo_append(element: Any) -> None:
    """Append ``element`` to the running marimo cell's output."""
    import marimo as mo

    mo.output.append(element)
