"""A bundled demo Socket.IO server to try the client against (needs ``sio-notebook[demo]``).

Run ``python -m sio_notebook.demo.server --host 127.0.0.1 --port 5055``; the events it streams and
answers are described in :mod:`sio_notebook.demo.server`. Importing this package does not import
python-socketio; ``sio_notebook.demo.server`` does.
"""
