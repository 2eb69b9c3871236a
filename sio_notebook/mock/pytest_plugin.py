"""The ``sio_mock`` pytest fixture: a test suite talks to a recorded session instead of a server.

Installed with sio-notebook (the ``pytest11`` entry point ``sio_mock``), nothing to import::

    # pyproject.toml (or pytest.ini / setup.cfg [tool:pytest])
    [tool.pytest.ini_options]
    sio_mock_dataset = "tests/data/session.parquet"   # relative to the ini file
    sio_mock_speed = "1.0"                            # optional; default as fast as possible

    # a test
    def test_ticks_arrive(sio_mock):
        client = sio_notebook.Client()
        client.connect(sio_mock.url)
        ...

    @pytest.mark.sio_mock("other.parquet", speed=2.0)  # this test: another dataset (relative
    def test_other(sio_mock): ...                      # to the test file), another speed

Which dataset a test gets, first match wins: the ``sio_mock`` marker's dataset (its first
argument or ``dataset=``), then the ``sio_mock_dataset`` ini option. Anything else (a dataset
a fixture records first, a :class:`~sio_notebook.notebook.recording.capture.Capture`) overrides the
``sio_mock_dataset`` fixture, whose value is the source::

    @pytest.fixture
    def sio_mock_dataset(tmp_path): return record_a_session(tmp_path)

The ``sio_mock`` fixture yields a running
:class:`~sio_notebook.mock.background.BackgroundMockServer` (``.url``, ``.recording``,
``.server``), one per test, stopped after it. It runs on its own loop in a thread, so it
serves sync tests and async tests alike. Needs the ``mock`` extra (and ``parquet`` for datasets).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["sio_mock", "sio_mock_dataset"]

DATASET_INI = "sio_mock_dataset"
SPEED_INI = "sio_mock_speed"
MARKER = "sio_mock"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(DATASET_INI, "the Parquet dataset the sio_mock fixture serves (relative to the ini file)", default="")
    parser.addini(SPEED_INI, "the sio_mock fixture's replay speed (default: as fast as possible)", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(dataset=None, speed=None): the recorded session the sio_mock fixture serves to this test "
        "(a dataset path relative to the test file) and its replay speed",
    )


def _marker(request: pytest.FixtureRequest) -> pytest.Mark | None:
    mark: pytest.Mark | None = request.node.get_closest_marker(MARKER)
    return mark


@pytest.fixture
def sio_mock_dataset(request: pytest.FixtureRequest) -> Any:
    """The source the ``sio_mock`` fixture serves: the marker's dataset, else the ini option's.
    Override this fixture to serve something else (a dataset recorded by another fixture)."""
    mark = _marker(request)
    if mark is not None:
        dataset = mark.kwargs.get("dataset", mark.args[0] if mark.args else None)
        if dataset is not None:
            return Path(request.path).parent / dataset
    configured = str(request.config.getini(DATASET_INI) or "").strip()
    if configured:
        base = request.config.inipath.parent if request.config.inipath else request.config.rootpath
        return base / configured
    raise pytest.UsageError(
        f"the sio_mock fixture has no dataset: set the {DATASET_INI} ini option, mark the test "
        f"@pytest.mark.{MARKER}('path/to/session.parquet'), or override the {DATASET_INI} fixture"
    )


def _speed(request: pytest.FixtureRequest) -> float | None:
    mark = _marker(request)
    if mark is not None and "speed" in mark.kwargs:
        return None if mark.kwargs["speed"] is None else float(mark.kwargs["speed"])
    text = str(request.config.getini(SPEED_INI) or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise pytest.UsageError(f"{SPEED_INI} = {text!r} is not a number") from None


@pytest.fixture
def sio_mock(request: pytest.FixtureRequest, sio_mock_dataset: Any) -> Iterator[Any]:
    """A running mock server (``.url``) playing ``sio_mock_dataset``; stopped after the test."""
    from .background import BackgroundMockServer

    with BackgroundMockServer(sio_mock_dataset, speed=_speed(request)) as server:
        yield server
