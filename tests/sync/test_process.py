"""The thread Client's process lifecycle: scripts exit promptly, Ctrl-C in wait() is clean,
disconnect() works from handlers, background tasks and other threads.

Each case is a real script in a fresh interpreter against the Node peer, with a deadline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

PRELUDE = "import sio_notebook as socketio, threading, sys, time\n"


def run_script(source: str, url: str, timeout: float = 20) -> tuple[subprocess.CompletedProcess[str], float]:
    script = PRELUDE + f"URL = {url!r}\n" + textwrap.dedent(source)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout)
    return proc, time.monotonic() - started


def test_script_that_returns_from_main_without_disconnecting_exits_promptly(node_server) -> None:
    proc, elapsed = run_script(
        """
        sio = socketio.Client()
        @sio.event
        def disconnect(reason):
            print('disconnect', reason, flush=True)
        sio.connect(URL)
        print('connected', sio.connected, flush=True)
        """,
        node_server.url,
    )
    assert proc.returncode == 0, proc.stderr
    assert "connected True" in proc.stdout
    assert "disconnect client disconnect" in proc.stdout  # the atexit hook left cleanly
    assert elapsed < 10


@pytest.mark.parametrize("where", ["handler", "background_task", "other_thread"])
def test_disconnect_from_anywhere_ends_wait(node_server, where: str) -> None:
    proc, elapsed = run_script(
        f"""
        sio = socketio.Client()
        where = {where!r}
        @sio.on('auth')
        def on_auth(data):
            if where == 'handler':
                sio.disconnect()
        @sio.event
        def disconnect(reason):
            print('disconnect', reason, threading.current_thread().name, flush=True)
        sio.connect(URL)
        if where == 'background_task':
            sio.start_background_task(sio.disconnect)
        elif where == 'other_thread':
            threading.Thread(target=sio.disconnect).start()
        sio.wait()
        print('wait returned', sio.state, flush=True)
        """,
        node_server.url,
    )
    assert proc.returncode == 0, proc.stderr
    assert "disconnect client disconnect sio-notebook-handlers" in proc.stdout
    assert "wait returned disconnected" in proc.stdout
    assert elapsed < 10


def test_ctrl_c_in_wait_disconnects_cleanly(node_server) -> None:
    script = PRELUDE + f"URL = {node_server.url!r}\n" + textwrap.dedent(
        """
        sio = socketio.Client()
        @sio.event
        def disconnect(reason):
            print('disconnect', reason, flush=True)
        sio.connect(URL)
        main = threading.main_thread().ident

        def announce():
            # Say "waiting" only once the main thread is inside Client.wait(), so the
            # signal cannot land between the print and the try (no sleep-based guess).
            while True:
                frame = sys._current_frames().get(main)
                names = []
                while frame is not None:
                    names.append(frame.f_code.co_name)
                    frame = frame.f_back
                if 'wait' in names and 'run' in names:
                    print('waiting', flush=True)
                    return
                threading.Event().wait(0.01)

        threading.Thread(target=announce, daemon=True).start()
        try:
            sio.wait()
        except KeyboardInterrupt:
            print('interrupted', sio.state, flush=True)
            raise
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "waiting"
        started = time.monotonic()
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert time.monotonic() - started < 5
    assert "disconnect client disconnect" in out
    assert "interrupted disconnected" in out
    assert "KeyboardInterrupt" in err
    assert proc.returncode != 0


def test_server_disconnect_ends_wait(node_server) -> None:
    proc, elapsed = run_script(
        """
        sio = socketio.Client()
        @sio.event
        def disconnect(reason):
            print('disconnect', reason, flush=True)
        sio.connect(URL)
        sio.emit('server-disconnect')
        sio.wait()
        print('wait returned', sio.state, flush=True)
        """,
        node_server.url,
    )
    assert proc.returncode == 0, proc.stderr
    assert "disconnect server disconnect" in proc.stdout
    assert "wait returned disconnected" in proc.stdout
    assert elapsed < 10


def test_client_works_inside_a_running_event_loop_thread(node_server) -> None:
    """A notebook cell runs on a thread with a running loop; the thread Client still works there."""
    proc, _ = run_script(
        """
        import asyncio
        async def cell():
            sio = socketio.Client()
            sio.connect(URL)
            print('call', sio.call('echo', 'from a loop thread'), flush=True)
            sio.disconnect()
        asyncio.run(cell())
        """,
        node_server.url,
    )
    assert proc.returncode == 0, proc.stderr
    assert "call from a loop thread" in proc.stdout


FORK_PRELUDE = """
import os
from sio_notebook.exceptions import DisconnectedError

def child_report(body):
    # Runs in the child: report on stdout, then exit the normal way (atexit hooks run).
    started = time.monotonic()
    try:
        body()
    finally:
        print('child-body', round(time.monotonic() - started, 2), flush=True)

def fork_and_time(body):
    pid = os.fork()
    if pid == 0:
        child_report(body)
        sys.exit(0)
    started = time.monotonic()
    _, status = os.waitpid(pid, 0)
    print('child-exit', round(time.monotonic() - started, 2), os.waitstatus_to_exitcode(status), flush=True)
"""


def test_fork_inherited_connected_clients_fail_fast_and_exit_promptly(node_server) -> None:
    """gunicorn --preload: clients connected in the parent must not hang the child (issue 10 §2.5)."""
    proc, elapsed = run_script(
        FORK_PRELUDE
        + textwrap.dedent("""
        clients = [socketio.Client() for _ in range(3)]
        for sio in clients:
            sio.connect(URL, transports=['websocket'])

        def body():
            sio = clients[0]
            print('child-state', sio.state, sio.connected, sio.status().state, flush=True)
            for action in (lambda: sio.emit('echo', 1), lambda: sio.call('echo', 1, timeout=30)):
                t0 = time.monotonic()
                try:
                    action()
                except DisconnectedError as exc:
                    print('child-error', round(time.monotonic() - t0, 2), 'forked' in str(exc), flush=True)

        fork_and_time(body)
        # The parent's connections are untouched by the child's exit.
        print('parent-call', [sio.call('echo', i, timeout=5) for i, sio in enumerate(clients)], flush=True)
        for sio in clients:
            sio.disconnect()
        """),
        node_server.url,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    print(out)
    assert "child-state disconnected False disconnected" in out
    errors = [line.split() for line in out.splitlines() if line.startswith("child-error")]
    assert len(errors) == 2 and all(ok == "True" and float(t) < 0.5 for _, t, ok in errors), out
    exit_line = next(line.split() for line in out.splitlines() if line.startswith("child-exit"))
    assert exit_line[2] == "0" and float(exit_line[1]) < 1.5, out  # before the fix: 2 s per client
    assert "parent-call [0, 1, 2]" in out


def test_fork_client_made_before_fork_connects_in_the_child(node_server) -> None:
    """A module-level Client (made in the gunicorn master) connects in the worker."""
    proc, _ = run_script(
        FORK_PRELUDE
        + textwrap.dedent("""
        sio = socketio.Client()  # made (and its loop thread started) before the fork
        parent = socketio.Client()
        parent.connect(URL)

        def body():
            sio.connect(URL)
            print('child-call', sio.call('echo', 'from the child', timeout=5), flush=True)
            fresh = socketio.Client()
            fresh.connect(URL, transports=['polling'])
            print('child-fresh', fresh.call('echo', 2, timeout=5), flush=True)
            fresh.disconnect()

        fork_and_time(body)
        print('parent-call', parent.call('echo', 'parent', timeout=5), flush=True)
        parent.disconnect()
        """),
        node_server.url,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "child-call from the child" in proc.stdout, proc.stdout + proc.stderr
    assert "child-fresh 2" in proc.stdout
    assert "child-exit" in proc.stdout and proc.stdout.split("child-exit")[1].split()[1] == "0"
    assert "parent-call parent" in proc.stdout
