"""The weekly check-in: each partner's appreciation and need, revealed once both wrote."""

from datetime import UTC, datetime

import pytest
import time_machine

from couples.models import Event
from couples.services import account_delete
from practice.models import CheckIn
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

WEEK = "2026-W49"  # 30 Nov to 6 Dec 2026


@pytest.fixture(autouse=True)
def _in_that_week():
    with time_machine.travel(datetime(2026, 12, 3, 18, 0, tzinfo=UTC), tick=False):
        yield


def write(user, **body):
    return client_for(user).post("/api/checkins/", {"week": WEEK, **body}, format="json")


def read(user, week=WEEK) -> dict:
    r = client_for(user).get(f"/api/checkins/?week={week}")
    assert r.status_code == 200, r.json()
    return r.json()


def test_it_shows_the_partners_check_in_only_after_both_have_written(couple, alice, bob):
    assert read(bob)["partner"] == {"written": False}
    r = write(alice, appreciation="You made dinner every night", need="A quiet Sunday morning")
    assert r.status_code == 201
    assert read(bob) == {"week": WEEK, "mine": None, "partner": {"written": True}}
    assert "quiet Sunday" not in str(client_for(bob).get("/api/history/").json())
    assert not Event.objects.filter(kind="checkin.revealed").exists()
    assert write(bob, appreciation="Your patience on Tuesday", need="A walk together").status_code == 201
    [revealed] = Event.objects.filter(kind="checkin.revealed")
    assert revealed.data == {"week": WEEK}
    seen = read(bob)["partner"]
    assert (
        seen["written"] and seen["appreciation"] == "You made dinner every night" and seen["user"] == alice.pk
    )
    assert read(alice)["partner"]["need"] == "A walk together"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"week": "2026-49"}, "week"),
        ({"week": "2026-W54"}, "week"),
        ({"week": "1999-W10"}, "week"),
        ({"appreciation": ""}, "appreciation"),
        ({"need": "x" * 281}, "need"),
    ],
)
def test_it_refuses_a_check_in_that_is_not_one(couple, alice, body, field):
    full = {"week": WEEK, "appreciation": "thanks", "need": "rest", **body}
    r = client_for(alice).post("/api/checkins/", full, format="json")
    assert r.status_code == 400 and field in r.json()["errors"], r.json()


@pytest.mark.parametrize("week", ["2026-W50", "2026-W53"])  # not yet; no such week in 2026
def test_it_answers_404_for_a_week_that_is_not_here(couple, alice, week):
    r = client_for(alice).post(
        "/api/checkins/", {"week": week, "appreciation": "thanks", "need": "rest"}, format="json"
    )
    assert r.status_code == 404 and r.json()["code"] == "checkin_week"
    assert client_for(alice).get(f"/api/checkins/?week={week}").status_code == 404


def test_it_takes_one_check_in_a_week_from_each(couple, alice, charlie):
    assert write(alice, appreciation="a", need="b").status_code == 201
    r = write(alice, appreciation="again", need="again")
    assert r.status_code == 409 and r.json()["code"] == "checkin_written"
    assert write(charlie, appreciation="a", need="b").status_code == 404
    assert client_for(charlie).get(f"/api/checkins/?week={WEEK}").status_code == 404
    assert client_for(alice).get("/api/checkins/?week=soon").status_code == 400


def test_it_exports_ones_own_check_ins_and_removes_them_with_the_account(couple, alice, bob):
    write(alice, appreciation="the flowers", need="more sleep")
    write(bob, appreciation="the jokes", need="a day out")
    hers = client_for(alice).get("/api/me/export/?format=json").json()
    assert [c["appreciation"] for c in hers["checkins"]] == ["the flowers"] and "the jokes" not in str(hers)
    account_delete(user=alice, password="correct horse battery")
    assert [
        c["appreciation"] for c in client_for(bob).get("/api/me/export/?format=json").json()["checkins"]
    ] == ["the jokes"]
    assert list(CheckIn.objects.values_list("appreciation", flat=True)) == ["the jokes"]
