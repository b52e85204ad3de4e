"""A tap of green or yellow written from the event loop, on an async psycopg connection.
Kept because with every socket tap in the database thread, `make bench-load` at 800/s
and 1k sockets had 3,106 of 6,400 changes more than 2 s late, lost by its count, where
the target is none (docs/benchmarks.md).

Each worker ran every tap in its one database thread, and the two threads passed the GIL
back and forth at every round trip (about 45 futex calls per change); written from the
loop, a tap needs no hop into that thread and back (docs/benchmarks.md). The statement
and its semantics are signal_set's (signals.services); PostgreSQL only. What needs the
ORM in the same transaction stays in the thread: a red (it may raise a gentle flag) and
a retried op_id.

Each loop has one connection, in autocommit: a tap is one statement and its own
transaction, and the loop's taps take turns on the connection.
"""

import asyncio

import psycopg
from django.db import connection
from django.utils import timezone

from couples.bell import bell_ring_in_loop
from couples.connections import connection_ended
from couples.loops import loop_local
from couples.models import Event
from couples.services import event_messages, op_id_clean
from signals import services
from signals.models import State


class InThread(Exception):
    """This tap takes the database thread's path (services.signal_set)."""


class _Line:
    """A loop's connection, and the turn to use it."""

    def __init__(self):
        self.conn: psycopg.AsyncConnection | None = None
        self.turn = asyncio.Lock()


def signal_set_in_loop_possible(state) -> bool:
    return connection.vendor == "postgresql" and state in (State.GREEN, State.YELLOW)


async def signal_set_in_loop(*, user, state: str, note: str, op_id: str | None):
    """signal_set for a green or yellow light, from a coroutine. Raises InThread when the
    database thread must do it (a retried op_id); validation and NotPaired as signal_set."""
    note = services.signal_validate(state=state, note=note)
    op_id_clean(op_id)
    tap = {"user": user, "state": state, "note": note, "op_id": op_id, "now": timezone.now()}
    # The write is a task of its own: a socket that closes meanwhile cancels only its
    # wait, and the event, once written, is rung all the same.
    written = asyncio.ensure_future(_write(_line(), tap))
    written.add_done_callback(_observed)
    outcome = await asyncio.shield(written)
    if not isinstance(outcome, Event):
        raise InThread()  # a retried op_id: the thread answers with the earlier event
    return outcome


def _observed(written: asyncio.Future) -> None:
    # When the socket went away meanwhile nobody awaits the outcome: it ends here.
    if not written.cancelled():
        written.exception()


async def _write(line: _Line, tap: dict):
    """The tap's Event, or the id of the earlier event of its op_id (a retry, nothing
    written); rung once written."""
    async with line.turn:
        with connection.wrap_database_errors:  # psycopg's errors as Django's
            # A connection an error broke is replaced at the next tap (_connected).
            conn = await _connected(line)
            cursor = await conn.execute(*services.light_set_statement(**tap), prepare=True)
            outcome = services.light_set_outcome(await cursor.fetchone(), **tap)
    if isinstance(outcome, Event):
        bell_ring_in_loop(*event_messages(outcome))
    return outcome


async def _connected(line: _Line) -> psycopg.AsyncConnection:
    conn = line.conn
    # Found before a tap, a connection the server ended while idle (a restart) is
    # replaced, so the tap goes through. Found by the tap itself, whether its statement
    # ran could not be told, so it fails (unavailable) and the phone tries again with its
    # op_id.
    if conn is not None and not connection_ended(conn):
        return conn
    if conn is not None:
        await conn.close()
    line.conn = await _connect()
    return line.conn


def _line() -> _Line:
    return loop_local("inloop.line", _Line)


async def _connect() -> psycopg.AsyncConnection:
    """Django's connection parameters (its adapters, random_page_cost, the test database's
    name under tests), without its sync cursor class."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    # Autocommit: a tap is one statement, its own transaction.
    return await psycopg.AsyncConnection.connect(**params, autocommit=True)
