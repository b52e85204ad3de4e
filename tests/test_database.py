"""The PostgreSQL backend: its health check (at most one ping a second per connection),
and the statements it prepares."""

import psycopg
import pytest
from django.db import OperationalError, close_old_connections, connection

from config.postgresql import base
from couples.models import User
from signals.services import signal_set
from tests.conftest import make_user, pair

pytestmark = [pytest.mark.scaled, pytest.mark.django_db(transaction=True)]


def test_it_pings_a_busy_connection_at_most_once_a_second(monkeypatch):
    clock = {"now": 1000.0}
    monkeypatch.setattr(base.time, "monotonic", lambda: clock["now"])
    pings = []
    real = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: pings.append(clock["now"]) or real())

    def call():  # what each database_sync_to_async call does around its work
        close_old_connections()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    call()
    pings.clear()
    connection.checked_at = float("-inf")  # as if long idle
    for _ in range(20):
        call()
        clock["now"] += 0.01
    assert len(pings) == 1
    clock["now"] += 1
    call()
    assert len(pings) == 2


def test_it_replaces_a_connection_that_broke_after_its_failed_call():
    close_old_connections()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        first = cursor.fetchone()[0]
    # End our connection from another one, as a server restart would.
    with psycopg.connect(_dsn(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [first])
    close_old_connections()  # within the second: no ping, so the next call finds out
    with pytest.raises(OperationalError):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    close_old_connections()  # Django sees the error and drops the connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != first


def test_it_prepares_the_light_statements_once_and_nothing_of_the_orm():
    alice, bob = make_user("alice"), make_user("bob")
    pair(alice, bob)
    for state in ("green", "red", "yellow"):
        signal_set(user=alice, state=state)
    for _ in range(10):
        list(User.objects.filter(username="bob"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    # The lock, the read, the light's first insert and its updates, the span's two
    # writes, the seq and the event: once each, whatever the number of taps.
    assert len(prepared) == 8
    assert sum("INSERT INTO couples_event" in s for s in prepared) == 1
    assert not any("couples_user" in s for s in prepared)


def _dsn() -> str:
    s = connection.settings_dict
    return f"host={s['HOST']} port={s['PORT'] or 5432} user={s['USER']} dbname={s['NAME']}"
