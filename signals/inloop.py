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

Each loop has one connection and one writer task on it. Taps that come while a batch is
in flight wait, and go together in the next: one pipeline, one round trip, one commit
(alone, each tap was its own round trip and its own commit, and the taps queued behind a
stall were written one by one). A batch is one implicit transaction, so a tap that fails
fails them all, none written; each is then written again alone, and only that one fails.
"""

import asyncio

import psycopg
from django.db import connection
from django.utils import timezone

from couples.bell import bell_ring_in_loop
from couples.connections import connection_ended
from couples.loops import loop_local
from couples.models import Event
from couples.services import NotPaired, event_messages, op_id_clean
from signals import services
from signals.models import State

BATCH_MAX = 64


class InThread(Exception):
    """This tap takes the database thread's path (services.signal_set)."""


class _Line:
    """A loop's connection, and the taps waiting for it."""

    def __init__(self):
        self.conn: psycopg.AsyncConnection | None = None
        self.waiting: list[tuple[int, dict, asyncio.Future]] = []
        self.writer: asyncio.Task | None = None


def signal_set_in_loop_possible(state) -> bool:
    return connection.vendor == "postgresql" and state in (State.GREEN, State.YELLOW)


async def signal_set_in_loop(*, user, state: str, note: str, op_id: str | None, couple_id: int = 0):
    """signal_set for a green or yellow light, from a coroutine. Raises InThread when the
    database thread must do it (a retried op_id); validation and NotPaired as signal_set.
    `couple_id`, the couple the caller believes the person is in, orders a batch."""
    note = services.signal_validate(state=state, note=note)
    op_id_clean(op_id)
    loop = asyncio.get_running_loop()
    line = _line()
    tap = {"user": user, "state": state, "note": note, "op_id": op_id, "now": timezone.now()}
    # The writer task owns the tap: a socket that closes meanwhile cancels only its wait,
    # and the event, once written, is rung all the same.
    written = loop.create_future()
    written.add_done_callback(_observed)
    line.waiting.append((couple_id, tap, written))
    if line.writer is None or line.writer.done():
        line.writer = loop.create_task(_write_waiting(line))
    outcome = await written
    if not isinstance(outcome, Event):
        raise InThread()  # a retried op_id: the thread answers with the earlier event
    return outcome


def _observed(written: asyncio.Future) -> None:
    # When the socket went away meanwhile nobody awaits the outcome: it ends here.
    if not written.cancelled():
        written.exception()


async def _write_waiting(line: _Line) -> None:
    while line.waiting:
        batch, line.waiting = line.waiting[:BATCH_MAX], line.waiting[BATCH_MAX:]
        # Every batch takes its couples' locks in one order, so that two workers' batches
        # cannot deadlock (a single tap's transaction holds one couple's lock at a time).
        batch.sort(key=lambda waiting: waiting[0])
        taps = [tap for _, tap, _ in batch]
        try:
            with connection.wrap_database_errors:  # psycopg's errors as Django's
                # A connection an error broke is replaced by the next batch's _connected.
                outcomes = await _taps(await _connected(line), taps)
        except Exception as error:
            outcomes = [error] * len(batch)
        for (_, _, written), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Event):
                bell_ring_in_loop(*event_messages(outcome))
            if written.done():
                continue
            if isinstance(outcome, Exception):
                written.set_exception(outcome)
            else:
                written.set_result(outcome)


async def _connected(line: _Line) -> psycopg.AsyncConnection:
    conn = line.conn
    # Found before a batch, a connection the server ended while idle (a restart) is
    # replaced, so the batch goes through. Found by the batch itself, whether its
    # statements ran could not be told, so each of its taps fails (unavailable) and the
    # phones try again with their op_ids.
    if conn is not None and not connection_ended(conn):
        return conn
    if conn is not None:
        await conn.close()
    line.conn = await _connect()
    return line.conn


async def _taps(conn: psycopg.AsyncConnection, taps: list[dict]) -> list:
    """Each tap's outcome: its Event, the id of the earlier event of its op_id (a retry,
    nothing written), or its exception. A tap is one statement, porchlight_light_set
    (signals.services.light_set_statement), in autocommit; a batch's statements go in one
    pipeline, one implicit transaction until its Sync."""
    if len(taps) > 1:
        try:
            async with conn.pipeline():
                cursors = [
                    await conn.execute(*services.light_set_statement(**tap), prepare=True) for tap in taps
                ]
            return [_outcome(await cursor.fetchone(), tap) for cursor, tap in zip(cursors, taps, strict=True)]
        except psycopg.Error:
            if conn.broken:
                raise  # whether the batch committed cannot be told: every tap fails
    return [await _tap_alone(conn, tap) for tap in taps]


async def _tap_alone(conn: psycopg.AsyncConnection, tap: dict):
    try:
        with connection.wrap_database_errors:
            cursor = await conn.execute(*services.light_set_statement(**tap), prepare=True)
            return _outcome(await cursor.fetchone(), tap)
    except Exception as error:
        return error


def _outcome(row, tap: dict):
    try:
        return services.light_set_outcome(row, **tap)
    except NotPaired as error:
        return error


def _line() -> _Line:
    return loop_local("inloop.line", _Line)


async def _connect() -> psycopg.AsyncConnection:
    """Django's connection parameters (its adapters, random_page_cost, the test database's
    name under tests), without its sync cursor class."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    # Autocommit: a tap is one statement, or a batch one pipeline, its own transaction (_taps).
    return await psycopg.AsyncConnection.connect(**params, autocommit=True)
