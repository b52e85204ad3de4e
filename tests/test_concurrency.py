"""Concurrent writers on PostgreSQL: the row lock keeps seq gap-free and op_ids single."""

import threading

import pytest
from django.db import connection

from couples.models import Event
from signals.models import Signal
from signals.services import signal_set

pytestmark = [pytest.mark.scaled, pytest.mark.django_db(transaction=True)]


def run_together(workers):
    """Start every worker at the same moment; each closes its own connection."""
    barrier = threading.Barrier(len(workers))
    errors = []

    def run(work):
        try:
            barrier.wait()
            work()
        except Exception as e:  # surfaced below, with the test's assertion
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors


def test_it_keeps_seq_gap_free_when_both_partners_write_at_once(couple, alice, bob):
    per_thread = 15

    def writer(user, state):
        return lambda: [signal_set(user=user, state=state) for _ in range(per_thread)]

    run_together([writer(alice, "red"), writer(bob, "green"), writer(alice, "yellow"), writer(bob, "red")])
    couple.refresh_from_db()
    seqs = list(Event.objects.filter(couple=couple).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, couple.seq + 1))  # the writes (and any flags they raised), no gap
    assert Event.objects.filter(couple=couple, kind="signal.changed").count() == 4 * per_thread
    last_by_alice = Event.objects.filter(couple=couple, actor=alice).order_by("-seq").first()
    assert Signal.objects.get(user=alice).state == last_by_alice.data["state"]


def test_it_applies_one_op_id_once_under_racing_retries(couple, alice):
    results = []
    run_together([lambda: results.append(signal_set(user=alice, state="red", op_id="tap-9"))] * 6)
    assert len({event.seq for event, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Event.objects.filter(op_id="tap-9").count() == 1
