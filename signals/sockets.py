"""This process's live sockets: the per-person cap, their heartbeat (one database check
per tick for all of them), and the catch-up of every socket here the moment the
doorbell's Redis subscription is back.

Publishes made while Redis was down are lost. The event log has them all, so when the
doorbell (couples.bell) subscribes again each socket here runs its heartbeat at once
instead of waiting up to a heartbeat interval.

The cap on a person's sockets holds across processes when Redis is there: each socket is
a member of its person's sorted set in Redis, scored by when its process last vouched
for it (at connect, then at each of its heartbeats). A process that dies stops vouching,
and its sockets drop out of the count after STALE_BEATS heartbeat intervals.
"""

import asyncio
import itertools
import logging
import time
from collections import defaultdict

import redis.asyncio as aioredis
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DatabaseError

from signals import services

log = logging.getLogger(__name__)

LOCAL: dict[int, set] = defaultdict(set)  # user id -> consumers in this process
SLICES = 10
STALE_BEATS = 3
_slots = itertools.count()
_pulses: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}
_clients: dict[asyncio.AbstractEventLoop, aioredis.Redis] = {}


async def socket_register(consumer) -> bool:
    """Count a new socket; False when the person already holds the most allowed."""
    cap = settings.PORCHLIGHT["WS_MAX_SOCKETS_PER_USER"]
    if len(LOCAL.get(consumer.user.pk, ())) >= cap or not await _shared_admit(consumer, cap):
        return False
    LOCAL[consumer.user.pk].add(consumer)
    consumer.slot = next(_slots) % SLICES
    _start(_pulses, _pulse)
    return True


def socket_started(consumer) -> None:
    """The socket is up to date with its couple's log: from now on it gets heartbeats."""
    consumer.started = True


async def socket_unregister(consumer) -> None:
    sockets = LOCAL.get(consumer.user.pk)
    if sockets is not None:
        sockets.discard(consumer)
        if not sockets:
            del LOCAL[consumer.user.pk]
    if settings.REDIS_URL:
        try:
            await _redis().zrem(_count_key(consumer.user.pk), consumer.socket_id)
        except Exception:
            log.warning("socket count unavailable on disconnect")  # the entry goes stale


def _count_key(user_id: int) -> str:
    return f"{settings.PORCHLIGHT['REDIS_PREFIX']}:sockets:{user_id}"


def _stale_seconds() -> float:
    return STALE_BEATS * settings.PORCHLIGHT["HEARTBEAT_SECONDS"]


def _redis() -> aioredis.Redis:
    loop = asyncio.get_running_loop()
    if loop not in _clients:
        _clients[loop] = aioredis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
        )
    return _clients[loop]


async def _shared_admit(consumer, cap: int) -> bool:
    """Add the socket to its person's count in Redis; False (and taken out again) when
    that makes one too many. Without Redis the cap is this process's alone."""
    if not settings.REDIS_URL:
        return True
    key, now = _count_key(consumer.user.pk), time.time()
    try:
        async with _redis().pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", now - _stale_seconds())
            _counted(pipe, consumer, now)
            pipe.zcard(key)
            count = (await pipe.execute())[-1]
        if count > cap:
            await _redis().zrem(key, consumer.socket_id)
            return False
    except Exception:
        # Not worth refusing a person their light over: the per-process cap above holds.
        log.warning("socket count unavailable: capping per process only")
    return True


async def _vouch(consumers: list) -> None:
    """Still here: refresh this process's sockets in their people's counts."""
    if not settings.REDIS_URL or not consumers:
        return
    now = time.time()
    try:
        async with _redis().pipeline(transaction=False) as pipe:
            for consumer in consumers:
                _counted(pipe, consumer, now)
            await pipe.execute()
    except Exception:
        log.warning("socket count unavailable: not refreshed")


def _counted(pipe, consumer, now: float) -> None:
    """Queue: this socket is in its person's count as of `now` (a key nobody refreshes expires)."""
    key = _count_key(consumer.user.pk)
    pipe.zadd(key, {consumer.socket_id: now})
    pipe.expire(key, int(_stale_seconds()) + 1)


def resync_all() -> None:
    asyncio.ensure_future(beat_all())


def _start(tasks: dict, make) -> None:
    """One such task per event loop (a server process has one; each test has its own)."""
    loop = asyncio.get_running_loop()
    if loop not in tasks or tasks[loop].done():
        tasks[loop] = loop.create_task(make())


async def _pulse() -> None:
    """Every HEARTBEAT_SECONDS every started socket here gets its heartbeat, in SLICES
    spread over the interval: all at once, a burst of thousands of sends every 25 s
    showed as latency spikes in the load benchmark."""
    tick = 0
    while True:
        await asyncio.sleep(settings.PORCHLIGHT["HEARTBEAT_SECONDS"] / SLICES)
        await beat_all(slot=tick % SLICES)
        tick += 1


async def beat_all(slot: int | None = None) -> None:
    """Check the started sockets here (those of one slot, or all) in one go (a fixed
    number of queries), then let each heal from the log and send its heartbeat."""
    listening = [
        c
        for sockets in list(LOCAL.values())
        for c in list(sockets)
        if c.started and not c.closed and (slot is None or c.slot == slot)
    ]
    if not listening:
        return
    await _vouch(listening)
    try:
        latest = await database_sync_to_async(services.sockets_check)(
            listeners=[c.listener for c in listening]
        )
    except DatabaseError:
        log.warning("heartbeat skipped: database unavailable")
        return
    except Exception:
        log.exception("heartbeat check failed")  # never let the pulse die
        return
    for consumer in listening:
        asyncio.ensure_future(_beat(consumer, latest.get(consumer.listener)))


async def _beat(consumer, latest) -> None:
    try:
        await consumer.heartbeat_with(latest)
    except Exception:
        log.exception("heartbeat failed")
