"""Which notebook frontend runs this kernel: ``"jupyter"``, ``"voila"`` or ``"marimo"``.

The views need to know because two frontends do not apply display updates
(``update_display_data``): Voilà captures each cell's outputs when the cell finishes
(voila-dashboards/voila #498, #837), and marimo drops them once the view's cell has
finished. There the views carry their HTML in a widget instead (:mod:`.live_html`).
Everything else (JupyterLab, Notebook 7, VS Code, Colab, nbclient/nbconvert) is
``"jupyter"``: plain outputs updated in place, which a saved notebook keeps.

How it is told:

* an explicit choice wins: :func:`set_frontend` or the ``SIO_NOTEBOOK_FRONTEND``
  environment variable (``jupyter``, ``voila`` or ``marimo``);
* marimo: the ``marimo`` package is imported (its kernel imports it before any cell runs)
  and ``marimo.running_in_notebook()`` says so (true in ``marimo edit`` and ``marimo run``);
* Voilà (0.5): it starts its kernels with ``VOILA_BASE_URL``, ``VOILA_SERVER_URL``,
  ``VOILA_APP_PORT`` (and ``VOILA_REQUEST_URL``) in their environment (voila's
  ``handler.py``, ``voila_kernel_manager.py``), and sets ``VOILA_KERNEL_ID`` in
  ``os.environ`` before the notebook's first cell (``notebook_renderer.py``); a Jupyter
  server's kernels have none of them.

Detection runs once per process (the answer cannot change while the kernel lives).
"""

from __future__ import annotations

import os
import sys
from typing import Literal

__all__ = ["FRONTENDS", "Frontend", "frontend", "needs_widget_views", "set_frontend"]

Frontend = Literal["jupyter", "voila", "marimo"]
FRONTENDS: tuple[Frontend, ...] = ("jupyter", "voila", "marimo")
ENV = "SIO_NOTEBOOK_FRONTEND"

_VOILA_VARIABLES = ("VOILA_KERNEL_ID", "VOILA_SERVER_URL", "VOILA_BASE_URL", "VOILA_APP_PORT")

_chosen: Frontend | None = None
_detected: Frontend | None = None


def set_frontend(name: str | None) -> None:
    """Force the frontend the views are made for (``None``: detect again).

    Raises ``ValueError`` for a name that is not one of :data:`FRONTENDS`.
    """
    global _chosen, _detected
    _chosen = None if name is None else _check(name, "set_frontend()")
    _detected = None


def frontend() -> Frontend:
    """The frontend the views are made for (see the module docstring)."""
    global _detected
    if _chosen is not None:
        return _chosen
    forced = os.environ.get(ENV, "").strip()
    if forced:
        return _check(forced, f"the {ENV} environment variable")
    if _detected is None:
        _detected = _detect()
    return _detected


def needs_widget_views() -> bool:
    """Whether display updates are lost here, so views must live in a widget."""
    return frontend() != "jupyter"


def _check(name: str, where: str) -> Frontend:
    value = name.strip().lower()
    if value not in FRONTENDS:
        raise ValueError(f"{where}: unknown frontend {name!r} (use one of: {', '.join(FRONTENDS)})")
    return value


def _detect() -> Frontend:
    if _in_marimo():
        return "marimo"
    if any(os.environ.get(name) for name in _VOILA_VARIABLES):
        return "voila"
    return "jupyter"


def _in_marimo() -> bool:
    marimo = sys.modules.get("marimo")  # never import it: only marimo's own kernel has
    if marimo is None:
        return False
    running = getattr(marimo, "running_in_notebook", None)
    return bool(running()) if callable(running) else False
