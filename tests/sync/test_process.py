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
