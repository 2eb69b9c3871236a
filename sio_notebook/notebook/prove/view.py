"""What ``%sio expect`` returns: one live line saying how the expectation went, awaitable.

``%sio expect tick --where '{"symbol": "ACME"}' --within 2`` shows *waiting for …*,
then *✓ 1 'tick' event in 0.21 s* with the payload, or *✗* and the failure message.
Awaiting it gives the payloads or raises the
:class:`~sio_notebook.exceptions.ExpectationFailed`, which fails the cell (and a headless
run of the notebook). A top-level ``%sio expect`` line is awaited for the user
(:mod:`sio_notebook.notebook.autoawait`); elsewhere (an indented block) ``await e``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ..views.live import LiveOutput, describe
from ..views.render import STYLE, escape, payload_text
from .expect import check_expectation, expect
from .fields import Where, describe_where

__all__ = ["ExpectationView"]


class ExpectationView(LiveOutput):
    """An expectation running as a task, shown as one line; ``await`` gives its payloads."""

    def __init__(
        self, source: Any, event: str, where: Where = None, within: float = 5.0, count: int = 1,
        namespace: str | None = None,
    ) -> None:
        super().__init__()
        self.event = event
        self.state = "waiting"
        """waiting, passed or failed."""
        self.detail = ""
        self.elapsed: float | None = None
        condition = describe_where(where)
        self.label = f"expect {count} {event!r}" + (f" on {namespace}" if namespace else "") + (
            f" where {condition}" if condition else "") + f" within {within:g} s"
        started = time.perf_counter()
        check_expectation(event, where, within, count, namespace)  # a mistake is the caller's error, now
        coroutine = expect(source, event, where, within, count, namespace)
        self.task: asyncio.Task[list[Any]] = asyncio.get_running_loop().create_task(coroutine)

        def done(task: asyncio.Task[list[Any]]) -> None:
            self.elapsed = time.perf_counter() - started
            if task.cancelled():
                self._set("failed", "cancelled")
            elif (exc := task.exception()) is not None:  # retrieved: never "exception was never retrieved"
                self._set("failed", str(exc) if isinstance(exc, AssertionError) else describe(exc))
            else:
                self._set("passed", "; ".join(payload_text((p,), 80) for p in task.result()[:3]))

        self.task.add_done_callback(done)

    def __await__(self) -> Any:
        return self.task.__await__()

    def __repr__(self) -> str:
        return f"<ExpectationView {self.text()}>"

    def finished(self) -> bool:
        return self.state != "waiting"

    def text(self) -> str:
        if self.state == "waiting":
            return f"{self.label}: waiting"
        if self.state == "passed":
            return f"{self.label}: passed in {self.elapsed or 0:.2f} s: {self.detail}"
        return f"{self.label}: FAILED: {self._outcome()}"

    def _outcome(self) -> str:
        """The failure without its first clause when that only repeats the label."""
        head, sep, rest = self.detail.partition("; ")
        return rest if sep and head.startswith("expected ") else self.detail

    def html(self) -> str:
        label = escape(self.label)
        if self.state == "waiting":
            body = f'<span class="sio-muted">\u23f3 {label}: waiting\u2026</span>'
        elif self.state == "passed":
            body = (f'<span class="sio-ok">\u2713</span> {label}: <span class="sio-ok">passed in '
                    f'{self.elapsed or 0:.2f} s</span>: <code>{escape(self.detail)}</code>')
        else:
            head, _, rest = self._outcome().partition("\n")
            more = f"<pre>{escape(rest)}</pre>" if rest else ""
            body = f'<span class="sio-err">\u2717 {label}: {escape(head)}</span>{more}'
        return f'{STYLE}<div class="sio-view sio-expect sio-expect-{self.state}">{body}</div>'

    def _set(self, state: str, detail: str) -> None:
        self.state = state
        self.detail = detail
        self.push()
