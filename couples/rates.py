"""One budget of writes per person, shared by REST and every socket on every worker:
PORCHLIGHT_WRITES_PER_MINUTE (30) in each minute, generous for a person tapping and
answering, while a script flooding the partner's phone waits (429, or an error frame).

A fixed window of a minute, counted in Redis when scaled (the deployment's prefix), in
the cache of this process when embedded (one process). With Redis unreachable the
budget is not counted: a red must never wait on the counter."""

import logging
import time

import redis
from django.conf import settings
from django.core.cache import cache

from couples.bell import redis_client, redis_in_loop

log = logging.getLogger(__name__)

WINDOW = 60


def _key_now(user_id: int) -> tuple[str, float]:
    """The counter of this person's current window, and the time it was read at."""
    now = time.time()
    return f"{settings.PORCHLIGHT['REDIS_PREFIX']}:writes:{user_id}:{int(now // WINDOW)}", now


def _wait(count: int, now: float) -> int | None:
    """Seconds until the next window when `count` is past the budget, else None."""
    if count <= settings.PORCHLIGHT["WRITES_PER_MINUTE"]:
        return None
    return max(1, int(WINDOW - now % WINDOW))


def write_wait(*, user_id: int) -> int | None:
    """Count one write of this person: None to go on, or the seconds to wait."""
    key, now = _key_now(user_id)
    if not settings.REDIS_URL:
        cache.add(key, 0, WINDOW * 2)
        return _wait(cache.incr(key), now)
    try:
        with redis_client().pipeline(transaction=False) as pipe:
            count, _ = pipe.incr(key).expire(key, WINDOW * 2).execute()
    except redis.RedisError:
        log.warning("write budget unavailable: not counted")
        return None
    return _wait(count, now)


async def write_wait_async(*, user_id: int) -> int | None:
    """write_wait from the event loop: the loop's own Redis client, never a blocking call."""
    if not settings.REDIS_URL:
        return write_wait(user_id=user_id)  # the in-process cache: no I/O
    key, now = _key_now(user_id)
    try:
        async with redis_in_loop().pipeline(transaction=False) as pipe:
            count, _ = await pipe.incr(key).expire(key, WINDOW * 2).execute()
    except redis.RedisError:
        log.warning("write budget unavailable: not counted")
        return None
    return _wait(count, now)
