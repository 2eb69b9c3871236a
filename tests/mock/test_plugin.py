"""The ``sio_mock`` fixture as a user meets it: a separate pytest run (pytester, in a subprocess)
of a project that only configures a dataset; the fixture comes from the installed entry point."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

# Whole programs end to end, run once on the full tier's Python (scripts/test-matrix).
pytestmark = pytest.mark.once

TESTS = '''
import threading

import pytest

import sio_notebook

EXPECTED = {expected!r}


def _events(url, namespace="/"):
    client = sio_notebook.Client()
    got, done = [], threading.Event()

    def on_any(ns, event, args):
        got.append([event, list(args)])
        if event == EXPECTED[-1][0]:
            done.set()

    client.on_any(on_any)
    client.connect(url, namespaces=[namespace])
    try:
        assert done.wait(10), got
        return got, client.call("echo", {{"x": 2, "tags": ["a", "b"]}}, timeout=5)
    finally:
        client.disconnect()


def test_the_ini_dataset_is_served(sio_mock):
    assert sio_mock.url.startswith("http://127.0.0.1:")
    got, ack = _events(sio_mock.url)
    assert got == EXPECTED
    assert ack == {{"x": 2, "tags": ["a", "b"]}}


@pytest.mark.sio_mock("other/session.parquet", speed=100)
def test_a_marker_names_another_dataset_relative_to_the_test_file(sio_mock):
    assert str(sio_mock.server.recording.namespaces) == "['/', '/custom']"
    assert sio_mock.server.speed == 100
    got, _ = _events(sio_mock.url)
    assert got == EXPECTED


def test_each_test_gets_its_own_server(sio_mock, request):
    assert sio_mock.url
'''


def _expected(recorded: Path) -> list[list[object]]:
    from sio_notebook.notebook import Capture

    return [[r.event, list(r.args)] for r in Capture.load(recorded) if r.direction == "in" and r.namespace == "/"]


def test_the_fixture_serves_the_configured_dataset(pytester: pytest.Pytester, recorded: Path) -> None:
    shutil.copytree(recorded, pytester.path / "data" / "session.parquet")
    shutil.copytree(recorded, pytester.path / "other" / "session.parquet")
    pytester.makeini("[pytest]\nsio_mock_dataset = data/session.parquet\n")
    pytester.makepyfile(test_recorded=TESTS.format(expected=_expected(recorded)))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=3)
    # the marker is registered by the plugin: --strict-markers accepts it
    strict = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers", "-q")
    strict.assert_outcomes(passed=3)


def test_without_a_dataset_the_fixture_says_how_to_name_one(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_nothing="def test_it(sio_mock):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*the sio_mock fixture has no dataset: set the sio_mock_dataset ini option*"])


def test_the_dataset_fixture_can_be_overridden(pytester: pytest.Pytester, recorded: Path) -> None:
    pytester.makeconftest(
        "import pytest\n\n"
        "@pytest.fixture\n"
        f"def sio_mock_dataset():\n    return {str(recorded)!r}\n"
    )
    pytester.makepyfile(test_override=TESTS.format(expected=_expected(recorded)).split("@pytest.mark")[0])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
