"""HandlerRegistry: which user callable answers which event (python-socketio's rules).

Registration (``on``, ``event``, class-based namespaces, ``on_any``, lifecycle handlers)
and resolution: for an incoming event, the handler and the arguments it is called with
(python-socketio's order: the namespace's handler for the event, the namespace's ``"*"``
handler, the ``"*"`` namespace's, then class-based namespaces). No I/O and no running here:
the client's handler runner calls what this module finds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .callables import Handler, takes_argument

__all__ = ["LIFECYCLE_EVENTS", "AnyListener", "HandlerRegistry"]

#: Connection lifecycle events (the JS Manager's), registered with ``on_lifecycle``.
LIFECYCLE_EVENTS = frozenset({"reconnect_attempt", "reconnect", "reconnect_error", "reconnect_failed", "ping"})

AnyListener = Callable[[str, Any, tuple[Any, ...]], None]


class HandlerRegistry:
    """The handlers of one client (see the module docstring)."""

    __slots__ = ("handlers", "namespace_handlers", "any_in", "any_out", "_lifecycle")

    def __init__(self) -> None:
        #: namespace -> event -> handler; ``"*"`` as either key is a catch-all.
        self.handlers: dict[str, dict[Any, Handler]] = {}
        #: namespace -> class-based namespace object (``trigger_event``).
        self.namespace_handlers: dict[str, Any] = {}
        #: ``on_any`` listeners; a tuple, so dispatch iterates it without copying.
        self.any_in: tuple[AnyListener, ...] = ()
        #: ``on_any_outgoing`` listeners.
        self.any_out: list[AnyListener] = []
        self._lifecycle: dict[str, list[Handler]] = {}

    # --- registration ----------------------------------------------------------------

    def on(self, event: Any, handler: Handler | None = None, namespace: str | None = None) -> Any:
        """Register an event handler, as a decorator or a plain call."""
        namespace = namespace or "/"

        def register(func: Handler) -> Handler:
            self.handlers.setdefault(namespace, {})[event] = func
            return func

        if handler is None:
            return register
        register(handler)
        return None

    def event(self, *args: Any, **kwargs: Any) -> Any:
        """Decorator registering a handler named after the function: ``@sio.event``."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            registered: Handler = self.on(args[0].__name__)(args[0])
            return registered

        def decorator(func: Handler) -> Handler:
            registered: Handler = self.on(func.__name__, *args, **kwargs)(func)
            return registered

        return decorator

    def add_namespace(self, namespace_handler: Any) -> None:
        """Register a class-based namespace object (type-checked by the client)."""
        self.namespace_handlers[namespace_handler.namespace] = namespace_handler

    def on_any(self, listener: AnyListener) -> None:
        self.any_in = (*self.any_in, listener)

    def off_any(self, listener: Callable[..., None] | None = None) -> None:
        if listener is None:
            self.any_in = ()
        else:
            self.any_in = tuple(item for item in self.any_in if item != listener)

    def on_any_outgoing(self, listener: AnyListener) -> None:
        self.any_out.append(listener)

    def off_any_outgoing(self, listener: Callable[..., None] | None = None) -> None:
        if listener is None:
            self.any_out.clear()
        elif listener in self.any_out:
            self.any_out.remove(listener)

    def on_lifecycle(self, name: str, handler: Handler | None = None) -> Any:
        """Register a connection lifecycle handler, as a decorator or a plain call."""
        if name not in LIFECYCLE_EVENTS:
            raise ValueError(f"unknown lifecycle event {name!r}: one of {sorted(LIFECYCLE_EVENTS)}")

        def register(func: Handler) -> Handler:
            self._lifecycle.setdefault(name, []).append(func)
            return func

        if handler is None:
            return register
        register(handler)
        return None

    def lifecycle_handlers(self, name: str) -> tuple[Handler, ...]:
        return tuple(self._lifecycle.get(name, ()))

    def has_lifecycle(self, name: str) -> bool:
        return name in self._lifecycle

    # --- resolution ------------------------------------------------------------------

    def find(self, ns: str, name: Any, args: list[Any]) -> tuple[Handler | None, tuple[Any, ...]]:
        """The handler of an incoming event and its call arguments (python-socketio's order)."""
        handlers = self.handlers
        ns_handlers = handlers.get(ns)
        if ns_handlers is not None:
            handler = ns_handlers.get(name)
            if handler is not None:
                return handler, args  # type: ignore[return-value]  # a list unpacks the same
            handler = ns_handlers.get("*")
            if handler is not None:
                return handler, (name, *args)
        star = handlers.get("*")
        if star is not None:
            if ns_handlers is None:
                handler = star.get(name)
                if handler is not None:
                    return handler, (ns, *args)
            handler = star.get("*")
            if handler is not None:
                return handler, (name, ns, *args)
        namespace_obj = self.namespace_handlers.get(ns)
        if namespace_obj is not None:
            return namespace_obj.trigger_event, (name, *args)
        namespace_obj = self.namespace_handlers.get("*")
        if namespace_obj is not None:
            return namespace_obj.trigger_event, (name, ns, *args)
        return None, ()

    def find_lifecycle(self, ns: str, event: str, args: tuple[Any, ...]) -> tuple[Handler | None, tuple[Any, ...]]:
        """The handler of ``connect``, ``connect_error`` or ``disconnect`` and its arguments.

        A legacy zero-argument ``disconnect`` handler is called without the reason.
        """
        handler: Handler | None = None
        call_args = args
        ns_handlers = self.handlers.get(ns)
        if ns_handlers and event in ns_handlers:
            handler = ns_handlers[event]
        elif "*" in self.handlers and event in self.handlers["*"]:
            handler, call_args = self.handlers["*"][event], (ns, *args)
        elif ns in self.namespace_handlers:
            handler, call_args = self.namespace_handlers[ns].trigger_event, (event, *args)
        elif "*" in self.namespace_handlers:
            handler, call_args = self.namespace_handlers["*"].trigger_event, (event, ns, *args)
        if handler is None:
            return None, ()
        if event == "disconnect" and handler.__name__ != "trigger_event" and not takes_argument(handler):
            call_args = call_args[: len(call_args) - len(args)]
        return handler, call_args

    def namespaces_to_connect(self, namespaces: Any) -> list[str]:
        """connect()'s ``namespaces``: given, or every namespace with a handler, else ``/``."""
        if namespaces is None:
            found = set(self.handlers) | set(self.namespace_handlers)
            found.discard("*")
            result = sorted(found) or ["/"]
        elif isinstance(namespaces, str):
            result = [namespaces]
        else:
            result = list(namespaces)
        for ns in result:
            if not isinstance(ns, str) or not ns.startswith("/"):
                raise ValueError(f"invalid namespace {ns!r}: namespaces start with '/'")
        return result
