"""Every revocation closes everything it should: a ticket minted before a logout, a
password change or an account deletion is worth nothing after it, and a socket lives
only as long as the login (session or token) that opened it, even when the doorbell
lost the news (the heartbeat checks the login too)."""

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from couples import services as couples_services
from couples.models import LoginSession
from tests.communicators import closed_with, frame, open_socket, session_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

PASSWORD = "correct horse battery"


@database_sync_to_async
def token_client(user) -> APIClient:
    client = APIClient()
    token = client.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@database_sync_to_async
def session_client(user) -> APIClient:
    client = APIClient(enforce_csrf_checks=False)
    assert client.login(username=user.username, password=PASSWORD)
    return client


@database_sync_to_async
def post(client, path, body=None, method="post"):
    response = getattr(client, method)(path, body or {})
    assert response.status_code < 300, response.content
    return response.json() if response.content else None


async def ticket_of(client) -> str:
    return (await post(client, "/api/ws-ticket/"))["ticket"]


async def assert_refused(ticket: str):
    sock = await open_socket(ticket=ticket)
    assert (await frame(sock))["code"] == "unauthorized"
    assert await closed_with(sock) == 4401
    await sock.disconnect()


@pytest.mark.parametrize("login", [token_client, session_client])
async def test_it_refuses_a_ticket_minted_before_logout(couple, alice, login):
    client = await login(alice)
    ticket = await ticket_of(client)
    await post(client, "/api/auth/logout/")
    await assert_refused(ticket)


@pytest.mark.parametrize("login", [token_client, session_client])
async def test_it_refuses_a_ticket_minted_before_a_password_change(couple, alice, login):
    client = await login(alice)
    other = await token_client(alice)
    tickets = [await ticket_of(client), await ticket_of(other)]
    await post(
        client, "/api/auth/password/", {"old_password": PASSWORD, "new_password": "a new and long one 42"}
    )
    for ticket in tickets:
        await assert_refused(ticket)


async def test_it_refuses_a_ticket_minted_before_the_account_was_deleted(couple, alice):
    client = await token_client(alice)
    ticket = await ticket_of(client)
    await post(client, "/api/me/", {"password": PASSWORD}, method="delete")
    await assert_refused(ticket)


@pytest.mark.parametrize("login", [token_client, session_client])
async def test_it_closes_a_ticket_socket_within_two_seconds_when_its_login_logs_out(couple, alice, login):
    client = await login(alice)
    sock = await open_socket(ticket=await ticket_of(client))
    other = await open_socket(alice, session_key=await session_for(alice))  # another browser
    await frame(sock), await frame(other)
    await post(client, "/api/auth/logout/")
    assert (await frame(sock, timeout=2))["code"] == "unauthorized"
    assert await closed_with(sock, timeout=2) == 4401
    assert await other.receive_nothing(timeout=0.3)
    await sock.disconnect()
    await other.disconnect()


@pytest.mark.parametrize("login", [token_client, session_client])
async def test_it_closes_a_socket_at_its_heartbeat_when_the_doorbell_lost_the_logout(
    couple, alice, bob, login, settings, monkeypatch
):
    """Redis was down when another worker revoked the login: the control message never
    came. The next heartbeat finds the login gone and closes the socket, so it stops
    hearing the partner."""
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "HEARTBEAT_SECONDS": 0.2}
    client = await login(alice)
    sock = await open_socket(ticket=await ticket_of(client))
    await frame(sock)
    monkeypatch.setattr(couples_services, "bell_ring", lambda *messages: None)
    await post(client, "/api/auth/logout/")
    assert await closed_with(sock) == 4401
    await sock.disconnect()


async def test_it_closes_another_browsers_socket_at_its_heartbeat_after_a_password_change(
    couple, alice, settings, monkeypatch
):
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "HEARTBEAT_SECONDS": 0.2}
    browser = await open_socket(alice, session_key=await session_for(alice))
    await frame(browser)
    monkeypatch.setattr(couples_services, "bell_ring", lambda *messages: None)
    client = await token_client(alice)
    await post(
        client, "/api/auth/password/", {"old_password": PASSWORD, "new_password": "a new and long one 42"}
    )
    assert await closed_with(browser) == 4401
    await browser.disconnect()


async def test_it_deletes_every_session_of_a_deleted_account(couple, alice):
    await session_for(alice), await session_for(alice)
    client = await session_client(alice)
    await post(client, "/api/me/", {"password": PASSWORD}, method="delete")
    assert not await database_sync_to_async(LoginSession.objects.filter(user_id=alice.pk).exists)()
