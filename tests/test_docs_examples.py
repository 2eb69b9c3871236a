"""The examples of python-socketio's client documentation, run with ``import sio_notebook as socketio``.

Each example is a small script in the documentation's own style (decorators, namespaces,
class-based namespaces, callbacks, background tasks, logging options, the simple clients),
written against the Node peer's events instead of the docs' imaginary server. Each runs in
a fresh interpreter, as a user's script would, with a deadline; the script's output is
checked, and the script must exit by itself (no hanging threads).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

EXAMPLES: dict[str, tuple[str, list[str]]] = {
    "sync_decorators": (
        """
        import socketio

        sio = socketio.Client()

        @sio.event
        def connect():
            print("I'm connected!")

        @sio.event
        def connect_error(data):
            print("The connection failed!")

        @sio.event
        def disconnect(reason):
            print("I'm disconnected! reason:", reason)

        @sio.on('message-back')
        def on_message(*data):
            print('I received a message!', list(data))
            sio.disconnect()

        sio.connect(URL)
        print('my sid is', sio.sid is not None, 'transport', sio.transport())
        sio.emit('message', {'foo': 'bar'})
        sio.wait()
        """,
        ["I'm connected!", "my sid is True transport", "I received a message! [{'foo': 'bar'}]",
         "I'm disconnected! reason: client disconnect"],
    ),
    "async_decorators": (
        """
        import asyncio
        import socketio

        sio = socketio.AsyncClient()

        @sio.event
        async def connect():
            print("I'm connected!")

        @sio.on('message-back')
        async def on_message(data):
            print('I received a message!', data)
            await sio.disconnect()

        @sio.event
        def disconnect():  # the legacy zero-argument form still works
            print("I'm disconnected!")

        async def main():
            await sio.connect(URL, transports=['websocket'])
            await sio.emit('message', {'foo': 'bar'})
            await sio.wait()

        asyncio.run(main())
        """,
        ["I'm connected!", "I received a message! {'foo': 'bar'}", "I'm disconnected!"],
    ),
    "connect_options_and_namespaces": (
        """
        import socketio

        sio = socketio.Client()

        @sio.on('handshake')
        def handshake(data):
            print('headers', data['headers'].get('x-custom'), 'auth', data['auth'])

        @sio.on('connect', namespace='/custom')
        def on_connect():
            print("I'm connected to the /custom namespace!")

        @sio.event(namespace='/custom')
        def auth(data):
            print('custom auth', data)

        sio.connect(URL, headers={'X-Custom': 'value'}, auth={'token': 'my-token'},
                    transports=['websocket'], namespaces=['/', '/custom'])
        print('namespaces', sorted(sio.namespaces))
        print(sio.call('echo', {'foo': 'bar'}, namespace='/custom'))
        sio.disconnect()
        """,
        ["headers value auth {'token': 'my-token'}", "I'm connected to the /custom namespace!",
         "custom auth {'token': 'my-token'}", "namespaces ['/', '/custom']", "{'foo': 'bar'}"],
    ),
    "callbacks_and_call": (
        """
        import threading
        import socketio

        sio = socketio.Client()
        done = threading.Event()

        def my_callback(*args):
            print('callback', args)
            done.set()

        @sio.on('ask')
        def ask(data):
            return 'OK', data  # the return value answers the server's ack request

        @sio.on('answer')
        def answer(values):
            print('server got', values)
            done2.set()

        done2 = threading.Event()
        sio.connect(URL)
        sio.emit('echo', {'foo': 'bar'}, callback=my_callback)
        done.wait(10)
        result = sio.call('echo', ('a', 1))
        print('call', result)
        sio.emit('ask', 123)
        done2.wait(10)
        sio.disconnect()
        """,
        ["callback ({'foo': 'bar'},)", "call ('a', 1)", "server got ['OK', 123]"],
    ),
    "class_based_namespaces": (
        """
        import socketio

        class MyCustomNamespace(socketio.ClientNamespace):
            def on_connect(self):
                print('ns connect')

            def on_disconnect(self, reason):
                print('ns disconnect', reason)

            def on_auth(self, data):  # the server emits 'auth' on connect
                print('ns got', data)
                self.emit('echo', 'hello', callback=lambda *a: (print('ns ack', a), self.disconnect()))

        sio = socketio.Client()
        sio.register_namespace(MyCustomNamespace('/custom'))
        sio.connect(URL, auth={'k': 1})
        print('connected', sorted(sio.namespaces))
        sio.wait()
        """,
        ["ns connect", "connected ['/custom']", "ns got {'k': 1}", "ns ack ('hello',)", "ns disconnect client disconnect"],
    ),
    "async_class_based_namespaces": (
        """
        import asyncio
        import socketio

        class MyCustomNamespace(socketio.AsyncClientNamespace):
            async def on_connect(self):
                print('ns connect')

            async def on_auth(self, data):  # the server emits 'auth' on connect
                print('ns got', data)
                print('ns call', await self.call('echo', 'hi'))
                await self.disconnect()

        async def main():
            sio = socketio.AsyncClient()
            sio.register_namespace(MyCustomNamespace('/custom'))
            await sio.connect(URL, auth={'k': 2})
            await sio.wait()
            print('done')

        asyncio.run(main())
        """,
        ["ns connect", "ns got {'k': 2}", "ns call hi", "done"],
    ),
    "catch_all": (
        """
        import socketio

        sio = socketio.Client()
        seen = []

        @sio.on('*')
        def any_event(event, *data):
            seen.append(event)

        @sio.on('*', namespace='*')
        def any_event_any_namespace(event, namespace, *data):
            seen.append((namespace, event))

        @sio.on('message-back')
        def back(data):
            print('specific handler wins', data, sorted(map(str, seen)))
            sio.disconnect()

        sio.connect(URL, namespaces=['/', '/custom'])
        sio.emit('message', 1)
        sio.wait()
        """,
        ["specific handler wins 1 [\"('/custom', 'auth')\", \"('/custom', 'handshake')\", 'auth', 'handshake']"],
    ),
    "background_tasks_and_sleep": (
        """
        import socketio

        sio = socketio.Client()

        def my_background_task(my_argument):
            for i in range(3):
                sio.emit('inc', i)
                sio.sleep(0.05)
            print('task done', my_argument)

        sio.connect(URL)
        sio.emit('reset-count')
        task = sio.start_background_task(my_background_task, 123)
        task.join()
        print('count', sio.call('get-count'))
        sio.disconnect()
        """,
        ["task done 123", "count 3"],
    ),
    "async_background_tasks": (
        """
        import asyncio
        import socketio

        sio = socketio.AsyncClient()

        async def my_background_task(my_argument):
            for i in range(3):
                await sio.emit('inc', i)
                await sio.sleep(0.05)
            return my_argument

        async def main():
            await sio.connect(URL)
            await sio.emit('reset-count')
            task = sio.start_background_task(my_background_task, 123)
            print('task', await task)
            print('count', await sio.call('get-count'))
            await sio.disconnect()

        asyncio.run(main())
        """,
        ["task 123", "count 3"],
    ),
    "logging_options": (
        """
        import logging
        import socketio

        sio = socketio.Client(logger=True, engineio_logger=True)
        sio.connect(URL, transports=['polling'])
        sio.disconnect()
        quiet = socketio.Client()  # the default installs no handler and logs nothing at INFO
        print('default logger level', logging.getLogger('sio_notebook.client').handlers == [] or 'handler')
        """,
        ["default logger level"],
    ),
    "simple_client": (
        """
        import socketio

        with socketio.SimpleClient() as sio:
            sio.connect(URL, transports=['websocket'])
            sio.emit('message', {'foo': 'bar'})
            while True:
                event = sio.receive(timeout=10)
                if event[0] == 'message-back':
                    break
            print(f'received event: "{event[0]}" with arguments {event[1:]}')
            print('call', sio.call('echo', 42))
        """,
        ["received event: \"message-back\" with arguments [{'foo': 'bar'}]", "call 42"],
    ),
    "async_simple_client": (
        """
        import asyncio
        import socketio

        async def main():
            async with socketio.AsyncSimpleClient() as sio:
                await sio.connect(URL)
                await sio.emit('message', [1, 2])
                while True:
                    event = await sio.receive(timeout=10)
                    if event[0] == 'message-back':
                        break
                print('received', event)

        asyncio.run(main())
        """,
        ["received ['message-back', [1, 2]]"],
    ),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_documentation_example(name: str, node_server) -> None:
    source, expected = EXAMPLES[name]
    script = "import sio_notebook as socketio, sys\nsys.modules['socketio'] = socketio\n"
    # Handlers print from the handler thread while main prints too: one write per line,
    # so two threads' lines never interleave within a line.
    script += "import builtins\nbuiltins.print = lambda *a, **k: sys.stdout.write(' '.join(map(str, a)) + '\\n')\n"
    script += f"URL = {node_server.url!r}\n" + textwrap.dedent(source)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, f"example {name} failed:\n{proc.stdout}\n{proc.stderr}"
    for line in expected:
        assert line in proc.stdout, f"{line!r} missing from the output of {name}:\n{proc.stdout}\n{proc.stderr}"
    assert elapsed < 30, f"{name} took {elapsed:.1f} s to exit"
