"""Fixtures for the cluster tests (tests/cluster/launcher.py starts everything).

* ``cluster``: Redis, 2 Node workers with the Redis adapter, HAProxy; shared by a module's
  tests, which must not kill its workers.
* ``cluster_factory(workers=2)``: a private cluster (for tests that SIGKILL a worker),
  stopped at teardown.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from cluster.launcher import Cluster, start_cluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with start_cluster(workers=2) as running:
        yield running


@pytest.fixture
def cluster_factory() -> Iterator[Callable[..., Cluster]]:
    with contextlib.ExitStack() as stack:

        def make(workers: int = 2) -> Cluster:
            return stack.enter_context(start_cluster(workers))

        yield make
