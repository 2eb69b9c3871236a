"""Hypothesis strategies and settings shared by the fuzz tests.

* ``json_values(binary=True, int64=False)``: arbitrary JSON-able data, nested dicts and
  lists, with ``bytes`` anywhere when ``binary``;
* ``namespaces``, ``event_names``, ``ack_ids``: every form the encoder accepts;
* ``socketio_packets(binary=True)``: any packet the client can encode;
* ``mutations(frame)``: a valid frame damaged (cut, byte/char deleted, inserted, flipped,
  duplicated);
* ``FUZZ(n)``: settings with a deadline per example (a hang fails the test), no example
  database written into the repository; ``SIO_FUZZ_SCALE`` multiplies ``n``.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from sio_notebook.sansio.socketio import RESERVED_EVENTS, Packet, PacketType

#: Examples actually run, per test (printed in the terminal summary by conftest.py).
EXAMPLES: Counter[str] = Counter()

#: A generous per-example deadline: the point is to catch hangs and pathological slowness
#: (e.g. quadratic decoding), not to measure a loaded 2-core CI machine.
DEADLINE = timedelta(milliseconds=3000)


#: SIO_FUZZ_SCALE=10 runs ten times as many examples (a deeper run than CI's).
SCALE = float(os.environ.get("SIO_FUZZ_SCALE", "1"))


def FUZZ(max_examples: int) -> settings:  # noqa: N802 - reads like a decorator
    return settings(
        max_examples=max(1, int(max_examples * SCALE)),
        deadline=DEADLINE,
        database=None,
        derandomize=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def count(name: str) -> None:
    EXAMPLES[name] += 1


# --- data ---------------------------------------------------------------------------------

_KEYS = st.text(max_size=12).filter(lambda k: k != "_placeholder")  # that key is the placeholder marker


def json_values(binary: bool = True, int64: bool = False, max_leaves: int = 12) -> st.SearchStrategy[Any]:
    if int64:  # msgpack's integer range
        ints = st.integers(min_value=-(2**63), max_value=2**64 - 1)
    else:
        ints = st.integers(min_value=-(10**30), max_value=10**30)
    scalars = (
        st.none()
        | st.booleans()
        | ints
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=30)
    )
    if binary:
        scalars = scalars | st.binary(max_size=40)
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=5) | st.dictionaries(_KEYS, children, max_size=5),
        max_leaves=max_leaves,
    )


namespaces = st.just("/") | st.text(
    alphabet=st.characters(blacklist_characters=",?", blacklist_categories=("Cs",)), min_size=1, max_size=12
).map(lambda s: "/" + s)

event_names = st.text(min_size=1, max_size=20).filter(lambda s: s not in RESERVED_EVENTS) | st.integers(
    min_value=-(2**31), max_value=2**31
)

ack_ids = st.none() | st.integers(min_value=0, max_value=2**53 - 1)


@st.composite
def socketio_packets(draw: Any, binary: bool = True, int64: bool = False) -> Packet:
    """Any packet the client can encode (BINARY_* are chosen by the encoder itself)."""
    values = json_values(binary=binary, int64=int64)
    plain = json_values(binary=False, int64=int64)
    ns = draw(namespaces)
    kind = draw(st.sampled_from(["event", "ack", "connect", "disconnect", "connect_error"]))
    if kind == "event":
        args = draw(st.lists(values, max_size=4))
        return Packet(PacketType.EVENT, ns, [draw(event_names), *args], draw(ack_ids))
    if kind == "ack":
        return Packet(PacketType.ACK, ns, draw(st.lists(values, max_size=4)), draw(st.integers(0, 2**53 - 1)))
    if kind == "connect":
        return Packet(PacketType.CONNECT, ns, draw(st.none() | st.dictionaries(_KEYS, plain, max_size=4)))
    if kind == "disconnect":
        return Packet(PacketType.DISCONNECT, ns)
    data = draw(st.text(max_size=30) | st.dictionaries(_KEYS, plain, max_size=4))
    return Packet(PacketType.CONNECT_ERROR, ns, data)


def count_bytes(value: Any) -> int:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return 1
    if isinstance(value, dict):
        return sum(count_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(count_bytes(v) for v in value)
    return 0


def normalised(value: Any) -> Any:
    """What a decoder gives back: tuples as lists, bytes-likes as bytes."""
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (list, tuple)):
        return [normalised(v) for v in value]
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    return value


# --- damage -------------------------------------------------------------------------------


@st.composite
def mutations(draw: Any, frame: str | bytes) -> str | bytes:
    """``frame`` with one to three random edits."""
    out = frame
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        n = len(out)
        op = draw(st.sampled_from(["truncate", "delete", "insert", "replace", "duplicate", "swap"]))
        i = draw(st.integers(min_value=0, max_value=n))
        if isinstance(out, bytes):
            piece = draw(st.binary(min_size=1, max_size=4))
        else:
            piece = draw(st.text(min_size=1, max_size=4) | st.sampled_from(list('[]{}",:0123456789-/_\x1eb')))
        if op == "truncate":
            out = out[:i]
        elif op == "delete" and n:
            out = out[: min(i, n - 1)] + out[min(i, n - 1) + 1 :]
        elif op == "insert":
            out = out[:i] + piece + out[i:]
        elif op == "replace" and n:
            j = min(i, n - 1)
            out = out[:j] + piece + out[j + 1 :]
        elif op == "duplicate":
            out = out[:i] + out[i : i + 8] + out[i:]
        elif op == "swap" and n > 1:
            j = min(i, n - 2)
            out = out[:j] + out[j + 1 : j + 2] + out[j : j + 1] + out[j + 2 :]
    return out
