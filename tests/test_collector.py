"""The serving process's garbage collection: young generations as usual, full
collections only on their schedule (config/collector.py)."""

import asyncio
import gc
import subprocess
import sys
import textwrap

from config.collector import gc_full_every

# Many long-lived objects, as thousands of sockets are: Python on its own collects in
# full along the way; settled, it does not.
PROGRAM = textwrap.dedent(
    """
    import gc
    from config.collector import gc_settle
    if SETTLE:
        gc_settle()
    full = []
    gc.callbacks.append(lambda phase, info: phase == "stop" and info["generation"] == 2 and full.append(1))
    kept = [[n] for n in range(1_000_000)]
    garbage = [[] for _ in range(1000)]
    for item in garbage:
        item.append(item)  # cycles: the young collections still find these
    del garbage
    print(len(full), gc.get_freeze_count() > 0)
    """
)


def run(settle: bool) -> list[str]:
    program = f"SETTLE = {settle}\n" + PROGRAM
    return subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    ).stdout.split()


def test_it_leaves_full_collections_to_the_schedule():
    assert run(settle=False)[0] != "0"  # Python's own: full collections while objects pile up
    assert run(settle=True) == ["0", "True"]


def test_it_collects_in_full_on_its_schedule():
    full = []

    def seen(phase, info):
        if phase == "stop" and info["generation"] == 2:
            full.append(info)

    async def scenario():
        task = asyncio.create_task(gc_full_every(0.05))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if len(full) >= 2:
                break
        task.cancel()

    gc.callbacks.append(seen)
    try:
        asyncio.run(scenario())
    finally:
        gc.callbacks.remove(seen)
    assert len(full) >= 2
