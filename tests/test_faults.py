"""Faults on real processes: the channel layer comes back and every socket catches up at
once; an ASGI worker dies; PostgreSQL restarts. Clients resume from seq and end with
every event exactly once; writes during an outage get a clear 503, never half a change."""

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from contextlib import contextmanager

import pytest
from websockets.asyncio.client import connect

from tests.servers import (
    ROOT,
    AsgiWorker,
    Listener,
    PostgresCluster,
    RedisServer,
    api,
    listen,
    stop,
    test_database_url,
)

pytestmark = [pytest.mark.scaled, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


def test_it_resyncs_every_socket_as_soon_as_redis_is_back(tokens):
    """Heartbeats every 30 s here: the change made on one worker while Redis was down
    must reach a phone on the other worker in seconds, because that worker notices its
    doorbell is back and tells its sockets to catch up."""
    alice_token, bob_token = tokens
    redis = RedisServer()
    redis.start()
    workers = [
        AsgiWorker(database_url=test_database_url(), redis_url=redis.url, heartbeat=30) for _ in range(2)
    ]
    one, two = workers
    try:
        for worker in workers:
            worker.start()

        async def scenario():
            bob = Listener(two, bob_token)
            task = await listen(bob)
            redis.kill()
            status, body = await asyncio.to_thread(api, one, "/api/signal/", alice_token, {"state": "red"})
            assert status == 201  # the write stands; its doorbell is lost
            await asyncio.sleep(0.5)
            assert (bob.last_seq or 0) < body["seq"]
            redis.start()
            restarted = time.monotonic()
            await bob.wait_for_seq(body["seq"], timeout=10)
            waited = time.monotonic() - restarted
            await stop(bob, task)
            return bob, waited

        bob, waited = asyncio.run(scenario())
        assert waited < 5, waited
        assert bob.reconnects == 0, "the socket stayed open and was healed in place"
    finally:
        for worker in workers:
            worker.stop()
        redis.stop()


def test_it_moves_a_phone_to_another_worker_when_one_dies(tokens):
    alice_token, bob_token = tokens
    workers = [
        AsgiWorker(database_url=test_database_url(), redis_url=os.environ["REDIS_URL"]) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    try:

        async def scenario():
            bob = Listener(workers[::-1], bob_token)  # connected to worker 2 first
            task = await listen(bob)
            last = None
            for i in range(20):
                if i == 8:
                    workers[1].process.kill()  # SIGKILL: no goodbye
                status, body = await asyncio.to_thread(
                    api, workers[0], "/api/signal/", alice_token, {"state": ["green", "yellow", "red"][i % 3]}
                )
                assert status == 201
                last = body["seq"]
                await asyncio.sleep(0.05)
            await bob.wait_for_seq(last, timeout=20)
            await asyncio.sleep(0.3)
            await stop(bob, task)
            return bob, last

        bob, last = asyncio.run(scenario())
        assert [e["seq"] for e in bob.events] == list(range(2, last + 1)), "every seq, in order, once"
        assert bob.reconnects >= 1
    finally:
        for worker in workers:
            worker.stop()


def register(worker, username):
    body = {"username": username, "password": "a long quiet morning", "display_name": username.title()}
    request = urllib.request.Request(
        worker.base + "/api/auth/register/", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())["token"]


@contextmanager
def a_couple_on_a_private_postgresql(settings: dict | None = None):
    """A worker on a throwaway PostgreSQL cluster (safe to stop), and a paired couple's
    tokens. `settings`: the worker's own environment variables."""
    cluster = PostgresCluster()
    cluster.start()
    env = {**os.environ, "DATABASE_URL": cluster.url}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    worker = AsgiWorker(
        database_url=cluster.url, redis_url=os.environ["REDIS_URL"], heartbeat=1, env=settings
    )
    worker.start()
    try:
        alice, bob = register(worker, "alice"), register(worker, "bob")
        status, invite = api(worker, "/api/couple/invite/", alice)
        assert api(worker, "/api/couple/join/", bob, {"code": invite["code"]})[0] == 201
        yield cluster, worker, alice, bob
    finally:
        worker.stop()
        cluster.destroy()


def test_it_answers_503_during_a_postgresql_restart_and_loses_nothing():
    with a_couple_on_a_private_postgresql() as (cluster, worker, alice, bob):

        async def scenario():
            listener = Listener(worker, bob)
            task = await listen(listener)
            answers = []
            for i in range(30):
                if i == 10:
                    cluster.stop()
                if i == 18:
                    cluster.start()
                answers.append(
                    await asyncio.to_thread(
                        api, worker, "/api/signal/", alice, {"state": "yellow" if i % 2 else "green"}
                    )
                )
                await asyncio.sleep(0.1)
            written = [body["seq"] for status, body in answers if status == 201]
            await listener.wait_for_seq(written[-1], timeout=20)
            await asyncio.sleep(0.3)
            await stop(listener, task)
            return answers, written, listener

        answers, written, listener = asyncio.run(scenario())
        statuses = [status for status, _ in answers]
        assert set(statuses) <= {201, 503}, statuses
        assert statuses.count(503) >= 3, "the outage was seen"
        assert all(body["code"] == "unavailable" for status, body in answers if status == 503)
        assert written == list(range(2, 2 + len(written))), (
            "each 201 is one event, no gap: a 503 wrote nothing"
        )
        assert [e["seq"] for e in listener.events] == written


def test_it_answers_unavailable_over_the_socket_during_a_postgresql_restart_and_loses_nothing():
    """Green and yellow taps over the socket are written from the event loop on a
    connection of its own (signals.inloop): it must fail clearly and come back too."""
    with a_couple_on_a_private_postgresql() as (cluster, worker, alice, bob):
        ticket = api(worker, "/api/ws-ticket/", alice)[1]["ticket"]

        async def answer(ws, frame) -> dict:
            """The tap's own event (it carries the op_id), an ack (a retry) or an error."""
            await ws.send(json.dumps(frame))
            while True:
                got = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if got["type"] in ("ack", "error") or got.get("op_id") == frame["op_id"]:
                    return got

        async def scenario():
            listener = Listener(worker, bob)
            task = await listen(listener)
            answers = []
            origin = f"http://127.0.0.1:{worker.port}"
            async with connect(f"ws://127.0.0.1:{worker.port}/ws/?ticket={ticket}", origin=origin) as ws:
                for i in range(30):
                    if i == 10:
                        cluster.stop()
                    if i == 18:
                        cluster.start()
                    if i == 24:  # a restart between two taps: the connection dies idle
                        cluster.stop()
                        cluster.start()
                    state = "yellow" if i % 2 else "green"
                    answers.append(await answer(ws, {"type": "signal.set", "state": state, "op_id": f"w{i}"}))
                    await asyncio.sleep(0.1)
            written = [a["seq"] for a in answers if a["type"] != "error"]
            await listener.wait_for_seq(written[-1], timeout=20)
            await asyncio.sleep(0.3)
            await stop(listener, task)
            return answers, written, listener

        answers, written, listener = asyncio.run(scenario())
        kinds = [a["type"] if a["type"] == "event" else a.get("code", a["type"]) for a in answers]
        assert set(kinds) <= {"event", "unavailable"}, kinds
        assert kinds.count("unavailable") >= 3, "the outage was seen"
        # The first tap after the restart too: a connection that died while idle is replaced
        # and the tap tried once more on the new one (nothing had been written).
        assert kinds[18:] == ["event"] * 12, f"the socket's writes came back at once: {kinds}"
        assert written == list(range(2, 2 + len(written))), "each written tap is one event, no gap"
        assert [e["seq"] for e in listener.events] == written


def test_it_writes_each_tap_of_bursts_once_across_a_postgresql_restart():
    """Bursts of taps from three phones (signals.inloop). PostgreSQL stops in the middle
    of a burst: each tap is written or answered unavailable; tried again with its op_id
    it is written, and once in all."""
    bursts_allowed = {"PORCHLIGHT_WS_FRAME_BURST": "500"}  # past the flood limit's 30 frames
    with a_couple_on_a_private_postgresql(bursts_allowed) as (cluster, worker, alice, bob):
        origin = f"http://127.0.0.1:{worker.port}"

        async def open_phone(token):
            ticket = (await asyncio.to_thread(api, worker, "/api/ws-ticket/", token))[1]["ticket"]
            return await connect(f"ws://127.0.0.1:{worker.port}/ws/?ticket={ticket}", origin=origin)

        def taps(name: str) -> dict:
            """Eight taps for each of the three phones: op_id -> the phone that sends it."""
            return {f"{name}-{n}-{i}": n for n in range(3) for i in range(8)}

        latest = [0]  # the latest seq the phones were shown

        async def burst(phones, sent: dict) -> dict:
            """Every phone sends its taps at once; the answer to each op_id: its event,
            an ack (a retry of a tap written before) or an error."""
            for op_id, n in sent.items():
                state = ("green", "yellow")[int(op_id.rsplit("-", 1)[1]) % 2]
                await phones[n].send(json.dumps({"type": "signal.set", "state": state, "op_id": op_id}))
            answers = {}
            for n, phone in enumerate(phones):
                mine = {op_id for op_id, m in sent.items() if m == n}
                while not mine <= answers.keys():
                    got = json.loads(await asyncio.wait_for(phone.recv(), 10))
                    latest[0] = max(latest[0], got.get("seq", 0))
                    if got.get("op_id") in mine and got["type"] in ("event", "ack", "error"):
                        answers[got["op_id"]] = (got["type"], got.get("code"), n)
            return answers

        async def scenario():
            listener = Listener(worker, bob)
            task = await listen(listener)
            phones = [await open_phone(alice), await open_phone(alice), await open_phone(bob)]
            for phone in phones:
                await phone.recv()  # the snapshot
            first = await burst(phones, taps("up"))
            stopping = asyncio.ensure_future(asyncio.to_thread(cluster.stop))
            during = await burst(phones, taps("stop"))
            await stopping
            down = await burst(phones, taps("down"))
            cluster.start()
            failed = {op_id: n for op_id, (kind, _, n) in {**during, **down}.items() if kind == "error"}
            retried = await burst(phones, failed)
            after = await burst(phones, taps("after"))
            await listener.wait_for_seq(latest[0], timeout=20)
            await asyncio.sleep(0.3)  # nothing more comes
            await stop(listener, task)
            for phone in phones:
                await phone.close()
            return first, during, down, retried, after, listener

        first, during, down, retried, after, listener = asyncio.run(scenario())
        assert {kind for kind, _, _ in first.values()} == {"event"}
        assert {kind for kind, _, _ in after.values()} == {"event"}
        assert {(kind, code) for kind, code, _ in down.values()} == {("error", "unavailable")}
        assert {code for kind, code, _ in during.values() if kind == "error"} <= {"unavailable"}
        assert {kind for kind, _, _ in retried.values()} <= {"event", "ack"}
        changes = [e for e in listener.events if e["kind"] == "signal.changed"]
        written = Counter(e["op_id"] for e in changes)
        every = set(first) | set(during) | set(down) | set(after)
        assert set(written) == every and set(written.values()) == {1}, "each tap written once"
        seqs = [e["seq"] for e in listener.events]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "no gap, nothing twice"
