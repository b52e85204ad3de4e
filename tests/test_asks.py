"""Small asks: one open per person, answered yes or not now by the partner."""

import pytest

from couples.models import Event
from couples.services import account_delete
from practice.models import Ask
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def ask(user, **body):
    return client_for(user).post("/api/asks/", body, format="json")


def answer(user, ask_id, **body):
    return client_for(user).post(f"/api/asks/{ask_id}/answer/", body, format="json")


def test_it_asks_the_partner_and_the_partner_answers(couple, alice, bob):
    r = ask(alice, text="Could you pick up bread tonight?")
    assert r.status_code == 201
    made = r.json()
    assert made["kind"] == "ask.made" and made["data"]["ask"]["text"] == "Could you pick up bread tonight?"
    ask_id = made["data"]["ask"]["id"]
    r = answer(bob, ask_id, answer="not_now", note="late meeting, tomorrow?")
    assert r.status_code == 201
    assert r.json()["data"] == {
        "ask": ask_id,
        "to": alice.pk,
        "answer": "not_now",
        "note": "late meeting, tomorrow?",
    }
    listed = client_for(alice).get("/api/asks/").json()
    assert listed[0]["answer"] == "not_now" and listed[0]["answered_at"] is not None
    # Once answered, the next ask may come.
    assert ask(alice, text="A hug when you're home?").status_code == 201


def test_it_keeps_one_open_ask_per_person(couple, alice, bob):
    assert ask(alice, text="Call me at lunch?").status_code == 201
    r = ask(alice, text="And another thing")
    assert r.status_code == 409 and r.json()["code"] == "ask_open"
    assert ask(bob, text="Tea?").status_code == 201  # each person has their own


def test_it_writes_a_retried_ask_once(couple, alice):
    first = ask(alice, text="Walk after dinner?", op_id="ask-1")
    again = ask(alice, text="Walk after dinner?", op_id="ask-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert Ask.objects.count() == 1


@pytest.mark.parametrize(
    "body,field",
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 141}, "text"),
        ({"text": "ring\u0007bell"}, "text"),
        ({}, "text"),
    ],
)
def test_it_refuses_a_bad_ask(couple, alice, body, field):
    r = ask(alice, **body)
    assert r.status_code == 400 and field in r.json()["errors"], r.json()


def test_it_refuses_bad_answers(couple, alice, bob, charlie):
    ask_id = ask(alice, text="Pick me up?").json()["data"]["ask"]["id"]
    assert answer(alice, ask_id, answer="yes").json()["code"] == "own_ask"
    r = answer(bob, ask_id, answer="maybe")
    assert r.status_code == 400 and "answer" in r.json()["errors"]
    assert answer(charlie, ask_id, answer="yes").status_code == 404  # not paired
    assert answer(bob, 99999, answer="yes").status_code == 404
    assert answer(bob, ask_id, answer="yes").status_code == 201
    r = answer(bob, ask_id, answer="not_now")
    assert r.status_code == 409 and r.json()["code"] == "ask_answered"


def test_it_keeps_asks_inside_the_couple(couple, alice, charlie):
    ask(alice, text="Something private")
    assert client_for(charlie).get("/api/asks/").status_code == 404
    assert ask(charlie, text="hello").status_code == 404


def test_it_shows_asks_in_history_and_kindly_words_a_not_now(couple, alice, bob):
    ask_id = ask(alice, text="Dinner together Friday?").json()["data"]["ask"]["id"]
    answer(bob, ask_id, answer="not_now")
    kinds = [e["kind"] for e in client_for(alice).get("/api/history/").json()["results"]]
    assert kinds[:2] == ["ask.answered", "ask.made"]
    page = client_for(alice)
    page.force_login(alice)
    html = page.get("/history/").content.decode()
    assert "Alice asked: “Dinner together Friday?”" in html
    assert (
        "Bob: Not now, and that&#x27;s okay. Ask again another time." in html
        or "Bob: Not now, and that's okay" in html
    )


def test_it_exports_ones_own_asks_and_answers_and_removes_them_with_the_account(couple, alice, bob):
    ask_id = ask(alice, text="Hold my hand at the doctor's?").json()["data"]["ask"]["id"]
    answer(bob, ask_id, answer="yes", note="of course")
    hers = client_for(alice).get("/api/me/export/?format=json").json()
    assert [a["text"] for a in hers["asks"]] == ["Hold my hand at the doctor's?"] and hers[
        "ask_answers"
    ] == []
    his = client_for(bob).get("/api/me/export/?format=json").json()
    assert his["asks"] == [] and his["ask_answers"][0]["note"] == "of course"
    account_delete(user=alice, password="correct horse battery")
    assert not Ask.objects.exists() and not Event.objects.filter(kind="ask.made").exists()
