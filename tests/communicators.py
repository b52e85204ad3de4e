"""Helpers for socket tests: a communicator per person, by ticket or session cookie."""

import json

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from rest_framework.authtoken.models import Token

from config.asgi import application
from couples.services import login_of_token, ws_ticket_create
from couples.sessions import SessionStore

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


@database_sync_to_async
def ticket_for(user, token: str | None = None) -> str:
    """A ticket minted by an API token login (the user's, made if need be, or the one given)."""
    token = token or Token.objects.get_or_create(user=user)[0].key
    return ws_ticket_create(user=user, login=login_of_token(token))


@database_sync_to_async
def session_for(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


async def open_socket(user=None, *, after=None, ticket=None, session_key=None, origin=ORIGIN):
    query = []
    if user is not None and session_key is None:
        query.append(f"ticket={ticket or await ticket_for(user)}")
    elif ticket is not None:
        query.append(f"ticket={ticket}")
    if after is not None:
        query.append(f"after={after}")
    headers = [origin] if origin else []
    if session_key:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()))
    comm = WebsocketCommunicator(application, "/ws/?" + "&".join(query), headers=headers)
    connected, _ = await comm.connect()
    assert connected
    return comm


async def frame(comm, timeout=3) -> dict:
    return json.loads(await comm.receive_from(timeout=timeout))


async def frames_until(comm, predicate, timeout=3) -> list[dict]:
    seen = []
    while True:
        seen.append(await frame(comm, timeout))
        if predicate(seen[-1]):
            return seen


async def closed_with(comm, timeout=3) -> int:
    """Read past remaining frames to the close, returning its code."""
    while True:
        output = await comm.receive_output(timeout)
        if output["type"] == "websocket.close":
            return output.get("code")
