"""The doorbell: after a commit, tell the live sockets of a couple (or of one person)
that something happened. The database is the truth (DESIGN.md section 2): a ring is
at most once, and whatever one loses heals from the event log at the next heartbeat.

This is our own small channel layer, in place of Channels' (docs/architecture.md; the
measurements are in docs/benchmarks.md):
- the sockets of this process are rung at once, from whichever thread committed: no
  Redis trip for them, and no trip into the event loop for the writer to wait on;
- the other processes hear it through one Redis PUBLISH (one pipeline for a batch),
  sent from the committing thread on a plain client;
- each process holds one pub/sub connection on one Redis channel and hands each
  message to its listeners: no Redis channel, queue or reader task per socket.

A listener is any object with an async handler per message type (`couple.event` ->
`couple_event`), as a Channels consumer has. Embedded (no REDIS_URL), the bell rings
in this process only.
"""

import asyncio
import contextvars
import json
import logging
import time
import uuid
from collections import defaultdict

import redis
import redis.asyncio as aioredis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from couples.loops import loop_local, loop_task

log = logging.getLogger(__name__)

# Who published: a process skips what it published itself (it rang its own listeners).
ORIGIN = uuid.uuid4().hex.encode()
RETRY_SECONDS = 0.5
FIRST_SUBSCRIBE_SECONDS = 2.0

# This process's; what each event loop needs (its subscription, publisher and Redis
# client) is kept in couples.loops.
_listeners: dict[str, dict] = defaultdict(dict)  # name -> {listener: its event loop}
_on_back: list = []  # called in the loop when the subscription is back after a loss
_tasks: set[asyncio.Task] = set()  # strong references: the loop keeps only weak ones
_client: redis.Redis | None = None  # the committing threads' own


def _channel() -> str:
    return f"{settings.PORCHLIGHT['REDIS_PREFIX']}:bell"


def bell_ring(*messages: tuple[str, dict]) -> None:
    """Ring (name, message) pairs, from any thread. Never raises: the write is
    committed, and a lost ring heals from the event log."""
    if not messages:
        return
    try:
        for name, message in messages:
            _deliver(name, message)
        if settings.REDIS_URL:
            _publish(messages)
    except Exception:
        log.warning("doorbell for %s failed", messages[0][0], exc_info=True)


def bell_ring_in_loop(*messages: tuple[str, dict]) -> None:
    """bell_ring from a coroutine: this process's listeners at once; the other processes
    through this loop's one publisher task, in order, so the loop never waits on Redis."""
    if not messages:
        return
    try:
        for name, message in messages:
            _deliver(name, message)
    except Exception:
        log.warning("doorbell for %s failed", messages[0][0], exc_info=True)
    if settings.REDIS_URL:
        outbox = loop_local("bell.outbox", asyncio.Queue)
        loop_task("bell.publisher", lambda: _publisher(outbox))
        outbox.put_nowait(messages)


def redis_in_loop() -> aioredis.Redis:
    """This loop's Redis client (the publisher's, and the socket count's)."""
    return loop_local(
        "bell.redis",
        lambda: aioredis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1),
    )


async def _publisher(outbox: asyncio.Queue) -> None:
    """Publish what the loop rang, in order; what queued meanwhile goes in one pipeline."""
    client = redis_in_loop()
    channel = _channel()
    while True:
        batch = [await outbox.get()]
        while not outbox.empty():
            batch.append(outbox.get_nowait())
        try:
            async with client.pipeline(transaction=False) as pipe:
                for messages in batch:
                    for name, message in messages:
                        pipe.publish(channel, _payload(name, message))
                await pipe.execute()
        except Exception:
            # Committed all the same: the other processes' sockets heal from the log.
            log.warning("doorbell for %s failed", batch[0][0][0], exc_info=True)


def _payload(name: str, message: dict) -> bytes:
    return b" ".join((ORIGIN, name.encode(), json.dumps(message).encode()))


def redis_client() -> redis.Redis:
    """This process's plain Redis client, for threads (the publisher's, the write budget's)."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    return _client


def _publish(messages) -> None:
    client = redis_client()
    channel = _channel()
    payloads = [_payload(name, m) for name, m in messages]
    if len(payloads) == 1:
        client.publish(channel, payloads[0])
        return
    with client.pipeline(transaction=False) as pipe:
        for payload in payloads:
            pipe.publish(channel, payload)
        pipe.execute()


def _deliver(name: str, message: dict) -> None:
    """Hand a message to each listener of `name` in this process, each in a task of its
    own in its loop, so that one phone that stopped reading holds up nobody else."""
    listeners = _listeners.get(name)
    if not listeners:
        return
    handler_name = message["type"].replace(".", "_")
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    for listener, loop in list(listeners.items()):
        handler = getattr(listener, handler_name)
        # A fresh context: the writer's (asgiref's thread markers among it) is not the
        # listener's business, and inherited it would refuse the listener's own database calls.
        if loop is running:
            _spawn(loop, handler, message)
        elif not loop.is_closed():
            loop.call_soon_threadsafe(_spawn, loop, handler, message, context=contextvars.Context())


def _spawn(loop, handler, message) -> None:
    task = loop.create_task(handler(message), context=contextvars.Context())
    _tasks.add(task)
    task.add_done_callback(_done)


def _done(task: asyncio.Task) -> None:
    _tasks.discard(task)
    if not task.cancelled() and task.exception() is not None:
        # The listener's socket heals from the log at its next heartbeat.
        log.warning("doorbell listener failed", exc_info=task.exception())


async def bell_listen(name: str, listener) -> None:
    """Ring `listener` for messages to `name` from now on. In the first moments of a
    process this waits (briefly) for its subscription, so that a socket which reads the
    log next misses nothing published after that read."""
    _listeners[name][listener] = asyncio.get_running_loop()
    if not settings.REDIS_URL:
        return
    subscribed = loop_local("bell.subscribed", asyncio.Event)  # set once first subscribed
    loop_task("bell.reader", lambda: _hear(settings.REDIS_URL, subscribed))
    if subscribed.is_set():
        return
    try:
        await asyncio.wait_for(subscribed.wait(), FIRST_SUBSCRIBE_SECONDS)
    except TimeoutError:
        pass  # Redis is down: this process's rings still work, the rest heals at heartbeats


def bell_unlisten(name: str, listener) -> None:
    listeners = _listeners.get(name)
    if listeners is not None:
        listeners.pop(listener, None)
        if not listeners:
            del _listeners[name]


def bell_on_back(callback) -> None:
    """Call `callback()` in the loop whenever the subscription comes back after a loss:
    what was published meanwhile was lost, and the sockets should catch up at once."""
    if callback not in _on_back:
        _on_back.append(callback)


def bell_ok() -> bool:
    """Can this process ring the others? (Embedded: there are no others.)"""
    if not settings.REDIS_URL:
        return True
    try:
        with redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


async def _hear(url: str, subscribed: asyncio.Event) -> None:
    """This process's one subscription: hand every message from another process to
    its listeners here; on a loss, reconnect, and once subscribed again call the
    callbacks of bell_on_back."""
    lost = False
    while True:
        client = aioredis.Redis.from_url(url, socket_connect_timeout=1, socket_keepalive=True)
        pubsub = client.pubsub()
        confirmed = False
        try:
            await pubsub.subscribe(_channel())
            async for message in pubsub.listen():
                if message["type"] == "message":
                    try:
                        _heard(message["data"])
                    except Exception:  # not ours, or garbled: never a reason to reconnect
                        log.warning("doorbell: skipped a message it could not read")
                elif message["type"] == "subscribe":
                    subscribed.set()
                    # A second confirmation means redis-py reconnected by itself: a loss too.
                    if lost or confirmed:
                        log.warning("doorbell back: resyncing this process's sockets")
                        for callback in _on_back:
                            callback()
                    lost, confirmed = False, True
        except asyncio.CancelledError:
            raise
        except Exception:
            if not lost:
                log.warning("doorbell lost its Redis subscription; retrying")
            lost = True
        finally:
            try:
                await pubsub.aclose()
                await client.aclose()
            except Exception:
                pass
        await asyncio.sleep(RETRY_SECONDS)


def _heard(data: bytes) -> None:
    origin, name, body = data.split(b" ", 2)
    if origin == ORIGIN:
        return
    name = name.decode()
    if name in _listeners:
        _deliver(name, json.loads(body))


CLAIM_SECONDS = 7 * 24 * 3600
CLAIM_REFRESH_SECONDS = 3600
_claimed_at = 0.0


def _claim_key() -> str:
    return f"{settings.PORCHLIGHT['REDIS_PREFIX']}:deployment"


def bell_claim() -> None:
    """Hold this deployment's Redis prefix, or refuse to ring on it: two deployments on
    one prefix would hear each other's couples and close each other's sockets. Raises
    ImproperlyConfigured when another deployment (another database or secret key) holds
    it; with Redis down, says so and lets the process start (its sockets heal later)."""
    global _claimed_at
    if not settings.REDIS_URL:
        return
    key, ours = _claim_key(), settings.DEPLOYMENT.encode()
    try:
        with redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1) as client:
            if not client.set(key, ours, nx=True, ex=CLAIM_SECONDS):
                if client.get(key) != ours:
                    raise ImproperlyConfigured(
                        f"Another deployment uses the Redis prefix {settings.PORCHLIGHT['REDIS_PREFIX']!r}: "
                        "give this one its own PORCHLIGHT_REDIS_PREFIX, or leave it unset (docs/deploy.md)"
                    )
                client.expire(key, CLAIM_SECONDS)
    except redis.RedisError:
        log.warning("doorbell: Redis is unreachable; the prefix is checked again later")
        return
    _claimed_at = time.monotonic()


def bell_claim_step(now) -> bool:
    """A step of the background loops: hold the claim, an hour at a time. Never busy."""
    if time.monotonic() - _claimed_at >= CLAIM_REFRESH_SECONDS:
        bell_claim()
    return False
