from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from couples.models import Event
from rhythms.models import Block, Reminder, local_to_utc
from rhythms.services import block_create, rhythm_now
from tests.conftest import client_for, make_user, pair

pytestmark = pytest.mark.django_db

DINNER = {"kind": "connection", "name": "Dinner", "days": [0, 1, 2, 3, 4], "start": "19:00", "minutes": 60}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Times across DST, in three timezones


@pytest.mark.parametrize(
    "zone,day,at,expected",
    [
        # Spring forward: 02:30 does not exist; it fires once, when the clocks jump.
        ("America/New_York", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0)),
        ("Europe/Berlin", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),
        ("Australia/Sydney", date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16, 0)),
        # Fall back: the time happens twice; it fires at the first.
        ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        ("Europe/Berlin", date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        ("Australia/Sydney", date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 15, 30)),
        # An ordinary day.
        ("Europe/Berlin", date(2026, 7, 1), time(19, 0), utc(2026, 7, 1, 17, 0)),
    ],
)
def test_it_turns_local_times_into_one_utc_instant_across_dst(zone, day, at, expected):
    assert local_to_utc(day, at, ZoneInfo(zone)) == expected


def test_it_lists_upcoming_occurrences_across_a_dst_change(couple, alice):
    client = client_for(alice)
    client.patch("/api/couple/settings/", {"timezone": "America/New_York"})
    daily = {**DINNER, "days": list(range(7)), "start": "02:30", "minutes": 30, "name": "Night call"}
    assert client.post("/api/rhythm/blocks/", daily).status_code == 201
    r = client.get("/api/rhythm/upcoming/?from=2026-03-07&days=3")
    assert r.status_code == 200
    starts = [o["starts_at"] for o in r.json()]
    assert starts == ["2026-03-07T07:30:00+00:00", "2026-03-08T07:00:00+00:00", "2026-03-09T06:30:00+00:00"]
    assert [o["local_start"] for o in r.json()] == [
        "2026-03-07T02:30",
        "2026-03-08T03:00",
        "2026-03-09T02:30",
    ]


@pytest.mark.parametrize("query", ["?from=2026-13-01", "?from=yesterday", "?days=0", "?days=99", "?days=x"])
def test_it_refuses_a_bad_upcoming_window_with_400(couple, alice, query):
    assert client_for(alice).get("/api/rhythm/upcoming/" + query).status_code == 400


# Blocks over the API


def test_it_creates_a_block_both_partners_see(couple, alice, bob):
    r = client_for(alice).post("/api/rhythm/blocks/", {**DINNER, "remind_before": 15})
    assert r.status_code == 201
    body = r.json()
    assert body["start"] == "19:00" and body["days"] == [0, 1, 2, 3, 4] and body["muted"] is False
    assert [b["name"] for b in client_for(bob).get("/api/rhythm/blocks/").json()] == ["Dinner"]
    event = Event.objects.filter(couple=couple, kind="rhythm.changed").get()
    assert event.actor == alice and event.data["action"] == "created"
    assert event.data["block"]["name"] == "Dinner"


def test_it_lets_either_partner_edit_and_remove_with_an_event_each(couple, alice, bob):
    pk = client_for(alice).post("/api/rhythm/blocks/", DINNER).json()["id"]
    r = client_for(bob).patch(f"/api/rhythm/blocks/{pk}/", {"start": "19:30", "name": "Late dinner"})
    assert r.status_code == 200 and r.json()["start"] == "19:30"
    assert client_for(bob).delete(f"/api/rhythm/blocks/{pk}/").status_code == 204
    actions = [
        (e.actor.username, e.data["action"])
        for e in Event.objects.filter(couple=couple, kind="rhythm.changed").order_by("seq")
    ]
    assert actions == [("alice", "created"), ("bob", "updated"), ("bob", "deleted")]
    assert not Block.objects.exists() and not Reminder.objects.exists()


def test_it_writes_no_event_for_an_edit_that_changes_nothing(couple, alice):
    pk = client_for(alice).post("/api/rhythm/blocks/", DINNER).json()["id"]
    client_for(alice).patch(f"/api/rhythm/blocks/{pk}/", {"name": "Dinner"})
    assert Event.objects.filter(kind="rhythm.changed").count() == 1


@pytest.mark.parametrize(
    "change,field",
    [
        ({"days": []}, "days"),
        ({"days": [7]}, "days"),
        ({"days": "mon"}, "days"),
        ({"start": "25:00"}, "start"),
        ({"start": "7pm"}, "start"),
        ({"minutes": 2}, "minutes"),
        ({"minutes": 24 * 60 + 1}, "minutes"),
        ({"remind_before": 0}, "remind_before"),
        ({"kind": "chores"}, "kind"),
        ({"name": ""}, "name"),
        ({"name": "x" * 61}, "name"),
        ({"name": "tab\there"}, "name"),
    ],
)
def test_it_refuses_a_bad_block_with_400(couple, alice, change, field):
    r = client_for(alice).post("/api/rhythm/blocks/", {**DINNER, **change})
    assert r.status_code == 400
    assert field in r.json()["errors"]


def test_it_refuses_overlapping_blocks_with_409(couple, alice):
    client = client_for(alice)
    client.post("/api/rhythm/blocks/", DINNER)
    overlapping = {**DINNER, "kind": "autonomy", "name": "My hour", "start": "19:45", "days": [2]}
    r = client.post("/api/rhythm/blocks/", overlapping)
    assert r.status_code == 409 and r.json()["code"] == "overlap"
    assert "Dinner" in r.json()["detail"]
    assert client.post("/api/rhythm/blocks/", {**overlapping, "start": "20:00"}).status_code == 201
    # A disabled block does not collide; turning it on checks again.
    off = client.post("/api/rhythm/blocks/", {**overlapping, "start": "19:30", "enabled": False})
    assert off.status_code == 201
    r = client.patch(f"/api/rhythm/blocks/{off.json()['id']}/", {"enabled": True})
    assert r.status_code == 409


def test_it_sees_an_overlap_across_midnight_and_the_week_end(couple, alice):
    client = client_for(alice)
    late = {**DINNER, "name": "Late", "days": [6], "start": "23:00", "minutes": 120}
    assert client.post("/api/rhythm/blocks/", late).status_code == 201
    monday = {**DINNER, "name": "Early", "days": [0], "start": "00:30", "minutes": 30}
    assert client.post("/api/rhythm/blocks/", monday).status_code == 409


def test_it_hides_blocks_from_outsiders(couple, alice, charlie):
    pk = client_for(alice).post("/api/rhythm/blocks/", DINNER).json()["id"]
    dana = make_user("dana")
    pair(charlie, dana)
    outsider = client_for(charlie)
    assert outsider.get(f"/api/rhythm/blocks/{pk}/").status_code == 404
    assert outsider.patch(f"/api/rhythm/blocks/{pk}/", {"name": "Ours"}).status_code == 404
    assert outsider.delete(f"/api/rhythm/blocks/{pk}/").status_code == 404
    assert outsider.put(f"/api/rhythm/blocks/{pk}/mute/", {"muted": True}).status_code == 404
    assert outsider.get("/api/rhythm/blocks/").json() == []
    unpaired = client_for(make_user("erin"))
    assert unpaired.get("/api/rhythm/blocks/").status_code == 404


def test_it_mutes_reminders_for_the_caller_only(couple, alice, bob):
    pk = client_for(alice).post("/api/rhythm/blocks/", DINNER).json()["id"]
    r = client_for(bob).put(f"/api/rhythm/blocks/{pk}/mute/", {"muted": True})
    assert r.status_code == 200
    assert client_for(bob).get(f"/api/rhythm/blocks/{pk}/").json()["muted"] is True
    assert client_for(alice).get(f"/api/rhythm/blocks/{pk}/").json()["muted"] is False
    assert Event.objects.filter(kind="rhythm.changed").count() == 1  # no event: it is private
    client_for(alice).put("/api/rhythm/mute/", {"muted": True})
    assert client_for(alice).get(f"/api/rhythm/blocks/{pk}/").json()["muted"] is True
    client_for(alice).put("/api/rhythm/mute/", {"muted": False})
    assert client_for(alice).get(f"/api/rhythm/blocks/{pk}/").json()["muted"] is False


def test_it_shows_the_block_under_way_in_the_snapshot(couple, alice):
    with time_machine.travel(utc(2026, 7, 1, 16, 0), tick=False):  # Wednesday, 18:00 in Berlin
        block_create(user=alice, fields={**DINNER, "kind": "autonomy", "name": "My hour", "start": "17:30"})
        now = client_for(alice).get("/api/couple/").json()["rhythm_now"]
    assert now["block"]["name"] == "My hour" and now["block"]["kind"] == "autonomy"
    assert now["local_end"] == "2026-07-01T18:30"
    assert rhythm_now(couple=couple, now=utc(2026, 7, 1, 16, 31)) is None


def test_it_schedules_reminders_at_the_start_and_before(couple, alice):
    with time_machine.travel(utc(2026, 7, 1, 12, 0), tick=False):
        block, _ = block_create(user=alice, fields={**DINNER, "remind_before": 10})
    times = dict(Reminder.objects.filter(block=block).values_list("kind", "next_fire_at"))
    assert times == {"start": utc(2026, 7, 1, 17, 0), "before": utc(2026, 7, 1, 16, 50)}


def test_it_moves_reminders_when_the_couple_changes_timezone(couple, alice, bob):
    with time_machine.travel(utc(2026, 7, 1, 12, 0), tick=False):
        block, _ = block_create(user=alice, fields=DINNER)
        r = client_for(bob).patch("/api/couple/settings/", {"timezone": "America/New_York"})
    assert r.status_code == 200
    start = Reminder.objects.get(block=block, kind="start")
    assert start.next_fire_at == utc(2026, 7, 1, 23, 0)  # 19:00 in New York
    event = Event.objects.filter(kind="settings.changed").get()
    assert event.data["changed"] == {"timezone": "America/New_York"} and event.actor == bob


def test_it_stops_reminding_when_a_block_is_turned_off(couple, alice):
    block, _ = block_create(user=alice, fields={**DINNER, "remind_before": 5})
    client_for(alice).patch(f"/api/rhythm/blocks/{block.pk}/", {"enabled": False})
    assert set(Reminder.objects.filter(block=block).values_list("next_fire_at", flat=True)) == {None}


def test_it_computes_the_next_occurrence_a_week_out():
    block = Block(days=[2], start=time(9, 0), minutes=30, enabled=True)
    after = utc(2026, 7, 1, 7, 0)  # Wednesday 09:00 Berlin, exactly at the start
    assert block.next_occurrence(after, ZoneInfo("Europe/Berlin")) == after + timedelta(days=7)
