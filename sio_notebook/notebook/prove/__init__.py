"""From exploring to proving: expectations, latency, a contract inferred from traffic, conformance.

* :func:`expect` (``nb.expect``) and :class:`ExpectationFailed`: wait for the events a
  server should send, or fail saying what came instead (``%sio expect`` is the magic).
* :func:`latency` (``nb.latency``): round trips of acks, and of requests answered by
  another event paired by a payload field, with timeouts counted.
* :func:`asyncapi` (``nb.asyncapi``): an AsyncAPI 3.0 document inferred from a capture or
  a Parquet dataset (:mod:`.schema` infers the payload schemas).
* :func:`conform` (``nb.conform``): validate live traffic against such a document.

One module per job; the contract and conformance need the ``prove`` extra (genson,
jsonschema, PyYAML), imported when first used (:mod:`.deps`).
"""

from __future__ import annotations

from ...exceptions import ExpectationFailed
from .asyncapi import asyncapi
from .conform import Checker, conform
from .expect import expect
from .latency import latency

__all__ = ["Checker", "ExpectationFailed", "asyncapi", "conform", "expect", "latency"]
