"""Django's PostgreSQL backend, with its connection health check at most once a second,
and prepared statements allowed where a cursor asks for them.

With CONN_HEALTH_CHECKS, Django pings a persistent connection (`SELECT 1`) before the
first query after every `close_old_connections()`, and Channels calls that around every
`database_sync_to_async` call: a round trip more on every tap and heartbeat (5 % of a
worker's samples at 300 changes/s, docs/benchmarks.md). A connection that passed the
check within the last second is taken as good. One that breaks in that second fails its
next call (a 503, or an error frame); Django then finds it unusable and replaces it, as
it does after any error.
"""

import time

from django.core import checks
from django.db.backends.base.validation import BaseDatabaseValidation
from django.db.backends.postgresql import base

HEALTH_CHECK_SECONDS = 1.0
RANDOM_PAGE_COST = 1.1


class DatabaseValidation(BaseDatabaseValidation):
    def check(self, **kwargs):
        """`manage.py check --database default`: warn when autovacuum is off. A prepared
        statement keeps the plan it made until its table is analyzed again; with autovacuum
        off, plans made on small tables went on scanning them as they grew
        (docs/benchmarks.md, "Plans made on empty tables")."""
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
    checked_at = float("-inf")
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

    def close_if_health_check_failed(self):
        if self.connection is not None and time.monotonic() - self.checked_at < HEALTH_CHECK_SECONDS:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
        if self.connection is not None:
            self.checked_at = time.monotonic()

    def connect(self):
        super().connect()
        self.checked_at = time.monotonic()  # a new connection is known good
