"""The inferred AsyncAPI documents pass the official parser (@asyncapi/parser, npm) with no
errors, written as YAML and as JSON, from a Parquet dataset and from a live capture."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import sio_notebook.notebook as nb
from sio_notebook.notebook.recording.rows import CapturedEvent
from sio_notebook.notebook.recording.store import ParquetSink

VALIDATOR = Path(__file__).resolve().parents[1] / "prove" / "asyncapi"


@pytest.fixture(scope="module")
def validator() -> Path:
    """tests/prove/asyncapi with its node_modules (``npm ci`` from the lock file if needed)."""
    npm = shutil.which("npm")
    assert npm is not None, "the AsyncAPI check needs Node 20 and npm"
    stamp = VALIDATOR / "node_modules" / ".sio-installed"
    if not stamp.exists() or stamp.stat().st_mtime < (VALIDATOR / "package-lock.json").stat().st_mtime:
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=VALIDATOR, check=True,
                       stdin=subprocess.DEVNULL, timeout=600)
        stamp.touch()
    return VALIDATOR / "validate.js"


def parse(validator: Path, *files: Path) -> list[dict[str, Any]]:
    result = subprocess.run(["node", str(validator), *map(str, files)], capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _dataset(path: Path) -> Path:
    t = time.time()
    rows = [
        CapturedEvent(1, t, "/", "tick", ({"symbol": "ACME", "price": 101.5, "volume": 420, "seq": 0},), "in"),
        CapturedEvent(2, t + 0.1, "/", "tick", ({"symbol": "UMBR", "price": 230, "volume": 10, "seq": 1},), "in"),
        CapturedEvent(3, t + 0.2, "/", "blob", ({"seq": 0, "size": 2, "data": b"\x00\x01"},), "in"),
        CapturedEvent(4, t + 0.3, "/", "add", ({"a": 1, "b": 2},), "out"),
        CapturedEvent(5, t + 0.4, "/", "add", (3,), "ack"),
        CapturedEvent(6, t + 0.5, "/chat", "chat", ({"user": "ada", "text": "hi", "room": "lobby"},), "in"),
        CapturedEvent(7, t + 0.6, "/chat", "say", ("hello",), "out"),
        CapturedEvent(8, t + 0.7, "/chat", "say", (True,), "ack"),
        CapturedEvent(9, t + 0.8, "/", "two words & ünïcode", (1, "two"), "in"),
    ]
    sink = ParquetSink(path)
    for row in rows:
        sink(row)
    sink.close()
    return path


def test_a_document_from_a_dataset_passes_the_official_parser(validator: Path, tmp_path: Path) -> None:
    data = _dataset(tmp_path / "demo.parquet")
    doc = nb.asyncapi(data, title="Demo", version="1.2.3", path=tmp_path / "demo.yaml", url="http://127.0.0.1:5055")
    nb.asyncapi(data, title="Demo", version="1.2.3", path=tmp_path / "demo.json", url="http://127.0.0.1:5055")
    assert yaml.safe_load((tmp_path / "demo.yaml").read_text()) == doc
    assert json.loads((tmp_path / "demo.json").read_text()) == doc
    results = parse(validator, tmp_path / "demo.yaml", tmp_path / "demo.json")
    assert [(r["parsed"], r["errors"], r["version"]) for r in results] == [(True, [], "3.0.0")] * 2, results
    # what the document says, beyond being valid
    root = doc["channels"]["root"]["messages"]
    assert root["blob"]["payload"]["properties"]["data"]["x-sio-binary"] is True
    # a name that is not a valid message key keeps its real name in x-sio-event
    [odd] = [m for key, m in root.items() if key == "two_words_n_code"]
    assert odd["x-sio-event"] == odd["name"] == "two words & ünïcode"
    assert odd["payload"]["type"] == "array"  # several arguments: one array, in order
    assert doc["operations"]["send_chat_say"]["reply"]["messages"] == [{"$ref": "#/channels/chat/messages/say.ack"}]


def test_the_parser_does_report_a_broken_document(validator: Path, tmp_path: Path) -> None:
    # The check has teeth: an operation with an action AsyncAPI does not have is an error.
    doc = nb.asyncapi(_dataset(tmp_path / "d.parquet"))
    doc["operations"]["receive_root_tick"]["action"] = "listen"
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    [result] = parse(validator, tmp_path / "bad.json")
    assert result["errors"] and "action" in result["errors"][0]["message"]
