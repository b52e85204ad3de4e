"""Django's ASGI handler, with the threads for requests' sync code kept and reused.

Django runs each ASGI request's sync code (every DRF view) in a thread made for that
request, and its database connections belong to a thread. So every REST request opened a
new PostgreSQL connection, a third of a request's time, and left it open until garbage
collection (docs/benchmarks.md). Here a request borrows a thread that a finished request
gave back, and finds that thread's connection still open: persistent connections
(CONN_MAX_AGE) and Django's health checks then work as they do under WSGI.

Django's own remedy, its psycopg pool, did not recover from a database restart in our
fault test within its timeout (docs/benchmarks.md says why).

Every view here is sync, so the middleware runs sync too, with the view, in one trip to
that thread. Async, Django runs each middleware's process_request and process_response
in the thread, a trip there and back each, and WhiteNoise (sync only) sent it back to
the event loop and out again: 17 trips a request (docs/benchmarks.md).
"""

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.db import connections


class ThreadKeepingASGIHandler(ASGIHandler):
    def __init__(self, keep: int):
        super().__init__()
        self.keep = keep  # threads, each with its connection, kept for the next request
        self._idle: list[ThreadPoolExecutor] = []

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)
        # The request's thread: the one borrowed below, through ThreadSensitiveContext.
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)  # Django refuses it
        # A thread is made only on the first sync call, so a request that never makes
        # one (or a slow client still sending its body) costs no thread. Never blocks:
        # past `keep` concurrent requests, a thread is made and later let go.
        executor = self._idle.pop() if self._idle else ThreadPoolExecutor(1, "http")
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            # The most recently used thread is handed out first: its connection was
            # checked the most recently.
            if len(self._idle) < self.keep:
                self._idle.append(executor)
            else:
                executor.submit(connections.close_all)
                executor.shutdown(wait=False)
