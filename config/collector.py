"""Garbage collection in a serving process: full collections on a schedule, not on
Python's allocation counts.

Each live socket is about 145 objects that the collector tracks, and they live as long
as the socket. Python collects in full whenever a quarter more objects have outlived its
young collections, which under load was every half minute or so; each such collection
walks every socket's objects, 120 to 780 ms at 5,000 sockets in the load benchmark, and
every socket of the process waits meanwhile. They found almost nothing: a few hundred
objects each, and none at all after 5,000 sockets had closed (a socket's objects go by
reference counting). So here the young generations are collected as usual, what
start-up made is frozen (never walked again), and the full collection runs on a
schedule, to catch the few cycles that do form (docs/benchmarks.md).
"""

import asyncio
import gc
import logging
import time

log = logging.getLogger(__name__)

NEVER = 2**31 - 1  # collections of the middle generation before Python would collect in full


def gc_settle() -> None:
    """Call once start-up is done: freeze what it made, and leave full collections to
    gc_full_every."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)


async def gc_full_every(seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        started = time.perf_counter()
        found = gc.collect()
        log.info("full collection: %d found in %.0f ms", found, (time.perf_counter() - started) * 1000)
