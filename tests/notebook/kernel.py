"""A live ipykernel driven through jupyter_client, recording every IOPub message.

A thread drains IOPub continuously with arrival times, so tests can look at what the
kernel published after a cell finished (widget updates from background tasks) and count
messages per second.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.manager import start_new_kernel


@dataclass
class Reply:
    msg_id: str
    content: dict[str, Any]
    elapsed: float
    """Seconds from sending the request to receiving the execute_reply."""
    outputs: list[dict[str, Any]] = field(default_factory=list)
    """IOPub messages whose parent is this request (status and execute_input left out)."""

    @property
    def ok(self) -> bool:
        return self.content["status"] == "ok"

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        return [m for m in self.outputs if m["msg_type"] in types]

    def text(self) -> str:
        return "".join(m["content"].get("text", "") for m in self.of_type("stream"))

    def result(self) -> str:
        for m in self.of_type("execute_result"):
            return m["content"]["data"]["text/plain"]
        raise AssertionError(f"no execute_result; outputs: {self.outputs}")


class Kernel:
    def __init__(self, cwd: Path, env: dict[str, str] | None = None) -> None:
        kwargs: dict[str, Any] = {"env": env} if env is not None else {}
        self.km, self.kc = start_new_kernel(kernel_name="python3", cwd=str(cwd), startup_timeout=120, **kwargs)
        self.iopub: list[tuple[float, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True, name="iopub-drain")
        self._thread.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self.kc.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                continue
            except Exception:  # noqa: BLE001 - the channel is closed at shutdown
                return
            with self._lock:
                self.iopub.append((time.monotonic(), msg))

    def messages(self, since: float = 0.0, types: tuple[str, ...] = ()) -> list[tuple[float, dict[str, Any]]]:
        with self._lock:
            return [(t, m) for t, m in self.iopub if t >= since and (not types or m["msg_type"] in types)]

    def send(self, code: str) -> tuple[str, float]:
        """Send an execute_request without waiting."""
        return self.kc.execute(code), time.monotonic()

    def wait(self, msg_id: str, sent: float, timeout: float = 60.0) -> Reply:
        """Wait for the reply of ``msg_id`` and for its ``idle`` status on IOPub."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.kc.get_shell_msg(timeout=max(deadline - time.monotonic(), 0.01))
            if msg["parent_header"].get("msg_id") == msg_id:
                break
        elapsed = time.monotonic() - sent
        while True:  # outputs come before the idle status of their request
            mine = [m for _, m in self.messages() if m["parent_header"].get("msg_id") == msg_id]
            if any(m["msg_type"] == "status" and m["content"]["execution_state"] == "idle" for m in mine):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"no idle status for {msg_id}")
            time.sleep(0.01)
        outputs = [m for m in mine if m["msg_type"] not in ("status", "execute_input")]
        return Reply(msg_id, msg["content"], elapsed, outputs)

    def run(self, code: str, timeout: float = 60.0) -> Reply:
        msg_id, sent = self.send(code)
        return self.wait(msg_id, sent, timeout)

    def ok(self, code: str, timeout: float = 60.0) -> Reply:
        """Run ``code`` and fail with the kernel's traceback if it raised."""
        reply = self.run(code, timeout)
        if not reply.ok:
            tb = "\n".join(reply.content.get("traceback", [])) or reply.text()
            raise AssertionError(f"cell failed: {code!r}\n{reply.content.get('ename')}: {reply.content.get('evalue')}\n{tb}")
        return reply

    def shutdown(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
