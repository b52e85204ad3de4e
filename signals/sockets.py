"""This process's live sockets: the per-person cap, and the watch on the Redis channel
layer that tells every socket here to catch up the moment Redis is back.

A Redis restart leaves pub/sub subscribers deaf without an error; publishes made while it
was down are lost. The event log has them all, so on a down -> up change each socket
here runs its heartbeat at once (and again shortly after, once the layer has
re-subscribed), instead of waiting up to a heartbeat interval.
"""

import asyncio
import logging
import time
from collections import defaultdict

import redis.asyncio as aioredis
from django.conf import settings

log = logging.getLogger(__name__)

LOCAL: dict[int, set] = defaultdict(set)  # user id -> consumers in this process
WATCH_SECONDS = 0.5
RESYNC_AGAIN_SECONDS = 1.5
_watchers: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}


def socket_register(consumer) -> bool:
    """Count a new socket; False when the person already holds the most allowed here."""
    sockets = LOCAL[consumer.user.pk]
    if len(sockets) >= settings.PORCHLIGHT["WS_MAX_SOCKETS_PER_USER"]:
        return False
    sockets.add(consumer)
    _watch_layer()
    return True


def socket_unregister(consumer) -> None:
    sockets = LOCAL.get(consumer.user.pk)
    if sockets is not None:
        sockets.discard(consumer)
        if not sockets:
            del LOCAL[consumer.user.pk]


def resync_all() -> None:
    for sockets in list(LOCAL.values()):
        for consumer in list(sockets):
            asyncio.ensure_future(consumer.heartbeat())


def _watch_layer() -> None:
    if not settings.REDIS_URL:
        return
    loop = asyncio.get_running_loop()
    if loop not in _watchers or _watchers[loop].done():
        _watchers[loop] = loop.create_task(_watch(settings.REDIS_URL))


async def _watch(url: str) -> None:
    client = aioredis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    up = True
    while True:
        try:
            await client.ping()
            now_up = True
        except Exception:
            now_up = False
        if now_up and not up:
            log.warning("channel layer back: resyncing %s local sockets", sum(map(len, LOCAL.values())))
            resync_all()
            await asyncio.sleep(RESYNC_AGAIN_SECONDS)
            resync_all()  # after the layer has re-subscribed its groups
        elif up and not now_up:
            log.warning("channel layer down since %s", time.strftime("%H:%M:%S"))
        up = now_up
        await asyncio.sleep(WATCH_SECONDS)
