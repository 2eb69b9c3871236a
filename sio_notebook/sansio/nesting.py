"""How deep a received JSON payload nests, measured before anything parses it.

The stdlib's JSON scanner is recursive C code. Natively it stops at a RecursionError,
at a depth that differs between versions (about 900 on 3.10/3.11, thousands on 3.12+).
In WebAssembly (Pyodide) the stack is much smaller and the scanner overflows it before
any Python check runs: "Maximum call stack size exceeded" kills the whole interpreter,
so one packet nested 6000 deep from a server would end a browser kernel. (Measured on
Pyodide 314.0.8 under Node 20: 4000 levels parse, 6000 crash.)

So the depth is counted here, linearly and without recursion, before the scanner runs,
and a payload deeper than :data:`MAX_DEPTH` is refused (docs/protocol.md §2.2: the
decoder bounds nesting depth). The limit is one number on every platform: 500 is far
below what the smallest stack tolerates and far above what real payloads use.
"""

from __future__ import annotations

import operator
import re
from itertools import accumulate

__all__ = ["MAX_DEPTH", "SHALLOW_LENGTH", "json_depth_exceeds"]

#: The deepest nesting of arrays and objects a received payload may have (the event's
#: argument list counts as one level). Deeper is a RemoteProtocolError ("parse error").
MAX_DEPTH = 500
#: A JSON text this short cannot nest deeper than MAX_DEPTH (each level takes 2 chars),
#: so the common small packet is never scanned.
SHALLOW_LENGTH = 2 * MAX_DEPTH

#: A JSON string, escapes included (unrolled so the regex engine never backtracks).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
#: bytes.translate: delete every byte but the brackets, then map "[{" to 2 and "]}" to 0.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_TWO_OR_ZERO = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")


#: Innermost pairs removed with bytes.replace before the running sum: typical payloads
#: (arrays of small objects) shrink to a few brackets in as many passes.
_PAIR_PASSES = 4


def _brackets(text: str) -> bytes:
    """Every bracket of ``text`` (strings too), as 2 (open) and 0 (close); in C.

    UTF-8 never puts a bracket byte inside a multi-byte character, so translate keeps
    exactly the brackets.
    """
    return text.encode("utf-8", "surrogatepass").translate(_TWO_OR_ZERO, _NOT_BRACKETS)


def _max_depth(brackets: bytes) -> int:
    """The deepest nesting of ``brackets`` (from :func:`_brackets`), in C. Each replace pass
    removes every adjacent open-close pair, which lowers the maximum depth by exactly one
    (at most one for unbalanced text, so the result stays an upper bound). What is left
    is measured by a running sum: after k brackets of which o open, the depth is
    o - (k - o) = 2o - k, the sum of the 2/0 bytes minus k.
    """
    removed = 0
    while brackets and removed < _PAIR_PASSES:
        shorter = brackets.replace(b"\x02\x00", b"")
        if len(shorter) == len(brackets):
            break
        brackets, removed = shorter, removed + 1
    if not brackets:
        return removed
    deepest: int = max(map(operator.sub, accumulate(brackets), range(1, len(brackets) + 1)))
    return removed + max(deepest, 0)


def json_depth_exceeds(text: str, pos: int = 0) -> bool:
    """True if the JSON text from ``pos`` may nest deeper than MAX_DEPTH.

    Brackets inside strings do not count. Exact for valid JSON; for text that is not
    valid JSON (an unterminated string, unbalanced brackets) it can only err towards
    True, and such text is refused by the parser anyway. Linear and in C: first an
    upper bound counting every bracket (fast: no regex); only when that is over the
    limit are the strings taken out (a regex) and the count made exact.
    """
    if len(text) - pos <= SHALLOW_LENGTH:
        return False
    payload = text[pos:] if pos else text
    brackets = _brackets(payload)
    if brackets.count(2) <= MAX_DEPTH or _max_depth(brackets) <= MAX_DEPTH:  # few, or shallow
        return False
    return _max_depth(_brackets(_STRING.sub("", payload))) > MAX_DEPTH
