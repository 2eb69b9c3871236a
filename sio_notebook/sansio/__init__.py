"""The sans-I/O protocol core: every Engine.IO 4 / Socket.IO 5 rule, and no I/O.

Nothing in this package imports asyncio, threading, socket or aiohttp (a test checks).
The asyncio layer feeds it frames and time and writes what it returns.
"""
