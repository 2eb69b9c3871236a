"""Reconnection delays: the JS backo2 algorithm of docs/protocol.md §4.8, in seconds."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import pytest

from sio_notebook.sansio.backoff import backoff_delay, backoff_delays


def test_js_defaults_without_jitter() -> None:
    """1000, 2000, 4000, 5000, 5000 ms with reconnectionDelay 1000 and max 5000."""
    assert [backoff_delay(n, 1.0, 5.0, 0) for n in range(6)] == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


@pytest.mark.parametrize("factor", [0, 0.0, -0.5, 1.5, 2])
def test_jitter_outside_0_1_is_ignored(factor: float) -> None:
    """JS uses the randomization factor only when 0 < j <= 1."""
    assert [backoff_delay(n, 1.0, 5.0, factor, rand=0.3) for n in range(4)] == [1.0, 2.0, 4.0, 5.0]


# Draws that reproduce a run of socket.io-client's Backoff (delay 1 s, max 5 s, jitter 0.5):
# 964, 1336, 4705, 4781, 5000 ms (the formula is docs/protocol.md §4.8).
# floor(r*10) even subtracts, odd adds; dev = floor(r * 0.5 * ms).
JS_RUN = [(0.073, 964), (0.6645, 1336), (0.3527, 4705), (0.8049, 4781), (0.5, 5000)]


@pytest.mark.parametrize(("attempt", "rand", "expected_ms"), [(n, r, ms) for n, (r, ms) in enumerate(JS_RUN)])
def test_js_worked_example_with_jitter(attempt: int, rand: float, expected_ms: int) -> None:
    delay = backoff_delay(attempt, 1.0, 5.0, 0.5, rand=rand)
    assert delay == pytest.approx(expected_ms / 1000, abs=1e-9)


def test_js_worked_example_as_a_generator() -> None:
    draws = iter(r for r, _ in JS_RUN)
    delays = list(itertools.islice(backoff_delays(1.0, 5.0, 0.5, rand=lambda: next(draws)), len(JS_RUN)))
    assert [round(d * 1000) for d in delays] == [ms for _, ms in JS_RUN]


@pytest.mark.parametrize(
    ("rand", "expected"),
    [
        (0.0, 1.0),  # floor(0) even: minus 0
        (0.05, 0.975),  # even: 1 - floor(0.05*0.5*1000)/1000
        (0.15, 1.075),  # floor(1.5)=1 odd: plus 75 ms
        (0.99, 1.495),  # odd: plus 495 ms
    ],
)
def test_sign_and_amount_come_from_the_same_draw(rand: float, expected: float) -> None:
    assert backoff_delay(0, 1.0, 5.0, 0.5, rand=rand) == pytest.approx(expected, abs=1e-9)


def test_deviation_is_whole_milliseconds_like_js_floor() -> None:
    # floor(0.0719 * 0.5 * 1000) = 35 ms, not 35.95
    assert backoff_delay(0, 1.0, 5.0, 0.5, rand=0.0719) == pytest.approx(0.965, abs=1e-9)


def _draws() -> Iterator[float]:
    # Deterministic spread over [0, 1), including both ends of the range.
    yield 0.0
    yield from (i / 997 for i in range(997))
    yield math.nextafter(1.0, 0.0)


@pytest.mark.parametrize(("delay", "delay_max", "factor"), [(1.0, 5.0, 0.5), (0.5, 30.0, 1.0), (2.0, 2.0, 1.0)])
def test_never_above_max_never_negative(delay: float, delay_max: float, factor: float) -> None:
    for attempt in (0, 1, 2, 3, 5, 10, 40, 1013, 1014, 1100):
        for r in _draws():
            value = backoff_delay(attempt, delay, delay_max, factor, rand=r)
            assert 0 <= value <= delay_max, (attempt, r, value)


def test_jitter_one_can_reach_zero_but_not_below() -> None:
    assert backoff_delay(0, 1.0, 5.0, 1.0, rand=0.0) == 1.0
    assert backoff_delay(0, 1.0, 5.0, 1.0, rand=math.nextafter(1.0, 0.0)) >= 0.0


@pytest.mark.parametrize("attempt", [31, 32, 1014, 1100, 10_000, 10**9])
def test_no_overflow_for_huge_attempts(attempt: int) -> None:
    """JS overflows to Infinity after ~1014 attempts and then returns 0 ms half the time."""
    for r in (0.0, 0.05, 0.15, 0.5, 0.99):
        value = backoff_delay(attempt, 1.0, 5.0, 0.5, rand=r)
        assert math.isfinite(value)
        assert value == 5.0  # even the largest downward jitter of a huge base stays above max
    assert backoff_delay(attempt, 1.0, 5.0, 0) == 5.0
    assert math.isfinite(backoff_delay(attempt, 1.0, math.inf, 0))


def test_negative_attempt_counts_as_first() -> None:
    assert backoff_delay(-5, 1.0, 5.0, 0) == 1.0


def test_max_below_delay_means_the_delay() -> None:
    assert [backoff_delay(n, 3.0, 1.0, 0) for n in range(3)] == [3.0, 3.0, 3.0]


def test_random_draws_stay_in_range() -> None:
    """Without ``rand`` the module draws its own numbers; the bounds still hold."""
    gen = backoff_delays(1.0, 5.0, 0.5)
    values = list(itertools.islice(gen, 200))
    assert all(0 < v <= 5.0 for v in values)
    assert values[0] <= 1.5


@pytest.mark.parametrize("delay", [0, 0.0, -1.0, math.nan, math.inf, -math.inf])
def test_invalid_delay_raises(delay: float) -> None:
    with pytest.raises(ValueError, match="reconnection_delay must be a positive number"):
        backoff_delay(0, delay, 5.0, 0.5, rand=0.3)


def test_nan_max_raises() -> None:
    """min(x, nan) is x in Python: a NaN maximum would silently remove the cap."""
    with pytest.raises(ValueError, match="reconnection_delay_max"):
        backoff_delay(20, 1.0, math.nan, 0)


def test_invalid_delay_raises_from_the_generator() -> None:
    with pytest.raises(ValueError, match="reconnection_delay"):
        next(backoff_delays(-1.0))


def test_non_numeric_delay_raises() -> None:
    with pytest.raises(TypeError):
        backoff_delay(0, "1", 5.0)  # type: ignore[arg-type]
