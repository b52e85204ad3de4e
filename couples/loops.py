"""What a process keeps per event loop: the doorbell's subscription, publisher and Redis
client, the sockets' heartbeat, the loop writer's connection. A server process has one
loop; each test has its own, and a task, client or connection made in one loop cannot
be used from another. This is the one registry of them."""

import asyncio

_values: dict[asyncio.AbstractEventLoop, dict] = {}


def _here() -> dict:
    loop = asyncio.get_running_loop()
    if loop not in _values:
        for closed in [other for other in _values if other.is_closed()]:
            del _values[closed]
        _values[loop] = {}
    return _values[loop]


def loop_local(name: str, make):
    """This loop's value for `name`, made by `make()` the first time it is asked for."""
    here = _here()
    if name not in here:
        here[name] = make()
    return here[name]


def loop_task(name: str, work) -> asyncio.Task:
    """This loop's one task for `name`, running `work()`; started again once it has ended."""
    here = _here()
    if name not in here or here[name].done():
        here[name] = asyncio.get_running_loop().create_task(work())
    return here[name]
