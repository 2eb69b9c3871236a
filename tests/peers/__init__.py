"""Test peers: the official Node socket.io server and python-socketio, started by launcher.py."""
