"""What the client needs to know about the user's callables (handlers, options).

Shared by both front doors and their class-based namespaces, so it lives apart from
either client (this module imports nothing of the package).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

__all__ = ["ACK_CALLBACK", "Handler", "describe_event", "is_awaitable", "resolve_option", "takes_argument"]

Handler = Callable[..., Any]
_CoroutineType = types.CoroutineType

#: The ``event`` a handler runner is given for ack callbacks (they answer an emit, not an event).
ACK_CALLBACK = "<ack callback>"


def takes_argument(handler: Handler) -> bool:
    """Whether a disconnect handler accepts the reason (legacy handlers take none)."""
    try:
        params = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return any(p.kind is p.VAR_POSITIONAL for p in params) or len(positional) >= 1


def is_awaitable(value: Any) -> bool:
    """inspect.isawaitable, with the common coroutine case first (this runs per event)."""
    return type(value) is _CoroutineType or inspect.isawaitable(value)


async def resolve_option(value: Any) -> Any:
    """url/headers/auth may be callables (also coroutine functions), re-evaluated each time."""
    if callable(value):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


def describe_event(event: Any) -> str:
    """How the handler-error log line names what the handler was called for."""
    if event is None:
        return "an event"
    if event == ACK_CALLBACK:
        return "an ack callback"
    return f"event {event!r}"
