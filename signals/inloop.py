"""A tap of green or yellow written from the event loop, on an async psycopg connection.

Each worker ran every tap in its one database thread, and the two threads passed the GIL
back and forth at every round trip (about 45 futex calls per change); written from the
loop, a tap needs no hop into that thread and back (docs/benchmarks.md). The statements
and their semantics are signal_set's (signals.services); PostgreSQL only. What needs the
ORM in the same transaction stays in the thread: a red (it may raise a gentle flag) and
a retried op_id. Each loop has one connection, and one tap at a time on it, as the
database thread had.
"""

import asyncio

import psycopg
from django.db import connection
from django.utils import timezone

from couples.bell import bell_ring_in_loop
from couples.services import NotPaired, event_messages, op_id_clean
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
    # Shielded: a socket that closes meanwhile must not cut a transaction in half.
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
            try:
                try:
                    event = await _transaction(await _connected(holder), user, state, note, op_id)
                except _Stale:
                    # The connection had died while idle (PostgreSQL restarted, say): nothing
                    # was read or written, so once more on a new one, as Django's health check would.
                    holder[0] = None
                    event = await _transaction(await _connected(holder), user, state, note, op_id)
            except _Stale as stale:
                holder[0] = None
                raise stale.__cause__ from None
            except psycopg.Error:
                if holder[0] is not None and (holder[0].broken or holder[0].closed):
                    holder[0] = None
                raise
    bell_ring_in_loop(*event_messages(event))
    return event


async def _connected(holder: list) -> psycopg.AsyncConnection:
    if holder[0] is None or holder[0].broken or holder[0].closed:
        holder[0] = await _connect()
    return holder[0]


class _Stale(Exception):
    pass


async def _transaction(conn: psycopg.AsyncConnection, user, state, note, op_id):
    """Two round trips and one transaction with neither BEGIN nor COMMIT: in pipeline
    mode what runs between two Syncs is one implicit transaction, and the pipeline sends
    its one Sync as it ends. Trip one: the lock, then the read (fetched with a flush, no
    Sync); trip two: the writes and the Sync, which commits them, or rolls all back on
    an error. A tap that stops after the read (an outsider's, a retry) commits having
    only read, letting go of the lock. psycopg's transaction() would take four trips."""
    read = False
    try:
        async with conn.pipeline():
            # Lock, then read (its own statement: see signal_set).
            locking = await conn.execute(services.COUPLE_LOCK + " FOR UPDATE OF c", [user.pk], prepare=True)
            reading = await conn.execute(
                services.SIGNAL_READ, [user.pk, user.pk, user.pk, op_id], prepare=True
            )
            locked, (previous, earlier) = await locking.fetchone(), await reading.fetchone()  # trip one
            read = True
            written = await _transaction_writes(conn, user, state, note, op_id, locked, previous, earlier)
        # Trip two, as the pipeline ends.
        return await written()
    except psycopg.OperationalError as e:
        if not read:
            raise _Stale() from e
        raise


async def _transaction_writes(conn, user, state, note, op_id, locked, previous, earlier):
    """Queue every write, in one statement; returns what makes the event once it ran."""
    if locked is None:
        raise NotPaired()
    if earlier is not None:
        raise InThread()  # a retry: only read so far, and the pipeline's Sync ends that
    couple_id, seq, push_seq = locked
    now = timezone.now()
    data = services.light_data(user=user, state=state, note=note, previous=previous, now=now)
    seq, push_seq = seq + 1, services.push_seq_after(seq, push_seq, data)
    writes = await conn.execute(
        *services.light_writes(couple_id, user, seq, push_seq, data, op_id, at=now), prepare=True
    )

    async def written():
        event_id = (await writes.fetchone())[0]
        return services.light_event(event_id, couple_id, user, seq, data, op_id, now=now)

    return written


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
    # Autocommit: a tap's transaction is its pipeline's, ended by the Sync (_transaction).
    return await psycopg.AsyncConnection.connect(**params, autocommit=True)
