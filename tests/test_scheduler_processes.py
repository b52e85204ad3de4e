"""Several scheduler processes against one PostgreSQL: every reminder fires exactly once."""

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest

from couples.models import Event
from rhythms.models import Block, Reminder
from rhythms.services import reminders_sync
from tests.conftest import make_user, pair
from tests.servers import ROOT, test_database_url

pytestmark = [pytest.mark.scaled, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def scheduler_process(*args) -> subprocess.Popen:
    # Small batches, so that three processes share 600 due reminders.
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "PORCHLIGHT_SCHEDULER_IDLE_SECONDS": "0.1",
        "PORCHLIGHT_REMINDER_BATCH": "10",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_rhythms", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_it_fires_each_reminder_exactly_once_with_three_schedulers():
    couples, blocks_each = 30, 10
    now = datetime.now(UTC)
    for n in range(couples):
        couple = pair(make_user(f"a{n}"), make_user(f"b{n}"))
        for hour in range(blocks_each):
            block = Block.objects.create(
                couple=couple,
                kind="connection",
                name=f"Block {hour}",
                days=list(range(7)),
                start=time(hour, 0),
                minutes=30,
                remind_before=10,
            )
            reminders_sync(block=block, now=now)
    # All due at once, a few minutes ago (within the late limit): a burst to share out.
    Reminder.objects.update(next_fire_at=now - timedelta(minutes=3))
    due = Reminder.objects.count()
    assert due == couples * blocks_each * 2

    processes = [scheduler_process("--exit-when-idle") for _ in range(3)]
    outputs = [p.communicate(timeout=150)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], outputs

    fired = Counter(
        (e.data["block"]["id"], e.data["reminder"]) for e in Event.objects.filter(kind="reminder.fired")
    )
    assert len(fired) == due, "every reminder fired"
    assert set(fired.values()) == {1}, "none fired twice"
    busy = [int(out.split("after ")[1].split()[0]) for out in outputs]
    assert sum(1 for b in busy if b > 0) >= 2, f"the work was shared: {busy}"
    assert not Reminder.objects.filter(next_fire_at__lte=now).exists(), "each moved to its next time"


def test_it_stops_cleanly_on_sigterm():
    process = scheduler_process()
    assert process.stdout.readline().startswith("run_rhythms: started")
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "stopped" in out
