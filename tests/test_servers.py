"""End to end on real processes: two ASGI workers on PostgreSQL + Redis, real websocket
clients, and Redis killed mid-stream."""

import asyncio
import json
import os
from pathlib import Path

import pytest
from django.db import connection
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from signals.models import Signal
from tests.servers import AsgiWorker, Listener, RedisServer, api, listen, stop, test_database_url

pytestmark = [pytest.mark.scaled, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


@pytest.fixture
def workers(request):
    started = []

    def start(redis_url: str, count: int = 2, **env):
        for _ in range(count):
            worker = AsgiWorker(database_url=test_database_url(), redis_url=redis_url, env=env)
            started.append(worker)
            worker.start()
        return started[-count:]

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def private_redis():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def test_it_carries_a_change_across_workers_and_resumes_after_reconnect(tokens, workers):
    alice_token, bob_token = tokens
    one, two = workers(os.environ["REDIS_URL"])

    async def scenario():
        bob = Listener(two, bob_token)
        task = await listen(bob)
        status, body = await asyncio.to_thread(api, one, "/api/signal/", alice_token, {"state": "red"})
        assert status == 201
        await bob.wait_for_seq(body["seq"], timeout=5)
        assert bob.events[-1]["data"]["state"] == "red"

        await stop(bob, task)  # bob's phone goes away
        missed = []
        for state in ("yellow", "green", "red"):
            status, body = await asyncio.to_thread(api, one, "/api/signal/", alice_token, {"state": state})
            missed.append(body["seq"])
        bob.stopping = False
        task = await listen(bob)  # comes back with after=<last seq>
        await bob.wait_for_seq(missed[-1], timeout=5)
        status, body = await asyncio.to_thread(api, one, "/api/signal/", alice_token, {"state": "green"})
        await bob.wait_for_seq(body["seq"], timeout=5)
        await asyncio.sleep(0.3)
        await stop(bob, task)
        return bob

    bob = asyncio.run(scenario())
    seqs = [e["seq"] for e in bob.events]
    assert seqs == list(range(2, seqs[-1] + 1)), "every event once, in order"
    assert len(bob.snapshots) == 1, "the reconnect replayed; it did not reset"


def test_it_loses_nothing_when_redis_is_killed_and_restarted(tokens, workers, private_redis, alice):
    alice_token, bob_token = tokens
    one, two = workers(private_redis.url)
    changes = 30
    states = ["green", "yellow", "red"]

    async def scenario():
        bob = Listener(two, bob_token)
        task = await listen(bob)
        last = None
        for i in range(changes):
            if i == 10:
                private_redis.kill()
            if i == 20:
                private_redis.start()
            status, body = await asyncio.to_thread(
                api, one, "/api/signal/", alice_token, {"state": states[i % 3], "op_id": f"change-{i}"}
            )
            assert status == 201, (status, body, one.output())
            last = body["seq"]
            await asyncio.sleep(0.05)
        await bob.wait_for_seq(last, timeout=20)
        await asyncio.sleep(0.5)
        await stop(bob, task)
        return bob, last

    bob, last = asyncio.run(scenario())
    seqs = [e["seq"] for e in bob.events]
    assert seqs == list(range(2, last + 1)), "every seq, in order, once"
    seen = [e for e in bob.events if e["actor"] == alice.pk][-1]["data"]
    stored = Signal.objects.get(user=alice)
    assert (seen["state"], seen["note"], seen["set_at"]) == (
        stored.state,
        stored.note,
        stored.set_at.isoformat(),
    )


def test_it_caps_a_persons_sockets_across_workers(tokens, workers):
    alice_token, _ = tokens
    one, two = workers(os.environ["REDIS_URL"], PORCHLIGHT_WS_MAX_SOCKETS_PER_USER="2")

    async def opened(worker):
        status, body = await asyncio.to_thread(api, worker, "/api/ws-ticket/", alice_token)
        assert status == 201
        ws = await connect(f"ws://127.0.0.1:{worker.port}/ws/?ticket={body['ticket']}", origin=worker.base)
        return ws, json.loads(await ws.recv())

    async def scenario():
        first, hello = await opened(one)
        assert hello["type"] == "snapshot"
        second, hello = await opened(two)
        assert hello["type"] == "snapshot"
        for worker in (one, two):  # a third, on either worker, is one too many
            extra, refused = await opened(worker)
            assert refused["code"] == "too_many_sockets"
            with pytest.raises(ConnectionClosed):
                await extra.recv()
            assert extra.close_code == 4429
        await first.close()
        await asyncio.sleep(0.3)  # the worker takes it out of the count on disconnect
        again, hello = await opened(two)
        assert hello["type"] == "snapshot"
        await again.close()
        await second.close()

    asyncio.run(scenario())


def test_it_serves_a_stream_of_rest_requests_on_a_few_database_connections(tokens, workers):
    """Django runs each ASGI request's sync code on a thread of its own, and its connections
    are per thread: without our handler, every REST request opened a PostgreSQL connection
    and left it open until garbage collection."""
    alice_token, _ = tokens
    # Named, so that other tests' connections still closing are not counted.
    (one,) = workers(
        os.environ["REDIS_URL"], count=1, DATABASE_URL=test_database_url() + "?application_name=stream"
    )

    def worker_connections() -> set[int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'stream'")
            return {pid for (pid,) in cursor.fetchall()}

    for state in ["red", "green"] * 5:
        assert api(one, "/api/signal/", alice_token, {"state": state})[0] == 201
    settled = worker_connections()
    for state in ["yellow", "green"] * 20:
        assert api(one, "/api/signal/", alice_token, {"state": state})[0] == 201
    assert worker_connections() == settled  # the same connections, none opened
    assert 1 <= len(settled) <= 3


def test_it_leaves_no_zombie_when_a_client_pings_and_closes_at_once(tokens, workers):
    """A phone that sends a frame and drops the connection before the reply: the reply
    fails (uvicorn's ClientDisconnected), and the socket's slot, listeners and heartbeat
    must still be given back, or a person's sockets fill up with ghosts."""
    alice_token, _ = tokens
    (worker,) = workers(os.environ["REDIS_URL"], count=1)

    async def ticket() -> str:
        status, body = await asyncio.to_thread(api, worker, "/api/ws-ticket/", alice_token)
        assert status == 201
        return body["ticket"]

    async def scenario():
        for _ in range(12):
            ws = await connect(
                f"ws://127.0.0.1:{worker.port}/ws/?ticket={await ticket()}", origin=worker.base
            )
            await ws.send('{"type":"ping"}')
            ws.transport.abort()  # gone, without a closing handshake
        await asyncio.sleep(0.5)
        ws = await connect(f"ws://127.0.0.1:{worker.port}/ws/?ticket={await ticket()}", origin=worker.base)
        hello = json.loads(await ws.recv())
        await ws.close()
        return hello

    assert asyncio.run(scenario())["type"] == "snapshot"
    assert "Traceback" not in worker.output()


def test_it_refuses_a_huge_frame_before_buffering_it(tokens, workers):
    """uvicorn is told the app's frame limit (--ws-max-size): ten sockets sending 15 MB
    frames are cut off at the frame's header, and the worker does not grow by hundreds
    of MB to hold them."""
    alice_token, _ = tokens
    (worker,) = workers(os.environ["REDIS_URL"], count=1)

    def rss_mb() -> float:
        status = Path(f"/proc/{worker.process.pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]) / 1024

    async def flood_one():
        status, body = await asyncio.to_thread(api, worker, "/api/ws-ticket/", alice_token)
        url = f"ws://127.0.0.1:{worker.port}/ws/?ticket={body['ticket']}"
        async with connect(url, origin=worker.base, max_size=None) as ws:
            await ws.recv()
            try:
                await ws.send("x" * 15_000_000)
                await ws.recv()
            except ConnectionClosed:
                pass
            return ws.close_code

    async def scenario():
        return await asyncio.gather(*(flood_one() for _ in range(10)))

    before = rss_mb()
    codes = asyncio.run(scenario())
    assert set(codes) == {1009}, codes  # "message too big", from the server
    assert rss_mb() - before < 40
