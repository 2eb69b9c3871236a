"""The notebook views, gathered in one place (each lives in its own module).

::

    from sio_notebook.notebook import StatusWidget, EventTable, EmitForm, capture

    StatusWidget(sio)               # state, URL, counters, heartbeat, per-event rates
    EventTable(capture(sio, "*"))   # the event log of a capture: filter, pause view, clear view
    EmitForm(sio)                   # event, namespace, payload, wait for ack; results below

* :mod:`.status`, :mod:`.log` and :mod:`.pending` are plain HTML outputs updated in
  place (``display_id``), so saved and headless-executed notebooks show their last state;
* :mod:`.controls` (the log's control bar) and :mod:`.form` (the emit form's inputs)
  are anywidgets (:mod:`.frontends.inputs`), with a ``text/html`` of their state for
  front ends without a kernel;
* in Voilà and marimo, which drop display updates, the plain outputs are carried by an
  anywidget instead (:mod:`.frontends.live_html`).

Update rates are bounded (jupyter_server drops IOPub messages above 1000 msg/s, and a
dropped update leaves a view stale): every view pushes at most 4 times a second, and only
what changed. See :mod:`.live`.

This module is an index for people, and a leaf: it imports every view, and nothing in the
package imports it (the package imports each view from its own module), so it can never
close an import cycle (``tests/test_layering.py``).
"""

from __future__ import annotations

from .form import EmitForm
from .live import Throttle
from .log import EventLog, EventTable
from .pending import Pending
from .status import StatusWidget

__all__ = ["EmitForm", "EventLog", "EventTable", "Pending", "StatusWidget", "Throttle"]
