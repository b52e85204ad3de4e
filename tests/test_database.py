"""The PostgreSQL backend: its health check (no ping: a look at the socket),
the statements it prepares, and the plans they get."""

import asyncio
import os
import resource
import time

import psycopg
import pytest
from channels.db import database_sync_to_async
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from config.postgresql import base
from couples.bell import bell_listen, bell_unlisten
from couples.models import Event, User
from couples.services import NotPaired
from signals import inloop, services
from signals.push import push_dispatch_next
from signals.services import signal_set
from tests.conftest import make_user, pair

pytestmark = [pytest.mark.scaled, pytest.mark.django_db(transaction=True)]


def test_it_checks_a_connection_without_a_round_trip():
    close_old_connections()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    sent = []
    real = connection.connection.cursor
    connection.connection.cursor = lambda *a, **kw: sent.append(a) or real(*a, **kw)
    try:
        # Before the first query of every request and database_sync_to_async call.
        checks = [connection.is_usable() for _ in range(5)]
    finally:
        connection.connection.cursor = real
    assert checks == [True] * 5
    assert sent == []  # Django's own check opens a cursor for its SELECT 1 each time


def test_it_replaces_a_connection_the_server_ended_before_using_it():
    close_old_connections()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        first = cursor.fetchone()[0]
    # End our connection from another one, as a server restart would, and wait for it.
    with psycopg.connect(_dsn(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [first])
        while other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [first]).fetchone():
            time.sleep(0.01)
    close_old_connections()
    with connection.cursor() as cursor:  # no error: the check found it ended
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != first


def test_it_prepares_the_light_statement_once_and_nothing_of_the_orm():
    alice, bob = make_user("alice"), make_user("bob")
    pair(alice, bob)
    for state in ("green", "red", "yellow"):
        signal_set(user=alice, state=state)
    for _ in range(10):
        list(User.objects.filter(username="bob"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    # A tap is one statement (porchlight_light_set), whatever the light and the number of taps.
    assert len(prepared) == 1
    assert "porchlight_light_set" in prepared[0]


def test_it_finds_one_partners_rows_by_index_not_by_reading_every_table():
    """porchlight_light_set's statements run on generic plans once cached. At PostgreSQL's
    default random_page_cost (4) such a plan read the whole signals table, every tap."""
    for i in range(120):
        one, two = make_user(f"a{i}"), make_user(f"b{i}")
        pair(one, two)
        signal_set(user=one, state="green")
        signal_set(user=two, state="yellow")
    tables = ("couples_couple", "couples_membership", "couples_event", "signals_signal", "signals_signalspan")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        with transaction.atomic():  # this transaction's own counts, before any are reported
            scans = "SELECT relname, seq_scan FROM pg_stat_xact_user_tables WHERE relname = ANY(%s)"
            cursor.execute(scans, [list(tables)])
            before = dict(cursor.fetchall())
            for i in range(10):
                signal_set(user=User.objects.get(username=f"a{i}"), state="yellow", op_id=f"o{i}")
            cursor.execute(scans, [list(tables)])
            after = dict(cursor.fetchall())
        cursor.execute("RESET plan_cache_mode")
    assert after == before, "a table was read whole"


def test_it_leaves_the_planner_alone_when_the_url_has_options():
    wrapper = base.DatabaseWrapper({**connection.settings_dict, "OPTIONS": {"options": "-c work_mem=8MB"}})
    assert wrapper.get_connection_params()["options"] == "-c work_mem=8MB"
    assert connection.get_connection_params()["options"] == "-c random_page_cost=1.1"


def _dsn() -> str:
    s = connection.settings_dict
    return f"host={s['HOST']} port={s['PORT'] or 5432} user={s['USER']} dbname={s['NAME']}"


def test_it_warns_when_postgresql_runs_without_autovacuum():
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
    warned = [issue for issue in connection.validation.check() if issue.id == "porchlight.W001"]
    assert bool(warned) == (autovacuum == "off")


async def test_it_lets_go_of_the_couple_after_a_loop_tap_that_writes_nothing():
    """A tap from the event loop is one statement in autocommit (signals.inloop): one that
    only reads, an outsider's or a retry, must still end its transaction, or the couple's
    lock stays taken and every other writer of the couple waits."""

    def people():
        alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
        couple = pair(alice, bob)
        push_dispatch_next(timezone.now())  # the pairing's own event
        return alice, carol, couple

    alice, carol, couple = await database_sync_to_async(people)()
    other = await inloop._connect()  # the same parameters, autocommit
    await other.execute("SET lock_timeout = '500ms'")

    async def lock_free():
        await other.execute("SELECT id FROM couples_couple WHERE id = %s FOR UPDATE", [couple.pk])
        return True

    try:
        with pytest.raises(NotPaired):
            await inloop.signal_set_in_loop(user=carol, state="green", note="", op_id=None)
        first = await inloop.signal_set_in_loop(user=alice, state="green", note="", op_id="o1")
        with pytest.raises(inloop.InThread):  # a retry: it had locked the couple
            await inloop.signal_set_in_loop(user=alice, state="green", note="", op_id="o1")
        assert await lock_free()
        # A note to the green: nothing a notification would say (signals.services.light_pushes).
        second = await inloop.signal_set_in_loop(user=alice, state="green", note="fine", op_id="o2")
        assert await lock_free()
    finally:  # a transaction left open would hold up the test database's teardown
        await inloop._line().conn.close()
        await other.close()

    def changes():
        return list(Event.objects.filter(kind="signal.changed").order_by("seq").values_list("seq", "op_id"))

    assert await database_sync_to_async(changes)() == [(first.seq, "o1"), (second.seq, "o2")]
    assert second.seq == first.seq + 1
    await database_sync_to_async(couple.refresh_from_db)()
    assert couple.push_seq == couple.seq  # nothing for the push dispatcher to visit


async def test_it_writes_from_the_loop_on_a_connection_past_selects_limit():
    """A worker with a thousand sockets open gets descriptors past 1024, where select()
    refuses: before a tap the loop looks at its connection with poll."""

    def person():
        alice, bob = make_user("alice"), make_user("bob")
        pair(alice, bob)
        return alice

    alice = await database_sync_to_async(person)()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    spare = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        first = await inloop.signal_set_in_loop(user=alice, state="green", note="", op_id=None)
        assert inloop._line().conn.fileno() > 1024
        second = await inloop.signal_set_in_loop(user=alice, state="yellow", note="", op_id=None)
        assert second.seq == first.seq + 1
    finally:
        for fd in spare:
            os.close(fd)
        await inloop._line().conn.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _three_couples() -> list:
    people = []
    for name in ("a", "b", "c"):
        one, two = make_user(f"{name}1"), make_user(f"{name}2")
        pair(one, two)
        people.append(one)
    return people


def _changes() -> list[tuple[str, int, int]]:
    """(note, seq, the transaction that wrote it) of every light change."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data->>'note', seq, xmin::text::bigint FROM couples_event"
            " WHERE kind = 'signal.changed' ORDER BY id"
        )
        return cursor.fetchall()


async def test_it_writes_taps_that_come_together_each_in_its_own_transaction():
    people = await database_sync_to_async(_three_couples)()
    try:
        events = await asyncio.gather(
            *(
                inloop.signal_set_in_loop(user=person, state="green", note=person.username, op_id=None)
                for person in people
            )
        )
    finally:
        await inloop._line().conn.close()
    assert [event.data["note"] for event in events] == ["a1", "b1", "c1"]
    changes = await database_sync_to_async(_changes)()
    assert [note for note, _, _ in changes] == ["a1", "b1", "c1"]  # in the order they came
    assert len({written_by for _, _, written_by in changes}) == 3
    assert [seq for _, seq, _ in changes] == [event.seq for event in events]


async def test_it_writes_the_others_when_one_tap_fails(monkeypatch):
    people = await database_sync_to_async(_three_couples)()
    real = services.light_set_statement

    def failing_for_b(**tap):
        return ("SELECT 1 / 0", []) if tap["note"] == "b1" else real(**tap)

    monkeypatch.setattr(services, "light_set_statement", failing_for_b)
    try:
        outcomes = await asyncio.gather(
            *(
                inloop.signal_set_in_loop(user=person, state="green", note=person.username, op_id=None)
                for person in people
            ),
            return_exceptions=True,
        )
        # The connection is still good: the next tap goes through on it.
        later = await inloop.signal_set_in_loop(user=people[1], state="yellow", note="later", op_id=None)
    finally:
        await inloop._line().conn.close()
    assert isinstance(outcomes[1], DatabaseError)
    assert [outcomes[0].data["note"], outcomes[2].data["note"]] == ["a1", "c1"]
    changes = await database_sync_to_async(_changes)()
    assert sorted(note for note, _, _ in changes) == ["a1", "c1", "later"]
    assert later.seq == outcomes[0].seq  # b's couple: its first change, no seq taken by the failure


async def test_it_rings_a_tap_written_after_its_socket_went_away(settings):
    settings.REDIS_URL = None  # this process's listeners only
    (alice,) = await database_sync_to_async(lambda: _three_couples()[:1])()
    couple_id = await database_sync_to_async(lambda: alice.active_couple().pk)()
    heard = asyncio.get_running_loop().create_future()

    class Partner:
        async def couple_event(self, message):
            heard.set_result(message["event"])

    partner = Partner()
    await bell_listen(f"couple.{couple_id}", partner)
    try:
        tap = asyncio.ensure_future(
            inloop.signal_set_in_loop(user=alice, state="green", note="still here", op_id=None)
        )
        await asyncio.sleep(0)  # queued for the writer
        tap.cancel()  # the socket closed
        event = await asyncio.wait_for(heard, 5)
    finally:
        bell_unlisten(f"couple.{couple_id}", partner)
        await inloop._line().conn.close()
    assert event["data"]["note"] == "still here"
    assert [note for note, _, _ in await database_sync_to_async(_changes)()] == ["still here"]
