"""A password in the connect URL never reaches what the notebook shows."""

from __future__ import annotations

import json

from sio_notebook.notebook import connections


async def test_status_view_of_a_url_with_credentials_hides_the_password() -> None:
    client = connections.connect("http://alice:s3cret@127.0.0.1:9/", name="redaction_probe", reconnection=False)
    conn = connections.get_connection(client)
    try:
        assert conn.url == "http://alice:***@127.0.0.1:9/"
        shown = json.dumps(conn.status_view().bundle())
        assert "alice" in shown and "s3cret" not in shown
    finally:
        task = connections.disconnect("redaction_probe")
        await task
