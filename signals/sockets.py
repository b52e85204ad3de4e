"""This process's live sockets: the per-person cap, their heartbeat (one database check
per tick for all of them), and the catch-up of every socket here the moment the
doorbell's Redis subscription is back.

Publishes made while Redis was down are lost. The event log has them all, so when the
doorbell (couples.bell) subscribes again each socket here runs its heartbeat at once
instead of waiting up to a heartbeat interval.

Heartbeats go out in SLICES small slices spread over HEARTBEAT_SECONDS (every half
second at the default 25 s): a tenth of them at once, every few seconds, was a large
part of the load benchmark's latency tail (docs/benchmarks.md).

The cap on a person's sockets holds across processes when Redis is there: each socket is
a member of its person's set in Redis, named with its process; each process vouches for
itself with one key that it refreshes once a heartbeat interval (not two commands per
socket, as before). A process that dies stops refreshing, and after STALE_BEATS
heartbeat intervals its sockets no longer count: the next socket its people open
removes them.
"""

import asyncio
import itertools
import logging
import os
import socket
import uuid
from collections import defaultdict

import redis
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DatabaseError

from couples.bell import redis_in_loop
from couples.loops import loop_task
from couples.metrics import SOCKETS_OPEN
from signals import services

log = logging.getLogger(__name__)

LOCAL: dict[int, set] = defaultdict(set)  # user id -> consumers in this process
SLICES = 50
STALE_BEATS = 3
# Names this process's sockets in the shared count: host and pid, for people reading
# porchlight_stats, and a random part, since pids repeat.
PROCESS = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}".replace(" ", "_")
_counter = itertools.count()
_slices: list[set] = [set() for _ in range(SLICES)]  # the sockets here, by heartbeat slice
_tick = 0  # the slice whose turn is next


async def socket_register(consumer) -> bool:
    """Count a new socket; False when the person already holds the most allowed."""
    cap = settings.PORCHLIGHT["WS_MAX_SOCKETS_PER_USER"]
    if len(LOCAL.get(consumer.user.pk, ())) >= cap or not await _shared_admit(consumer, cap):
        return False
    LOCAL[consumer.user.pk].add(consumer)
    SOCKETS_OPEN.inc()
    # In the later half of the round (a first heartbeat half to one interval away), one
    # slice on from the last new socket's, so that a burst of them is spread out.
    half = SLICES // 2
    consumer.slice = _slices[(_tick + half + next(_counter) % half) % SLICES]
    consumer.slice.add(consumer)
    loop_task("sockets.pulse", _pulse)
    return True


def socket_started(consumer) -> None:
    """The socket is up to date with its couple's log: from now on it gets heartbeats."""
    consumer.started = True


async def socket_unregister(consumer) -> None:
    consumer.slice.discard(consumer)
    sockets = LOCAL.get(consumer.user.pk)
    if sockets is not None and consumer in sockets:
        SOCKETS_OPEN.dec()
        sockets.discard(consumer)
        if not sockets:
            del LOCAL[consumer.user.pk]
    if settings.REDIS_URL:
        try:
            await redis_in_loop().srem(_count_key(consumer.user.pk), _member(consumer))
        except Exception:
            log.warning("socket count unavailable on disconnect")  # the entry goes stale


def _count_key(user_id: int) -> str:
    return f"{settings.PORCHLIGHT['REDIS_PREFIX']}:sockets:{user_id}"


def _alive_prefix() -> str:
    return f"{settings.PORCHLIGHT['REDIS_PREFIX']}:alive:"


def _open_prefix() -> str:
    return f"{settings.PORCHLIGHT['REDIS_PREFIX']}:open:"


def _member(consumer) -> str:
    return f"{PROCESS} {consumer.socket_id}"


def _stale_seconds() -> int:
    return max(1, round(STALE_BEATS * settings.PORCHLIGHT["HEARTBEAT_SECONDS"]))


# Count the person's sockets whose process is alive (forgetting the others), and add
# this one unless that makes one too many. In Lua so that two processes admitting the
# same person at once cannot both squeeze in under the cap. A person's set lives a day
# after their last new socket: garbage left by dead processes goes in the end.
ADMIT = """
redis.call('SET', ARGV[3] .. ARGV[4], 1, 'EX', ARGV[5])
local alive, count = {}, 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local process = string.match(member, '^(%S+) ') or ''
  if alive[process] == nil then
    alive[process] = process ~= '' and redis.call('EXISTS', ARGV[3] .. process) == 1
  end
  if alive[process] then count = count + 1 else redis.call('SREM', KEYS[1], member) end
end
if count >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], 86400)
return 1
"""


async def _shared_admit(consumer, cap: int) -> bool:
    """Add the socket to its person's count in Redis; False when that would make one
    too many. Without Redis the cap is this process's alone."""
    if not settings.REDIS_URL:
        return True
    try:
        admitted = await redis_in_loop().eval(
            ADMIT, 1, _count_key(consumer.user.pk),
            _member(consumer), cap, _alive_prefix(), PROCESS, _stale_seconds(),
        )  # fmt: skip
        return bool(admitted)
    except Exception:
        # Not worth refusing a person their light over: the per-process cap above holds.
        log.warning("socket count unavailable: capping per process only")
    return True


async def _vouch() -> None:
    """Still here: this process's sockets keep counting for their people. Its number of
    sockets goes beside it, for `manage.py porchlight_stats`."""
    if not settings.REDIS_URL or not LOCAL:
        return
    try:
        async with redis_in_loop().pipeline(transaction=False) as pipe:
            pipe.set(_alive_prefix() + PROCESS, 1, ex=_stale_seconds())
            pipe.set(_open_prefix() + PROCESS, sum(len(s) for s in LOCAL.values()), ex=_stale_seconds())
            await pipe.execute()
    except Exception:
        log.warning("socket count unavailable: not refreshed")


def sockets_per_process() -> dict[str, int]:
    """Each serving process's live sockets, as of its last heartbeat round (a process
    with none is not listed). Needs Redis."""
    with redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2) as client:
        keys = sorted(client.scan_iter(match=_open_prefix() + "*", count=500))
        values = client.mget(keys) if keys else []
    prefix = len(_open_prefix())
    return {key.decode()[prefix:]: int(value) for key, value in zip(keys, values, strict=True) if value}


def resync_all() -> None:
    asyncio.ensure_future(beat_all())


async def _pulse() -> None:
    """Every HEARTBEAT_SECONDS every started socket here gets its heartbeat: one slice
    at each tick. Once a round, this process vouches for its sockets."""
    global _tick
    while True:
        await asyncio.sleep(settings.PORCHLIGHT["HEARTBEAT_SECONDS"] / SLICES)
        sockets, _tick = _slices[_tick], (_tick + 1) % SLICES
        if _tick == 1:
            await _vouch()
        await beat_all(sockets)


async def beat_all(sockets: set | None = None) -> None:
    """Check the started sockets here (those given, or all) in one go (a fixed number
    of queries), then let each heal from the log and send its heartbeat."""
    every = sockets if sockets is not None else (c for users in list(LOCAL.values()) for c in users)
    listening = [c for c in list(every) if c.started and not c.closed]
    if not listening:
        return
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
