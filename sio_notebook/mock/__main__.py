"""``python -m sio_notebook.mock DATASET [--host H] [--port N] [--speed S]``: serve a captured session.

Prints ``mock server listening on http://HOST:PORT`` once it accepts connections, then runs
until Ctrl-C or SIGTERM, which close every client's connection and exit with status 0.
A dataset that cannot be read, or an address it cannot listen on (a busy port), exits
with status 2 and says why.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from .server import MockServer

__all__ = ["main"]


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sio_notebook.mock",
        description="A Socket.IO server that plays a captured session (a Parquet dataset written by capture(..., path=...)).",
    )
    parser.add_argument("dataset", help="the Parquet dataset directory")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: a free one, printed)")
    parser.add_argument("--speed", type=_speed, default=None,
                        help="replay the recorded gaps divided by this (1 = as recorded); default: as fast as possible")
    return parser


async def _serve(server: MockServer) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
    except OSError as exc:  # a busy port, an address not on this host: the user's to fix, no traceback
        print(f"python -m sio_notebook.mock: cannot serve on {server.host}:{server.port}: {exc}", file=sys.stderr)
        return 2
    try:
        print(f"mock server listening on {server.url}", flush=True)
        await stop.wait()
    finally:
        await server.stop()
    print("mock server stopped", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        server = MockServer(args.dataset, args.host, args.port, args.speed)
    except (OSError, ValueError, ImportError) as exc:
        print(f"python -m sio_notebook.mock: cannot serve {args.dataset}: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_serve(server))


if __name__ == "__main__":
    sys.exit(main())
