"""ASGI entry point: HTTP through Django, /ws/ through Channels (the channels sample layout)."""

import logging
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Set Django up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from couples.logs import RedactTickets  # noqa: E402
from couples.sockets import TicketAuthMiddleware  # noqa: E402
from signals.routing import websocket_urlpatterns  # noqa: E402

# uvicorn logs each websocket request line, query string and all.
for name in ("uvicorn.error", "uvicorn.access"):
    logging.getLogger(name).addFilter(RedactTickets())


async def lifespan(scope, receive, send):
    """Channels' router has no lifespan handler; answering it keeps uvicorn's start-up
    quiet and is the hook where in-process background work starts and stops."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(TicketAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
        "lifespan": lifespan,
    }
)
