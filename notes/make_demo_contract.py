"""Make the closing note's artefacts: the demo server's inferred contract and a violation report.

    .venv/bin/python notes/make_demo_contract.py

Starts the demo server (sio_notebook/demo/server.py, seed 7) on a free port, explores it
for ~6 s with the AsyncClient (ticks, chat, one binary blob, the three calls and `say`),
infers the AsyncAPI 3.0 document (notes/demo-server.asyncapi.yaml), checks it with
@asyncapi/parser, then checks live traffic against it after a payload type change (`add`
answered with an error object instead of a number; `echo` called with a number instead of
an object) and writes notes/demo-violations.md.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path

import sio_notebook.notebook as nb
from sio_notebook.aio import AsyncClient
from sio_notebook.notebook.capture import record_ack
from sio_notebook.notebook.run_demo import DemoServer

HERE = Path(__file__).resolve().parent
VALIDATOR = HERE.parent / "tests" / "prove" / "asyncapi" / "validate.js"


async def call(client: AsyncClient, event: str, data: object, namespace: str = "/") -> object:
    t0 = time.perf_counter()
    value = await client.call(event, data, namespace=namespace, timeout=10)
    record_ack(client, namespace, event, value, time.perf_counter() - t0)  # as %sio call does
    return value


def markdown(frame: object) -> str:
    """A pandas DataFrame as a Markdown table (no tabulate needed)."""
    columns = list(frame.columns)  # type: ignore[attr-defined]
    lines = ["| " + " | ".join(map(str, columns)) + " |", "|" + "---|" * len(columns)]
    for row in frame.itertuples(index=False):  # type: ignore[attr-defined]
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)


async def main(url: str) -> None:
    client = AsyncClient()
    cap = nb.capture(client, "*", outgoing=True)
    await client.connect(url, namespaces=["/", "/chat"])
    await call(client, "echo", {"text": "hi", "n": 1})
    await call(client, "echo", {"text": "again", "n": 2})
    await call(client, "add", {"a": 1, "b": 2})
    await call(client, "add", {"a": 1.5, "b": 2})
    await call(client, "ask-server-time", None)
    await call(client, "say", {"user": "me", "text": "hello"}, namespace="/chat")
    await nb.expect(client, "blob", within=8)       # one binary event, every 5 s
    await nb.expect(client, "chat", namespace="/chat", within=5)
    cap.stop()
    doc = nb.asyncapi(cap, title="sio_notebook demo server", version="1.0.0", path=HERE / "demo-server.asyncapi.yaml")
    parsed = subprocess.run(["node", str(VALIDATOR), str(HERE / "demo-server.asyncapi.yaml")],
                            capture_output=True, text=True, check=False)
    verdict = json.loads(parsed.stdout)

    log = nb.capture(client, "*", outgoing=True)
    checker = nb.conform(log, HERE / "demo-server.asyncapi.yaml")
    await call(client, "add", {"a": "one", "b": 2})   # the ack's type changes: number -> object
    await call(client, "echo", 42)                      # the call's payload type changes: object -> number
    await client.emit("subscribe", {"topic": "ACME"})   # an event the contract does not know
    await nb.expect(client, "tick", count=5, within=5)
    checker.stop()
    await client.disconnect()

    violations = checker.violations.drop(columns=["seq"])
    violations["time"] = violations["time"].dt.strftime("%H:%M:%S.%f").str[:-3]
    summary = checker.summary()
    summary["share"] = summary["share"].map("{:.0%}".format)
    text = [
        "# Conformance report: the demo server against its inferred contract",
        "",
        f"Contract: `notes/demo-server.asyncapi.yaml`, inferred from {len(cap)} captured events "
        f"({len(doc['channels'])} channels, {len(doc['operations'])} operations); "
        f"`@asyncapi/parser`: parsed={verdict['parsed']}, {len(verdict['errors'])} errors, "
        f"{len(verdict['warnings'])} warnings.",
        "",
        "Then, live, with `checker = nb.conform(log, 'demo-server.asyncapi.yaml')`: `add` called with "
        "`{\"a\": \"one\", \"b\": 2}` (the server answers an error object where the contract has a number), "
        "`echo` called with `42` (a number where the contract has an object), and `subscribe`, "
        "which the contract does not know; ticks kept coming and conform.",
        "",
        f"`{checker!r}`",
        "",
        "## checker.violations",
        "",
        markdown(violations),
        "",
        "## checker.summary()",
        "",
        markdown(summary),
        "",
    ]
    (HERE / "demo-violations.md").write_text("\n".join(text), encoding="utf-8")
    print("\n".join(text))


if __name__ == "__main__":
    with DemoServer(extra_args=["--seed", "7"]) as server:
        assert server.url
        asyncio.run(main(server.url))
