"""The private self-assessment: taken alone, shared only when the person says so."""

import logging
import re

import pytest
from channels.db import database_sync_to_async

from couples.models import Event
from couples.services import account_delete, couple_unpair
from practice.models import Assessment
from practice.services import ITEMS, pattern_of
from tests.communicators import frame, open_socket
from tests.conftest import client_for, pair
from tests.test_pages import browser_for

pytestmark = pytest.mark.django_db

DEPENDENCE = [key for key, dimension, _ in ITEMS if dimension == "dependence"]
INDEPENDENCE = [key for key, dimension, _ in ITEMS if dimension == "independence"]


def answers(dependence: int, independence: int) -> dict:
    return {**dict.fromkeys(DEPENDENCE, dependence), **dict.fromkeys(INDEPENDENCE, independence)}


def take(user, body) -> dict:
    r = client_for(user).post("/api/me/assessment/", body, format="json")
    assert r.status_code == 201, r.json()
    return r.json()


def share(user, result_id, shared=True):
    return client_for(user).patch(f"/api/me/assessment/{result_id}/", {"shared": shared}, format="json")


def partner_view(viewer, of) -> dict | None:
    partners = client_for(viewer).get("/api/couple/").json()["partners"]
    return next(p for p in partners if p["id"] == of.pk)["assessment"]


def test_it_offers_ten_items_in_two_dimensions(alice):
    body = client_for(alice).get("/api/me/assessment/").json()
    assert len(body["items"]) == 10 and body["latest"] is None and body["history"] == []
    assert {i["dimension"] for i in body["items"]} == {"dependence", "independence"}
    assert sum(i["dimension"] == "dependence" for i in body["items"]) == 5
    assert all(i["id"] and i["text"] for i in body["items"])


@pytest.mark.parametrize(
    "dependence,independence,pattern",
    [
        (1.8, 4.2, "hyper_independent"),
        (2, 4, "hyper_independent"),
        (4.4, 1.6, "over_dependent"),
        (4, 2, "over_dependent"),
        (3, 3, "interdependent"),
        (4.6, 4.8, "interdependent"),
        (2.4, 4.4, "mixed"),
        (1, 1, "mixed"),
        (3.6, 2.2, "mixed"),
    ],
)
def test_it_bands_the_means_into_a_lean(dependence, independence, pattern):
    assert pattern_of(dependence, independence) == pattern


def test_it_scores_a_result_and_keeps_it_private(alice):
    mixed = {**answers(2, 5), DEPENDENCE[0]: 1}  # dependence (1+2+2+2+2)/5 = 1.8
    result = take(alice, {"answers": mixed})
    assert result["dependence"] == 1.8 and result["independence"] == 5.0
    assert result["pattern"] == "hyper_independent" and result["shared"] is False
    later = take(alice, {"answers": answers(4, 4)})
    page = client_for(alice).get("/api/me/assessment/").json()
    assert page["latest"]["id"] == later["id"] and [r["id"] for r in page["history"]] == [
        later["id"],
        result["id"],
    ]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"answers": {}}, DEPENDENCE[0]),
        ({"answers": {**answers(3, 3), DEPENDENCE[1]: 6}}, DEPENDENCE[1]),
        ({"answers": {**answers(3, 3), INDEPENDENCE[0]: 0}}, INDEPENDENCE[0]),
        ({"answers": {**answers(3, 3), INDEPENDENCE[2]: "5"}}, INDEPENDENCE[2]),
        ({"answers": {**answers(3, 3), INDEPENDENCE[3]: 2.5}}, INDEPENDENCE[3]),
        ({"answers": {**answers(3, 3), INDEPENDENCE[4]: True}}, INDEPENDENCE[4]),
        ({"answers": {**answers(3, 3), "extra": 3}}, "extra"),
        ({"answers": [3] * 10}, "answers"),
        ({}, "answers"),
    ],
)
def test_it_refuses_missing_or_out_of_range_answers(alice, body, field):
    r = client_for(alice).post("/api/me/assessment/", body, format="json")
    assert r.status_code == 400 and field in r.json()["errors"], r.json()
    assert not Assessment.objects.exists()


def test_it_shows_the_partner_only_what_was_shared_and_takes_it_back(couple, alice, bob):
    private = take(alice, {"answers": answers(1, 5)})
    assert partner_view(bob, alice) is None
    shared = take(alice, {"answers": answers(4, 4)})
    r = share(alice, shared["id"])
    assert r.status_code == 200 and r.json()["shared"] is True
    seen = partner_view(bob, alice)
    assert seen == {"pattern": "interdependent", "dependence": 4.0, "independence": 4.0, "at": shared["at"]}
    [event] = Event.objects.filter(kind="assessment.shared")
    assert event.data["assessment"]["pattern"] == "interdependent" and "answers" not in str(event.data)
    assert share(alice, shared["id"], shared=False).status_code == 200
    assert partner_view(bob, alice) is None
    # Nothing of it stays in the partner's history either, nor anything of the private one.
    history = str(client_for(bob).get("/api/history/").json())
    assert "interdependent" not in history and "hyper_independent" not in history
    assert Event.objects.filter(kind="assessment.shared").count() == 2
    assert private["pattern"] == "hyper_independent"


def test_it_lets_nobody_else_read_or_share_a_result(couple, alice, bob, charlie):
    result = take(alice, {"answers": answers(2, 2)})
    for other in (bob, charlie):
        assert share(other, result["id"]).status_code == 404
        assert client_for(other).get("/api/me/assessment/").json()["history"] == []
    assert client_for(charlie).get("/api/couple/").status_code == 404
    assert client_for(None).get("/api/me/assessment/").status_code in (401, 403)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_sends_a_shared_result_live_and_never_an_unshared_one(couple, alice, bob):
    his = await open_socket(bob)
    snapshot = await frame(his)
    assert all(p["assessment"] is None for p in snapshot["couple"]["partners"])
    result = await database_sync_to_async(take)(alice, {"answers": answers(5, 1)})
    assert await his.receive_nothing(timeout=0.3)  # taking it says nothing to the partner
    await database_sync_to_async(share)(alice, result["id"])
    event = await frame(his)
    assert event["kind"] == "assessment.shared" and event["data"]["assessment"]["pattern"] == "over_dependent"
    await database_sync_to_async(share)(alice, result["id"], False)
    assert (await frame(his))["data"]["assessment"] is None
    await his.disconnect()


def test_it_exports_ones_own_results_not_the_partners_and_logs_none(couple, alice, bob, caplog):
    caplog.set_level(logging.DEBUG)
    mine = take(alice, {"answers": answers(3, 5)})
    share(alice, mine["id"])
    take(bob, {"answers": answers(1, 1)})
    hers = client_for(alice).get("/api/me/export/?format=json").json()
    assert [a["pattern"] for a in hers["assessments"]] == ["interdependent"]
    assert hers["assessments"][0]["answers"][DEPENDENCE[0]] == 3
    his = client_for(bob).get("/api/me/export/?format=json").json()
    assert [a["pattern"] for a in his["assessments"]] == ["mixed"]
    assert "interdependent" not in str(his)
    assert "interdependent" not in caplog.text and "over_dependent" not in caplog.text


def test_it_removes_a_persons_results_with_their_account(couple, alice, bob):
    result = take(alice, {"answers": answers(4, 4)})
    share(alice, result["id"])
    account_delete(user=alice, password="correct horse battery")
    assert not Assessment.objects.exists()
    assert not Event.objects.filter(kind="assessment.shared").exists()


def journal(user, **body):
    return client_for(user).post("/api/me/journal/", body, format="json")


def practices(user) -> dict:
    r = client_for(user).get("/api/me/practices/")
    assert r.status_code == 200
    return r.json()


def test_it_suggests_the_practices_for_the_capacity_ones_lean_lacks(alice):
    assert practices(alice)["pattern"] is None
    take(alice, {"answers": answers(5, 1)})  # over-dependent: being alone first
    body = practices(alice)
    assert body["pattern"] == "over_dependent"
    assert [s["capacity"] for s in body["suggestions"]][:3] == ["alone"] * 3
    take(alice, {"answers": answers(1, 5)})  # hyper-independent: safe dependence first
    assert [s["key"] for s in practices(alice)["suggestions"]][:2] == ["small_ask", "share_vulnerable"]


def test_it_logs_practices_privately_and_sums_them_for_the_person_alone(couple, alice, bob, charlie):
    from rhythms.services import preview_post

    assert journal(alice, kind="alone_time", minutes=12).status_code == 201
    assert (
        journal(alice, kind="anxiety", intensity_before=7, intensity_after=4, trigger="no reply").status_code
        == 201
    )
    preview_post(user=bob, message="Out with friends, back at ten")
    r = journal(alice, kind="anxiety", intensity_before=5, note="felt it, let it pass")
    assert r.status_code == 201 and r.json()["partner_preview"] is True
    summary = practices(alice)["summary"]
    assert summary["alone_time"] == {"sessions": 1, "minutes": 12}
    assert summary["anxiety"] == {
        "moments": 2,
        "with_partner_preview": 1,
        "without_partner_preview": 1,
        "mean_before": 6.0,
        "mean_after": 4.0,
    }
    for other in (bob, charlie):
        assert practices(other)["journal"] == []
    everything_bob_sees = str(client_for(bob).get("/api/couple/").json())
    everything_bob_sees += str(client_for(bob).get("/api/history/").json())
    everything_bob_sees += str(client_for(bob).get("/api/me/export/?format=json").json())
    assert "no reply" not in everything_bob_sees and "let it pass" not in everything_bob_sees
    mine = client_for(alice).get("/api/me/export/?format=json").json()["journal"]
    assert [e["kind"] for e in mine] == ["alone_time", "anxiety", "anxiety"]
    account_delete(user=alice, password="correct horse battery")
    assert practices(bob)["journal"] == []


@pytest.mark.parametrize(
    "body,field",
    [
        ({"kind": "meditation"}, "kind"),
        ({"kind": "alone_time"}, "minutes"),
        ({"kind": "alone_time", "minutes": 0}, "minutes"),
        ({"kind": "alone_time", "minutes": 241}, "minutes"),
        ({"kind": "alone_time", "minutes": "10"}, "minutes"),
        ({"kind": "anxiety"}, "intensity_before"),
        ({"kind": "anxiety", "intensity_before": 11}, "intensity_before"),
        ({"kind": "anxiety", "intensity_before": 3, "intensity_after": -1}, "intensity_after"),
        ({"kind": "anxiety", "intensity_before": True}, "intensity_before"),
        ({"kind": "anxiety", "intensity_before": 3, "trigger": "x" * 141}, "trigger"),
    ],
)
def test_it_refuses_a_journal_entry_that_does_not_add_up(alice, body, field):
    r = journal(alice, **body)
    assert r.status_code == 400 and field in r.json()["errors"], r.json()


def test_it_keeps_a_private_self_care_list_of_up_to_ten_things(couple, alice, bob):
    r = client_for(alice).put(
        "/api/me/practices/self-care/", {"items": ["a bath", " ", "call my sister"]}, format="json"
    )
    assert r.status_code == 200 and r.json() == {"items": ["a bath", "call my sister"]}
    assert practices(alice)["self_care"] == ["a bath", "call my sister"]
    assert practices(bob)["self_care"] == []
    assert "call my sister" not in str(client_for(bob).get("/api/me/export/?format=json").json())
    assert client_for(alice).get("/api/me/export/?format=json").json()["self_care"] == [
        "a bath",
        "call my sister",
    ]
    too_many = client_for(alice).put("/api/me/practices/self-care/", {"items": ["x"] * 11}, format="json")
    assert too_many.status_code == 400
    too_long = client_for(alice).put("/api/me/practices/self-care/", {"items": ["x" * 81]}, format="json")
    assert too_long.status_code == 400 and "items" in too_long.json()["errors"]


def test_it_keeps_a_share_in_the_couple_it_was_made_in(couple, alice, bob, charlie):
    result = take(alice, {"answers": answers(5, 1)})
    assert share(alice, result["id"]).status_code == 200
    couple_unpair(user=bob)
    assert client_for(alice).get("/api/me/assessment/").json()["latest"]["shared"] is False
    pair(alice, charlie)
    assert partner_view(charlie, alice) is None  # a next partner sees nothing of it
    assert "Alice leans towards" not in browser_for(charlie).get("/practice/").text
    assert share(alice, result["id"]).status_code == 200  # shared anew, with him
    assert partner_view(charlie, alice)["pattern"] == "over_dependent"


def test_it_shares_nothing_without_a_partner(alice):
    result = take(alice, {"answers": answers(3, 3)})
    r = share(alice, result["id"])
    assert (r.status_code, r.json()["code"]) == (404, "not_paired")


def test_it_ends_an_open_ask_with_its_couple(couple, alice, bob, charlie):
    assert client_for(alice).post("/api/asks/", {"text": "Call me at lunch?"}).status_code == 201
    couple_unpair(user=bob)
    pair(alice, charlie)
    assert client_for(alice).post("/api/asks/", {"text": "A walk tonight?"}).status_code == 201
    assert [a["text"] for a in client_for(charlie).get("/api/asks/").json()] == ["A walk tonight?"]


def test_it_logs_an_anxious_moment_with_the_now_value_alone(alice):
    r = client_for(alice).post("/api/me/journal/", {"kind": "anxiety", "intensity_before": 6}, format="json")
    assert r.status_code == 201 and r.json()["intensity_after"] is None
    page = browser_for(alice).get("/practice/").text
    assert "Sat with a worry: 6" in page  # listed back to its owner


def test_it_marks_this_weeks_small_steps_privately(couple, alice, bob):
    steps = client_for(alice).get("/api/me/practices/").json()["steps"]
    assert [s["key"] for s in steps] == ["say_low", "say_why", "let_show"] and not any(
        s["done"] for s in steps
    )
    r = client_for(alice).put("/api/me/practices/steps/say_low/", {"done": True}, format="json")
    assert r.status_code == 200 and r.json()["done"] is True and r.json()["week"].startswith("20")
    assert [s["done"] for s in client_for(alice).get("/api/me/practices/").json()["steps"]] == [
        True,
        False,
        False,
    ]
    assert not any(s["done"] for s in client_for(bob).get("/api/me/practices/").json()["steps"])
    assert (
        client_for(alice).put("/api/me/practices/steps/nope/", {"done": True}, format="json").status_code
        == 404
    )
    # Shown on the page to a lean towards managing alone.
    assert 'id="steps-card"' not in browser_for(alice).get("/practice/").text
    take(alice, {"answers": answers(1, 5)})
    assert 'id="steps-card"' in browser_for(alice).get("/practice/").text


def test_it_names_a_lean_in_words_of_5_and_a_partners_share_about_them(couple, alice, bob):
    result = take(alice, {"answers": answers(5, 1)})
    mine = re.sub(
        r"<script.*?</script>", "", browser_for(alice).get("/practice/").text, flags=re.S
    )  # as shown
    assert "over_dependent" not in mine and "over-dependent" not in mine
    assert "Leaning towards needing closeness" in mine and "5.0 of 5" in mine and "1.0 of 5" in mine
    # Before sharing, she sees what he will see: about her, in the third person.
    assert "Bob will see exactly this:" in mine and "Alice leans towards needing closeness" in mine
    share(alice, result["id"])
    his = re.sub(r"<script.*?</script>", "", browser_for(bob).get("/practice/").text, flags=re.S)
    assert "What Alice shared with you" in his and "Alice leans towards needing closeness" in his
    assert "You lean towards needing closeness" not in his
