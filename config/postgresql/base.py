"""Django's PostgreSQL backend, with a health check that makes no round trip, and
prepared statements allowed where a cursor asks for them.
Kept because with the stock backend the REST p50 missed its target in `make
bench-load` (6.38 ms against the peer's 5.00; docs/benchmarks.md).

With CONN_HEALTH_CHECKS, Django pings a persistent connection (`SELECT 1`) before the
first query after every `close_old_connections()`: at the start of every REST request,
and Channels calls it around every `database_sync_to_async` call. That was a round trip
more on every request, tap and heartbeat (5 % of a worker's samples at 300 changes/s;
on an idle machine, waking PostgreSQL for it cost 0.4 ms; docs/benchmarks.md). Here the
check looks at the socket instead (`connection_ended`).
"""

from django.core import checks
from django.db.backends.base.validation import BaseDatabaseValidation
from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

from couples.connections import connection_ended

RANDOM_PAGE_COST = 1.1


class DatabaseValidation(BaseDatabaseValidation):
    def check(self, **kwargs):
        """`manage.py check --database default`: warn when autovacuum is off. A prepared
        statement keeps the plan it made until its table is analyzed again; with autovacuum
        off, plans made on small tables went on scanning them as they grew
        (docs/benchmarks.md: "ANALYZE when autovacuum is off")."""
        issues = super().check(**kwargs)
        with self.connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            if cursor.fetchone()[0] != "on":
                issues.append(
                    checks.Warning(
                        "PostgreSQL runs with autovacuum off.",
                        hint="Turn it on (docs/deploy.md): signal_set's prepared plans follow "
                        "the statistics that autovacuum's ANALYZE keeps up to date.",
                        id="porchlight.W001",
                    )
                )
        return issues


class DatabaseWrapper(base.DatabaseWrapper):
    validation_class = DatabaseValidation

    def get_connection_params(self):
        params = super().get_connection_params()
        # Django turns preparing off (None) for every cursor. Its own cursors bind on the
        # client and never prepare anyway; this lets signal_set's server-binding cursor
        # prepare its statements (signals.services._cursor).
        if "prepare_threshold" not in self.settings_dict["OPTIONS"]:
            params["prepare_threshold"] = 5
        # Random reads cost about what sequential ones do on SSDs and a cached working
        # set; at PostgreSQL's default (4) the prepared plans of signal_set scanned the
        # whole signals table for one partner's row (docs/benchmarks.md).
        if "options" not in self.settings_dict["OPTIONS"]:
            params["options"] = f"-c random_page_cost={RANDOM_PAGE_COST}"
        return params

    def is_usable(self):
        if self.connection is None:
            return False
        failed = self.connection.info.transaction_status == TransactionStatus.INERROR  # a ping fails there
        return not failed and not connection_ended(self.connection)
