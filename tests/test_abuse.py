"""Abuse: guessing passwords and codes is throttled per account and per address; a
socket that floods is closed (4429) without slowing anyone else; caps per person."""

import asyncio
import time
from types import SimpleNamespace

import pytest
import redis.asyncio as aioredis
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from couples import rates
from couples.models import Invite
from signals import sockets
from signals.services import signal_set
from tests.communicators import closed_with, frame, open_socket
from tests.conftest import client_for, make_user, pair

pytestmark = pytest.mark.django_db


def test_it_throttles_password_guessing_for_one_account_from_many_addresses(alice):
    statuses = []
    for i in range(21):
        client = APIClient(REMOTE_ADDR=f"203.0.113.{i}")  # a new address each time
        statuses.append(
            client.post("/api/auth/token/", {"username": "Alice ", "password": "guess"}).status_code
        )
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429
    # Another account is not held back by it.
    assert (
        APIClient(REMOTE_ADDR="198.51.100.1")
        .post("/api/auth/token/", {"username": "bob", "password": "x"})
        .status_code
        == 401
    )


def test_it_throttles_code_guessing_from_one_address_across_accounts(db):
    statuses = []
    for n in range(4):
        guesser = make_user(f"guesser{n}")
        client = client_for(guesser)
        client.defaults["REMOTE_ADDR"] = "192.0.2.9"
        statuses += [
            client.post("/api/couple/join/", {"code": f"ZZZZZZ{i:02}"}).status_code for i in range(8)
        ]
    assert statuses[:30] == [404] * 30
    assert 429 in statuses[30:]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_closes_a_flooding_socket_while_another_couple_is_served(couple, alice, charlie, settings):
    dana = await database_sync_to_async(make_user)("dana")
    await database_sync_to_async(pair)(charlie, dana)
    flood, calm = await open_socket(alice), await open_socket(dana)
    await frame(flood), await frame(calm)
    for _ in range(settings.PORCHLIGHT["WS_FRAME_BURST"] + 5):
        await flood.send_json_to({"type": "ping"})
    assert await closed_with(flood) == 4429
    started = time.monotonic()
    await database_sync_to_async(signal_set)(user=charlie, state="red")
    assert (await frame(calm))["data"]["state"] == "red"
    assert time.monotonic() - started < 0.5
    await flood.disconnect()
    await calm.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_lets_a_socket_burst_then_keep_a_steady_pace(couple, alice, settings):
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "WS_FRAME_BURST": 5, "WS_FRAMES_PER_SECOND": 20}
    sock = await open_socket(alice)
    await frame(sock)
    for _ in range(12):
        await sock.send_json_to({"type": "ping"})
        assert (await frame(sock))["type"] == "heartbeat"
        await asyncio.sleep(0.06)
    await sock.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_caps_the_sockets_one_person_holds(couple, alice, bob, settings):
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "WS_MAX_SOCKETS_PER_USER": 3}
    mine = [await open_socket(alice) for _ in range(3)]
    for sock in mine:
        await frame(sock)
    extra = await open_socket(alice)
    assert (await frame(extra))["code"] == "too_many_sockets"
    assert await closed_with(extra) == 4429
    await extra.disconnect()
    partner = await open_socket(bob)  # the cap is per person
    assert (await frame(partner))["type"] == "snapshot"
    await mine[0].disconnect()
    again = await open_socket(alice)
    assert (await frame(again))["type"] == "snapshot"
    for sock in (*mine[1:], partner, again):
        await sock.disconnect()


def test_it_keeps_one_open_invite_however_many_are_made(alice):
    client = client_for(alice)
    assert {client.post("/api/couple/invite/").status_code for _ in range(8)} == {201}
    assert Invite.objects.filter(created_by=alice).count() == 1


@pytest.mark.scaled
@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_counts_sockets_in_redis_and_forgets_those_of_a_dead_process(couple, alice, settings):
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "WS_MAX_SOCKETS_PER_USER": 1}
    client = aioredis.Redis.from_url(settings.REDIS_URL)
    key, elsewhere = sockets._count_key(alice.pk), sockets._alive_prefix() + "elsewhere"
    try:
        # A socket on another worker, alive: this one would be one too many.
        await client.sadd(key, "elsewhere 1")
        await client.set(elsewhere, 1, ex=60)
        sock = await open_socket(alice)
        assert (await frame(sock))["code"] == "too_many_sockets"
        await sock.disconnect()
        assert await client.smembers(key) == {b"elsewhere 1"}
        # That worker died: it stopped vouching for itself, and its key expired.
        await client.delete(elsewhere)
        sock = await open_socket(alice)
        assert (await frame(sock))["type"] == "snapshot"
        [member] = await client.smembers(key)
        assert member.startswith(sockets.PROCESS.encode() + b" ")
        await sock.disconnect()
        assert await client.scard(key) == 0
    finally:
        await client.delete(key, elsewhere)
        await client.aclose()


# One write budget per person, across REST and every socket (couples.rates).


@pytest.fixture
def one_minute(monkeypatch):
    """Every write of the test falls in the same minute of the budget."""
    monkeypatch.setattr(rates, "time", SimpleNamespace(time=lambda: 1_800_000_010.0))


def test_it_limits_a_persons_changes_over_rest(couple, alice, bob, one_minute):
    client = client_for(alice)
    statuses = [
        client.post("/api/signal/", {"state": ("red", "green")[i % 2]}).status_code for i in range(32)
    ]
    assert statuses[:30] == [201] * 30 and statuses[30:] == [429, 429]
    refused = client.post("/api/ws-ticket/")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) == 50
    assert client.get("/api/couple/").status_code == 200  # reading goes on
    assert client_for(bob).post("/api/signal/", {"state": "yellow"}).status_code == 201  # a budget each


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_shares_the_budget_between_rest_and_every_socket(couple, alice, settings, one_minute):
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "WS_FRAME_BURST": 100}
    rest = client_for(alice)
    for i in range(20):
        assert (
            await database_sync_to_async(rest.post)("/api/signal/", {"state": ("red", "green")[i % 2]})
        ).status_code == 201
    first, second = await open_socket(alice), await open_socket(alice)
    await frame(first), await frame(second)
    for i in range(10):
        sock = (first, second)[i % 2]
        await sock.send_json_to({"type": "signal.set", "state": ("yellow", "green")[i % 2], "op_id": f"t{i}"})
        assert (await frame(sock))["type"] == "event"
        await frame((second, first)[i % 2])  # the other socket hears it too
    await first.send_json_to({"type": "signal.set", "state": "red", "op_id": "one-too-many"})
    refused = await frame(first)
    assert refused["type"] == "error" and refused["code"] == "throttled"
    assert refused["op_id"] == "one-too-many" and refused["wait"] == 50
    assert (await database_sync_to_async(rest.post)("/api/signal/", {"state": "red"})).status_code == 429
    await first.send_json_to({"type": "ping"})
    assert (await frame(first))["type"] == "heartbeat"  # the socket stays open
    await first.disconnect()
    await second.disconnect()
