"""Wait queues: wake on notify, time out on a deadline, unregister either way."""

import trio

from kernel.wait import WaitQueue, wait_any


async def test_notify_wakes_every_waiter():
    q1, q2 = WaitQueue(), WaitQueue()
    woke = []

    async def waiter(tag):
        woke.append((tag, await wait_any([q1, q2])))

    async with trio.open_nursery() as n:
        n.start_soon(waiter, "a")
        n.start_soon(waiter, "b")
        await trio.testing.wait_all_tasks_blocked()
        assert len(q1) == len(q2) == 2
        q2.notify()
    assert sorted(woke) == [("a", True), ("b", True)]
    assert len(q1) == len(q2) == 0  # unregistered from the queue that did not fire


async def test_deadline_returns_false(autojump_clock):
    q = WaitQueue()
    assert await wait_any([q], trio.current_time() + 5) is False
    assert len(q) == 0
