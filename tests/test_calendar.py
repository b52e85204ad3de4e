"""The rhythm in the phone's own calendar: a private feed per person (rhythms/calendar.py)."""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import recurring_ical_events
from django.test import Client

from couples.models import Event
from couples.services import account_delete, couple_unpair
from rhythms.models import Block, CalendarFeed
from tests.conftest import client_for, pair

pytestmark = pytest.mark.django_db

DINNER = {"kind": "connection", "name": "Dinner", "days": [0, 2, 4], "start": "19:00", "minutes": 60}
LATE = {"kind": "autonomy", "name": "Own time", "days": list(range(7)), "start": "01:30", "minutes": 45}


def _feed_url(user) -> str:
    r = client_for(user).post("/api/rhythm/calendar/")
    assert r.status_code == 201, r.content
    return r.json()["url"]


def _fetch(url: str):
    return Client().get(url.removeprefix("http://testserver"))


def _calendar(url: str) -> icalendar.Calendar:
    r = _fetch(url)
    assert r.status_code == 200
    assert r["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(r.content)


def test_it_gives_a_private_feed_url_with_one_weekly_event_per_block(couple, alice, bob):
    client = client_for(alice)
    client.patch("/api/couple/settings/", {"timezone": "Europe/Berlin"})
    dinner = client.post("/api/rhythm/blocks/", {**DINNER, "remind_before": 15}).json()
    client.post("/api/rhythm/blocks/", LATE)
    client.post("/api/rhythm/blocks/", {**DINNER, "name": "Off", "start": "12:00", "enabled": False})
    url = _feed_url(alice)
    assert url.startswith("http://testserver/cal/") and url.endswith(".ics")
    assert CalendarFeed.objects.get(user=alice).digest not in url  # only the digest is kept

    cal = _calendar(url)
    events = {e["SUMMARY"]: e for e in cal.walk("VEVENT")}
    assert set(events) == {"Dinner", "Own time"}  # a block turned off is not in it
    event = events["Dinner"]
    assert str(event["UID"]) == f"block-{dinner['id']}@porchlight"
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.start.tzinfo.key == "Europe/Berlin" and event.start.strftime("%H:%M %a") in {
        f"19:00 {day}" for day in ("Mon", "Wed", "Fri")
    }
    assert event.duration == timedelta(minutes=60)
    assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["BYDAY"] == ["MO", "WE", "FR"]
    assert sorted(a["TRIGGER"].dt for a in event.walk("VALARM")) == [timedelta(minutes=-15), timedelta(0)]
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    # The same UIDs on every read, so that a phone updates its events in place.
    assert [e["UID"] for e in _calendar(url).walk("VEVENT")] == [e["UID"] for e in cal.walk("VEVENT")]


def test_it_marks_the_blocks_i_muted_and_gives_them_no_alarm(couple, alice, bob):
    pk = client_for(alice).post("/api/rhythm/blocks/", DINNER).json()["id"]
    client_for(alice).put(f"/api/rhythm/blocks/{pk}/mute/", {"muted": True})
    (mine,) = _calendar(_feed_url(alice)).walk("VEVENT")
    assert mine["X-PORCHLIGHT-MUTED"] == "TRUE" and "muted" in mine["DESCRIPTION"]
    assert mine.walk("VALARM") == []
    (bobs,) = _calendar(_feed_url(bob)).walk("VEVENT")  # bob's mutes are his own
    assert "X-PORCHLIGHT-MUTED" not in bobs and len(bobs.walk("VALARM")) == 1


def test_it_never_puts_a_note_or_preview_in_the_feed(couple, alice, bob):
    client_for(alice).post("/api/rhythm/blocks/", DINNER)
    client_for(alice).post("/api/signal/", {"state": "yellow", "note": "a private worry"})
    client_for(bob).post("/api/previews/", {"message": "secret plans tonight"})
    body = _fetch(_feed_url(alice)).content.decode()
    assert "private worry" not in body and "secret plans" not in body


@pytest.mark.parametrize(
    ("zone", "first", "block"),
    [
        ("America/New_York", "2026-10-26", DINNER),  # clocks fall back on 1 November
        ("America/New_York", "2026-10-26", LATE),  # 01:30 happens twice that night: the first
        ("Europe/Berlin", "2026-03-23", DINNER),  # clocks spring forward on 29 March
        ("Australia/Sydney", "2026-03-30", DINNER),  # and back on 5 April
    ],
)
def test_it_expands_to_the_same_instants_as_upcoming_across_a_dst_change(couple, alice, zone, first, block):
    client = client_for(alice)
    client.patch("/api/couple/settings/", {"timezone": zone})
    pk = client.post("/api/rhythm/blocks/", block).json()["id"]
    Block.objects.filter(pk=pk).update(updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    upcoming = client.get(f"/api/rhythm/upcoming/?from={first}&days=21").json()
    expected = [datetime.fromisoformat(o["starts_at"]) for o in upcoming]
    assert len(expected) >= 9

    cal = _calendar(_feed_url(alice))
    begin = expected[0] - timedelta(minutes=1)
    end = expected[-1] + timedelta(minutes=1)
    found = [e.start.astimezone(UTC) for e in recurring_ical_events.of(cal).between(begin, end)]
    assert sorted(found) == expected


def test_it_revokes_the_old_url_when_made_again_or_deleted(couple, alice):
    first = _feed_url(alice)
    second = _feed_url(alice)
    assert _fetch(first).status_code == 404
    assert _fetch(second).status_code == 200
    assert client_for(alice).delete("/api/rhythm/calendar/").status_code == 204
    assert _fetch(second).status_code == 404
    assert client_for(alice).delete("/api/rhythm/calendar/").status_code == 204  # already gone: fine


def test_it_revokes_the_feed_at_once_when_the_couple_unpairs(couple, alice, bob, charlie):
    url = _feed_url(alice)
    assert client_for(alice).get("/api/rhythm/calendar/").json()["active"] is True
    couple_unpair(user=bob)
    assert client_for(alice).get("/api/rhythm/calendar/").json() == {"active": False, "created_at": None}
    assert _fetch(url).status_code == 404
    pair(alice, charlie)  # a new couple does not bring the old feed back
    assert _fetch(url).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_it_revokes_the_feed_with_the_account(couple, alice):
    url = _feed_url(alice)
    account_delete(user=alice, password="correct horse battery")
    assert _fetch(url).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_it_answers_404_to_an_unknown_secret_and_refuses_the_unpaired(charlie, anon):
    assert _fetch("/cal/not-a-secret.ics").status_code == 404
    assert _fetch("/cal/" + "x" * 5000 + ".ics").status_code == 404
    r = client_for(charlie).post("/api/rhythm/calendar/")
    assert r.status_code == 404 and r.json()["code"] == "not_paired"
    assert anon.post("/api/rhythm/calendar/").status_code in (401, 403)
    assert not Event.objects.exists()


def test_it_ends_the_feed_when_the_password_changes(couple, alice):
    url = _feed_url(alice)
    assert _fetch(url).status_code == 200
    r = client_for(alice).post(
        "/api/auth/password/",
        {"old_password": "correct horse battery", "new_password": "a brand new evening walk"},
    )
    assert r.status_code == 200
    assert _fetch(url).status_code == 404
    assert not CalendarFeed.objects.exists()
    assert client_for(alice).get("/api/rhythm/calendar/").json()["active"] is False


def test_it_ends_the_feed_when_the_password_is_reset(couple, alice):
    url = _feed_url(alice)
    alice.set_password("a brand new evening walk")  # what the mailed reset link's form does
    alice.save()
    assert _fetch(url).status_code == 404
    assert _fetch(_feed_url(alice)).status_code == 200  # a new link works


def test_it_names_the_feed_and_the_blocks_the_app_named_in_its_persons_language(couple, alice, bob):
    bob.language = "zh-hans"
    bob.save()
    checkin = {**DINNER, "name": "Weekly check-in", "key": "checkin", "days": [6]}
    block = client_for(alice).post("/api/rhythm/blocks/", checkin).json()
    assert block["key"] == "checkin"
    cal = _calendar(_feed_url(bob))
    (event,) = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == "每周交流" and str(cal["X-WR-CALNAME"]) == "我们的节奏（Porchlight）"
    assert event["CATEGORIES"].cats == ["相聚时间"]
    (event,) = _calendar(_feed_url(alice)).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Weekly check-in"


def test_it_lets_a_rename_make_the_name_the_persons_own(couple, alice):
    block = (
        client_for(alice)
        .post("/api/rhythm/blocks/", {**DINNER, "name": "Weekly check-in", "key": "checkin"})
        .json()
    )
    same = client_for(alice).patch(f"/api/rhythm/blocks/{block['id']}/", {"start": "20:00"}).json()
    assert same["key"] == "checkin"
    renamed = client_for(alice).patch(f"/api/rhythm/blocks/{block['id']}/", {"name": "Sunday talk"}).json()
    assert renamed["key"] is None and Block.objects.get().key == ""
