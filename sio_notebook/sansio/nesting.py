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
#: Everything that is not a bracket (once strings are gone).
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth_exceeds(text: str, pos: int = 0) -> bool:
    """True if the JSON text from ``pos`` may nest deeper than MAX_DEPTH.

    Brackets inside strings do not count. Exact for valid JSON; for text that is not
    valid JSON (an unterminated string, unbalanced brackets) it can only err towards
    True, and such text is refused by the parser anyway. Regex and ``accumulate`` run
    in C, so the cost is linear and small; and it is only paid by long payloads with
    more than MAX_DEPTH opening brackets.
    """
    if len(text) - pos <= SHALLOW_LENGTH or text.count("[", pos) + text.count("{", pos) <= MAX_DEPTH:
        return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text[pos:] if pos else text))
    if not brackets:
        return False
    return max(accumulate(map(_STEP.__getitem__, brackets))) > MAX_DEPTH
