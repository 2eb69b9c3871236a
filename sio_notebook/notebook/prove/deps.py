"""The ``prove`` extra's libraries, imported when first needed, with a clear error if missing.

``import sio_notebook.notebook`` must work without them (expectations and latency need
none); the contract (:mod:`.asyncapi`) and conformance (:mod:`.conform`) do.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["require"]

_WHY = {
    "genson": "nb.asyncapi infers JSON Schemas with genson",
    "jsonschema": "nb.conform validates payloads with jsonschema",
    "yaml": "reading and writing AsyncAPI YAML needs PyYAML",
}


def require(module: str) -> Any:
    """``import module``, or an ImportError that names the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{_WHY.get(module, module)}, which is missing: pip install 'sio-notebook[prove]' ({exc})"
        ) from exc
