"""The doorbell (couples.bell): a ring reaches this process's listeners at once and
once, from any thread; other processes' rings arrive through Redis; nobody else's."""

import asyncio
import json

import pytest
import redis
import redis.asyncio
from django.conf import settings

from couples import bell

pytestmark = pytest.mark.asyncio


class Phone:
    def __init__(self):
        self.heard = []

    async def couple_event(self, message):
        self.heard.append(message["event"]["seq"])

    async def wait_for(self, count: int, timeout: float = 2):
        async with asyncio.timeout(timeout):
            while len(self.heard) < count:
                await asyncio.sleep(0.01)


def ring(name: str, seq: int):
    return (name, {"type": "couple.event", "event": {"seq": seq}})


@pytest.fixture
async def listening():
    """Phones listening to names; they stop listening when the test ends."""
    listened = []

    async def listen(name: str) -> Phone:
        phone = Phone()
        await bell.bell_listen(name, phone)
        listened.append((name, phone))
        return phone

    yield listen
    for name, phone in listened:
        bell.bell_unlisten(name, phone)


async def test_it_rings_this_process_from_another_thread_once(listening):
    one, two, elsewhere = (
        await listening("couple.90"),
        await listening("couple.90"),
        await listening("couple.91"),
    )
    await asyncio.to_thread(bell.bell_ring, ring("couple.90", 1), ring("couple.90", 2))
    await one.wait_for(2), await two.wait_for(2)
    await asyncio.sleep(0.3)  # time for a second copy through Redis, were there one
    assert one.heard == two.heard == [1, 2]
    assert elsewhere.heard == []


async def test_it_rings_nobody_who_stopped_listening(listening):
    phone = await listening("couple.92")
    bell.bell_unlisten("couple.92", phone)
    bell.bell_ring(ring("couple.92", 1))
    await asyncio.sleep(0.3)
    assert phone.heard == []


async def test_it_never_raises_to_the_writer(listening, monkeypatch):
    def broken(messages):
        raise redis.ConnectionError("redis is gone")

    phone = await listening("couple.93")
    monkeypatch.setattr(bell, "_publish", broken)
    bell.bell_ring(ring("couple.93", 1))  # no exception: the write is already committed
    await phone.wait_for(1)


@pytest.mark.scaled
async def test_it_hands_on_what_other_processes_ring_and_only_that(listening, monkeypatch):
    back = []
    monkeypatch.setattr(bell, "_on_back", [lambda: back.append(True)])
    phone = await listening("couple.94")
    channel = f"{settings.PORCHLIGHT['REDIS_PREFIX']}:bell"
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        for origin, name, seq in (
            (b"another-process", "couple.94", 1),
            (bell.ORIGIN, "couple.94", 2),  # this process's own: rung here already
            (b"another-process", "couple.95", 3),  # nobody here listens
            (b"another-process", "couple.94", 4),
        ):
            payload = json.dumps(ring(name, seq)[1]).encode()
            client.publish(channel, b" ".join((origin, name.encode(), payload)))
        client.publish(channel, b"garbled")  # skipped; the subscription stays
        client.publish(channel, b"another-process couple.94 {not json")
        client.publish(channel, b'another-process couple.94 {"type": "no.such.handler"}')
        client.publish(channel, b"another-process couple.94 [1, 2]")
        client.publish(
            channel, b" ".join((b"another-process", b"couple.94", json.dumps(ring("", 5)[1]).encode()))
        )
    await phone.wait_for(3)
    await asyncio.sleep(0.2)
    assert phone.heard == [1, 4, 5]
    assert back == [], "a bad message is skipped, not taken for a lost connection"


@pytest.mark.scaled
async def test_it_rings_from_the_loop_here_at_once_and_elsewhere_in_order(listening):
    phone = await listening("couple.96")
    channel = f"{settings.PORCHLIGHT['REDIS_PREFIX']}:bell"
    client = redis.asyncio.Redis.from_url(settings.REDIS_URL)
    pubsub = client.pubsub()
    await pubsub.subscribe(channel)
    await pubsub.get_message(timeout=1)  # the subscription's confirmation
    for seq in range(1, 21):
        bell.bell_ring_in_loop(ring("couple.96", seq))
    assert phone.heard == [], "handed on in tasks of their own"
    await phone.wait_for(20)
    published = []
    async with asyncio.timeout(3):
        while len(published) < 20:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if message is not None:
                origin, name, body = message["data"].split(b" ", 2)
                published.append((origin, name, json.loads(body)["event"]["seq"]))
    await pubsub.aclose()
    await client.aclose()
    assert published == [(bell.ORIGIN, b"couple.96", seq) for seq in range(1, 21)]  # once each, in order
    assert sorted(phone.heard) == list(range(1, 21))
