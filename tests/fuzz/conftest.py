"""Fuzz tests: print how many examples each property ran (hypothesis stops early when a
strategy is exhausted, so the configured ``max_examples`` is an upper bound)."""

from __future__ import annotations

from typing import Any

from .strategies import EXAMPLES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not EXAMPLES:
        return
    terminalreporter.section("fuzz examples run")
    for name, n in sorted(EXAMPLES.items()):
        terminalreporter.write_line(f"{n:8d}  {name}")
    terminalreporter.write_line(f"{sum(EXAMPLES.values()):8d}  total")
