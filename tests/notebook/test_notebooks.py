"""Every bundled notebook runs top to bottom against the demo server (nbclient), and then
the checks below run in the same kernel.

The notebooks are written for people (prose and results); what they must get right is
checked here, in cells appended to an in-memory copy. Because the views push their final
state at the end of every cell, the executed notebook shows final states too: that is
checked on the saved outputs (no "connecting", no stale "waiting" line).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

# Whole programs end to end, run once on the full tier's Python (scripts/test-matrix).
pytestmark = pytest.mark.once

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "sio_notebook" / "demo" / "notebooks").glob("*.ipynb"))

CHECKS = {
    "quickstart": """
assert sio.connected and set(sio.namespaces) == {"/", "/chat"}
assert len(cap) >= 25 and cap.dropped == 0
ticks = cap.frames()["tick"]
assert list(ticks.columns) == ["time", "namespace", "symbol", "price", "volume", "seq"]
assert str(ticks["seq"].dtype) == "int64" and ticks["seq"].is_monotonic_increasing
assert await r == 42 and r.rtt is not None
kinds = {(row.direction, row.event) for row in log}
assert ("out", "echo") in kinds, kinds
""",
    "magics": """
assert await r == {"text": "hi notebook"} and await pair == ("a", 1)
assert everything.count > 10 and everything.client is not None
assert "demo" not in nb.list_connections()
assert everything.gone == "connection 'demo' closed"
""",
    "capture": """
assert len(ticks) == 0 and ticks.count == 0 and not ticks.active
assert set(frames) >= {"tick"} and str(frames["tick"]["seq"].dtype) == "int64"
assert isinstance(row["data"], bytes)
assert before <= ticks.count or ticks.count == 0
assert {"user", "text"} <= set(frame.columns)
""",
    "prove": """
assert len(ticks) == 10 and isinstance(blobs[0]["data"], bytes) and chats[0]["room"] == "lobby"
assert CONTRACT.exists() and set(contract["channels"]) == {"root", "chat"}
assert contract["servers"]["main"]["host"] == URL.split("//")[1].rstrip("/")  # from the dataset
assert checker.count == 1 and list(checker.violations["event"]) == ["add"]
assert demo.process.poll() is not None  # the demo server was stopped before the replay
for ns in ("/", "/chat"):
    sent = [(r.event, r.args) for r in recorded if r.direction == "in" and r.namespace == ns]
    got = [(r.event, r.args) for r in replayed if r.direction == "in" and r.namespace == ns]
    assert got == sent and sent, ns
assert again == 3 and room is True
assert replay_check.count == 0 and sum(replay_check.checked.values()) > len(recorded_in)
assert mock.url is None  # stopped
""",
    "namespaces_and_acks": """
assert total == 3 and echoed == ("two", "values") and server_time.endswith("+00:00")
assert (await said) is True
assert "hello from a cell" in set(chat.frames()["chat"]["text"])
assert t.state == "error" and "no ack within 0.5 s" in t.text()
""",
}


def test_there_are_notebooks() -> None:
    assert {p.stem for p in NOTEBOOKS} == set(CHECKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs_and_reads_as_prose(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: outputs saved"
        assert "assert " not in cell.source, f"{path.name}: checks belong in tests/notebook/test_notebooks.py"
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= len(code) // 2


def _outputs_text(nb: nbformat.NotebookNode) -> list[str]:
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                texts.append(out.text)
            elif "data" in out:
                texts.append(out.data.get("text/plain", ""))
    return texts


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path, demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIO_DEMO_URL", demo_url)
    nb = nbformat.read(path, as_version=4)
    checks = nbformat.v4.new_code_cell("_ip = get_ipython()\n" + CHECKS[path.stem])
    nb.cells.append(checks)
    client = NotebookClient(
        nb, timeout=120, startup_timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    try:
        client.execute()  # raises CellExecutionError on the first failing cell
    finally:
        nbformat.write(nb, tmp_path / path.name)
    errors = [
        (c.source, o.get("evalue"))
        for c in nb.cells
        if c.cell_type == "code" and "raises-exception" not in c.metadata.get("tags", [])
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert errors == []
    texts = _outputs_text(nb)
    # the executed notebook shows final states, not display-time ones
    if "closing = %sio disconnect" in "".join(c.source for c in nb.cells):
        last_status = [t for t in texts if t.startswith(("connected ", "disconnected ", "connecting "))]
        assert last_status and all(t.startswith("disconnected") for t in last_status), last_status
    assert not any(re.match(r"connecting http", t) for t in texts), texts
    assert not any("waiting for the ack" in t for t in texts), [t for t in texts if "waiting" in t]
    # no alarming warnings on a first run
    stderr = [
        o.text
        for c in nb.cells
        if "raises-exception" not in c.metadata.get("tags", [])
        for o in c.get("outputs", [])
        if o.output_type == "stream" and o.name == "stderr"
    ]
    assert stderr == [], stderr
    # error cells show a one-line UsageError that says what was tried
    for cell in nb.cells:
        if "raises-exception" in cell.metadata.get("tags", []):
            (out,) = [o for o in cell.outputs if o.output_type in ("error", "stream")]
            text = out.get("text") or f"{out.get('ename')}: {out.get('evalue')}"
            assert "UsageError" in text and text.strip().count("\n") == 0, text
