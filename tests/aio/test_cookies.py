"""aio/cookies.py on real aiohttp objects: the Cookie header, and a user's jar at a new session.

The behaviour behind a real balancer is in tests/cluster; these check the two aiohttp edges
a cluster test cannot isolate: the merge with the user's own header, and that copies of a
dropped sticky cookie in a user's jar (a host name: the jar kept them too) go with it.
"""

from __future__ import annotations

import aiohttp
from yarl import URL

from sio_notebook.aio.cookies import ConnectionCookies


def _cookies(*set_cookie: str, host: str = "127.0.0.1") -> ConnectionCookies:
    cookies = ConnectionCookies(clock=lambda: 1_800_000_000.0)
    cookies.store.receive(set_cookie, host, "/socket.io/", 1_800_000_000.0)
    return cookies


def test_the_cookie_header_keeps_the_users_own_first() -> None:
    cookies = _cookies("SERVERID=w1; path=/")
    url = "http://127.0.0.1:8000/socket.io/?EIO=4&transport=polling&sid=abc"
    assert cookies.headers_for(url, {"X-Token": "t"}) == {"X-Token": "t", "Cookie": "SERVERID=w1"}
    assert cookies.headers_for(url, {"cookie": "user=1"}) == {"cookie": "user=1; SERVERID=w1"}
    assert cookies.headers_for("http://10.0.0.1/socket.io/", {}) == {}  # another host
    empty = ConnectionCookies()
    headers = {"A": "b"}
    assert empty.headers_for(url, headers) is headers  # nothing stored: no copy, no parsing


async def test_a_new_session_removes_the_dropped_cookie_from_a_users_jar_only() -> None:
    async with aiohttp.ClientSession(cookies={"user": "u1"}) as http:
        jar = http.cookie_jar
        server = URL("http://localhost:8000/socket.io/")
        # What aiohttp's jar stored from the balancer's response (a name host: it keeps it).
        jar.update_cookies({"SERVERID": "w1", "AWSALB": "keep"}, server)
        cookies = _cookies("SERVERID=w1; path=/", "AWSALB=keep; Max-Age=600; path=/", host="localhost")
        dropped = cookies.new_session(http)
        assert [(c.name, c.value) for c in dropped] == [("SERVERID", "w1")]
        left = {name: morsel.value for name, morsel in jar.filter_cookies(server).items()}
        assert left == {"user": "u1", "AWSALB": "keep"}
        assert cookies.headers_for(str(server), {}) == {"Cookie": "AWSALB=keep"}


async def test_a_new_session_leaves_a_cookie_someone_else_changed() -> None:
    """Another client sharing the jar got another worker's cookie since: not ours to drop."""
    async with aiohttp.ClientSession() as http:
        server = URL("http://localhost:8000/")
        http.cookie_jar.update_cookies({"SERVERID": "w2"}, server)
        _cookies("SERVERID=w1; path=/", host="localhost").new_session(http)
        assert http.cookie_jar.filter_cookies(server)["SERVERID"].value == "w2"
