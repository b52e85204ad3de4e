from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from couples.models import Event
from rhythms.models import Preview
from rhythms.scheduler import step
from rhythms.services import block_create, block_mute, preview_post
from signals.services import notification_wanted, signal_set
from tests.conftest import client_for, make_user, pair
from tests.test_pages import browser_for

pytestmark = pytest.mark.django_db


def soon(**delta) -> str:
    return (timezone.now() + timedelta(**delta)).isoformat()


def test_it_posts_a_preview_the_partner_sees(couple, alice, bob):
    body = {"message": "Out with friends tonight, back around 10", "expected_at": soon(hours=3)}
    r = client_for(alice).post("/api/previews/", body)
    assert r.status_code == 201
    assert r.json()["kind"] == "preview.posted"
    hers = next(p for p in client_for(bob).get("/api/couple/").json()["partners"] if p["id"] == alice.pk)
    assert hers["preview"]["message"] == body["message"]
    assert hers["preview"]["expected_at"] is not None


def test_it_replaces_an_earlier_preview(couple, alice):
    client = client_for(alice)
    client.post("/api/previews/", {"message": "first"})
    client.post("/api/previews/", {"message": "second"})
    assert list(Preview.objects.filter(cleared_at__isnull=True).values_list("message", flat=True)) == [
        "second"
    ]


def test_it_offers_presets_for_one_tap(couple, alice):
    presets = client_for(alice).get("/api/previews/presets/").json()
    assert "goodnight" in {p["key"] for p in presets}
    r = client_for(alice).post("/api/previews/", {"preset": "goodnight", "expected_at": soon(hours=4)})
    assert r.status_code == 201
    assert "goodnight" in r.json()["data"]["preview"]["message"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "message"),
        ({"message": "   "}, "message"),
        ({"message": "x" * 281}, "message"),
        ({"message": "esc\x1b[31m"}, "message"),
        ({"preset": "nope"}, "preset"),
        ({"message": "back soon", "expected_at": "next tuesday"}, "expected_at"),
    ],
)
def test_it_refuses_a_bad_preview_with_400(couple, alice, body, field):
    r = client_for(alice).post("/api/previews/", body)
    assert r.status_code == 400
    assert field in r.json()["errors"]


@pytest.mark.parametrize(
    "body",
    [
        {"message": "back soon", "expected_at": "2020-01-01T00:00:00Z"},
        {"message": "back later", "unreachable_until": "2999-01-01T00:00:00Z"},
    ],
)
def test_it_answers_a_time_out_of_reach_with_409(couple, alice, body):
    """Well formed, but past (or too far) by the server's clock: a clash with now."""
    r = client_for(alice).post("/api/previews/", body)
    assert r.status_code == 409 and r.json()["code"] == "preview_when"


def test_it_refuses_a_reconnect_time_more_than_a_few_days_ahead(couple, alice, settings):
    days = settings.PORCHLIGHT["PREVIEW_MAX_DAYS"]
    r = client_for(alice).post("/api/previews/", {"message": "trip", "expected_at": soon(days=days, hours=1)})
    assert r.status_code == 409
    r = client_for(alice).post(
        "/api/previews/", {"message": "trip", "expected_at": soon(days=days, hours=-1)}
    )
    assert r.status_code == 201


def test_it_clears_a_preview(couple, alice, bob):
    client_for(alice).post("/api/previews/", {"message": "gym"})
    assert client_for(alice).delete("/api/previews/").status_code == 204
    assert client_for(alice).delete("/api/previews/").status_code == 404
    assert Event.objects.filter(kind="preview.cleared", actor=alice).count() == 1


def test_it_welcomes_a_reunion_and_clears_the_preview(couple, alice, bob):
    posted = client_for(alice).post("/api/previews/", {"message": "gym", "expected_at": soon(hours=1)}).json()
    r = client_for(alice).post("/api/reunion/", {"op_id": "back-1"})
    assert r.status_code == 201
    assert r.json()["kind"] == "reunion" and r.json()["data"]["preview"] == posted["data"]["preview"]["id"]
    assert client_for(alice).post("/api/reunion/", {"op_id": "back-1"}).status_code == 200  # retried once
    assert Event.objects.filter(kind="reunion").count() == 1
    hers = next(p for p in client_for(bob).get("/api/couple/").json()["partners"] if p["id"] == alice.pk)
    assert hers["preview"] is None


def test_it_keeps_previews_inside_the_couple(couple, alice, charlie):
    client_for(alice).post("/api/previews/", {"message": "private plans"})
    assert client_for(charlie).delete("/api/previews/").status_code == 404
    assert client_for(charlie).post("/api/reunion/").status_code == 404
    dana = make_user("dana")
    pair(charlie, dana)
    assert "private plans" not in str(client_for(charlie).get("/api/couple/").json())


def test_it_nudges_the_one_who_promised_once_when_the_time_comes(couple, alice, bob):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        preview_post(user=alice, message="back by 9", expected_at=start + timedelta(hours=2))
    assert step(start + timedelta(hours=1)) is False
    assert step(start + timedelta(hours=2, seconds=1)) is True
    assert step(start + timedelta(hours=2, seconds=2)) is False
    due = Event.objects.get(kind="preview.due")
    assert due.data["user"] == alice.pk and due.actor is None
    assert "overdue" not in str(due.data).lower()


def test_it_does_not_nudge_after_a_reunion(couple, alice):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        preview_post(user=alice, message="back by 9", expected_at=start + timedelta(hours=2))
        client_for(alice).post("/api/reunion/")
    step(start + timedelta(hours=3))
    assert not Event.objects.filter(kind="preview.due").exists()


# Who is interrupted: the rule the push notifications follow


def frame_of(event):
    return event.as_frame()


def test_it_lets_red_through_an_unreachable_window_but_holds_the_rest(couple, alice, bob):
    preview_post(user=bob, message="flight", unreachable_until=timezone.now() + timedelta(hours=5))
    red, _ = signal_set(user=alice, state="red")
    yellow, _ = signal_set(user=alice, state="yellow")
    assert notification_wanted(couple=couple, frame=frame_of(red), recipient=bob) is True
    assert notification_wanted(couple=couple, frame=frame_of(yellow), recipient=bob) is False
    later = timezone.now() + timedelta(hours=6)
    assert notification_wanted(couple=couple, frame=frame_of(yellow), recipient=bob, now=later) is True


def test_it_never_notifies_the_author_of_their_own_change(couple, alice):
    red, _ = signal_set(user=alice, state="red")
    assert notification_wanted(couple=couple, frame=frame_of(red), recipient=alice) is False


def test_it_sends_the_nudge_only_to_the_one_who_promised(couple, alice, bob):
    start = timezone.now()
    preview_post(user=alice, message="back by 9", expected_at=start + timedelta(minutes=30))
    step(start + timedelta(minutes=31))
    due = Event.objects.get(kind="preview.due")
    assert notification_wanted(couple=couple, frame=frame_of(due), recipient=alice) is True
    assert notification_wanted(couple=couple, frame=frame_of(due), recipient=bob) is False


def test_it_respects_each_persons_reminder_mutes(couple, alice, bob):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        block, _ = block_create(
            user=alice,
            fields={
                "kind": "connection",
                "name": "Walk",
                "days": list(range(7)),
                "start": "12:00",
                "minutes": 30,
            },
        )
    block_mute(user=bob, block_id=block.pk, muted=True)
    fire_at = block.reminders.get(kind="start").next_fire_at
    step(fire_at)
    fired = Event.objects.get(kind="reminder.fired")
    assert notification_wanted(couple=couple, frame=frame_of(fired), recipient=alice) is True
    assert notification_wanted(couple=couple, frame=frame_of(fired), recipient=bob) is False


def test_it_takes_a_plan_for_a_day_and_time_up_to_two_weeks_ahead(couple, alice):
    """ "Dinner Friday 7pm, phones away": a plan for the weekend after next is fine."""
    assert settings_days() == 14
    r = client_for(alice).post("/api/previews/", {"message": "Dinner Friday", "expected_at": soon(days=13)})
    assert r.status_code == 201


def settings_days() -> int:
    from django.conf import settings

    return settings.PORCHLIGHT["PREVIEW_MAX_DAYS"]


def test_it_keeps_a_preset_as_its_key_for_each_reader_in_their_language(couple, alice, bob):
    alice.language = "zh-hans"
    alice.save()
    posted = client_for(alice).post("/api/previews/", {"preset": "goodnight"}).json()
    assert posted["data"]["preview"]["preset"] == "goodnight"
    assert Preview.objects.get().preset == "goodnight"
    # Ben reads English, whatever language Ana wrote it in; Ana reads her own.
    assert "Out for the evening" in browser_for(bob).get("/history/").text
    assert "晚上出去一下" in browser_for(alice).get("/history/").text


def test_it_keeps_a_persons_own_words_over_a_preset(couple, alice):
    posted = (
        client_for(alice)
        .post("/api/previews/", {"preset": "goodnight", "message": "Choir, then home"})
        .json()
    )
    assert posted["data"]["preview"] == {
        **posted["data"]["preview"],
        "preset": None,
        "message": "Choir, then home",
    }


def test_it_keeps_a_reunion_in_the_snapshot_until_the_next_preview(couple, alice, bob):
    def hers():
        return next(p for p in client_for(bob).get("/api/couple/").json()["partners"] if p["id"] == alice.pk)

    assert hers()["back_at"] is None
    client_for(alice).post("/api/previews/", {"message": "gym"})
    back = client_for(alice).post("/api/reunion/", {}).json()
    assert hers()["back_at"] == back["at"]  # after a reload too
    client_for(alice).post("/api/previews/", {"message": "again"})
    assert hers()["back_at"] is None
