"""Answering a light: the partner's explicit answer to a yellow or a red."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from channels.db import database_sync_to_async

from couples.models import Event
from couples.services import account_delete, couple_unpair
from signals.models import Answer
from signals.services import couple_snapshot, signal_answer, signal_set
from tests.communicators import frame, open_socket
from tests.conftest import client_for
from tests.test_push import deliver, subscribe

pytestmark = pytest.mark.django_db


def answer(user, **body):
    return client_for(user).post("/api/signal/answer/", body, format="json")


def light_of(user, viewer) -> dict:
    partners = couple_snapshot(user=viewer)["partners"]
    return next(p for p in partners if p["id"] == user.pk)["signal"]


def test_it_answers_the_partners_red_and_the_snapshot_shows_it(couple, alice, bob):
    red, _ = signal_set(user=alice, state="red", note="bad news")
    r = answer(bob, reply="coming", note="leaving work now")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["kind"], body["actor"]) == ("signal.answered", bob.pk)
    assert body["data"] == {
        "to": alice.pk,
        "reply": "coming",
        "note": "leaving work now",
        "light_seq": red.seq,
    }
    for viewer in (alice, bob):
        got = light_of(alice, viewer)["answer"]
        assert got["by"] == bob.pk and got["reply"] == "coming" and got["note"] == "leaving work now"
        assert got["light_seq"] == red.seq
    assert light_of(bob, alice)["answer"] is None


def test_it_answers_a_yellow_too_with_each_reply(couple, alice, bob):
    signal_set(user=alice, state="yellow")
    for reply in ("seen", "coming", "call_soon", "later"):
        assert answer(bob, reply=reply).status_code == 201
    assert light_of(alice, alice)["answer"]["reply"] == "later"  # the latest


@pytest.mark.parametrize("light", [None, "green"])
def test_it_refuses_to_answer_a_green_or_no_light(couple, alice, bob, light):
    if light:
        signal_set(user=alice, state=light)
    r = answer(bob, reply="seen")
    assert r.status_code == 409 and r.json()["code"] == "nothing_to_answer"
    assert not Event.objects.filter(kind="signal.answered").exists()


def test_it_refuses_to_answer_ones_own_light(couple, alice, bob):
    signal_set(user=alice, state="red")
    r = answer(alice, reply="coming", to=alice.pk)
    assert r.status_code == 409 and r.json()["code"] == "own_light"
    r = answer(alice, reply="coming", to=99999)
    assert r.status_code == 409 and r.json()["code"] == "not_partner"
    assert answer(bob, reply="coming", to=alice.pk).status_code == 201


@pytest.mark.parametrize(
    "body,field",
    [
        ({"reply": "maybe"}, "reply"),
        ({}, "reply"),
        ({"reply": "seen", "note": "x" * 281}, "note"),
        ({"reply": "seen", "op_id": "no spaces allowed"}, "op_id"),
    ],
)
def test_it_refuses_a_bad_answer_with_a_clear_400(couple, alice, bob, body, field):
    signal_set(user=alice, state="red")
    r = answer(bob, **body)
    assert r.status_code == 400 and field in r.json()["errors"]


def test_it_refuses_an_answer_when_not_paired(couple, alice, bob, charlie):
    signal_set(user=alice, state="red")
    r = answer(charlie, reply="coming")
    assert r.status_code == 404 and r.json()["code"] == "not_paired"
    couple_unpair(user=bob)
    assert answer(bob, reply="coming").status_code == 404
    assert not Answer.objects.exists()


def test_it_writes_a_retried_answer_once(couple, alice, bob):
    signal_set(user=alice, state="red")
    first = answer(bob, reply="call_soon", op_id="ans-1")
    again = answer(bob, reply="call_soon", op_id="ans-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["seq"] == again.json()["seq"]
    assert Answer.objects.count() == 1
    signal_set(user=alice, state="red", note="x", op_id="light-1")
    assert answer(bob, reply="seen", op_id="light-1").status_code == 201  # op_ids are per person


def test_it_keeps_the_answer_through_a_note_and_leaves_it_with_a_new_light(couple, alice, bob):
    red, _ = signal_set(user=alice, state="red")
    signal_answer(user=bob, reply="coming")
    signal_set(user=alice, state="red", note="thank you")  # the same light, a note added
    assert light_of(alice, bob)["answer"]["light_seq"] == red.seq
    signal_set(user=alice, state="yellow")
    assert light_of(alice, bob)["answer"] is None
    signal_set(user=alice, state="red")  # red again: a new light, not the answered one
    assert light_of(alice, bob)["answer"] is None
    again, _ = signal_answer(user=bob, reply="seen")
    assert light_of(alice, bob)["answer"]["light_seq"] == again.data["light_seq"] > red.seq


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_answers_over_the_socket_and_the_owner_sees_it_live(couple, alice, bob):
    await database_sync_to_async(signal_set)(user=alice, state="red")
    hers, his = await open_socket(alice), await open_socket(bob)
    await frame(hers), await frame(his)
    await his.send_json_to({"type": "signal.answer", "reply": "coming", "note": "5 min", "op_id": "a1"})
    mine = await frame(his)
    assert mine["kind"] == "signal.answered" and mine["op_id"] == "a1"
    seen = await frame(hers)
    assert seen["data"] == {"to": alice.pk, "reply": "coming", "note": "5 min", "light_seq": 2}
    await hers.send_json_to({"type": "signal.answer", "reply": "seen", "op_id": "a2"})  # her own light
    error = await frame(hers)
    assert (error["type"], error["code"], error["op_id"]) == ("error", "nothing_to_answer", "a2")
    await his.send_json_to({"type": "signal.answer", "reply": "whatever"})
    assert (await frame(his))["code"] == "invalid"
    await hers.disconnect()
    await his.disconnect()


def test_it_pushes_an_answer_to_the_lights_owner_without_the_note(couple, alice, bob, service):
    subscribe(alice, service)
    subscribe(bob, service, name="his")
    signal_set(user=alice, state="red")
    deliver()
    service.received.clear()  # bob's push for the red
    signal_answer(user=bob, reply="call_soon", note="after this meeting, my love")
    deliver()
    [message, his] = sorted(service.received, key=lambda m: m["path"] != "/push/phone")
    assert his["payload"]["title"] == "You answered Alice"  # his own phone's red replaced
    assert "meeting" not in str(his["payload"])
    assert message["payload"]["title"] == "Bob answered"
    assert message["payload"]["body"] == "Bob: I'll call you soon."
    assert "meeting" not in str(message["payload"])


def test_it_puts_the_note_in_the_push_when_the_owner_allows_it(couple, alice, bob, service):
    subscribe(alice, service, include_text=True)
    signal_set(user=alice, state="yellow")
    signal_answer(user=bob, reply="seen", note="thinking of you")
    deliver()
    [message] = service.received
    assert message["payload"]["body"] == "Bob: I see you. I'm here. thinking of you"


def test_it_shows_answers_in_history_and_counts_how_often_and_fast_reds_were_answered(couple, alice, bob):
    start = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # a Wednesday morning, in Berlin too
    with time_machine.travel(start, tick=False):
        signal_set(user=alice, state="red")
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        signal_answer(user=bob, reply="coming")
    with time_machine.travel(start + timedelta(minutes=9), tick=False):
        signal_answer(user=bob, reply="seen")  # a second answer: the first one counts
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        signal_set(user=bob, state="red")
    with time_machine.travel(start + timedelta(minutes=40), tick=False):
        signal_set(user=bob, state="green")  # not answered
    timeline = client_for(alice).get("/api/history/?kind=signal.answered").json()["results"]
    assert [e["data"]["reply"] for e in timeline] == ["seen", "coming"]
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        summary = client_for(bob).get("/api/history/summary/?period=week").json()
        page = client_for(alice)
        page.force_login(alice)
        page = page.get("/history/").content.decode()
    assert summary["reds_answered"] == {"reds": 2, "answered": 1, "median_minutes_to_answer": 4.0}
    assert "Bob: Coming to you." in page
    assert "1 of 2 reds answered, usually within 4 min" in page


def test_it_exports_ones_own_answers_and_not_the_partners(couple, alice, bob):
    signal_set(user=alice, state="red")
    signal_answer(user=bob, reply="coming", note="on my way")
    his = client_for(bob).get("/api/me/export/?format=json").json()
    assert [(a["reply"], a["note"]) for a in his["answers"]] == [("coming", "on my way")]
    hers = client_for(alice).get("/api/me/export/?format=json").json()
    assert hers["answers"] == [] and "on my way" not in str(hers)
    assert "on my way" in client_for(bob).get("/api/me/export/?format=csv").content.decode()


def test_it_removes_answers_with_the_account_that_wrote_them(couple, alice, bob):
    signal_set(user=alice, state="red")
    signal_answer(user=bob, reply="coming", note="on my way")
    account_delete(user=bob, password="correct horse battery")
    assert not Event.objects.filter(kind="signal.answered").exists()
    assert not Answer.objects.exists()


def test_it_keeps_the_answerers_words_without_the_id_of_a_deleted_owner(couple, alice, bob):
    signal_set(user=alice, state="red")
    signal_answer(user=bob, reply="coming", note="on my way")
    account_delete(user=alice, password="correct horse battery")
    [event] = Event.objects.filter(kind="signal.answered")
    assert event.actor == bob and event.data["to"] is None and event.data["note"] == "on my way"
    assert client_for(bob).get("/api/history/").status_code == 200
