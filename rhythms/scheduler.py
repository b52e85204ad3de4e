"""The background loops, in the healthchecks `sendalerts` style: each step claims due
rows (a conditional UPDATE, or for reminders a batch locked with SKIP LOCKED) and acts;
a loop sleeps when idle.

`settings.PORCHLIGHT["LOOPS"]` names the loops and their steps (rhythms: reminders,
nudges and push dispatch; push: sending), each loop in a thread of its own. They run as
`manage.py run_rhythms` (any number of processes) or, in the embedded mode, inside the
serving process (config/asgi.py's lifespan)."""

import logging
import threading

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import import_string

from rhythms.services import preview_nudge_next, reminders_fire_due

log = logging.getLogger(__name__)


def step(now=None) -> bool:
    """Handle a batch of due reminders and one due nudge. True if anything was due."""
    now = now or timezone.now()
    fired = reminders_fire_due(now)
    nudged = preview_nudge_next(now)
    return fired or nudged


def loops() -> dict[str, list]:
    """The configured loops, by name, each a list of step functions taking `now`."""
    return {
        name: [import_string(path) for path in paths] for name, paths in settings.PORCHLIGHT["LOOPS"].items()
    }


def run(stop: threading.Event, idle_seconds: float, exit_when_idle: bool = False, steps=(step,)) -> int:
    """Loop until `stop` is set; it is checked between rows, so a stop never cuts a
    claim in half. Returns how many busy rounds it made."""
    rounds = 0
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                now = timezone.now()
                busy = any([s(now) for s in steps])  # a list: every step gets its turn
            except DatabaseError:
                log.warning("scheduler: database unavailable, waiting")
                connection.close()
                busy = False
            rounds += busy
            if not busy:
                if exit_when_idle:
                    return rounds
                stop.wait(idle_seconds)
        return rounds
    finally:
        connection.close()
