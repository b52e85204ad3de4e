"""Websocket authentication by single-use ticket, for clients without a browser session."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser

from couples.services import ws_ticket_consume


class TicketAuthMiddleware(BaseMiddleware):
    """A `ticket=` in the query string decides who the socket belongs to; a bad or
    used ticket makes it anonymous rather than falling back to a cookie."""

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        ticket = query.get("ticket", [""])[0]
        if ticket:
            row = await database_sync_to_async(ws_ticket_consume)(ticket[:200])
            scope = dict(scope)
            scope["user"] = row.user if row else AnonymousUser()
            scope["login"] = row.login if row else None
        return await super().__call__(scope, receive, send)
