"""A Socket.IO server made from a captured session: tests, notebooks and Binder without the real one.

::

    from sio_notebook.mock import mock_server             # also nb.mock_server

    async with await mock_server("session.parquet", speed=1.0) as server:
        ...                                               # connect any Socket.IO client to server.url

    python -m sio_notebook.mock session.parquet --port 5056 [--speed 1]

The source is a capture (:class:`~sio_notebook.notebook.recording.capture.Capture`) or the Parquet
dataset one wrote. Capture with ``outgoing=True`` to record calls and their acks, which the
mock then answers. Modules:

* :mod:`.recording`: the captured rows read as a script: server events per namespace, and the
  recorded calls with their acks (how an ack is paired with its call and chosen for a new one).
* :mod:`.server`: :class:`MockServer`, python-socketio's ``AsyncServer`` on aiohttp playing it.
* :mod:`.background`: :class:`BackgroundMockServer`, the same on its own loop thread, for sync code.
* :mod:`.__main__`: the command line.
* :mod:`.pytest_plugin`: the ``sio_mock`` pytest fixture (registered as a pytest plugin).

Needs the ``mock`` extra (python-socketio's server) and, for datasets, ``parquet``; importing
this package imports neither: starting a server does, with an error naming the extra.
"""

from __future__ import annotations

from .background import BackgroundMockServer
from .recording import AckBook, Recording
from .server import MockServer, mock_server

__all__ = ["AckBook", "BackgroundMockServer", "MockServer", "Recording", "mock_server"]
