"""The notebook layer's client Protocol matches the real client (statically and at run time)."""

from __future__ import annotations

from sio_notebook.aio import AsyncClient
from sio_notebook.notebook.client_api import NotebookClient


def test_async_client_is_a_notebook_client() -> None:
    client: NotebookClient = AsyncClient()  # mypy checks the shape here
    assert isinstance(client, NotebookClient)


def test_an_object_without_the_api_is_not() -> None:
    assert not isinstance(object(), NotebookClient)
