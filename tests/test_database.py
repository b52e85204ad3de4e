"""PostgreSQL connections: a persistent connection the server ended (a restart) is
replaced before a request uses it (Django's CONN_HEALTH_CHECKS)."""

import time

import psycopg
import pytest
from django.db import close_old_connections, connection

pytestmark = [pytest.mark.scaled, pytest.mark.django_db(transaction=True)]


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


def _dsn() -> str:
    s = connection.settings_dict
    return f"host={s['HOST']} port={s['PORT'] or 5432} user={s['USER']} dbname={s['NAME']}"
