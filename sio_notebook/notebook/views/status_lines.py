"""Extra lines of a client's status view, added by tools that watch the client.

The status view (:class:`~sio_notebook.notebook.views.status.StatusWidget`) shows what the client
itself reports; a tool that watches its traffic (a conformance checker counting violations)
adds a line here instead of reaching into the view::

    set_status_line(client, "conform-1", lambda: ("conformance", "3 violations in 120 events"))

Each line is a ``(label, text)`` function, called when the view renders (at least once a
second while connected). Keyed by the client through a weak reference.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["remove_status_line", "set_status_line", "status_lines"]

Line = Callable[[], tuple[str, str]]
_lines: weakref.WeakKeyDictionary[Any, dict[str, Line]] = weakref.WeakKeyDictionary()


def set_status_line(client: Any, key: str, line: Line) -> None:
    """Show ``line()`` in ``client``'s status views (replacing the line of the same ``key``)."""
    _lines.setdefault(client, {})[key] = line


def remove_status_line(client: Any, key: str) -> None:
    """Stop showing the line ``key`` (a no-op if it is not shown)."""
    lines = _lines.get(client)
    if lines is not None:
        lines.pop(key, None)


def status_lines(client: Any) -> list[tuple[str, str]]:
    """The ``(label, text)`` lines of ``client``, in the order they were added."""
    return [line() for line in list(_lines.get(client, {}).values())]
