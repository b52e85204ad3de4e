"""The scheduler loop, in the healthchecks `sendalerts` style: find the earliest due
row, claim it with a conditional UPDATE, write its event; sleep when idle.

Runs as `manage.py run_rhythms` (any number of processes) or, in the embedded mode,
in a thread of the serving process (config/asgi.py's lifespan)."""

import logging
import threading

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from rhythms.services import preview_nudge_next, reminder_fire_next

log = logging.getLogger(__name__)


def step(now=None) -> bool:
    """Handle at most one due reminder and one due nudge. True if anything was due."""
    now = now or timezone.now()
    fired = reminder_fire_next(now)
    nudged = preview_nudge_next(now)
    return fired or nudged


def run(stop: threading.Event, idle_seconds: float, exit_when_idle: bool = False) -> int:
    """Loop until `stop` is set; it is checked between rows, so a stop never cuts a
    claim in half. Returns how many busy steps it made."""
    steps = 0
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                busy = step()
            except DatabaseError:
                log.warning("scheduler: database unavailable, waiting")
                connection.close()
                busy = False
            steps += busy
            if not busy:
                if exit_when_idle:
                    return steps
                stop.wait(idle_seconds)
        return steps
    finally:
        connection.close()
