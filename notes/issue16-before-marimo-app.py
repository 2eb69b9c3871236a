"""A marimo app a user writes from the README's Python API (issue 16's "before" measurement).

Run: SIO_DEMO_URL=http://127.0.0.1:PORT marimo run notes/issue16-before-marimo-app.py --headless
Every view is a cell's last expression (marimo has no magics, no IPython display hook).
"""

# ruff: noqa: B018 - marimo shows a cell's last expression: a bare name is the display

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import os

    import sio_notebook.notebook as nb

    url = os.environ.get("SIO_DEMO_URL", "http://127.0.0.1:5055")
    return url, nb


@app.cell
async def _(url, nb):
    sio = nb.connect(url, namespaces=["/", "/chat"])
    status = nb.StatusWidget(sio)
    status
    return (sio,)


@app.cell
async def _(nb, sio):
    cap = nb.capture(sio, "tick")
    log = nb.EventTable(cap)
    log
    return (cap,)


@app.cell
async def _(cap):
    await cap.wait_for(25, timeout=30)
    chart = cap.plot("price", by="symbol", normalize=True, window=60)
    chart
    return


@app.cell
async def _(nb, sio):
    r = nb.Pending(sio, "call", "add", {"a": 40, "b": 2})
    r
    return


@app.cell
async def _(nb, sio):
    form = nb.EmitForm(sio)
    form
    return


if __name__ == "__main__":
    app.run()
