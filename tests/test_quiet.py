"""Quiet hours: each person's own, wall-clock in their time zone across DST changes; a
partner's red comes through, the rest waits or is dropped (signals.push.send_at)."""

from datetime import UTC, datetime, time

import pytest
import time_machine

from couples.services import quiet_end
from rhythms.scheduler import step as rhythms_step
from rhythms.services import block_create
from signals.models import PushJob
from signals.services import signal_answer, signal_set
from tests.conftest import client_for
from tests.test_push import deliver, subscribe

pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def quiet(user, start="23:00", end="07:00", zone="Europe/Berlin"):
    user.quiet_from, user.quiet_until, user.timezone = (
        time.fromisoformat(start),
        time.fromisoformat(end),
        zone,
    )
    user.save()


@pytest.mark.parametrize(
    "now,end",
    [
        (utc(2026, 3, 28, 21, 59), None),  # 22:59 CET: not yet
        (utc(2026, 3, 28, 22, 0), utc(2026, 3, 29, 5, 0)),  # 23:00 CET, ends 07:00 CEST after the jump
        (utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 5, 0)),  # 03:30 CEST
        (utc(2026, 3, 29, 5, 0), None),  # 07:00 CEST: over
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 6, 0)),  # 02:30 CEST, the night the clocks go back
        (utc(2026, 10, 25, 5, 30), utc(2026, 10, 25, 6, 0)),  # 06:30 CET
        (utc(2026, 10, 25, 6, 0), None),  # 07:00 CET
    ],
)
def test_it_keeps_quiet_hours_on_the_wall_clock_across_dst(alice, now, end):
    quiet(alice)
    assert quiet_end(user=alice, now=now) == end


def test_it_keeps_daytime_quiet_hours_too(alice):
    quiet(alice, "13:00", "14:30", "Asia/Shanghai")
    assert quiet_end(user=alice, now=utc(2026, 12, 7, 5, 10)) == utc(2026, 12, 7, 6, 30)
    assert quiet_end(user=alice, now=utc(2026, 12, 7, 6, 30)) is None


def test_it_sets_quiet_hours_in_pairs_and_shows_the_partner_only_that_they_are_on(couple, alice, bob):
    client = client_for(bob)
    r = client.patch("/api/me/", {"quiet_from": "23:00"}, format="json")
    assert r.status_code == 400 and "quiet_until" in r.json()["errors"]
    r = client.patch("/api/me/", {"quiet_from": "23:00", "quiet_until": "07:00"}, format="json")
    assert r.status_code == 200 and (r.json()["quiet_from"], r.json()["quiet_until"]) == ("23:00", "07:00")
    his = next(p for p in client_for(alice).get("/api/couple/").json()["partners"] if p["id"] == bob.pk)
    assert "23:00" not in str(his) and "quiet_from" not in his
    assert isinstance(his["quiet_now"], bool)
    assert (
        client.patch("/api/me/", {"quiet_from": None, "quiet_until": None}, format="json").status_code == 200
    )


def test_it_lets_a_red_through_quiet_hours_and_holds_the_rest(couple, alice, bob, service):
    subscribe(bob, service)
    quiet(bob)
    night = utc(2026, 3, 29, 1, 30)
    with time_machine.travel(night, tick=False):
        signal_set(user=alice, state="yellow")
        deliver(night)
        assert service.received == []
        [waiting] = PushJob.objects.all()
        assert waiting.next_try_at == utc(2026, 3, 29, 5, 0)  # the end of his quiet hours
        signal_set(user=alice, state="red")
        deliver(night)
        assert [m["payload"]["state"] for m in service.received] == ["red"]  # it replaced the yellow
        assert not PushJob.objects.exists()
        signal_set(user=alice, state="green")
        deliver(night)
        assert [m["payload"]["state"] for m in service.received] == ["red", "green"]  # no red left standing


def test_it_drops_reminders_and_holds_answers_in_quiet_hours(couple, alice, bob, service):
    subscribe(alice, service)
    quiet(alice)
    start = utc(2026, 3, 28, 21, 0)
    with time_machine.travel(start, tick=False):
        fields = {
            "kind": "connection",
            "name": "Late",
            "days": list(range(7)),
            "start": "23:30",
            "minutes": 30,
        }
        block, _ = block_create(user=alice, fields=fields)
    fire_at = block.reminders.get(kind="start").next_fire_at
    with time_machine.travel(fire_at, tick=False):
        rhythms_step(fire_at)
        signal_set(user=alice, state="red")
        signal_answer(user=bob, reply="coming")
        deliver(fire_at)
    assert service.received == []
    assert [j.payload["kind"] for j in PushJob.objects.all()] == ["answer"]  # the reminder is dropped
    assert PushJob.objects.get().next_try_at == utc(2026, 3, 29, 5, 0)  # his answer waits for her morning
