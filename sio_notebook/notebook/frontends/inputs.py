"""The inputs of the views as anywidgets: the log's control bar and the emit form.

Why anywidget and not ipywidgets: one widget renders in JupyterLab, Notebook 7, VS Code,
Colab (ipywidgets 7.7.1 with anywidget 0.9.21 preinstalled), Voilà and marimo
(``mo.ui.anywidget``; marimo does not render ipywidgets). The page is plain DOM styled
with ``--jp-*`` variables that fall back to CSS system colours (``inputs.js``,
``inputs.css``, shipped beside this module).

Every field is a synced trait; a button press increments a counter trait (``clears``,
``sends``), so a click reaches the kernel the same way in every frontend (no custom
messages). Python code reads and sets the fields through :class:`Field` objects with a
``value`` (and ``options``), like the ipywidgets they replace.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets

__all__ = ["EmitFormInputs", "Field", "LogControlsInputs"]

_HERE = Path(__file__).parent
_ESM = (_HERE / "inputs.js").read_text(encoding="utf-8")
_CSS = (_HERE / "inputs.css").read_text(encoding="utf-8")


class LogControlsInputs(anywidget.AnyWidget):
    """Filter box, *Pause view* toggle and *Clear view* button of an event log."""

    _esm = _ESM
    _css = _CSS
    kind = traitlets.Unicode("log").tag(sync=True)
    closed = traitlets.Bool(False).tag(sync=True)
    """Set when the inputs can no longer act: the page takes them away (marimo)."""
    filter = traitlets.Unicode("").tag(sync=True)
    paused = traitlets.Bool(False).tag(sync=True)
    pause_disabled = traitlets.Bool(False).tag(sync=True)
    clears = traitlets.Int(0).tag(sync=True)
    """How many times *Clear view* was pressed (the page increments it)."""


class EmitFormInputs(anywidget.AnyWidget):
    """Event, namespace (with the connected ones offered), payload, ack and timeout, Send."""

    _esm = _ESM
    _css = _CSS
    kind = traitlets.Unicode("form").tag(sync=True)
    closed = traitlets.Bool(False).tag(sync=True)
    """Set when the inputs can no longer act: the page takes them away (marimo)."""
    event = traitlets.Unicode("").tag(sync=True)
    namespace = traitlets.Unicode("/").tag(sync=True)
    namespaces = traitlets.List(traitlets.Unicode(), default_value=["/"]).tag(sync=True)
    payload = traitlets.Unicode("").tag(sync=True)
    ack = traitlets.Bool(True).tag(sync=True)
    timeout = traitlets.Float(5.0).tag(sync=True)
    sends = traitlets.Int(0).tag(sync=True)
    """How many times *Send* was pressed (the page increments it)."""


class Field:
    """One trait of an inputs widget, used like the ipywidget it replaces: ``value``,
    ``options`` (a list trait), ``description`` and ``disabled`` (of a button), and
    ``click()`` (a counter trait: what a press on the page does)."""

    def __init__(
        self,
        widget: Any,
        trait: str,
        *,
        options_trait: str | None = None,
        description: Callable[[], str] | str = "",
        disabled_trait: str | None = None,
    ) -> None:
        self.widget = widget
        self.trait = trait
        self.options_trait = options_trait
        self._description = description
        self.disabled_trait = disabled_trait

    @property
    def value(self) -> Any:
        return getattr(self.widget, self.trait)

    @value.setter
    def value(self, value: Any) -> None:
        setattr(self.widget, self.trait, value)

    @property
    def options(self) -> tuple[str, ...]:
        return tuple(getattr(self.widget, self._options()))

    @options.setter
    def options(self, options: Any) -> None:
        setattr(self.widget, self._options(), list(options))

    @property
    def description(self) -> str:
        return self._description() if callable(self._description) else self._description

    @property
    def disabled(self) -> bool:
        return bool(self.disabled_trait and getattr(self.widget, self.disabled_trait))

    @property
    def model_id(self) -> str:
        """The widget's model id (a press on the page is a state update of the trait)."""
        return str(self.widget.model_id)

    def click(self) -> None:
        """Press the button: increment its counter trait, as the page does."""
        self.value = self.value + 1

    def _options(self) -> str:
        if self.options_trait is None:
            raise AttributeError(f"the {self.trait!r} input has no options")
        return self.options_trait

    def __repr__(self) -> str:
        return f"<Field {self.trait}={self.value!r}>"
