import asyncio

import pytest
from channels import consumer as consumer_module
from channels.db import DatabaseSyncToAsync, database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.signals import user_logged_out
from django.db import connection, transaction
from django.test import RequestFactory

from config.asgi import application
from couples import bell
from couples import services as couples_services
from couples.models import Event
from rhythms.services import preview_post, reunion
from signals import services
from signals.models import SignalSpan
from signals.services import signal_answer
from tests.communicators import closed_with, frame, frames_until, open_socket, session_for, ticket_for
from tests.conftest import make_user, pair

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

set_light = database_sync_to_async(services.signal_set)
snapshot_of = database_sync_to_async(services.couple_snapshot)


async def test_it_sends_a_snapshot_on_connect(couple, alice, bob):
    await set_light(user=bob, state="yellow", note="tired")
    sock = await open_socket(alice)
    first = await frame(sock)
    assert first["type"] == "snapshot" and first["seq"] == 2
    bobs = next(p for p in first["couple"]["partners"] if p["id"] == bob.pk)
    assert bobs["signal"]["state"] == "yellow" and bobs["signal"]["note"] == "tired"
    await sock.disconnect()


async def test_it_holds_a_ring_that_comes_while_the_socket_reads_its_log(couple, alice, bob, monkeypatch):
    """The socket listens before it reads the log; a change committed in between rings
    at once. It must wait for the log read, not replay the log from the start."""
    original = services.socket_start

    def start_then_bob_changes(**kwargs):
        result = original(**kwargs)
        services.signal_set(user=bob, state="red")  # commits and rings while connect waits
        return result

    monkeypatch.setattr(services, "socket_start", start_then_bob_changes)
    sock = await open_socket(alice)
    first = await frame(sock)
    assert first["type"] == "snapshot" and first["seq"] == 1
    second = await frame(sock)
    assert (second["type"], second["seq"], second["data"]["state"]) == ("event", 2, "red")
    assert await sock.receive_nothing(timeout=0.3)
    await sock.disconnect()


async def test_it_authenticates_a_browser_by_session_cookie(couple, alice):
    sock = await open_socket(alice, session_key=await session_for(alice))
    assert (await frame(sock))["type"] == "snapshot"
    await sock.disconnect()


async def test_it_refuses_a_handshake_without_an_allowed_origin(couple, alice):
    for headers in ([], [(b"origin", b"http://evil.example")]):
        comm = WebsocketCommunicator(application, f"/ws/?ticket={await ticket_for(alice)}", headers=headers)
        connected, _ = await comm.connect()
        assert not connected
        await comm.disconnect()


async def test_it_closes_an_anonymous_socket_with_4401(couple):
    sock = await open_socket()
    assert (await frame(sock))["code"] == "unauthorized"
    assert await closed_with(sock) == 4401
    await sock.disconnect()


async def test_it_refuses_a_used_or_unknown_ticket(couple, alice):
    ticket = await ticket_for(alice)
    sock = await open_socket(ticket=ticket)
    assert (await frame(sock))["type"] == "snapshot"
    await sock.disconnect()
    for bad in (ticket, "not-a-ticket"):
        sock = await open_socket(ticket=bad)
        assert (await frame(sock))["code"] == "unauthorized"
        assert await closed_with(sock) == 4401
        await sock.disconnect()


async def test_it_closes_an_unpaired_outsider_with_4403(couple, charlie):
    sock = await open_socket(charlie)
    assert (await frame(sock))["code"] == "not_paired"
    assert await closed_with(sock) == 4403
    await sock.disconnect()


async def test_it_carries_the_partners_change_live(couple, alice, bob):
    sock = await open_socket(alice)
    await frame(sock)
    event, _ = await set_light(user=bob, state="red", note="call me?")
    live = await frame(sock)
    assert live == {**event.as_frame(), "type": "event"}
    assert live["data"]["state"] == "red" and live["actor"] == bob.pk
    await sock.disconnect()


async def test_it_keeps_other_couples_out_of_our_stream(couple, alice, charlie):
    dana = await database_sync_to_async(make_user)("dana")
    await database_sync_to_async(pair)(charlie, dana)
    theirs = await open_socket(charlie)
    await frame(theirs)
    await set_light(user=alice, state="red", note="ours alone")
    assert await theirs.receive_nothing(timeout=0.3)
    await theirs.disconnect()


async def test_it_replays_missed_events_after_reconnect(couple, alice, bob):
    sock = await open_socket(alice)
    seen = (await frame(sock))["seq"]
    await sock.disconnect()
    missed = [(await set_light(user=bob, state=s))[0].seq for s in ("yellow", "red", "green")]
    sock = await open_socket(alice, after=seen)
    replayed = [await frame(sock) for _ in missed]
    assert [f["seq"] for f in replayed] == missed
    assert all(f["type"] == "event" for f in replayed)
    live, _ = await set_light(user=bob, state="yellow")
    assert (await frame(sock))["seq"] == live.seq
    assert await sock.receive_nothing(timeout=0.2)
    await sock.disconnect()


async def test_it_sends_nothing_old_when_resuming_up_to_date(couple, alice, bob):
    await set_light(user=bob, state="yellow")
    sock = await open_socket(alice, after=2)
    assert await sock.receive_nothing(timeout=0.2)
    live, _ = await set_light(user=bob, state="red")
    assert (await frame(sock))["seq"] == live.seq
    assert await sock.receive_nothing(timeout=0.2)
    await sock.disconnect()


@pytest.mark.parametrize("after", ["-5", "999", "abc"])
async def test_it_resets_with_a_snapshot_when_it_cannot_replay(couple, alice, after):
    sock = await open_socket(alice, after=after)
    first = await frame(sock)
    assert first["type"] == "snapshot" and first["seq"] == 1
    await sock.disconnect()


async def test_it_resets_when_the_resume_point_belongs_to_another_couple(couple, alice, bob):
    await set_light(user=bob, state="red")
    sock = await open_socket(alice, after=f"1&couple={couple.pk + 1000}")
    assert (await frame(sock))["type"] == "snapshot"
    await sock.disconnect()
    sock = await open_socket(alice, after=f"1&couple={couple.pk}")
    assert (await frame(sock))["seq"] == 2
    await sock.disconnect()


async def test_it_resets_with_a_snapshot_when_too_much_was_missed(couple, alice, bob, settings):
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "REPLAY_MAX_EVENTS": 2}
    for _ in range(3):
        await set_light(user=bob, state="green")
    sock = await open_socket(alice, after=1)
    assert (await frame(sock))["type"] == "snapshot"
    await sock.disconnect()


def _apply(state: dict, event: dict) -> None:
    """An event applied to a snapshot, as the phone page does it (web/static/web/store.js)."""
    data = event["data"]
    person = {p["id"]: p for p in state["partners"]}
    if event["kind"] == "signal.changed":
        # A note added to the same light keeps its answer; a new light starts without one.
        same = data["previous"] == data["state"]
        was = person[data["user"]]["signal"]
        person[data["user"]]["signal"] = {
            **{k: data[k] for k in ("state", "note", "set_at")},
            "since": was["since"] if same and was["since"] else data["set_at"],
            "answer": was["answer"] if same else None,
        }
    elif event["kind"] == "signal.answered":
        answer = {
            "by": event["actor"],
            "at": event["at"],
            **{k: data[k] for k in ("reply", "note", "light_seq")},
        }
        person[data["to"]]["signal"]["answer"] = answer
    elif event["kind"] == "preview.posted":
        person[data["user"]] |= {"preview": data["preview"], "back_at": None}
    elif event["kind"] == "reunion":
        person[data["user"]] |= {"preview": None, "back_at": event["at"]}
    state["seq"] = event["seq"]


async def test_it_rebuilds_the_fresh_snapshot_from_a_replay(couple, alice, bob):
    """Applying the replayed events to an old snapshot equals a fresh one (zulip's verify_action)."""
    sock = await open_socket(alice)
    old = await frame(sock)
    await sock.disconnect()
    await set_light(user=bob, state="red", note="now")
    await database_sync_to_async(signal_answer)(user=alice, reply="coming", note="5 min")
    await set_light(user=bob, state="red", note="thank you")  # the same light: still answered
    await set_light(user=alice, state="yellow")
    await database_sync_to_async(signal_answer)(user=bob, reply="seen")
    await set_light(user=alice, state="red")  # a new light: the answer is left behind
    await database_sync_to_async(preview_post)(user=bob, message="out", op_id=None)
    await database_sync_to_async(reunion)(user=bob)  # "Bob is back", after a reload too
    await database_sync_to_async(preview_post)(user=alice, preset="goodnight")
    sock = await open_socket(alice, after=old["seq"])
    state = old["couple"]
    for _ in range(9):
        _apply(state, await frame(sock))
    fresh = await snapshot_of(user=alice)
    assert state == fresh
    bobs = next(p for p in fresh["partners"] if p["id"] == bob.pk)["signal"]
    assert bobs["answer"]["reply"] == "coming" and bobs["answer"]["note"] == "5 min"
    assert next(p for p in fresh["partners"] if p["id"] == alice.pk)["signal"]["answer"] is None
    assert next(p for p in fresh["partners"] if p["id"] == bob.pk)["back_at"] is not None
    await sock.disconnect()


async def test_it_sets_a_light_over_the_socket(couple, alice, bob):
    mine, theirs = await open_socket(alice), await open_socket(bob)
    await frame(mine), await frame(theirs)
    await mine.send_json_to({"type": "signal.set", "state": "red", "note": "now", "op_id": "a1"})
    event = await frame(mine)
    assert event["type"] == "event" and event["data"]["state"] == "red"
    assert event["op_id"] == "a1"  # how my phone knows its tap went through: no ack needed
    assert await mine.receive_nothing(timeout=0.2)
    assert await frame(theirs) == event
    await mine.send_json_to({"type": "signal.set", "state": "red", "note": "now", "op_id": "a1"})
    # A retry is acknowledged, not applied again.
    assert await frame(mine) == {"type": "ack", "seq": event["seq"], "op_id": "a1"}
    assert await theirs.receive_nothing(timeout=0.2)
    count = await database_sync_to_async(Event.objects.filter(kind="signal.changed").count)()
    assert count == 1
    await mine.disconnect()
    await theirs.disconnect()


def _count_trips_to_the_database_thread(monkeypatch) -> list:
    trips = []
    handler = DatabaseSyncToAsync.thread_handler
    monkeypatch.setattr(
        DatabaseSyncToAsync,
        "thread_handler",
        lambda self, *a, **kw: trips.append(1) or handler(self, *a, **kw),
    )
    monkeypatch.setattr(
        consumer_module, "aclose_old_connections", lambda: trips.append(1) or asyncio.sleep(0)
    )
    return trips


@pytest.mark.parametrize("state", ["red", "green"])
async def test_it_sets_a_light_with_at_most_one_trip_to_the_database_thread(
    couple, alice, bob, monkeypatch, state
):
    mine, theirs = await open_socket(alice), await open_socket(bob)
    await frame(mine), await frame(theirs)
    await set_light(user=alice, state="yellow")  # a light before: this tap is a change
    await frame(mine), await frame(theirs)
    trips = _count_trips_to_the_database_thread(monkeypatch)
    await mine.send_json_to({"type": "signal.set", "state": state, "note": "now"})
    event = await frame(mine)
    assert event["data"]["state"] == state and "op_id" not in event
    assert await frame(theirs) == event
    # No hop only to tidy connections; green and yellow on PostgreSQL are written from
    # the event loop (signals.inloop), a red in the thread (it may raise a flag).
    in_loop = state == "green" and connection.vendor == "postgresql"
    assert len(trips) == (0 if in_loop else 1)
    await mine.disconnect()
    await theirs.disconnect()


async def test_it_applies_a_retried_tap_once_from_either_path(couple, alice, bob):
    mine = await open_socket(alice)
    await frame(mine)
    await mine.send_json_to({"type": "signal.set", "state": "green", "note": "hi", "op_id": "g1"})
    assert (await frame(mine))["op_id"] == "g1"
    await mine.send_json_to({"type": "signal.set", "state": "green", "note": "hi", "op_id": "g1"})
    assert await frame(mine) == {"type": "ack", "seq": 2, "op_id": "g1"}  # the retry: its ack alone
    count = await database_sync_to_async(Event.objects.filter(kind="signal.changed").count)()
    assert count == 1
    await mine.disconnect()


async def test_it_keeps_seq_and_spans_whole_when_both_paths_write_at_once(couple, alice, bob):
    """A red goes through the database thread, green and yellow from the event loop on
    their own connection: the couple's lock orders them all the same."""
    mine, theirs = await open_socket(alice), await open_socket(bob)
    await frame(mine), await frame(theirs)
    for n in range(12):
        await mine.send_json_to({"type": "signal.set", "state": ("red", "green")[n % 2], "op_id": f"m{n}"})
        await theirs.send_json_to(
            {"type": "signal.set", "state": ("green", "yellow")[n % 2], "op_id": f"t{n}"}
        )
    done = {}  # op_id -> seq of its event
    for sock in (mine, theirs):
        while len([o for o in done if o[0] == ("m" if sock is mine else "t")]) < 12:
            got = await frame(sock)
            if got.get("op_id"):
                done[got["op_id"]] = got["seq"]
    assert len(done) == 24 and len(set(done.values())) == 24  # each tap one event of its own

    def spans_open() -> list:
        return list(SignalSpan.objects.filter(ended_at__isnull=True).values_list("user_id", flat=True))

    assert sorted(await database_sync_to_async(spans_open)()) == sorted([alice.pk, bob.pk])
    seqs = await database_sync_to_async(
        lambda: list(Event.objects.order_by("seq").values_list("seq", flat=True))
    )()
    assert seqs == list(range(1, len(seqs) + 1))  # no gap (a red may have raised a flag)
    await mine.disconnect()
    await theirs.disconnect()


async def test_it_rings_the_partners_sockets_in_this_process_without_redis(
    couple, alice, bob, monkeypatch, settings
):
    mine, theirs, their_other = await open_socket(alice), await open_socket(bob), await open_socket(bob)
    for sock in (mine, theirs, their_other):
        await frame(sock)
    published = []

    def lost(messages):  # the doorbell to other processes fails: ours still ring
        published.extend(messages)
        raise ConnectionError("redis is gone")

    monkeypatch.setattr(bell, "_publish", lost)
    await mine.send_json_to({"type": "signal.set", "state": "red", "note": "now"})
    event = await frame(mine)
    for sock in (theirs, their_other):
        assert await frame(sock, timeout=0.5) == event  # well before any heartbeat
        assert await sock.receive_nothing(timeout=0.2)  # once
    # Published once for the other processes (embedded, there are none).
    assert [name for name, _ in published] == ([f"couple.{couple.pk}"] if settings.REDIS_URL else [])
    for sock in (mine, theirs, their_other):
        await sock.disconnect()


@pytest.mark.parametrize(
    "sent,code",
    [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_frame"),
        ('{"state": "red"}', "bad_frame"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "signal.set", "state": "purple"}', "invalid"),
        ('{"type": "signal.set", "state": "red", "note": 7}', "invalid"),
        ('{"type": "signal.set", "state": "red", "note": "a\\u0000b"}', "invalid"),
        ('{"type": "signal.set", "state": "red", "op_id": ["x"]}', "invalid"),
        ("x" * 5000, "too_large"),
    ],
)
async def test_it_answers_a_bad_frame_with_an_error_and_stays_usable(couple, alice, sent, code):
    sock = await open_socket(alice)
    await frame(sock)
    await sock.send_to(text_data=sent)
    error = await frame(sock)
    assert error["type"] == "error" and error["code"] == code
    await sock.send_json_to({"type": "signal.set", "state": "green"})
    assert (await frame(sock))["type"] == "event"
    await sock.disconnect()


async def test_it_refuses_binary_frames(couple, alice):
    sock = await open_socket(alice)
    await frame(sock)
    await sock.send_to(bytes_data=b"\x00\x01")
    assert (await frame(sock))["code"] == "binary_unsupported"
    await sock.send_json_to({"type": "ping"})
    assert await frame(sock) == {"type": "heartbeat", "seq": 1}
    await sock.disconnect()


async def test_it_answers_a_ping_with_the_latest_seq(couple, alice):
    sock = await open_socket(alice)
    await frame(sock)
    await sock.send_json_to({"type": "ping"})
    assert await frame(sock) == {"type": "heartbeat", "seq": 1}
    await sock.disconnect()


async def test_it_sends_heartbeats_with_the_latest_seq(couple, alice, settings):
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "HEARTBEAT_SECONDS": 0.1}
    sock = await open_socket(alice)
    await frame(sock)
    assert await frame(sock) == {"type": "heartbeat", "seq": 1}
    await sock.disconnect()


async def test_it_heals_a_lost_publish_within_one_heartbeat(couple, alice, bob, settings, monkeypatch):
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "HEARTBEAT_SECONDS": 0.3}
    sock = await open_socket(alice)
    await frame(sock)
    monkeypatch.setattr(couples_services, "events_publish", lambda *events: None)  # the doorbell fails
    lost, _ = await set_light(user=bob, state="red")
    frames = await frames_until(sock, lambda f: f["type"] == "heartbeat", timeout=2)
    assert [f["seq"] for f in frames] == [lost.seq, lost.seq]
    assert frames[0]["type"] == "event" and frames[0]["data"]["state"] == "red"
    await sock.disconnect()


async def test_it_fills_a_gap_before_a_later_event(couple, alice, bob, monkeypatch):
    sock = await open_socket(alice)
    await frame(sock)
    original = couples_services.events_publish
    monkeypatch.setattr(couples_services, "events_publish", lambda *events: None)
    lost, _ = await set_light(user=bob, state="yellow")
    monkeypatch.setattr(couples_services, "events_publish", original)
    rung, _ = await set_light(user=bob, state="red")
    assert [(await frame(sock))["seq"] for _ in range(2)] == [lost.seq, rung.seq]
    await sock.disconnect()


async def test_it_closes_both_partners_sockets_on_unpair(couple, alice, bob):
    mine, theirs = await open_socket(alice), await open_socket(bob)
    await frame(mine), await frame(theirs)
    await database_sync_to_async(couples_services.couple_unpair)(user=bob)
    for sock in (mine, theirs):
        left = await frame(sock)
        assert left["kind"] == "partner.left"
        assert await closed_with(sock) == 4403
        await sock.disconnect()


async def test_it_closes_a_socket_when_unpair_happened_while_the_doorbell_was_down(
    couple, alice, bob, settings, monkeypatch
):
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "HEARTBEAT_SECONDS": 0.2}
    sock = await open_socket(alice)
    await frame(sock)
    monkeypatch.setattr(couples_services, "bell_ring", lambda *messages: None)
    await database_sync_to_async(couples_services.couple_unpair)(user=bob)
    assert await closed_with(sock) == 4403
    await sock.disconnect()


async def test_it_closes_the_socket_of_the_session_that_logged_out(couple, alice):
    session_key = await session_for(alice)
    browser = await open_socket(alice, session_key=session_key)
    other = await open_socket(alice)  # another device, by ticket
    await frame(browser), await frame(other)

    def log_out():
        request = RequestFactory().post("/accounts/logout/")
        request.session = type("S", (), {"session_key": session_key})()
        user_logged_out.send(sender=type(alice), request=request, user=alice)

    await database_sync_to_async(log_out)()
    assert (await frame(browser))["code"] == "unauthorized"
    assert await closed_with(browser) == 4401
    assert await other.receive_nothing(timeout=0.2)
    await browser.disconnect()
    await other.disconnect()


async def test_it_closes_every_socket_on_password_change(couple, alice):
    socks = [await open_socket(alice), await open_socket(alice, session_key=await session_for(alice))]
    for sock in socks:
        await frame(sock)

    def change():
        with transaction.atomic():
            alice.set_password("a new and long one")
            alice.save()
            couples_services.user_password_changed(user=alice)

    await database_sync_to_async(change)()
    for sock in socks:
        assert await closed_with(sock) == 4401
        await sock.disconnect()


async def test_it_serves_many_sockets_of_one_person(couple, alice, bob):
    socks = [await open_socket(alice) for _ in range(3)]
    for sock in socks:
        await frame(sock)
    event, _ = await set_light(user=bob, state="green")
    results = await asyncio.gather(*(frame(s) for s in socks))
    assert {r["seq"] for r in results} == {event.seq}
    for sock in socks:
        await sock.disconnect()


async def test_it_carries_previews_and_reunions_live(couple, alice, bob):
    sock = await open_socket(bob)
    await frame(sock)
    await database_sync_to_async(preview_post)(user=alice, message="Out with friends, back around 10")
    posted = await frame(sock)
    assert posted["kind"] == "preview.posted" and posted["data"]["preview"]["message"].startswith("Out with")
    await database_sync_to_async(reunion)(user=alice)
    back = await frame(sock)
    assert back["kind"] == "reunion" and back["data"]["preview"] == posted["data"]["preview"]["id"]
    await sock.disconnect()
