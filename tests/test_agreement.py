"""First use: the welcome page, the password rules before the first try, and the
agreement both partners say "We agree" to."""

import pytest
from django.test import Client

from couples.models import Event
from signals.services import couple_snapshot, signal_set
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def agreed(user, viewer):
    return {p["id"]: p["agreed_at"] for p in couple_snapshot(user=viewer)["partners"]}[user.pk]


def test_it_records_each_partners_agreement_and_both_see_it(couple, alice, bob):
    r = client_for(alice).post("/api/couple/agree/")
    assert r.status_code == 201
    assert (r.json()["kind"], r.json()["data"]) == ("agreement.made", {"user": alice.pk})
    assert agreed(alice, bob) is not None and agreed(bob, alice) is None
    again = client_for(alice).post("/api/couple/agree/")
    assert again.status_code == 200 and again.json()["seq"] == r.json()["seq"]
    assert client_for(bob).post("/api/couple/agree/").status_code == 201
    assert agreed(bob, alice) is not None
    assert Event.objects.filter(kind="agreement.made").count() == 2
    timeline = client_for(bob).get("/api/history/?kind=agreement.made").json()["results"]
    assert len(timeline) == 2


def test_it_lets_the_lights_work_before_anyone_agrees(couple, alice, bob):
    assert client_for(alice).post("/api/signal/", {"state": "red"}).status_code == 201
    signal_set(user=alice, state="yellow")
    assert agreed(alice, bob) is None


def test_it_refuses_an_agreement_outside_a_couple(couple, charlie):
    r = client_for(charlie).post("/api/couple/agree/")
    assert r.status_code == 404 and r.json()["code"] == "not_paired"
    assert client_for(None).post("/api/couple/agree/").status_code in (401, 403)


def test_it_welcomes_a_first_visitor_with_what_the_lights_mean(db):
    r = Client().get("/")
    assert r.status_code == 200
    page = r.content.decode()
    assert "Keep a light on for each other" in page
    assert "I really need you right now" in page and "free to focus on your own things" in page
    assert 'href="/accounts/register/"' in page and 'href="/accounts/login/"' in page


def test_it_shows_the_password_rules_before_the_first_try(db):
    page = Client().get("/accounts/register/").content.decode()
    assert "at least 8 characters" in page
    assert "can’t be entirely numeric" in page or "can't be entirely numeric" in page
    assert 'aria-describedby="id_password1_helptext"' in page
