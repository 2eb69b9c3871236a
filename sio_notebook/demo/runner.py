"""Run the demo: the bundled demo server plus the quick-start notebook, in JupyterLab or headless.

::

    python -m sio_notebook.demo               # JupyterLab on ./sio-notebook-demo/quickstart.ipynb
    python -m sio_notebook.demo --headless    # execute it there with nbclient and print a summary

The notebooks ship inside the package (``sio_notebook/demo/notebooks``, package data). They are
never opened in place: a run first copies them to a working folder (``--workdir``, default
``./sio-notebook-demo``), so saving in JupyterLab changes only that copy, never the installed
package or a git checkout. A copy that is already there is kept (it may hold your edits);
``--fresh`` replaces it with the bundled version.

Then the demo server (``python -m sio_notebook.demo.server``) is started on a free port of
127.0.0.1, ``SIO_DEMO_URL`` is exported for the notebook's kernel, and either JupyterLab is
started on the working folder, or the notebook is executed there with nbclient and the result
written beside it as ``<name>.executed.ipynb``. The server is stopped at the end, also on
Ctrl-C and SIGTERM.

Needs ``pip install 'sio-notebook[notebook,demo]'``, plus ``[lab]`` for JupyterLab; a missing
piece is reported with the command that installs it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # traitlets comes with the [notebook] extra; imported when a run needs it
    from traitlets.config import Config

__all__ = ["DemoServer", "RunSummary", "execute_notebook", "main", "notebooks_dir", "prepare_workdir"]

_LISTENING = re.compile(r"listening on (http://\S+)")
DEFAULT_WORKDIR = "sio-notebook-demo"
DEFAULT_NOTEBOOK = "quickstart.ipynb"
#: What to tell someone whose environment lacks a piece; one command installs all of it.
INSTALL_HINT = "pip install 'sio-notebook[notebook,demo,lab]'"


def notebooks_dir() -> Path:
    """The bundled notebooks (package data in ``sio_notebook/demo/notebooks``)."""
    return Path(__file__).resolve().parent / "notebooks"


def prepare_workdir(workdir: Path, fresh: bool = False) -> dict[str, str]:
    """Copy the bundled notebooks into ``workdir``; returns ``{file name: what was done}``.

    What was done is ``"copied"``, ``"same"`` (the copy there equals the bundled one) or
    ``"kept"``: a copy that differs is kept unless ``fresh``, because it is the user's working
    file and may hold their edits. The copies are what JupyterLab opens and saves, so the
    package (or the git checkout it was installed from in editable mode) is never written to.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    done: dict[str, str] = {}
    for source in sorted(notebooks_dir().glob("*.ipynb")):
        target = workdir / source.name
        if not target.exists() or fresh:
            shutil.copyfile(source, target)
            done[source.name] = "copied"
        elif target.read_bytes() == source.read_bytes():
            done[source.name] = "same"
        else:
            done[source.name] = "kept"
    return done


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
        process = self.process

        def pump() -> None:  # keep reading so the server never blocks on a full pipe
            assert process.stdout is not None
            for line in process.stdout:
                self._lines.append(line)
                m = _LISTENING.search(line)
                if m and self.url is None:
                    self.url = m.group(1)
                    found.set()

        threading.Thread(target=pump, daemon=True, name="demo-server-output").start()
        deadline = time.monotonic() + timeout
        while not found.wait(0.1):
            if process.poll() is not None or time.monotonic() > deadline:
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


@dataclass
class RunSummary:
    """What a headless run did: enough to print a one-screen report."""

    notebook: Path
    output: Path
    code_cells: int = 0
    executed: int = 0
    seconds: float = 0.0
    #: ``"ename: evalue"`` of every error output in a cell not tagged ``raises-exception``.
    errors: list[str] = field(default_factory=list)
    #: the same, for cells tagged ``raises-exception`` (they demonstrate an error on purpose).
    expected_errors: list[str] = field(default_factory=list)
    #: set when execution stopped early: which cell, and why.
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None and not self.errors

    def report(self) -> str:
        lines = [
            f"  notebook  {self.notebook}",
            f"  ran       {self.executed} of {self.code_cells} code cells in {self.seconds:.1f} s",
            f"  errors    {len(self.errors)}"
            + (f" (and {len(self.expected_errors)} expected: cells tagged raises-exception)" if self.expected_errors else ""),
        ]
        lines += [f"            {e}" for e in self.errors]
        if self.failure:
            lines.append(f"  stopped   {self.failure}")
        lines.append(f"  result    {self.output}")
        return "\n".join(lines)


def _ipc_kernel_config(folder: Path) -> Config:
    """Kernel manager settings: the kernel talks over local IPC sockets in ``folder``, not TCP.

    ipykernel warns on every TCP start ("Kernel is running over TCP without encryption"), which
    alarms a first-time user; IPC sockets are files in a private folder, so there is nothing to
    warn about. The connection file is an absolute path because the socket paths are derived
    from it, and the kernel runs in another working directory than this process. Given as
    config (not as a ready ``km=``) so that nbclient owns the kernel and shuts it down.
    """
    from traitlets.config import Config

    return Config({"KernelManager": {"transport": "ipc", "connection_file": str(folder / "kernel.json")}})


def execute_notebook(path: Path, output: Path, timeout: int = 180, cwd: Path | None = None) -> RunSummary:
    """Execute ``path`` with nbclient in ``cwd`` (default: its folder) and write ``output``.

    Execution stops at the first failing cell that is not tagged ``raises-exception``; the
    notebook as far as it got is written either way, and the returned summary says what ran.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    summary = RunSummary(notebook=path, output=output)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sio-demo-kernel-") as sockets:
        client = NotebookClient(
            nb,
            config=_ipc_kernel_config(Path(sockets)),
            timeout=timeout,
            startup_timeout=60,
            kernel_name="python3",
            resources={"metadata": {"path": str(cwd or path.parent)}},
        )
        try:
            client.execute()
        except CellExecutionError as exc:
            summary.failure = f"{exc.ename}: {exc.evalue}".strip()
        except Exception as exc:  # noqa: BLE001 - e.g. the kernel did not start: report it, do not hide it
            summary.failure = f"{type(exc).__name__}: {exc}"
        finally:
            summary.seconds = time.monotonic() - started
            output.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, output)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        summary.code_cells += 1
        if cell.execution_count is not None:
            summary.executed += 1
        expected = "raises-exception" in cell.metadata.get("tags", [])
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                (summary.expected_errors if expected else summary.errors).append(f"{out.ename}: {out.evalue}")
    if summary.failure:
        # the failing cell's error is already listed above the "stopped" line; say where only
        where = f"at code cell {summary.executed} of {summary.code_cells}"
        summary.failure = where if summary.failure in summary.errors else f"{where}: {summary.failure}"
    return summary


def _missing(modules: dict[str, str]) -> list[str]:
    """The extras whose marker module is not importable here."""
    return [extra for module, extra in modules.items() if importlib.util.find_spec(module) is None]


def _quiet_environment() -> None:
    """Environment for the kernels and JupyterLab, set before they start (they inherit it).

    Each variable silences a warning that is not the user's problem on a first run.
    """
    # jupyter_core: "Jupyter is migrating its paths to use standard platformdirs" on every start.
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    # debugpy in ipykernel on Python >= 3.11: "Debugger warning: It seems that frozen modules
    # are being used, which may make the debugger miss breakpoints".
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sio_notebook.demo",
        description="Start the demo Socket.IO server and open (or execute) the quick-start notebook "
        "on a working copy of the bundled notebooks.",
    )
    parser.add_argument("--headless", action="store_true", help="execute the notebook with nbclient instead of JupyterLab")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(DEFAULT_WORKDIR),
        help=f"folder the bundled notebooks are copied to and run in (default: ./{DEFAULT_WORKDIR})",
    )
    parser.add_argument("--fresh", action="store_true", help="replace working copies with the bundled notebooks")
    parser.add_argument(
        "--notebook",
        default=DEFAULT_NOTEBOOK,
        help=f"notebook to open or execute: a name in the working folder, or a path (default: {DEFAULT_NOTEBOOK})",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="--headless: folder (or .ipynb path) for <name>.executed.ipynb (default: the working folder)",
    )
    parser.add_argument("--timeout", type=int, default=180, help="--headless: seconds allowed per cell")
    parser.add_argument("--port", type=int, default=0, help="demo server port (default: a free one)")
    parser.add_argument("--lab-port", type=int, default=8888, help="JupyterLab port (the next free one if taken)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)

    needed = {"ipykernel": "notebook", "socketio": "demo"}
    needed.update({"nbclient": "demo"} if args.headless else {"jupyterlab": "lab"})
    missing = _missing(needed)
    if missing:
        extras = sorted(set(missing))
        what = "JupyterLab is" if extras == ["lab"] else f"the [{','.join(extras)}] extra{'s are' if len(extras) > 1 else ' is'}"
        print(f"{what} not installed in this Python ({sys.executable}). Install with:", file=sys.stderr)
        print(f"    {INSTALL_HINT}", file=sys.stderr)
        if extras == ["lab"]:
            print("or execute the notebook without JupyterLab:", file=sys.stderr)
            print("    python -m sio_notebook.demo --headless", file=sys.stderr)
        return 2

    # SIGTERM unwinds like Ctrl-C, so the servers started here are stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    workdir = args.workdir.resolve()
    copies = prepare_workdir(workdir, fresh=args.fresh)
    # A name in the working folder first (so the default never picks a same-named file in the
    # current directory, such as the package's own copy), else the path as given.
    notebook = workdir / args.notebook if (workdir / args.notebook).exists() else Path(args.notebook).resolve()
    if not notebook.exists():
        parser.error(f"no notebook at {notebook} (the working folder has: {', '.join(sorted(copies))})")
    kept = sorted(name for name, how in copies.items() if how == "kept")
    print(f"working folder: {workdir}", flush=True)
    if kept:
        print(f"  kept your edited {', '.join(kept)} (--fresh replaces them with the bundled ones)", flush=True)

    _quiet_environment()
    with DemoServer(port=args.port) as server:
        os.environ["SIO_DEMO_URL"] = server.url or ""
        print(f"demo server: {server.url} (SIO_DEMO_URL)", flush=True)
        if args.headless:
            out = args.output.resolve() if args.output else workdir
            if out.suffix != ".ipynb":
                out = out / f"{notebook.stem}.executed.ipynb"
            print(f"executing {notebook.name} headless...", flush=True)
            summary = execute_notebook(notebook, out, timeout=args.timeout, cwd=workdir)
            stream = sys.stdout if summary.ok else sys.stderr
            print(("OK" if summary.ok else "FAILED") + f": {notebook.name}", file=stream)
            print(summary.report(), file=stream, flush=True)
            return 0 if summary.ok else 1
        return _run_lab(workdir, notebook, args.lab_port)


def _has_browser() -> bool:
    """Whether JupyterLab will find a web browser to open (not on a server, container or CI)."""
    import webbrowser

    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def _run_lab(workdir: Path, notebook: Path, port: int) -> int:
    """JupyterLab on ``workdir`` with ``notebook`` open, until it exits or Ctrl-C."""
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={workdir}",
        f"--port={port}",
        # Warnings and errors only: the access URL is logged as critical, so it is still shown,
        # without the screenful of "extension was successfully linked" lines around it.
        "--ServerApp.log_level=WARN",
        "--LabApp.log_level=WARN",
        # Kernels over local IPC sockets: no "running over TCP without encryption" warning.
        "--KernelManager.transport=ipc",
        # No news/update pop-ups: they fetch from the internet and are not about the demo.
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        os.path.relpath(notebook, workdir),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI run as root; JupyterLab refuses it otherwise
    if not _has_browser():  # say it here, once, instead of JupyterLab's "No web browser found" warning
        cmd.append("--no-browser")
        print("no web browser on this machine: open one of the URLs JupyterLab prints below", flush=True)
    print("starting JupyterLab (Ctrl-C stops it and the demo server)...", flush=True)
    lab = subprocess.Popen(cmd, cwd=workdir)
    try:
        return lab.wait()
    except KeyboardInterrupt:
        return 0
    finally:  # also on SIGTERM (see main): never leave JupyterLab behind
        if lab.poll() is None:
            lab.terminate()
            try:
                lab.wait(15)
            except subprocess.TimeoutExpired:
                lab.kill()
