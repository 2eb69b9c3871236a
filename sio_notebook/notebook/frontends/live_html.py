"""One small anywidget that carries a view's HTML, for frontends that drop display updates.

Voilà does not apply ``update_display_data`` (voila-dashboards/voila #498, #837), and
marimo drops display updates once a view's cell has finished; both keep widgets live
(marimo through ``mo.ui.anywidget``). There a view shows this widget instead of a plain
output, and each (throttled) push sets :attr:`LiveHTML.html`, a synced traitlet: the
page replaces the element's content. The HTML is exactly what the plain output would
show (the renderers in :mod:`sio_notebook.notebook.views.render` and the views), so the views
look the same everywhere.

anywidget is the library built for this: one widget class renders in JupyterLab,
Notebook 7, VS Code, Colab (which ships anywidget 0.9.21 on ipywidgets 7.7.1), Voilà and
marimo, with its ESM (``live_html.js``) and CSS (``marimo_theme.css``: in marimo, which defines
no ``--jp-*`` variables, they are mapped to marimo's own theme colours) beside this module.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

__all__ = ["LiveHTML"]


class LiveHTML(anywidget.AnyWidget):
    """A block of HTML that the kernel replaces by setting :attr:`html`."""

    _esm = (Path(__file__).parent / "live_html.js").read_text(encoding="utf-8")
    _css = (Path(__file__).parent / "marimo_theme.css").read_text(encoding="utf-8")
    html = traitlets.Unicode("").tag(sync=True)
    """The view's current HTML (its ``text/html``)."""
    marimo_theme = traitlets.Bool(False).tag(sync=True)
    """Take the ``--jp-*`` variables from marimo's theme (marimo defines none)."""
