"""sio_notebook in marimo: the demo server's live events, from the Python API.

Run it with ``marimo run`` (or open it with ``marimo edit``)::

    marimo run "$(python -c 'import sio_notebook.demo.marimo_app as m; print(m.__file__)')"

It serves the bundled demo server (``sio_notebook.demo.server``, needs the ``[demo]``
extra) on a free port from the session's own event loop (so it ends with the session: no
process is left behind), or uses ``SIO_DEMO_URL`` if that is set. marimo has no magics:
every ``%sio`` action has a function in ``sio_notebook.notebook`` (connect, status,
capture, log, plot, call, emit, form, disconnect), and every view they return shows
itself as a cell's last expression and stays live (an anywidget, ``mo.ui.anywidget``).
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="sio_notebook: live Socket.IO in marimo")


@app.cell
def _():
    import marimo as mo

    import sio_notebook.notebook as nb

    return mo, nb


@app.cell
def _(mo):
    mo.md(
        """
        # Live Socket.IO events in marimo

        The bundled demo server streams `tick` events (prices of five symbols) and answers
        `add` with the sum. Every view below is live: it changes as events arrive.
        """
    )
    return


@app.cell
async def _():
    import os

    url = os.environ.get("SIO_DEMO_URL", "")
    if not url:  # serve the bundled demo server from this session's own event loop
        from aiohttp import web

        from sio_notebook.demo.server import create_app

        demo = web.AppRunner(create_app())
        await demo.setup()
        await web.TCPSite(demo, "127.0.0.1", 0).start()  # a free port; it ends with the session
        host, port = demo.addresses[0][:2]
        url = f"http://{host}:{port}"
    return (url,)


@app.cell
async def _(nb, url):
    sio = nb.connect(url)  # %sio connect URL: returns at once, connects in the background
    # The cells below use the connection: wait for it here, so that they (and an export of
    # the app, `marimo export html`) start from a connected client.
    await nb.wait_connected(sio, timeout=30)
    nb.status(sio)  # %sio status: state, URL, counters, heartbeat, rates
    return (sio,)


@app.cell
def _(nb, sio):
    ticks = nb.capture(sio, "tick")  # %sio capture tick: filter, pause view, clear view
    ticks
    return (ticks,)


@app.cell
def _(nb, ticks):
    nb.plot(ticks, "price", by="symbol", normalize=True, window=60)  # each symbol as its change in %
    return


@app.cell
async def _(nb, sio):
    answer = nb.call("add", {"a": 20, "b": 22}, name=sio)  # %sio call add {...}: the ack, 42
    await answer  # the ack's value; the view below shows it with its round-trip time
    answer
    return


@app.cell
def _(nb, sio):
    nb.form(sio, event="add", payload='{"a": 1, "b": 2}')  # %sio form
    return


if __name__ == "__main__":
    app.run()
