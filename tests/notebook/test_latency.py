"""Round-trip statistics: percentiles, the histogram view, and calls made in a real kernel."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from peers.launcher import ServerHandle

from sio_notebook.notebook.recording.roundtrips import LatencyStats, latency, record_rtt

from .kernel import Kernel


class Client:  # any object will do: the store is keyed by the client object
    pass


def test_percentiles_match_numpy_and_filter_by_event() -> None:
    client = Client()
    values = [0.001 * (i + 1) for i in range(200)]
    for v in values:
        record_rtt(client, "add", v)
    record_rtt(client, "echo", 5.0, namespace="/chat")
    stats = latency(client, "add")
    assert stats.count == 200 and stats.events == ("add",)
    for q, got in ((50, stats.p50), (90, stats.p90), (99, stats.p99)):
        assert math.isclose(got, float(np.percentile(values, q)))
    assert latency(client).count == 201 and latency(client).max == 5.0
    assert latency(client, namespace="/chat").count == 1
    assert "200 round trips: p50 100 ms, p90 180 ms, p99 198 ms" in str(stats)


def test_histogram_view() -> None:
    client = Client()
    for v in [0.002] * 50 + [0.02] * 30 + [0.2] * 5:
        record_rtt(client, "call", v)
    stats = latency(client)
    hist = stats.histogram(bins=10)
    assert sum(c for _, _, c in hist) == 85 and hist[0][2] == 50 and hist[-1][2] == 5
    html = stats._repr_mimebundle_()["text/html"]
    assert html.count("<rect") == 3 and "p50" in html and "p99" in html
    assert not re.findall(r"#[0-9a-fA-F]{3,6}", re.sub(r"var\([^()]*\)", "", html))  # theme colours only


def test_no_samples() -> None:
    stats = latency(Client())
    assert stats.count == 0 and math.isnan(stats.p50)
    assert "no acknowledged calls" in stats._repr_mimebundle_()["text/html"]
    assert LatencyStats.of([]).histogram() == []


@pytest.mark.timeout(120)
def test_calls_from_the_kernel_are_recorded(kernel: Kernel, node_server: ServerHandle) -> None:
    kernel.ok(
        f"%sio connect {node_server.url} --name lsio\n"
        "await nb.wait_connected(lsio, timeout=30)"
    )
    kernel.ok("r = %sio call echo 1 --name lsio\nawait r")
    kernel.ok("stats = nb.latency(lsio)\nassert stats.count == 1 and stats.events == ('echo',), stats")
    bundle = kernel.ok("stats").of_type("execute_result")[0]["content"]["data"]
    assert "1 round trip:" in bundle["text/plain"] and "<svg" in bundle["text/html"]
