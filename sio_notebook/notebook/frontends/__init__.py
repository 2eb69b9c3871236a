"""How the views reach each notebook frontend (one folder per job, see ARCHITECTURE.md).

* :mod:`.detect`: which frontend runs the kernel (Jupyter, Voilà or marimo), once, with
  an override (``SIO_NOTEBOOK_FRONTEND`` or :func:`~.detect.set_frontend`);
* :mod:`.live_html`: the one small anywidget that carries a view's HTML where display
  updates are not applied (Voilà, marimo);
* :mod:`.inputs`: the inputs (the log's filter, pause and clear; the emit form) as
  anywidgets, with their ESM and CSS beside them (``inputs.js``, ``inputs.css``);
* :mod:`.show`: how a view is put on the page in each frontend.
"""
