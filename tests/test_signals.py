import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from couples import bell
from couples import services as couples_services
from couples.models import Event
from couples.services import login_of_session, login_of_token
from couples.sessions import SessionStore
from signals.models import Signal, SignalSpan
from signals.services import signal_set, sockets_check
from tests.conftest import client_for, make_user, pair

pytestmark = pytest.mark.django_db


def test_it_sets_my_light_and_logs_an_event(couple, alice):
    r = client_for(alice).post("/api/signal/", {"state": "yellow", "note": "long day"})
    assert r.status_code == 201
    body = r.json()
    assert body["seq"] == 2 and body["kind"] == "signal.changed" and body["actor"] == alice.pk
    assert body["data"]["state"] == "yellow" and body["data"]["note"] == "long day"
    mine = client_for(alice).get("/api/couple/").json()["partners"][0]
    assert mine["signal"]["state"] == "yellow" and mine["signal"]["note"] == "long day"


def test_it_shows_the_partner_my_light(couple, alice, bob):
    client_for(alice).post("/api/signal/", {"state": "red"})
    body = client_for(bob).get("/api/couple/").json()
    her = next(p for p in body["partners"] if p["id"] == alice.pk)
    assert her["signal"]["state"] == "red" and not her["is_me"]
    me = next(p for p in body["partners"] if p["id"] != alice.pk)
    assert me["signal"] == {"state": None, "note": "", "set_at": None, "since": None, "answer": None}


def test_it_keeps_when_a_light_came_on_when_a_note_is_added(couple, alice, bob):
    first = client_for(alice).post("/api/signal/", {"state": "red"}).json()
    client_for(alice).post("/api/signal/", {"state": "red", "note": "still here"})
    her = next(p for p in client_for(bob).get("/api/couple/").json()["partners"] if p["id"] == alice.pk)
    assert her["signal"]["since"] == first["data"]["set_at"] != her["signal"]["set_at"]
    assert her["signal"]["note"] == "still here"


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"state": "blue"}, "state"),
        ({}, "state"),
        ({"state": "red", "note": "x" * 281}, "note"),
        ({"state": "red", "note": "hi\x00there"}, "note"),
        ({"state": "red", "note": "bell\x07"}, "note"),
        ({"state": "red", "op_id": "has spaces"}, "op_id"),
        ({"state": "red", "op_id": "x" * 65}, "op_id"),
    ],
)
def test_it_refuses_a_bad_signal_with_400(couple, alice, payload, field):
    r = client_for(alice).post("/api/signal/", payload)
    assert r.status_code == 400
    assert field in r.json()["errors"]
    assert Event.objects.filter(kind="signal.changed").count() == 0


def test_it_refuses_bad_input_that_is_not_an_object(couple, alice):
    r = client_for(alice).post("/api/signal/", "[1, 2]", content_type="application/json")
    assert r.status_code == 400
    r = client_for(alice).post("/api/signal/", "{not json", content_type="application/json")
    assert r.status_code == 400


def test_it_accepts_a_note_of_exactly_280_characters(couple, alice):
    assert client_for(alice).post("/api/signal/", {"state": "green", "note": "é" * 280}).status_code == 201


def test_it_applies_a_retried_write_once(couple, alice):
    client = client_for(alice)
    first = client.post("/api/signal/", {"state": "red", "op_id": "tap-1"})
    again = client.post("/api/signal/", {"state": "red", "op_id": "tap-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["seq"] == again.json()["seq"]
    assert Event.objects.filter(kind="signal.changed").count() == 1


def test_it_keeps_op_ids_per_person(couple, alice, bob):
    a = client_for(alice).post("/api/signal/", {"state": "red", "op_id": "same"})
    b = client_for(bob).post("/api/signal/", {"state": "green", "op_id": "same"})
    assert (a.status_code, b.status_code) == (201, 201)
    assert b.json()["seq"] == a.json()["seq"] + 1


def test_it_refuses_an_op_id_used_for_another_kind_of_change(couple, alice):
    signal_set(user=alice, state="red", op_id="op-7")
    with pytest.raises(couples_services.ServiceError) as e:
        with transaction.atomic():
            couples_services.event_for_op(user=alice, op_id="op-7", kind="preview.posted")
    assert e.value.status == 409


def test_it_numbers_events_gap_free_and_increasing(couple, alice, bob):
    for i in range(10):
        signal_set(user=alice if i % 2 else bob, state="green")
    seqs = list(Event.objects.filter(couple=couple).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 12))
    couple.refresh_from_db()
    assert couple.seq == 11


def test_it_sends_each_light_as_it_was_stored(couple, alice):
    """The event a tap sends is built in Python from what the write returned (on
    PostgreSQL, porchlight_light_set completes the stored data itself): a phone that
    replays it from the log must get the same frame."""
    taps = [("green", "", "o1"), ("red", "help", None), ("red", "still", "o3"), ("yellow", "", None)]
    for state, note, op_id in taps:
        sent, _ = signal_set(user=alice, state=state, note=note, op_id=op_id)
        assert sent.as_frame() == Event.objects.get(pk=sent.pk).as_frame()
    stored = [e.data for e in Event.objects.filter(kind="signal.changed").order_by("seq")]
    assert [(d["previous"], d["red_on"]) for d in stored] == [
        (None, False),
        ("green", True),
        ("red", False),  # a red note edited: red did not come on again
        ("red", False),
    ]


def test_it_publishes_only_after_commit(couple, alice, django_capture_on_commit_callbacks, monkeypatch):
    published = []
    monkeypatch.setattr(couples_services, "events_publish", lambda *events: published.extend(events))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event, _ = signal_set(user=alice, state="red")
        assert published == []
    for callback in callbacks:
        callback()
    assert [e.seq for e in published] == [event.seq]


def test_it_writes_nothing_when_the_event_cannot_be_written(couple, alice):
    # A row already holding the next seq: the event insert is the statement that fails.
    before = couple.seq
    Event.objects.create(couple=couple, seq=before + 1, kind="test.blocker")
    with pytest.raises(IntegrityError):
        signal_set(user=alice, state="red")
    assert not Signal.objects.filter(user=alice).exists()
    assert not SignalSpan.objects.filter(user=alice).exists()
    couple.refresh_from_db()
    assert couple.seq == before


def test_it_keeps_the_write_when_publishing_fails(
    couple, alice, monkeypatch, django_capture_on_commit_callbacks
):
    def deaf(name, message):
        raise ConnectionError("redis is gone")

    monkeypatch.setattr(bell, "_deliver", deaf)
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(alice).post("/api/signal/", {"state": "red"})
    assert r.status_code == 201
    assert Signal.objects.get(user=alice).state == "red"


def test_it_refuses_a_light_when_not_paired(alice):
    r = client_for(alice).post("/api/signal/", {"state": "red"})
    assert (r.status_code, r.json()["code"]) == (404, "not_paired")


def test_it_refuses_a_light_after_unpair(couple, alice):
    couples_services.couple_unpair(user=alice)
    with pytest.raises(couples_services.NotPaired):
        signal_set(user=alice, state="green")


def test_it_strips_the_note_and_validates_in_the_service(couple, alice):
    event, _ = signal_set(user=alice, state="green", note="  fine  ")
    assert event.data["note"] == "fine"
    with pytest.raises(ValidationError):
        signal_set(user=alice, state="purple")


def test_it_checks_every_listening_socket_with_a_fixed_number_of_queries(
    couple, alice, bob, charlie, django_assert_max_num_queries
):
    others = [pair(make_user(f"p{i}"), make_user(f"q{i}")) for i in range(10)]
    session = SessionStore()
    session[SESSION_KEY] = str(bob.pk)
    session.create()

    def token_login(user):
        return login_of_token(Token.objects.create(user=user).key)

    alice_login, charlie_login = token_login(alice), token_login(charlie)
    bob_session = login_of_session(session.session_key)
    listeners = [
        (alice.pk, couple.pk, alice_login),
        (bob.pk, couple.pk, bob_session),
        (bob.pk, couple.pk, login_of_session("gone")),  # logged out: the session is gone
        (bob.pk, couple.pk, login_of_token("gone")),
        (bob.pk, couple.pk, alice_login),  # someone else's login
    ]
    listeners += [(c.partners()[0].pk, c.pk, token_login(c.partners()[0])) for c in others]
    listeners.append((charlie.pk, couple.pk, charlie_login))  # not a member
    with django_assert_max_num_queries(3):
        latest = sockets_check(listeners=listeners)
    assert latest[listeners[0]] == couple.seq
    assert latest[listeners[1]] == couple.seq
    assert [latest[listener] for listener in listeners[2:5]] == ["unauthorized"] * 3
    assert latest[listeners[-1]] == "not_paired"
    assert all(latest[listener] == 1 for listener in listeners[5:-1])
    couples_services.couple_unpair(user=bob)
    assert sockets_check(listeners=listeners[:1]) == {listeners[0]: "not_paired"}
