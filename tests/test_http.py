"""config/http.py: REST requests reuse a few kept threads and their database connections.
(On real processes and PostgreSQL: tests/test_servers.py.)"""

import asyncio
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.current_thread_executor import CurrentThreadExecutor
from channels.testing import HttpCommunicator
from django.core.signals import request_finished, request_started
from django.db import connections

from config import http
from config.http import ThreadKeepingASGIHandler

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(30)]


async def get(app, path: str, headers: dict | None = None) -> int:
    communicator = HttpCommunicator(app, "GET", path, headers=[(b"host", b"testserver")])
    response = await communicator.get_response(timeout=10)
    await communicator.wait(timeout=10)  # the handler has given its thread back
    if headers is not None:
        headers.update((k.decode().lower(), v.decode()) for k, v in response["headers"])
    return response["status"]


@pytest.fixture
def seen():
    """The thread and the database connection each request ran on."""
    threads, wrappers = [], []

    def started(**kwargs):
        threads.append(threading.current_thread())

    def finished(**kwargs):
        wrappers.append(connections["default"])

    request_started.connect(started)
    request_finished.connect(finished)
    yield threads, wrappers
    request_started.disconnect(started)
    request_finished.disconnect(finished)


def test_it_runs_requests_one_after_another_on_one_thread_and_connection(seen):
    app = ThreadKeepingASGIHandler(keep=2)

    async def three():
        return [await get(app, "/healthz/") for _ in range(3)]

    assert asyncio.run(three()) == [200, 200, 200]
    threads, wrappers = seen
    assert len(set(threads)) == 1 and len({id(w) for w in wrappers}) == 1
    assert wrappers[0].connection is not None  # kept open for the next request


def test_it_gives_its_thread_to_a_request_that_arrives_while_the_last_one_finishes(seen):
    """A client that has its response sends the next request at once; the handler still
    has request_finished to run. Threads were given back after it, so that request made a
    thread and a PostgreSQL connection of its own (a flaky CI run found it)."""
    app = ThreadKeepingASGIHandler(keep=2)

    async def back_to_back():
        first = HttpCommunicator(app, "GET", "/healthz/", headers=[(b"host", b"testserver")])
        assert (await first.get_response(timeout=10))["status"] == 200
        status = await get(app, "/healthz/")  # before the first has sent request_finished
        await first.wait(timeout=10)
        return status

    assert asyncio.run(back_to_back()) == 200
    threads, wrappers = seen
    assert len(threads) == 2 and len(set(threads)) == 1
    assert len(app._idle) == 1


def test_it_lets_go_of_threads_past_those_it_keeps_and_closes_their_connections(seen, monkeypatch):
    app = ThreadKeepingASGIHandler(keep=1)
    closed_on = []
    close_all = connections.close_all

    def spy():
        closed_on.append(threading.current_thread())
        close_all()

    monkeypatch.setattr(connections, "close_all", spy)
    together = threading.Barrier(3, timeout=5)  # three requests in their threads at once
    request_started.connect(lambda **kwargs: together.wait(), weak=False, dispatch_uid="together")
    try:

        async def three_at_once():
            return await asyncio.gather(*(get(app, "/healthz/") for _ in range(3)))

        assert asyncio.run(three_at_once()) == [200, 200, 200]
    finally:
        request_started.disconnect(dispatch_uid="together")
    threads, wrappers = seen
    assert len(set(threads)) == 3
    for thread in threads:
        thread.join(timeout=5)
    kept = [t for t in threads if t.is_alive()]
    assert len(kept) == 1 and len(app._idle) == 1
    assert set(closed_on) == set(threads) - set(kept)
    if connections["default"].vendor != "sqlite":  # Django keeps in-memory SQLite open
        assert len([w for w in wrappers if w.connection is not None]) == 1


def test_it_runs_the_middleware_and_the_view_in_one_trip_to_the_thread(monkeypatch):
    """request_started, the middleware and the view in one trip, request_finished after
    the response in another: a trip to the thread and back costs a wake-up of each side,
    and async middleware took 17."""
    trips = []

    class Counting(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            trips.append(fn)
            return super().submit(fn, *args, **kwargs)

    def back_in_the_thread(executor, fn, /, *args, **kwargs):  # after a trip to the loop
        trips.append(fn)
        return submit(executor, fn, *args, **kwargs)

    submit = CurrentThreadExecutor.submit
    monkeypatch.setattr(CurrentThreadExecutor, "submit", back_in_the_thread)
    monkeypatch.setattr(http, "ThreadPoolExecutor", Counting)
    app = ThreadKeepingASGIHandler(keep=1)
    headers = {}
    assert asyncio.run(get(app, "/healthz/", headers)) == 200
    assert len(trips) == 2
    # Every middleware ran all the same (the last in the list, the CSP, for one).
    assert "default-src 'self'" in headers["content-security-policy"]


def test_it_answers_a_request_it_cannot_read_with_400():
    async def garbled():
        communicator = HttpCommunicator(ThreadKeepingASGIHandler(keep=1), "GET", "/healthz/")
        communicator.scope["query_string"] = b"a=\xff"  # not UTF-8
        response = await communicator.get_response(timeout=10)
        await communicator.wait(timeout=10)
        return response["status"]

    assert asyncio.run(garbled()) == 400


def test_it_imports_every_view_with_the_application_not_in_a_first_request():
    probe = "import sys, config.asgi; print('signals.views' in sys.modules and 'couples.api' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stderr
