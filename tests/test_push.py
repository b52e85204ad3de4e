import stat
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from couples.models import PushDevice
from rhythms.scheduler import step as rhythms_step
from rhythms.services import block_create, block_mute, preview_post
from signals import push
from signals.models import PushJob
from signals.services import signal_answer, signal_set
from tests.conftest import client_for, make_user, pair

pytestmark = pytest.mark.django_db


def subscribe(user, service, name="phone", **extra) -> int:
    r = client_for(user).post("/api/push/devices/", {**service.subscription(name), "label": name, **extra})
    assert r.status_code == 201, r.json()
    return r.json()["id"]


def deliver(now=None):
    """Run the push steps the background loop runs, until nothing is left to do."""
    now = now or timezone.now()
    while push.push_dispatch_next(now) or push.push_send_next(now):
        pass


def test_it_delivers_a_red_encrypted_and_signed_without_the_note(couple, alice, bob, service):
    subscribe(bob, service)
    signal_set(user=alice, state="red", note="the appointment went badly")
    deliver()
    [message] = service.received
    assert message["payload"]["title"] == "Alice needs you"
    assert "appointment" not in str(message["payload"])
    assert b"appointment" not in message["ciphertext"]
    assert message["headers"]["content-encoding"] == "aes128gcm"
    assert message["headers"]["urgency"] == "high"
    assert message["claims"]["aud"] == service.origin
    assert message["claims"]["k"] == push.vapid_public_key()
    assert message["claims"]["sub"].startswith("mailto:")
    assert not PushJob.objects.exists()


def test_it_includes_the_note_only_when_the_device_asked(couple, alice, bob, service):
    subscribe(bob, service, include_text=True)
    signal_set(user=alice, state="red", note="call me?")
    deliver()
    assert service.received[0]["payload"]["body"] == "call me?"


def test_it_pushes_a_light_coming_on_and_ending_not_a_note_edit(couple, alice, bob, service):
    subscribe(bob, service)
    signal_set(user=alice, state="green")  # a first green replaces nothing
    for state, note in (("yellow", ""), ("yellow", "still"), ("green", ""), ("red", ""), ("red", "still")):
        signal_set(user=alice, state=state, note=note)
        deliver()
    states = [m["payload"]["state"] for m in service.received]
    assert states == ["yellow", "green", "red"]
    assert {m["payload"]["tag"] for m in service.received} == {f"light-{alice.pk}"}


def test_it_leaves_the_dispatcher_no_couple_to_visit_after_a_note_or_a_first_green(
    couple, alice, bob, service
):
    subscribe(bob, service)
    deliver()  # the pairing's own event
    signal_set(user=alice, state="green")
    couple.refresh_from_db()
    assert couple.push_seq == couple.seq
    assert push.push_dispatch_next(timezone.now()) is False
    signal_set(user=alice, state="red")
    signal_set(user=alice, state="red", note="still")  # finds the red waiting: the mark stays before it
    couple.refresh_from_db()
    assert couple.push_seq == couple.seq - 2
    deliver()
    assert len(service.received) == 1
    couple.refresh_from_db()
    assert couple.push_seq == couple.seq
    signal_set(user=alice, state="red", note="and now")  # a note: nothing to tell
    couple.refresh_from_db()
    assert couple.push_seq == couple.seq


def test_it_never_pushes_my_own_red_to_my_devices(couple, alice, bob, service):
    subscribe(alice, service, "mine")
    signal_set(user=alice, state="red")
    deliver()
    assert service.received == []


def test_it_lets_red_through_while_the_partner_is_unreachable(couple, alice, bob, service):
    subscribe(bob, service)
    preview_post(user=bob, message="flight", unreachable_until=timezone.now() + timedelta(hours=4))
    signal_set(user=alice, state="red")
    deliver()
    assert len(service.received) == 1


def test_it_pushes_reminders_to_those_who_did_not_mute_them(couple, alice, bob, service):
    subscribe(alice, service, "alices")
    subscribe(bob, service, "bobs")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fields = {
            "kind": "connection",
            "name": "Dinner",
            "days": list(range(7)),
            "start": "12:00",
            "minutes": 30,
        }
        block, _ = block_create(user=alice, fields=fields)
    block_mute(user=bob, block_id=block.pk, muted=True)
    fire_at = block.reminders.get(kind="start").next_fire_at
    with time_machine.travel(fire_at, tick=False):
        rhythms_step(fire_at)
        deliver(fire_at)
    assert [m["path"] for m in service.received] == ["/push/alices"]
    assert service.received[0]["payload"]["title"] == "Connection time"  # no block name without include_text


def test_it_nudges_only_the_one_who_promised(couple, alice, bob, service):
    subscribe(alice, service, "alices")
    subscribe(bob, service, "bobs")
    start = timezone.now()
    preview_post(user=alice, message="back by 9", expected_at=start + timedelta(minutes=30))
    later = start + timedelta(minutes=31)
    with time_machine.travel(later, tick=False):
        rhythms_step(later)
        deliver(later)
    assert [m["path"] for m in service.received] == ["/push/alices"]
    assert "back by 9" not in str(service.received[0]["payload"])


def test_it_removes_a_subscription_the_push_service_says_is_gone(couple, alice, bob, service):
    subscribe(bob, service)
    service.status = 410
    signal_set(user=alice, state="red")
    deliver()
    assert not PushDevice.objects.exists() and not PushJob.objects.exists()


def test_it_retries_a_slow_push_service_later_without_slowing_the_signal(couple, alice, bob, service):
    subscribe(bob, service)
    service.delay = 2  # longer than the 1 s timeout
    signal_set(user=alice, state="red")  # writes the event only; nothing waits on the push service
    now = timezone.now()
    push.push_dispatch_next(now)
    push.push_send_next(now)
    job = PushJob.objects.get()
    assert job.attempts == 1 and job.next_try_at == now + push.BACKOFF[0]
    service.delay = 0
    deliver(job.next_try_at)
    assert len(service.received) == 1


def test_it_gives_up_after_the_last_attempt(couple, alice, bob, service, settings):
    subscribe(bob, service)
    service.status = 500
    signal_set(user=alice, state="red")
    now = timezone.now()
    for _ in range(settings.PORCHLIGHT["PUSH_MAX_ATTEMPTS"]):
        deliver(now)
        now += timedelta(hours=1)
    assert not PushJob.objects.exists()
    assert PushDevice.objects.exists()


def test_it_queues_one_job_per_device_and_event_even_if_dispatched_twice(couple, alice, bob, service):
    subscribe(bob, service)
    signal_set(user=alice, state="red")
    now = timezone.now()
    assert push.push_dispatch_next(now) is True
    assert push.push_dispatch_next(now) is False
    assert PushJob.objects.count() == 1


def test_it_does_not_push_stale_events(couple, alice, bob, service):
    subscribe(bob, service)
    signal_set(user=alice, state="red")
    deliver(timezone.now() + timedelta(hours=2))
    assert service.received == []


def test_it_keeps_its_vapid_key_across_restarts():
    first = push.vapid_public_key()
    push.vapid_private_pem.cache_clear()
    assert push.vapid_public_key() == first
    path = Path(django_settings.DATA_DIR) / "vapid_private.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# Devices over the API


def test_it_manages_my_devices(alice, service):
    pk = subscribe(alice, service)
    client = client_for(alice)
    [listed] = client.get("/api/push/devices/").json()
    assert listed == {**listed, "id": pk, "label": "phone", "include_text": False, "last_sent_at": None}
    assert client.patch(f"/api/push/devices/{pk}/", {"include_text": True}).json()["include_text"] is True
    assert client.delete(f"/api/push/devices/{pk}/").status_code == 204
    assert client.get("/api/push/devices/").json() == []
    assert client.get("/api/push/key/").json()["public_key"] == push.vapid_public_key()


def test_it_keeps_devices_private(alice, bob, service):
    pk = subscribe(alice, service)
    assert client_for(bob).patch(f"/api/push/devices/{pk}/", {"include_text": True}).status_code == 404
    assert client_for(bob).delete(f"/api/push/devices/{pk}/").status_code == 404
    assert client_for(bob).get("/api/push/devices/").json() == []


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://push.example.com/x",
        "https://127.0.0.1/x",
        "https://10.0.0.8/x",
        "https://[::1]/x",
        "https://localhost/x",
        "https://metadata.internal/x",
        "https://user:pw@push.example.com/x",
        "ftp://push.example.com/x",
        "https://a.localhost.:6379/x",
        "https://x.local./x",
        "https://printer.lan/x",
        "https://metadata.google.internal./x",
        "https://[64:ff9b::7f00:1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://fcm.googleapis.com:6379/x",
        "https://intranet/x",
    ],
)
def test_it_refuses_push_endpoints_that_are_not_public_https(alice, endpoint, settings):
    sub = {"endpoint": endpoint, "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22}}
    r = client_for(alice).post("/api/push/devices/", sub)
    assert r.status_code == 400, r.json()


def test_it_refuses_bad_subscription_keys(alice):
    sub = {"endpoint": "https://push.example.com/x", "keys": {"p256dh": "short", "auth": "A" * 22}}
    r = client_for(alice).post("/api/push/devices/", sub)
    assert r.status_code == 400 and "keys" in r.json()["errors"]


def test_it_accepts_a_public_https_push_service(alice):
    sub = {
        "endpoint": "https://fcm.googleapis.com/fcm/send/abc",
        "keys": {"p256dh": "B" * 87, "auth": "A" * 22},
    }
    assert client_for(alice).post("/api/push/devices/", sub).status_code == 201


def test_it_refuses_an_endpoint_another_account_has(alice, charlie, service):
    subscribe(alice, service)
    r = client_for(charlie).post("/api/push/devices/", {**service.subscription("phone"), "label": "mine"})
    assert r.status_code == 409 and r.json()["code"] == "endpoint_taken"
    assert PushDevice.objects.get().user == alice
    subscribe(alice, service, include_text=True)  # its owner may subscribe on it again
    assert PushDevice.objects.get().include_text is True


@pytest.mark.parametrize("resolved", [["127.0.0.1"], ["93.184.216.34", "10.0.0.1"], ["64:ff9b::a00:1"]])
def test_it_sends_to_no_endpoint_whose_name_resolves_to_a_private_address(
    couple, alice, bob, settings, monkeypatch, resolved
):
    sub = {"endpoint": "https://127.0.0.1.nip.io/push/x", "keys": {"p256dh": "B" * 87, "auth": "A" * 22}}
    assert client_for(bob).post("/api/push/devices/", sub).status_code == 201
    tried = []

    def getaddrinfo(host, port, *args, **kwargs):
        tried.append(host)
        return [(None, None, None, "", (address, port)) for address in resolved]

    monkeypatch.setattr(push.socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(push, "webpush", lambda *a, **k: pytest.fail("sent to a private address"))
    signal_set(user=alice, state="red")
    deliver()
    assert tried == ["127.0.0.1.nip.io"]
    assert not PushDevice.objects.exists()


def test_it_retries_an_endpoint_whose_name_does_not_resolve_now(couple, alice, bob, monkeypatch):
    sub = {"endpoint": "https://push.example.net/x", "keys": {"p256dh": "B" * 87, "auth": "A" * 22}}
    assert client_for(bob).post("/api/push/devices/", sub).status_code == 201

    def unresolvable(*args, **kwargs):
        raise OSError("no DNS")

    monkeypatch.setattr(push.socket, "getaddrinfo", unresolvable)
    signal_set(user=alice, state="red")
    deliver()
    assert PushDevice.objects.exists() and PushJob.objects.get().attempts == 1


def test_it_pushes_nothing_for_another_couple(couple, alice, charlie, service):
    dana = make_user("dana")
    pair(charlie, dana)
    subscribe(charlie, service)
    signal_set(user=alice, state="red")
    deliver()
    assert service.received == []


def test_it_moves_past_couples_without_devices_in_one_step(couple, alice, bob, service):
    subscribe(bob, service)
    quiet = [pair(make_user(f"q{n}a"), make_user(f"q{n}b")) for n in range(3)]
    for c in quiet:
        signal_set(user=c.partners()[0], state="red")
    signal_set(user=alice, state="red")
    now = timezone.now()
    assert push.push_dispatch_next(now) is True
    assert push.push_dispatch_next(now) is False  # one round did them all
    for c in quiet:
        c.refresh_from_db()
        assert c.push_seq == c.seq
    assert PushJob.objects.get().device.user == bob


# What a notification offers (docs/api.md, "Push payloads")


def test_it_offers_the_answers_on_a_red_that_asks_for_interaction(couple, alice, bob, service):
    subscribe(bob, service)
    red, _ = signal_set(user=alice, state="red")
    deliver()
    payload = service.received[0]["payload"]
    assert payload["kind"] == "light" and payload["partner"] == alice.pk and payload["state"] == "red"
    assert payload["tag"] == f"light-{alice.pk}" and payload["since"] == red.data["set_at"]
    assert [a["action"] for a in payload["actions"]] == ["coming", "call_soon", "seen"]
    assert [a["title"] for a in payload["actions"]] == ["Coming", "Call soon", "I see you"]
    assert payload["require_interaction"] is True and payload["badge"] == 1
    assert not payload.get("silent")


def test_it_offers_the_answers_quietly_on_a_yellow_and_closes_with_a_quiet_green(couple, alice, bob, service):
    subscribe(bob, service)
    signal_set(user=alice, state="yellow")
    deliver()
    signal_set(user=alice, state="green")
    deliver()
    yellow, green = (m["payload"] for m in service.received)
    assert yellow["silent"] is True and len(yellow["actions"]) == 3 and "require_interaction" not in yellow
    assert yellow["badge"] == 0 and service.received[0]["headers"]["urgency"] == "normal"
    assert green["title"] == "Alice is green again" and green["actions"] == [] and green["silent"] is True
    assert green["tag"] == yellow["tag"]


def test_it_replaces_a_red_on_my_other_devices_when_i_answer_it(couple, alice, bob, service):
    subscribe(bob, service, "phone")
    subscribe(bob, service, "tablet")
    signal_set(user=alice, state="red")
    deliver()
    service.received.clear()
    signal_answer(user=bob, reply="coming")
    deliver()
    to_bob = [
        m
        for m in service.received
        if m["path"].startswith("/push/phone") or m["path"].startswith("/push/tablet")
    ]
    assert len(to_bob) == 2
    for message in to_bob:
        payload = message["payload"]
        assert payload["tag"] == f"light-{alice.pk}" and payload["silent"] is True and payload["badge"] == 0
        assert payload["title"] == "You answered Alice" and payload["actions"] == []


def test_it_speaks_the_actions_in_the_readers_language(couple, alice, bob, service):
    bob.language = "zh-hans"
    bob.save()
    subscribe(bob, service)
    signal_set(user=alice, state="red")
    deliver()
    assert [a["title"] for a in service.received[0]["payload"]["actions"]] == [
        "马上来",
        "我待会儿打给你",
        "我看到了",
    ]


def test_it_sends_a_test_through_the_real_path_and_says_the_device_works(couple, alice, service):
    device = subscribe(alice, service)
    r = client_for(alice).post(f"/api/push/devices/{device}/test/")
    assert r.status_code == 202
    deliver()
    [message] = service.received
    assert message["payload"]["kind"] == "test" and message["payload"]["tag"] == "test"
    [listed] = client_for(alice).get("/api/push/devices/").json()
    assert listed["last_sent_at"] is not None and listed["last_error"] is None
    assert client_for(make_user("carol")).post(f"/api/push/devices/{device}/test/").status_code == 404


def test_it_keeps_one_waiting_notification_a_tag(couple, alice, bob, service):
    subscribe(bob, service)
    bob.quiet_from, bob.quiet_until = (
        (timezone.now() - timedelta(hours=1)).time(),
        (timezone.now() + timedelta(hours=1)).time(),
    )
    bob.timezone = "UTC"
    bob.save()
    signal_set(user=alice, state="yellow")
    signal_set(user=alice, state="green")
    deliver()
    assert service.received == []  # both wait for the end of his quiet hours
    [waiting] = PushJob.objects.all()
    assert waiting.payload["state"] == "green"  # the newer one: no yellow left standing after it
