"""Fixtures of the notebook tests: the demo server, and a live kernel driven with jupyter_client."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from sio_notebook.notebook.run_demo import DemoServer

from .kernel import Kernel


@pytest.fixture(scope="session")
def demo_url() -> Iterator[str]:
    """``python -m sio_notebook.demo.server`` on a free port of 127.0.0.1."""
    with DemoServer() as server:
        assert server.url
        yield server.url


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    """A real ipykernel with ``%load_ext sio_notebook`` done and ``nb`` imported."""
    k = Kernel(cwd=tmp_path_factory.mktemp("kernel"), env=dict(os.environ))
    try:
        k.ok("%load_ext sio_notebook\nimport sio_notebook.notebook as nb")
        yield k
    finally:
        k.shutdown()
