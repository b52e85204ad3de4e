"""A tap of green or yellow written from the event loop, on an async psycopg connection.

Each worker ran every tap in its one database thread, and the two threads passed the GIL
back and forth at every round trip (about 45 futex calls per change); written from the
loop, a tap needs no hop into that thread and back (docs/benchmarks.md). The statement
and its semantics are signal_set's (signals.services); PostgreSQL only. What needs the
ORM in the same transaction stays in the thread: a red (it may raise a gentle flag) and
a retried op_id. Each loop has one connection, and one tap at a time on it, as the
database thread had.
"""

import asyncio

import psycopg
from django.db import connection
from django.utils import timezone

from config.postgresql.base import connection_ended
from couples.bell import bell_ring_in_loop
from couples.models import Event
from couples.services import event_messages, op_id_clean
from signals import services
from signals.models import State


class InThread(Exception):
    """This tap takes the database thread's path (services.signal_set)."""


_connections: dict[asyncio.AbstractEventLoop, tuple[asyncio.Lock, list]] = {}


def signal_set_in_loop_possible(state) -> bool:
    return connection.vendor == "postgresql" and state in (State.GREEN, State.YELLOW)


async def signal_set_in_loop(*, user, state: str, note: str, op_id: str | None):
    """signal_set for a green or yellow light, from a coroutine. Raises InThread when the
    database thread must do it (a retried op_id); validation and NotPaired as signal_set."""
    note = services.signal_validate(state=state, note=note)
    op_id_clean(op_id)
    # Shielded: a socket that closes meanwhile must not leave the statement's answer unread
    # on the loop's connection.
    write = asyncio.ensure_future(_write(user, state, note, op_id))
    write.add_done_callback(_observed)
    return await asyncio.shield(write)


def _observed(write: asyncio.Future) -> None:
    # When the socket went away meanwhile nobody awaits the write: its outcome ends here.
    if not write.cancelled():
        write.exception()


async def _write(user, state: str, note: str, op_id: str | None):
    lock, holder = _connection_slot()
    async with lock:
        with connection.wrap_database_errors:  # psycopg's errors as Django's
            # A connection an error broke is replaced by the next tap's _connected.
            event = await _tap(await _connected(holder), user, state, note, op_id)
    bell_ring_in_loop(*event_messages(event))
    return event


async def _connected(holder: list) -> psycopg.AsyncConnection:
    conn = holder[0]
    # Found before the tap, a connection the server ended while idle (a restart) is
    # replaced, so the tap goes through. Found by the tap itself, whether its statement
    # ran could not be told, so the tap fails (unavailable) and the phone tries again
    # with its op_id.
    if conn is not None and not connection_ended(conn):
        return conn
    if conn is not None:
        await conn.close()
    holder[0] = await _connect()
    return holder[0]


async def _tap(conn: psycopg.AsyncConnection, user, state, note, op_id):
    """One statement, one round trip, a transaction of its own (autocommit): the function
    porchlight_light_set (signals.services.light_set_statement). A retry has only read."""
    now = timezone.now()
    tap = {"user": user, "state": state, "note": note, "op_id": op_id, "now": now}
    cursor = await conn.execute(*services.light_set_statement(**tap), prepare=True)
    event = services.light_set_outcome(await cursor.fetchone(), **tap)
    if not isinstance(event, Event):
        raise InThread()  # a retried op_id: the thread answers with the earlier event
    return event


def _connection_slot() -> tuple[asyncio.Lock, list]:
    loop = asyncio.get_running_loop()
    if loop not in _connections:
        for closed in [other for other in _connections if other.is_closed()]:
            del _connections[closed]
        _connections[loop] = (asyncio.Lock(), [None])
    return _connections[loop]


async def _connect() -> psycopg.AsyncConnection:
    """Django's connection parameters (its adapters, random_page_cost, the test database's
    name under tests), without its sync cursor class."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    # Autocommit: a tap is one statement, its own transaction (_tap).
    return await psycopg.AsyncConnection.connect(**params, autocommit=True)
