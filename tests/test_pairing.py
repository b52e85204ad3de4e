from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from couples import services
from couples.models import INVITE_ALPHABET, Couple, Event, Invite, Membership
from tests.conftest import client_for, make_user, pair

pytestmark = pytest.mark.django_db


def invite_code(user) -> str:
    r = client_for(user).post("/api/couple/invite/")
    assert r.status_code == 201, r.json()
    return r.json()["code"]


def test_it_makes_a_short_unambiguous_invite(alice, settings):
    r = client_for(alice).post("/api/couple/invite/")
    assert r.status_code == 201
    body = r.json()
    code = body["code"].replace("-", "")
    assert len(code) == 8 and set(code) <= set(INVITE_ALPHABET)
    assert not set("01OIL") & set(INVITE_ALPHABET)
    assert body["url"].endswith(f"/pair/?code={code}")
    invite = Invite.objects.get(code=code)
    minutes = settings.PORCHLIGHT["INVITE_TTL_MINUTES"]
    assert invite.expires_at - invite.created_at == timedelta(minutes=minutes)


def test_it_pairs_two_people_with_a_code(alice, bob):
    code = invite_code(alice)
    r = client_for(bob).post("/api/couple/join/", {"code": code})
    assert r.status_code == 201
    body = r.json()
    assert [p["display_name"] for p in body["partners"]] == ["Alice", "Bob"]
    assert body["seq"] == 1
    event = Event.objects.get(couple_id=body["id"])
    assert (event.kind, event.seq, event.actor) == ("partner.joined", 1, bob)
    assert client_for(alice).get("/api/couple/").json()["id"] == body["id"]


def test_it_takes_a_code_typed_in_lower_case_with_spaces(alice, bob):
    code = invite_code(alice)
    typed = " " + code.lower().replace("-", " - ") + " "
    assert client_for(bob).post("/api/couple/join/", {"code": typed}).status_code == 201


def test_it_refuses_my_own_code(alice):
    r = client_for(alice).post("/api/couple/join/", {"code": invite_code(alice)})
    assert (r.status_code, r.json()["code"]) == (400, "invite_self")


def test_it_refuses_an_unknown_code(bob):
    r = client_for(bob).post("/api/couple/join/", {"code": "ZZZZ-ZZZZ"})
    assert (r.status_code, r.json()["code"]) == (404, "invite_unknown")


def test_it_refuses_a_used_invite_code(alice, bob, charlie):
    code = invite_code(alice)
    assert client_for(bob).post("/api/couple/join/", {"code": code}).status_code == 201
    r = client_for(charlie).post("/api/couple/join/", {"code": code})
    assert (r.status_code, r.json()["code"]) == (410, "invite_used")


def test_it_refuses_an_expired_code(alice, bob, settings):
    code = invite_code(alice)
    later = timezone.now() + timedelta(minutes=settings.PORCHLIGHT["INVITE_TTL_MINUTES"], seconds=1)
    with time_machine.travel(later):
        r = client_for(bob).post("/api/couple/join/", {"code": code})
    assert (r.status_code, r.json()["code"]) == (410, "invite_expired")


def test_it_refuses_to_join_when_already_paired(couple, alice, charlie):
    code = invite_code(charlie)
    r = client_for(alice).post("/api/couple/join/", {"code": code})
    assert (r.status_code, r.json()["code"]) == (409, "already_paired")
    r = client_for(alice).post("/api/couple/invite/")
    assert (r.status_code, r.json()["code"]) == (409, "already_paired")


def test_it_refuses_to_join_a_full_couple(alice, bob, charlie):
    code = invite_code(alice)
    assert client_for(bob).post("/api/couple/join/", {"code": code}).status_code == 201
    r = client_for(charlie).post("/api/couple/join/", {"code": code})
    assert (r.status_code, r.json()["code"]) == (410, "invite_used")
    assert Membership.objects.filter(user=charlie).count() == 0


def test_it_voids_other_open_invites_when_pairing(alice, bob):
    spare = invite_code(bob)
    pair(alice, bob)
    assert Invite.objects.get(code=spare.replace("-", "")).is_expired()


def test_it_replaces_the_open_code_with_a_new_one_and_never_runs_out(alice, bob):
    codes = [invite_code(alice) for _ in range(12)]
    assert Invite.objects.filter(created_by=alice).count() == 1
    r = client_for(bob).post("/api/couple/join/", {"code": codes[0]})
    assert (r.status_code, r.json()["code"]) == (404, "invite_unknown")
    assert client_for(bob).post("/api/couple/join/", {"code": codes[-1]}).status_code == 201


def test_it_throttles_code_guessing(charlie):
    client = client_for(charlie)
    statuses = [client.post("/api/couple/join/", {"code": f"ZZZZZZ{i:02}"}).status_code for i in range(11)]
    assert statuses[:10] == [404] * 10
    assert statuses[10] == 429


def test_it_keeps_a_person_in_one_active_couple_in_the_database(couple, alice, charlie):
    other = Couple.objects.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(couple=other, user=alice)


def test_it_unpairs_either_partner_alone_and_at_once(couple, alice, bob):
    r = client_for(bob).delete("/api/couple/")
    assert r.status_code == 204
    for person in (alice, bob):
        r = client_for(person).get("/api/couple/")
        assert (r.status_code, r.json()["code"]) == (404, "not_paired")
    couple.refresh_from_db()
    assert couple.ended_at is not None
    last = Event.objects.filter(couple=couple).order_by("-seq").first()
    assert (last.kind, last.actor) == ("partner.left", bob)


def test_it_needs_a_new_invite_to_pair_again(couple, alice, bob):
    services.couple_unpair(user=alice)
    assert client_for(alice).delete("/api/couple/").status_code == 404
    new_couple = pair(bob, alice)
    assert new_couple.pk != couple.pk
    assert new_couple.seq == 1


def test_it_answers_404_to_an_outsider_everywhere(couple, charlie):
    outsider = client_for(charlie)
    assert outsider.get("/api/couple/").status_code == 404
    assert outsider.delete("/api/couple/").status_code == 404
    assert outsider.post("/api/signal/", {"state": "red"}).status_code == 404
    couple.refresh_from_db()
    assert couple.is_active


def test_it_shows_another_couple_nothing_of_ours(couple, alice, charlie):
    dana = make_user("dana")
    theirs = pair(charlie, dana)
    client_for(alice).post("/api/signal/", {"state": "red", "note": "private"})
    body = client_for(charlie).get("/api/couple/").json()
    assert body["id"] == theirs.pk
    assert "private" not in str(body)
    assert {p["display_name"] for p in body["partners"]} == {"Charlie", "Dana"}


def test_it_answers_404_not_an_error_for_absurd_ids(couple, alice):
    client = client_for(alice)
    for path in ("/api/rhythm/blocks/99999999999999999999999/", "/api/flags/1e9/dismiss/", "/api/nowhere/"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["code"] == "not_found", path
    assert client.get("/api/history/?cursor=99999999999999999999999").status_code == 400
