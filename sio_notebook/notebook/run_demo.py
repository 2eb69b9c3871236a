"""Run the quick-start notebook against the demo server.

::

    python -m sio_notebook.notebook.run_demo              # JupyterLab on notebooks/quickstart.ipynb
    python -m sio_notebook.notebook.run_demo --headless   # execute it with nbclient, write
                                                          # quickstart.executed.ipynb to --output

Starts ``python -m sio_notebook.demo.server`` on a free port of 127.0.0.1, exports
``SIO_DEMO_URL`` for the notebook's kernel, runs JupyterLab (``--allow-root`` when run as
root) or nbclient, then stops the server. Needs the ``notebook`` and ``demo`` extras
(plus ``jupyterlab``, or ``nbclient`` for ``--headless``).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["DemoServer", "main", "notebooks_dir"]

_LISTENING = re.compile(r"listening on (http://\S+)")


def notebooks_dir() -> Path:
    """The bundled notebooks (package data in ``sio_notebook/demo/notebooks``)."""
    return Path(__file__).resolve().parents[1] / "demo" / "notebooks"


class DemoServer:
    """The demo server in a subprocess, on a free port; a context manager.

    ``url`` is known once :meth:`start` returns (it waits for the server's
    "listening on" line).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, extra_args: Sequence[str] = ()) -> None:
        self.host = host
        self.port = port
        self.extra_args = list(extra_args)
        self.url: str | None = None
        self.process: subprocess.Popen[str] | None = None
        self._lines: list[str] = []

    def start(self, timeout: float = 30.0) -> str:
        cmd = [sys.executable, "-m", "sio_notebook.demo.server", "--host", self.host, "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*cmd, *self.extra_args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        found = threading.Event()

        def pump() -> None:  # keep reading so the server never blocks on a full pipe
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                self._lines.append(line)
                m = _LISTENING.search(line)
                if m and self.url is None:
                    self.url = m.group(1)
                    found.set()

        threading.Thread(target=pump, daemon=True, name="demo-server-output").start()
        deadline = time.monotonic() + timeout
        while not found.wait(0.1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the demo server did not start:\n" + "".join(self._lines))
        assert self.url is not None
        return self.url

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def output(self) -> str:
        return "".join(self._lines)

    def __enter__(self) -> DemoServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def execute_notebook(path: Path, output: Path, timeout: int = 180, cwd: Path | None = None) -> Path:
    """Execute ``path`` with nbclient (raises on the first failing cell) and write ``output``."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        startup_timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd or path.parent)}},
    )
    try:
        client.execute()
    finally:
        output.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, output)
    return output


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sio_notebook.notebook.run_demo",
        description="Start the demo server and open (or execute) the quick-start notebook.",
    )
    parser.add_argument("--headless", action="store_true", help="execute with nbclient instead of JupyterLab")
    parser.add_argument(
        "--output",
        type=Path,
        default=Path.cwd(),
        help="--headless: directory (or .ipynb path) for quickstart.executed.ipynb (default: current dir)",
    )
    parser.add_argument("--notebook", type=Path, default=notebooks_dir() / "quickstart.ipynb")
    parser.add_argument("--port", type=int, default=0, help="demo server port (default: a free one)")
    parser.add_argument("--lab-port", type=int, default=8888, help="JupyterLab port")
    args = parser.parse_args(argv)

    # SIGTERM unwinds like Ctrl-C, so the servers started here are stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    notebook = args.notebook.resolve()
    if not notebook.exists():
        parser.error(f"no notebook at {notebook}")
    with DemoServer(port=args.port) as server:
        os.environ["SIO_DEMO_URL"] = server.url or ""
        print(f"demo server: {server.url} (SIO_DEMO_URL)", flush=True)
        if args.headless:
            out = args.output
            if out.suffix != ".ipynb":
                out = out / "quickstart.executed.ipynb"
            try:
                execute_notebook(notebook, out)
            except Exception as exc:  # noqa: BLE001 - report and fail
                print(f"FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
                print(f"partial output written to {out}", file=sys.stderr)
                return 1
            print(f"executed notebook written to {out}")
            return 0
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            f"--ServerApp.root_dir={notebook.parent}",
            f"--port={args.lab_port}",
            notebook.name,
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        lab = subprocess.Popen(cmd, cwd=notebook.parent)
        try:
            return lab.wait()
        except KeyboardInterrupt:
            return 0
        finally:  # also on SIGTERM (see below): never leave JupyterLab behind
            if lab.poll() is None:
                lab.terminate()
                try:
                    lab.wait(15)
                except subprocess.TimeoutExpired:
                    lab.kill()


if __name__ == "__main__":
    sys.exit(main())
