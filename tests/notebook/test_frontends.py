"""The views where display updates are dropped (Voilà, marimo), and the frontend detection.

A Voilà kernel is a real ipykernel started with the environment Voilà gives its kernels
(``VOILA_BASE_URL``...): there every view must be a widget whose ``html`` trait changes
while events arrive (Voilà ignores ``update_display_data``). marimo is checked with the
shipped app under ``marimo export html``, which runs every cell in marimo's own kernel and
saves the widgets' state. Real-browser checks of both are in the browser test modules.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sio_notebook.notebook as nb
from sio_notebook.notebook.frontends import detect

from .kernel import Kernel

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def voila_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    """A kernel started the way Voilà 0.5 starts its kernels (its VOILA_* environment)."""
    env = {**os.environ, "VOILA_BASE_URL": "/", "VOILA_SERVER_URL": "/", "VOILA_APP_PORT": "8866"}
    env.pop("SIO_NOTEBOOK_FRONTEND", None)
    k = Kernel(cwd=tmp_path_factory.mktemp("voila-kernel"), env=env)
    try:
        k.ok("%load_ext sio_notebook\nimport sio_notebook.notebook as nb")
        yield k
    finally:
        k.shutdown()


def _widget_of(reply: Any) -> str:
    """The model id of the (last) widget view a cell displayed."""
    views = [
        m["content"]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
        for m in reply.of_type("display_data")
        if "application/vnd.jupyter.widget-view+json" in m["content"]["data"]
    ]
    assert views, reply.outputs
    return str(views[-1])


def _html_updates(kernel: Kernel, since: float, model_id: str) -> list[tuple[float, str]]:
    return [
        (t, m["content"]["data"]["state"]["html"])
        for t, m in kernel.messages(since, ("comm_msg",))
        if m["content"]["comm_id"] == model_id and "html" in m["content"]["data"].get("state", {})
    ]


def _wait_html(kernel: Kernel, since: float, model_id: str, pattern: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for _, html in _html_updates(kernel, since, model_id):
            if re.search(pattern, html):
                return html
        time.sleep(0.05)
    raise AssertionError(f"no html update of {model_id} matching {pattern!r}")


def _count(html: str) -> int:
    m = re.search(r'class="sio-count">([\d,]+) event', html)
    assert m, html[-500:]
    return int(m.group(1).replace(",", ""))


def test_the_frontend_is_detected_and_can_be_forced(kernel: Kernel, voila_kernel: Kernel) -> None:
    assert kernel.ok("nb.frontend()").result() == "'jupyter'"
    assert voila_kernel.ok("nb.frontend()").result() == "'voila'"
    assert kernel.ok("nb.set_frontend('VOILA')\nf = nb.frontend()\nnb.set_frontend(None)\nf").result() == "'voila'"
    with pytest.raises(ValueError, match=r"unknown frontend 'colab' \(use one of: jupyter, voila, marimo\)"):
        nb.set_frontend("colab")
    os.environ[detect.ENV] = "nope"
    try:
        with pytest.raises(ValueError, match="SIO_NOTEBOOK_FRONTEND environment variable: unknown frontend 'nope'"):
            nb.frontend()
        os.environ[detect.ENV] = "marimo"
        assert nb.frontend() == "marimo"
    finally:
        del os.environ[detect.ENV]
    assert nb.frontend() == "jupyter"  # marimo is not running this process


def test_in_voila_the_views_are_widgets_that_change_while_events_arrive(voila_kernel: Kernel, demo_url: str) -> None:
    k = voila_kernel
    since = time.monotonic()
    reply = k.ok(f"%sio connect {demo_url} --name v")
    status = _widget_of(reply)
    (shown,) = reply.of_type("display_data")
    assert "sio-status" in shown["content"]["data"]["text/html"]  # the fallback beside the widget
    _wait_html(k, since, status, r"sio-badge sio-state-connected")

    since = time.monotonic()
    log = _widget_of(k.ok("cap = %sio capture tick --name v"))
    first = _count(_wait_html(k, since, log, r'class="sio-count">[1-9]'))
    time.sleep(3)  # the demo server ticks every 0.2 s: the log must have moved on
    updates = _html_updates(k, since, log)
    assert _count(updates[-1][1]) > first + 5, [_count(h) for _, h in updates]
    # throttled like the plain views: at most 4 pushes a second (plus the first)
    span = updates[-1][0] - updates[0][0]
    assert len(updates) <= 4 * span + 2, (len(updates), span)

    since = time.monotonic()
    chart = _widget_of(k.ok("%sio plot tick price --by symbol --name v"))
    _wait_html(k, since, chart, r"[1-9]\d* points")
    time.sleep(1.5)
    frames = {html for _, html in _html_updates(k, since, chart)}
    assert len(frames) >= 3, len(frames)  # the chart is redrawn as ticks arrive

    since = time.monotonic()
    call = _widget_of(k.ok('r = %sio call add {"a": 20, "b": 22} --name v'))
    assert "ack in" in _wait_html(k, since, call, r"sio-pending-ack") and k.ok("await r").result() == "42"
    # Voilà ignores display updates: none is spent on the widget views
    assert not [m for _, m in k.messages(since, ("update_display_data",))]


def test_in_voila_the_form_sends_on_a_press_and_goes_away_on_disconnect(voila_kernel: Kernel, demo_url: str) -> None:
    k = voila_kernel
    k.ok(f"%sio connect {demo_url} --name vf\nawait nb.wait_connected(vf, timeout=30)")
    since = time.monotonic()
    reply = k.ok("form = %sio form --name vf\nform.event.value = 'add'\nform.payload.value = '{\"a\": 1, \"b\": 2}'")
    views = [
        m["content"]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
        for m in reply.of_type("display_data")
    ]
    inputs, results = views
    # what the page sends when Send is pressed: the press counter, incremented
    press = {"method": "update", "state": {"sends": 1}, "buffer_paths": []}
    msg = k.kc.session.msg("comm_msg", {"comm_id": inputs, "data": press})
    k.kc.shell_channel.send(msg)
    assert re.search(r"ack in [\d.]+ ms:</span> <code class=\"sio-ack\">3</code>", _wait_html(k, since, results, "sio-send-ack"))
    since = time.monotonic()
    k.ok("%sio disconnect --name vf")
    deadline = time.monotonic() + 10
    while not [m for _, m in k.messages(since, ("comm_close",)) if m["content"]["comm_id"] == inputs]:
        assert time.monotonic() < deadline, "the form's inputs were not closed"
        time.sleep(0.05)


def test_the_marimo_app_runs_and_its_export_keeps_the_views_states(tmp_path: Path, demo_url: str) -> None:
    app = ROOT / "sio_notebook" / "demo" / "marimo_app.py"
    out = tmp_path / "app.html"
    env = {**os.environ, "SIO_DEMO_URL": demo_url}
    marimo = Path(sys.executable).with_name("marimo")
    done = subprocess.run(
        [str(marimo), "export", "html", str(app), "-o", str(out)], env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stdout + done.stderr
    page = out.read_text(encoding="utf-8")
    # marimo embeds each widget's state as JSON in the page
    text = page.replace("\\u003C", "<").replace("\\u003E", ">").replace('\\"', '"')
    assert "Jupyter widgets are not supported" not in text
    assert 'class="sio-badge sio-state-connected"' in text  # the status, connected
    assert re.search(r'ack in [\d.]+ ms</span>: <code class="sio-ack">42</code>', text)  # the call's ack
    assert re.search(r'class="sio-count">\d+ event', text)  # the capture's log
    assert 'aria-label="price by symbol"' in text  # the chart


def test_loading_the_extension_without_ipython_says_what_to_do() -> None:
    with pytest.raises(TypeError, match=r"needs an IPython shell, got None .*use the Python API instead"):
        nb.load_ipython_extension(None)
    with pytest.raises(TypeError, match="unload_ipython_extension"):
        nb.unload_ipython_extension(None)


def test_the_python_api_does_what_the_magics_do(kernel: Kernel, demo_url: str) -> None:
    kernel.ok(
        f"api = nb.connect({demo_url!r}, name='api')\n"
        "await nb.wait_connected(api, timeout=30)\n"
        "st = nb.status('api')\n"
        "assert st is nb.status(api) and st.state == 'connected'  # the connection's one status view\n"
        "assert 'api' in repr(nb.connection_list()) and 'connected' in nb.connection_list()._repr_html_()\n"
        "r = nb.call('add', {'a': 20, 'b': 22}, name='api')\n"
        "assert await r == 42 and r.state == 'ack'\n"
        "e = nb.emit('echo', 1, name=api)\n"
        "await e\n"
        "assert e.state == 'sent'\n"
        "log = nb.log('api')\n"
        "ticks = nb.capture(api, 'tick')\n"
        "await ticks.wait_for(3, timeout=10)\n"
        "chart = nb.plot(ticks, 'price', by='symbol')\n"
        "form = nb.form('api', event='add', payload='{\"a\": 1, \"b\": 2}')\n"
        "assert await form.send() == 3\n"
        "assert ('out', 'add') in [(row.direction, row.event) for row in log]\n"
        "conn = nb.get_connection('api')\n"
        "assert log in conn.captures and ticks in conn.captures and form in conn.views  # they follow the name\n"
        "await nb.disconnect('api')\n"
        "assert ticks.gone and log.gone and not ticks.active"
    )
    with pytest.raises(AssertionError, match="no connection named 'gone'"):
        kernel.ok("nb.status('gone')")
