from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from couples.models import Event
from signals.models import Flag
from signals.services import signal_set
from signals.words import WORDS
from tests.conftest import client_for, make_user, pair

pytestmark = pytest.mark.django_db


def reds(user, times: int, start=None, every=timedelta(hours=6)):
    """Red comes on `times` times (green in between, so each is a new red)."""
    now = start or timezone.now()
    for i in range(times):
        with time_machine.travel(now + i * every, tick=False):
            signal_set(user=user, state="red")
            signal_set(user=user, state="green")


def test_it_raises_a_gentle_flag_to_both_when_red_comes_on_often(couple, alice, bob):
    reds(alice, 3)
    assert not Event.objects.filter(kind="flag.raised").exists()
    reds(alice, 1, start=timezone.now() + timedelta(days=1))
    flag = Event.objects.get(kind="flag.raised")
    assert flag.data["flag"]["user"] == alice.pk and flag.actor is None
    assert flag.data["flag"]["message"] == str(WORDS["flag_message"])
    assert flag.data["flag"]["suggestion"] == str(WORDS["flag_suggestion"])
    for person in (alice, bob):
        snapshot = client_for(person).get("/api/couple/").json()
        assert snapshot["flag"]["id"] == flag.data["flag"]["id"]


def test_it_keeps_the_words_kind_no_counts_no_blame():
    text = (str(WORDS["flag_message"]) + str(WORDS["flag_suggestion"])).lower()
    for word in ("too many", "again", "score", "streak", "fault", "should"):
        assert word not in text
    assert not any(ch.isdigit() for ch in text)


def test_it_counts_red_coming_on_not_red_notes_edited(couple, alice):
    signal_set(user=alice, state="red")
    for i in range(6):
        signal_set(user=alice, state="red", note=f"still {i}")
    assert not Event.objects.filter(kind="flag.raised").exists()


def test_it_counts_only_the_last_seven_days(couple, alice):
    start = timezone.now() - timedelta(days=10)
    reds(alice, 3, start=start)  # long ago
    reds(alice, 1)
    assert not Event.objects.filter(kind="flag.raised").exists()


def test_it_raises_at_most_one_flag_per_partner_per_week(couple, alice, bob):
    start = timezone.now()
    reds(alice, 8, start=start, every=timedelta(hours=3))
    assert Flag.objects.filter(user=alice).count() == 1
    reds(bob, 4, start=start + timedelta(days=1))
    assert Flag.objects.filter(user=bob).count() == 1
    reds(alice, 4, start=start + timedelta(days=8))
    assert Flag.objects.filter(user=alice).count() == 2


def test_it_never_delays_or_hides_red(couple, alice):
    reds(alice, 3)
    event, _ = signal_set(user=alice, state="red", note="now")
    flag = Event.objects.get(kind="flag.raised")
    assert event.kind == "signal.changed" and event.data["state"] == "red"
    assert flag.seq == event.seq + 1  # red first, then the flag, in one transaction
    reds(alice, 5)
    assert Event.objects.filter(kind="signal.changed", data__state="red", actor=alice).count() == 9


def test_it_follows_the_threshold_the_couple_sets(couple, alice, bob):
    r = client_for(bob).patch("/api/couple/settings/", {"flag_threshold": 2})
    assert r.status_code == 200 and r.json()["flag_threshold"] == 2
    assert Event.objects.get(kind="settings.changed").data["changed"] == {"flag_threshold": 2}
    reds(alice, 2)
    assert Event.objects.filter(kind="flag.raised").count() == 1


def test_it_raises_no_flags_when_the_couple_turned_them_off(couple, alice):
    assert client_for(alice).patch("/api/couple/settings/", {"flags_enabled": False}).status_code == 200
    reds(alice, 10, every=timedelta(hours=1))
    assert not Event.objects.filter(kind="flag.raised").exists()


@pytest.mark.parametrize(
    "change",
    [{"flag_threshold": 1}, {"flag_threshold": 15}, {"flags_enabled": "maybe"}, {"timezone": "Moon/Base"}],
)
def test_it_refuses_bad_settings_with_400(couple, alice, change):
    assert client_for(alice).patch("/api/couple/settings/", change).status_code == 400


def test_it_lets_either_partner_dismiss_a_flag(couple, alice, bob):
    reds(alice, 4)
    flag = Flag.objects.get()
    assert client_for(bob).post(f"/api/flags/{flag.pk}/dismiss/").status_code == 201
    assert client_for(alice).post(f"/api/flags/{flag.pk}/dismiss/").status_code == 404
    assert client_for(alice).get("/api/couple/").json()["flag"] is None
    assert Event.objects.get(kind="flag.dismissed").actor == bob
    assert [f["dismissed_at"] is not None for f in client_for(alice).get("/api/flags/").json()] == [True]


def test_it_keeps_flags_inside_the_couple(couple, alice, charlie):
    reds(alice, 4)
    flag = Flag.objects.get()
    dana = make_user("dana")
    pair(charlie, dana)
    assert client_for(charlie).post(f"/api/flags/{flag.pk}/dismiss/").status_code == 404
    assert client_for(charlie).get("/api/flags/").json() == []
    assert client_for(make_user("erin")).get("/api/flags/").status_code == 404
