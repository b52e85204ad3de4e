"""Django's ASGI handler, with the threads for requests' sync code kept and reused.
Kept because with Django's own handler the REST p50 missed its target in `make
bench-load` (6.55 ms against the peer's 4.72; docs/benchmarks.md).

Django runs each ASGI request's sync code (every DRF view) in a thread made for that
request, and its database connections belong to a thread. So every REST request opened a
new PostgreSQL connection, a third of a request's time, and left it open until garbage
collection (docs/benchmarks.md). Here a request borrows a thread that a finished request
gave back, and finds that thread's connection still open: persistent connections
(CONN_MAX_AGE) and Django's health checks then work as they do under WSGI.

Django's own remedy, its psycopg pool, did not recover from a database restart in our
fault test within its timeout (docs/benchmarks.md says why).

Every view here is sync, so the middleware runs sync too, with the view and Django's
request_started, in one trip to that thread. Async, Django runs each middleware's
process_request and process_response in the thread, a trip there and back each, and
WhiteNoise (sync only) sent it back to the event loop and out again: 17 trips a request;
request_started was one more of its own before the view (docs/benchmarks.md). A trip
costs a wake-up of the thread and one of the loop, each on the way to the partner.
"""

from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals as request_signals  # not the app `signals`
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import connections
from django.http import FileResponse
from django.urls import set_script_prefix


class ThreadKeepingASGIHandler(ASGIHandler):
    def __init__(self, keep: int):
        super().__init__()
        self.keep = keep  # threads, each with its connection, kept for the next request
        self._idle: list[ThreadPoolExecutor] = []

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)  # run by respond(), in the request's thread

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)  # Django refuses it
        # A thread is made only on the first sync call, so a request that never makes
        # one (or a slow client still sending its body) costs no thread. Never blocks:
        # past `keep` concurrent requests, a thread is made and later let go.
        executor = self._idle.pop() if self._idle else ThreadPoolExecutor(1, "http")
        kept = False

        def keep_if_room() -> bool:
            nonlocal kept
            # The most recently used thread is handed out first: its connection was
            # checked the most recently.
            if not kept and len(self._idle) < self.keep:
                self._idle.append(executor)
                kept = True
            return kept

        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send, keep_if_room)
        finally:
            if not keep_if_room():
                executor.submit(connections.close_all)
                executor.shutdown(wait=False)

    async def handle(self, scope, receive, send, keep_if_room=lambda: False):
        """Django's handle, with the request's sync work in one trip to its thread (the
        one borrowed above, through ThreadSensitiveContext). Django's also listens for
        the client's disconnect meanwhile, which cancels only async views: every view
        here is sync and runs to the end whatever the client does."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            set_script_prefix(get_script_prefix(scope))
            response = await sync_to_async(self.respond, thread_sensitive=True)(scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                # The client may have its response and be sending its next request
                # already: kept now, the thread (and its connection) is there for it,
                # and its work waits behind request_finished on the thread, which runs
                # one call at a time. Kept after, that request made a thread and a
                # connection of its own.
                keep_if_room()
                await sync_to_async(response.close, thread_sensitive=True)()  # request_finished

    def respond(self, scope, body_file):
        request_signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            return error_response
        response = self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size  # the server chunks it
        return response
