"""The PostgreSQL backend's health check: at most one ping a second per connection."""

import psycopg
import pytest
from django.db import OperationalError, close_old_connections, connection

from config.postgresql import base

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


def _dsn() -> str:
    s = connection.settings_dict
    return f"host={s['HOST']} port={s['PORT'] or 5432} user={s['USER']} dbname={s['NAME']}"
