"""The CSS of every view: colours from JupyterLab's theme variables only.

Every colour is a ``--jp-*`` variable (so JupyterLab Light and Dark, Notebook 7, Voilà
and ``nbconvert --to html``, which all define them, restyle the views), or a
``color-mix()`` of two of them. Status colours are mixed 60/40 with the theme's main
text colour: that darkens them on a light theme and lightens them on a dark one, which
lifts e.g. Light's ``--jp-success-color1`` (4.1:1 on white) and Dark's
``--jp-error-color1`` (4.4:1 on ``#212121``) above WCAG AA's 4.5:1 (measured in the
browser tests for every text of every view). Muted text (``--jp-ui-font-color2``) is
only used on the page background, where it reaches 4.6:1 (Light) and 5.6:1 (Dark).

Narrow columns never wrap (``white-space: nowrap``); payload cells wrap anywhere (compact
JSON has no spaces) and are cut with an ellipsis, the full value in a ``title`` and in an
expandable ``<details>``, so the table never grows wider than the notebook.

The style is inlined in every render, scoped by ``.sio-view``, so a saved notebook
stays self-contained.

Where no ``--jp-*`` variable is defined (Colab's output frames, VS Code's renderer, a page
of its own), every ``var(--jp-…)`` falls back to a CSS system colour or generic font
(:func:`with_fallbacks`): the views then take the page's own text and background colours
instead of losing a property, and a state still reads from its text.
"""

from __future__ import annotations

import re

__all__ = ["STYLE", "with_fallbacks"]

#: The fallback of each theme variable the views use: CSS system colours and generic fonts,
#: which every browser resolves for the page's own scheme (never a fixed colour).
_FALLBACKS = {
    "--jp-code-font-family": "monospace",
    "--jp-ui-font-color1": "CanvasText",
    "--jp-ui-font-color2": "GrayText",
    "--jp-content-font-color1": "CanvasText",
    "--jp-border-color1": "GrayText",
    "--jp-border-color2": "GrayText",
    "--jp-layout-color1": "Canvas",
    "--jp-layout-color2": "Canvas",
    "--jp-brand-color1": "LinkText",
    "--jp-success-color1": "CanvasText",
    "--jp-error-color1": "CanvasText",
    "--jp-warn-color1": "CanvasText",
    "--jp-info-color1": "LinkText",
}
_BARE_VAR = re.compile(r"var\((--jp-[\w-]+)\)")


def with_fallbacks(css: str) -> str:
    """``css`` with a fallback added to every bare ``var(--jp-…)`` (see the module docstring)."""

    def add(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"var({name}, {_FALLBACKS.get(name, 'CanvasText')})"

    return _BARE_VAR.sub(add, css)


def _mix(var: str) -> str:
    return f"color-mix(in srgb, var({var}) 60%, var(--jp-ui-font-color1))"


_OK, _ERR, _WARN, _INFO = (_mix(v) for v in ("--jp-success-color1", "--jp-error-color1", "--jp-warn-color1", "--jp-info-color1"))

STYLE = with_fallbacks(
    "<style>"
    ".sio-view{font-family:var(--jp-code-font-family);font-size:12px;line-height:1.5;"
    "color:var(--jp-ui-font-color1);max-width:100%}"
    ".sio-view code{font-family:var(--jp-code-font-family);color:var(--jp-content-font-color1);"
    "background:none;padding:0}"
    ".sio-head{display:flex;flex-wrap:wrap;gap:4px 14px;align-items:baseline;margin:2px 0 4px 0}"
    ".sio-title{font-weight:bold;white-space:nowrap}"
    ".sio-muted{color:var(--jp-ui-font-color2)}"
    ".sio-ok{color:" + _OK + "}.sio-err{color:" + _ERR + "}.sio-warn{color:" + _WARN + "}"
    ".sio-info{color:" + _INFO + "}"
    ".sio-old-err{color:var(--jp-ui-font-color2)}"
    ".sio-badge{font-weight:bold;padding:0 6px;border:1px solid currentColor;border-radius:3px;"
    "white-space:nowrap}"
    ".sio-state-connected{color:" + _OK + "}.sio-state-connecting,.sio-state-reconnecting{color:" + _WARN + "}"
    ".sio-state-disconnected{color:var(--jp-ui-font-color1)}"
    ".sio-scroll{max-height:360px;overflow:auto;border:1px solid var(--jp-border-color2)}"
    ".sio-view table.sio-table{border-collapse:collapse;width:100%;table-layout:auto}"
    ".sio-view table.sio-table th,.sio-view table.sio-table td{border-bottom:1px solid var(--jp-border-color2);padding:1px 6px;"
    "text-align:left;vertical-align:top;white-space:nowrap}"
    ".sio-view table.sio-table th{background:var(--jp-layout-color2);color:var(--jp-ui-font-color1);position:sticky;"
    "top:0;font-weight:bold}"
    ".sio-view table.sio-table td{color:var(--jp-content-font-color1)}"
    ".sio-view table.sio-table td.sio-num{text-align:right}"
    ".sio-view table.sio-table td.sio-payload{white-space:normal;overflow-wrap:anywhere;min-width:16em;width:100%}"
    ".sio-view table.sio-table td.sio-payload details summary{cursor:pointer;white-space:normal;"
    "overflow-wrap:anywhere}"
    ".sio-view table.sio-table td.sio-payload pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:2px 0;"
    "color:var(--jp-content-font-color1);background:none}"
    ".sio-dir-in{color:" + _INFO + "}.sio-dir-out{color:" + _WARN + "}.sio-dir-ack{color:" + _OK + "}"
    ".sio-dir-life{color:var(--jp-ui-font-color1)}"
    ".sio-view table.sio-kv{margin:0}.sio-view table.sio-kv tr{background:none}"
    ".sio-view table.sio-kv td{padding:0 14px 0 0;white-space:nowrap;color:var(--jp-ui-font-color1);border:0;"
    "background:none;text-align:left}"
    ".sio-view table.sio-table.sio-fields{width:auto}"
    ".sio-view table.sio-kv td:first-child{color:var(--jp-ui-font-color2)}"
    ".sio-spark{font-size:9px;letter-spacing:0;white-space:nowrap}"
    ".sio-results{margin:4px 0;padding-left:1.5em}"
    ".sio-results li{margin:1px 0}"
    "</style>"
)
