"""The live chart without a kernel: what it takes from the capture and what it draws."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from sio_notebook.notebook import capture
from sio_notebook.notebook.views.chart import LiveChart, minmax_indices, nice_ticks, plot, time_ticks

from .fakes import FakeClient


def _polylines(svg: str) -> list[list[tuple[float, float]]]:
    return [
        [tuple(map(float, p.split(","))) for p in m.split()]  # type: ignore[misc]
        for m in re.findall(r'<polyline points="([^"]*)"', svg)
    ]


def test_one_series_per_key_and_bounded_points_per_frame() -> None:
    client = FakeClient()
    cap = capture(client, "tick", max_rows=100)
    chart = cap.plot("price", by="symbol", width=400)
    assert isinstance(chart, LiveChart)
    for i in range(30_000):
        client.feed("/", "tick", {"symbol": "AB"[i % 2], "price": float(i % 1000), "i": i})
    client.feed("/", "tick", {"symbol": "A", "price": "n/a"})  # not a number: counted, not drawn
    client.feed("/", "other", {"symbol": "A", "price": 1.0})  # not captured
    assert chart.points == 30_000 and chart.skipped == 1
    assert set(chart.series) == {"A", "B"}
    assert len(chart.series["A"][0]) == 15_000  # every point is held (the ring buffer has 100) ...
    svg = chart.svg()
    lines = _polylines(svg)
    assert len(lines) == 2
    plot_width = 400 - 64 - 12
    assert all(len(line) <= 2 * plot_width + 2 for line in lines)  # ... but a frame is bounded
    assert "price by symbol" in svg and "30,000 points" in svg
    assert ">A 998<" in svg or ">A 998.0<" in svg  # the legend shows the last value


def test_minmax_keeps_spikes_and_order() -> None:
    x = np.arange(100_000, dtype="float64")
    y = np.zeros_like(x)
    y[12_345], y[67_890] = 50.0, -50.0  # one-point spikes must survive the downsampling
    idx = minmax_indices(x, y, 0.0, 99_999.0, 300)
    assert len(idx) <= 2 * 300 + 2
    assert 12_345 in idx and 67_890 in idx
    assert (np.diff(idx) > 0).all()
    # unsorted x (a payload field on the x axis) takes the sorting path, same guarantees
    rng = np.random.default_rng(1)
    xs = rng.random(50_000)
    ys = rng.random(50_000)
    ys[7] = 9.0
    idx = minmax_indices(xs, ys, 0.0, 1.0, 100)
    assert len(idx) <= 2 * 100 + 2 and 7 in idx


def test_window_keeps_only_the_last_seconds() -> None:
    client = FakeClient()
    cap = capture(client, "tick")
    chart = LiveChart(cap, "v", window=5)
    now = time.time()
    for i in range(100):  # rows made directly: arrival times 0..99 s ago
        chart._on_row((i + 1, now - 99 + i, "/", "tick", ({"v": i},)))
    svg = chart.svg()
    (line,) = _polylines(svg)
    assert 5 <= len(line) <= 7  # only the points of the last 5 s
    assert "last 5 s" in svg


def test_existing_rows_are_drawn_and_a_stopped_capture_says_so() -> None:
    client = FakeClient()
    cap = capture(client, "tick")
    for i in range(10):
        client.feed("/", "tick", {"p": {"bid": i}})
    cap.stop()
    chart = LiveChart(cap, "p.bid", kind="step")
    assert chart.points == 10
    svg = chart.svg()
    assert "stopped" in svg and len(_polylines(svg)[0]) == 19  # a step line: 2n - 1 vertices
    assert "stopped" in chart.text()


def test_colours_come_from_the_theme() -> None:
    client = FakeClient()
    cap = capture(client, "tick")
    chart = LiveChart(cap, "v", by="k")
    for k in "abc":
        client.feed("/", "tick", {"k": k, "v": 1})
    svg = chart.svg()
    colours = set(re.findall(r"#[0-9a-fA-F]{3,6}", re.sub(r"var\([^()]*\)", "", svg)))
    assert colours == set(), "every colour is a --jp-* variable (with a fallback inside var())"
    assert "var(--jp-ui-font-color1" in svg and "var(--jp-brand-color1" in svg


def test_bad_arguments_are_refused() -> None:
    cap = capture(FakeClient(), "tick")
    with pytest.raises(ValueError, match="kind must be one of line, scatter, step"):
        LiveChart(cap, "v", kind="bar")
    with pytest.raises(ValueError, match="window must be a positive"):
        LiveChart(cap, "v", window=0)
    with pytest.raises(ValueError, match="window applies to the arrival-time axis"):
        LiveChart(cap, "v", x="t", window=5)


def test_ticks_are_round() -> None:
    assert nice_ticks(0.0, 10.0) == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert nice_ticks(99.2, 101.1)[:2] == [99.5, 100.0]
    ticks, fmt = time_ticks(1000.0, 1060.0)
    assert ticks[0] == 1005.0 or ticks[0] == 1000.0
    assert all(t % 10 == 0 or t % 15 == 0 or t % 5 == 0 for t in ticks) and fmt == "%H:%M:%S"


def test_close_stops_following() -> None:
    client = FakeClient()
    cap = capture(client, "tick")
    chart = plot(cap, "v")  # the module function is the same as cap.plot
    client.feed("/", "tick", {"v": 1})
    chart.close()
    client.feed("/", "tick", {"v": 2})
    assert chart.points == 1


def test_a_new_chart_of_the_same_spec_replaces_the_old_one() -> None:
    client = FakeClient()
    cap = capture(client, "tick")
    first = cap.plot("v")
    other = cap.plot("v", window=10)  # another spec: both follow
    second = cap.plot("v")  # the plot cell run again
    client.feed("/", "tick", {"v": 1})
    assert (first.points, other.points, second.points) == (0, 1, 1)
    assert first.finished() and not second.finished()  # the end-of-cell push forgets the old one


def test_nothing_is_drawn_again_when_nothing_changed() -> None:
    client = FakeClient()
    cap = capture(client, "tick")
    chart = cap.plot("v")
    client.feed("/", "tick", {"v": 1})
    html = chart.html()
    assert chart.html() is html and chart.frames == 1
    client.feed("/", "tick", {"v": 2})
    assert chart.html() != html and chart.frames == 2
