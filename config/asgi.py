"""ASGI entry point: HTTP through Django, /ws/ through Channels (the channels sample layout)."""

import asyncio
import logging
import os
import threading

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Set Django up before anything imports models (what get_asgi_application does).
django.setup(set_prefix=False)

from asgiref.sync import sync_to_async  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

# Every view's imports now, not in a worker's first request: 0.7 s on the machine of
# docs/benchmarks.md, with the GIL held and that worker's sockets waiting.
import config.urls  # noqa: E402, F401
from config.collector import gc_full_every, gc_settle  # noqa: E402
from config.http import ThreadKeepingASGIHandler  # noqa: E402
from couples.bell import bell_claim  # noqa: E402
from couples.logs import RedactSecrets  # noqa: E402
from couples.tickets import TicketAuthMiddleware  # noqa: E402
from rhythms.scheduler import loops as scheduler_loops  # noqa: E402
from rhythms.scheduler import run as scheduler_run  # noqa: E402
from signals.routing import websocket_urlpatterns  # noqa: E402

django_asgi_app = ThreadKeepingASGIHandler(keep=settings.PORCHLIGHT["HTTP_THREADS"])

# uvicorn logs each request line, query string and all; Django logs the path of a 404.
for name in ("uvicorn.error", "uvicorn.access", "django.request"):
    logging.getLogger(name).addFilter(RedactSecrets())


async def lifespan(scope, receive, send):
    """Channels' router has no lifespan handler. Ours answers it, settles the garbage
    collector (config/collector.py), and in the embedded mode runs the background loops
    (reminders, nudges, push) in threads of this process, so `make run` alone fires
    reminders."""
    stop = threading.Event()
    running, collecting = [], None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                bell_claim()
            except ImproperlyConfigured as e:
                await send({"type": "lifespan.startup.failed", "message": str(e)})
                return
            mailer = settings.MAILERS["default"]
            if mailer["BACKEND"].endswith("filebased.EmailBackend"):
                logging.getLogger("porchlight").info(
                    "No EMAIL_URL: mails are written to files in %s", mailer["OPTIONS"]["file_path"]
                )
            if settings.PORCHLIGHT["GC_FULL_SECONDS"]:
                gc_settle()
                collecting = asyncio.create_task(gc_full_every(settings.PORCHLIGHT["GC_FULL_SECONDS"]))
            if settings.PORCHLIGHT["SCHEDULER_IN_PROCESS"]:
                idle = settings.PORCHLIGHT["SCHEDULER_IDLE_SECONDS"]
                for steps in scheduler_loops().values():
                    # In a thread: the loops block on the database; their rings reach
                    # this process's sockets through couples.bell.
                    in_thread = sync_to_async(scheduler_run, thread_sensitive=False)
                    running.append(asyncio.create_task(in_thread(stop, idle, steps=steps)))
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            stop.set()
            if collecting:
                collecting.cancel()
            await asyncio.gather(*running)
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
