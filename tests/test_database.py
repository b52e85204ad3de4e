"""The PostgreSQL backend: its health check (no ping: a look at the socket),
the statements it prepares, and the plans they get."""

import os
import resource
import time

import psycopg
import pytest
from channels.db import database_sync_to_async
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from config.postgresql import base
from couples.models import Event, User
from couples.services import NotPaired
from signals import inloop
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
        second = await inloop.signal_set_in_loop(user=alice, state="yellow", note="", op_id="o2")
        assert await lock_free()
    finally:  # a transaction left open would hold up the test database's teardown
        await inloop._connection_slot()[1][0].close()
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
        assert inloop._connection_slot()[1][0].fileno() > 1024
        second = await inloop.signal_set_in_loop(user=alice, state="yellow", note="", op_id=None)
        assert second.seq == first.seq + 1
    finally:
        for fd in spare:
            os.close(fd)
        await inloop._connection_slot()[1][0].close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
