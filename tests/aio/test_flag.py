"""The engine's writer signals (aio/flag.py ``Flag``) behave as asyncio.Event does.

``Flag`` replaces two asyncio.Events per connection to save their eagerly allocated
waiter deques (bench row 7b, memory per connection); these tests pin the semantics the
writer relies on.
"""

from __future__ import annotations

import asyncio

import pytest

from sio_notebook.aio.flag import Flag


async def test_set_wakes_every_waiter_and_clear_does_not_unwake_them() -> None:
    flag = Flag()
    woken: list[int] = []

    async def waiter(i: int) -> None:
        await flag.wait()
        woken.append(i)

    tasks = [asyncio.ensure_future(waiter(i)) for i in range(3)]
    await asyncio.sleep(0)
    assert woken == [] and not flag.is_set()
    flag.set()
    flag.clear()  # the waiters were already woken: they still return
    await asyncio.gather(*tasks)
    assert woken == [0, 1, 2]
    assert not flag.is_set()


async def test_wait_returns_at_once_when_set() -> None:
    flag = Flag(True)
    assert flag.is_set()
    await asyncio.wait_for(flag.wait(), 1)


async def test_a_cancelled_wait_leaves_no_waiter_behind() -> None:
    flag = Flag()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(flag.wait(), 0.01)
    task = asyncio.ensure_future(flag.wait())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not flag._waiters  # neither the timed-out nor the cancelled wait is kept
    flag.set()  # and set() has nothing stale to resolve
    await asyncio.wait_for(flag.wait(), 1)
