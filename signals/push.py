"""Web Push: devices, the dispatcher that turns events into notifications, and the
sender. Both run as steps of the background loops, never inside a request, so a slow
push service can never slow a signal.

Dispatch: like the scheduler, claim a couple's unseen events (`Couple.push_seq`) with a
conditional UPDATE and, in the same transaction, queue a PushJob per device that should
be interrupted. Send: claim a due job, POST it (RFC 8291 encryption, VAPID), outside any
transaction; a 404/410 removes the dead subscription, other failures back off and retry.
"""

import base64
import ipaddress
import json
import logging
import os
import socket
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import ngettext
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from couples.metrics import PUSH_FAILED, PUSH_SENT
from couples.models import Couple, Event, PushDevice, User
from couples.services import ServiceError, couple_lock, quiet_end
from rhythms.words import WORDS as RHYTHM_WORDS
from rhythms.words import block_name
from signals.models import PushJob
from signals.services import light_pushes, notification_wanted
from signals.words import WORDS, said

log = logging.getLogger(__name__)

BACKOFF = [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30)]
# A job being sent is hidden this long; if its sender dies, it is retried after.
SEND_CLAIM = timedelta(minutes=2)


# VAPID keys: made on first start and kept, or given by the environment.


@cache
def vapid_private_pem() -> str:
    if settings.PORCHLIGHT["VAPID_PRIVATE_KEY"]:
        return settings.PORCHLIGHT["VAPID_PRIVATE_KEY"].replace("\\n", "\n")
    path = Path(settings.DATA_DIR) / "vapid_private.pem"
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(pem)
        temporary.chmod(0o600)
        try:
            os.link(temporary, path)  # atomic: of two workers starting at once, one key wins
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text()


def vapid_public_key() -> str:
    """The applicationServerKey browsers subscribe with: the raw point, base64url."""
    key = serialization.load_pem_private_key(vapid_private_pem().encode(), password=None)
    raw = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# Devices


def _b64_length(value, length: int) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))) == length
    except (TypeError, ValueError):
        return False


# Names that never lead to a public host: special-use and private-network suffixes.
PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home", ".home.arpa", ".localdomain",
                    ".intranet", ".corp", ".private", ".test", ".invalid", ".example")  # fmt: skip
# Addresses that reach IPv4 through a translator: as private as the address they carry.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def address_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Is this an address on the public internet (not loopback, private, link-local,
    shared, reserved, multicast, nor an IPv6 form of one of those)?"""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address_public(address.ipv4_mapped)
        if any(address in network for network in NAT64) or address.sixtofour or address.teredo:
            return False
    return address.is_global and not address.is_multicast


def endpoint_host(endpoint: str) -> str:
    """The push service's host, normalised (lower case, no trailing dot, IDNA), or a
    ValidationError: push services are public HTTPS hosts on port 443, and anything
    else is refused, so a subscription cannot make the server call into its own network."""
    bad = ValidationError({"endpoint": [WORDS["bad_endpoint"]]})
    try:
        url = urlparse(endpoint)
        port = url.port
    except ValueError:
        raise bad from None
    if settings.PORCHLIGHT["PUSH_ALLOW_LOCAL"] and url.scheme in ("http", "https") and url.hostname:
        return url.hostname
    if url.scheme != "https" or not url.hostname or url.username or url.password or port not in (None, 443):
        raise bad
    host = url.hostname.rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise bad from None
        if "." not in host or host == "localhost" or host.endswith(PRIVATE_SUFFIXES):
            raise bad from None
        return host
    if not address_public(address):
        raise bad
    return host


def endpoint_validate(endpoint: str) -> None:
    endpoint_host(endpoint)


def endpoint_reachable(endpoint: str) -> bool:
    """At send time: does every address the host resolves to lie on the public internet?
    (A public name may point anywhere: 127.0.0.1.nip.io is 127.0.0.1.) OSError when the
    name cannot be resolved now."""
    try:
        host = endpoint_host(endpoint)
    except ValidationError:
        return False
    if settings.PORCHLIGHT["PUSH_ALLOW_LOCAL"]:
        return True
    infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    return bool(addresses) and all(address_public(address) for address in addresses)


def device_register(
    *, user: User, endpoint: str, p256dh: str, auth: str, label: str = "", include_text=False
):
    endpoint_validate(endpoint)
    if not _b64_length(p256dh, 65) or not _b64_length(auth, 16):
        raise ValidationError({"keys": [WORDS["bad_keys"]]})
    fields = {"p256dh": p256dh, "auth": auth, "label": label[:80], "include_text": include_text}
    try:
        device, created = PushDevice.objects.get_or_create(
            endpoint=endpoint, defaults={"user": user, **fields}
        )
    except IntegrityError:
        device, created = PushDevice.objects.get(endpoint=endpoint), False
    if device.user_id != user.pk:
        # One endpoint is one browser's subscription of one person: never taken over.
        raise ServiceError("endpoint_taken", WORDS["endpoint_taken"], 409)
    if not created:
        for name, value in fields.items():
            setattr(device, name, value)
        device.save(update_fields=list(fields))
    return device


def device_of(*, user: User, device_id: int) -> PushDevice:
    device = PushDevice.objects.filter(user=user, pk=device_id).first()
    if device is None:
        raise ServiceError("device_unknown", WORDS["device_unknown"], 404)
    return device


# Dispatch: events -> jobs


# The answers a notification offers as its actions, in this order (as many as the
# platform shows: Notification.maxActions).
ANSWER_ACTIONS = ("coming", "call_soon", "seen")


def _light_payload(event: Event, device: PushDevice, *, answered: dict | None = None) -> tuple[dict, str]:
    """A partner's light, one notification per partner (tag `light-<id>`), always the
    newest: a red asks for interaction and offers the answers, a yellow offers them
    quietly, a green replaces either quietly. `answered` (an answer this person gave from
    another device) replaces the red's notification with what was answered."""
    data = event.data
    partner = event.actor if answered is None else User.objects.filter(pk=data["to"]).first()
    name = partner.display_name if partner else ""
    base = {
        "kind": "light",
        "partner": partner.pk if partner else None,
        "tag": f"light-{partner.pk if partner else 0}",
        "url": "/",
    }
    if answered is not None:
        words = str(WORDS["reply_" + answered["reply"]])
        title = str(WORDS["push_answered_title"]).format(name=name)
        return {
            **base,
            "state": None,
            "title": title,
            "body": words,
            "silent": True,
            "badge": 0,
            "actions": [],
        }, "normal"
    state = data["state"]
    note = data.get("note") if device.include_text else ""
    light = {**base, "state": state, "since": data["set_at"], "badge": 1 if state == "red" else 0}
    actions = [{"action": key, "title": str(WORDS[f"reply_button_{key}"])} for key in ANSWER_ACTIONS]
    if state == "red":
        title = str(WORDS["push_red_title"]).format(name=name)
        body = note or str(WORDS["push_red_body"]).format(name=name)
        return {
            **light,
            "title": title,
            "body": body,
            "require_interaction": True,
            "actions": actions,
        }, "high"
    if state == "yellow":
        title = str(WORDS["push_yellow_title"]).format(name=name)
        body = note or str(WORDS["meaning_yellow"])
        return {**light, "title": title, "body": body, "silent": True, "actions": actions}, "normal"
    title = str(WORDS["push_green_title"]).format(name=name)
    return {
        **light,
        "title": title,
        "body": str(WORDS["meaning_green"]),
        "silent": True,
        "actions": [],
    }, "normal"


def push_payload(*, event: Event, device: PushDevice) -> tuple[dict, str]:
    """What the notification says, and its urgency (docs/api.md, "Push payloads"). Text
    the partner wrote (notes, block names) only with the device's include_text."""
    data = event.data
    if event.kind == "signal.changed":
        return _light_payload(event, device)
    if event.kind == "signal.answered" and device.user_id == event.actor_id:
        return _light_payload(event, device, answered=data)
    if event.kind == "signal.answered":
        name = event.actor.display_name if event.actor else ""
        body = said(name, WORDS["reply_" + data["reply"]])
        if device.include_text and data.get("note"):
            body = f"{body} {data['note']}"
        title = str(WORDS["push_answer_title"]).format(name=name)
        return {
            "kind": "answer",
            "title": title,
            "body": body,
            "tag": f"answer-{event.actor_id}",
            "url": "/",
        }, "high"
    if event.kind == "reminder.fired":
        block = data["block"]
        key = "push_reminder_title" if block["kind"] == "connection" else "push_autonomy_title"
        title = str(WORDS[key])
        if device.include_text:
            title = said(title, block_name(block))
        minutes = data.get("minutes_before") or 0
        body = (
            ngettext("It starts in %(minutes)d minute.", "It starts in %(minutes)d minutes.", minutes)
            % {"minutes": minutes}
            if minutes
            else str(WORDS["push_reminder_now"])
        )
        payload = {
            "kind": "reminder",
            "title": title,
            "body": body,
            "tag": f"block-{block['id']}",
            "url": "/",
        }
        return payload, "normal"
    # preview.due: the words are ours, not the partner's (data["message"] is the
    # nudge in the default language, for clients that show it as it is).
    return {
        "kind": "nudge",
        "title": str(WORDS["push_due_title"]),
        "body": str(RHYTHM_WORDS["nudge"]),
        "tag": "preview-due",
        "url": "/",
    }, "normal"


def _pushes(event: Event) -> bool:
    """The kinds that reach a closed page: a light coming on or ending (light_pushes),
    an answer, a reconnect nudge, a reminder."""
    if event.kind == "signal.changed":
        return light_pushes(event.data)
    return event.kind in ("signal.answered", "preview.due", "reminder.fired")


# In a person's quiet hours: what comes through now, what waits for their end, and what
# is dropped (a reminder or a nudge is about a moment that passes; the open app shows it).
QUIET_DROPS = ("reminder.fired", "preview.due")


def send_at(*, event: Event, recipient: User, now: datetime) -> datetime | None:
    """When this event's notification goes to this person: now, at the end of their
    quiet hours, or never (None). A partner's red comes through, and so does what closes
    a notification already standing (a green after a red, an answer from my other device)."""
    end = quiet_end(user=recipient, now=now)
    if end is None:
        return now
    data = event.data
    if event.kind == "signal.changed" and (data.get("red_on") or data.get("previous") == "red"):
        return now
    if event.kind == "signal.answered" and event.actor_id == recipient.pk:
        return now
    if event.kind in QUIET_DROPS:
        return None
    return end


def _recipients(couple: Couple, event: Event, partners: list[User], now: datetime):
    """Who gets this event as a notification: those it should interrupt, and the one who
    answered a light (their other devices' notification of it is replaced)."""
    frame = event.as_frame()
    for person in partners:
        if notification_wanted(couple=couple, frame=frame, recipient=person, now=now):
            yield person
        elif event.kind == "signal.answered" and person.pk == event.actor_id:
            yield person


def push_dispatch_next(now: datetime) -> bool:
    """Turn one couple's new events into push jobs. Couples in which nobody has a push
    device only move their mark, all in one statement: most couples, most changes."""
    pending = Couple.objects.filter(seq__gt=F("push_seq"))
    # Not "busy" work: while lights change all the time, counting it as busy kept the
    # loop spinning on this UPDATE (a third of a core at 300 changes/s in the benchmark).
    pending.exclude(memberships__user__push_devices__isnull=False).update(push_seq=F("seq"))
    due = pending.values_list("pk", "push_seq")[:1]
    if not due:
        return False
    couple_id, seen = due[0]
    with transaction.atomic():
        couple = couple_lock(couple_id)
        if Couple.objects.filter(pk=couple_id, push_seq=seen).update(push_seq=couple.seq) != 1:
            return True
        if not couple.is_active:
            return True
        oldest = now - timedelta(minutes=settings.PORCHLIGHT["PUSH_MAX_AGE_MINUTES"])
        events = Event.objects.filter(couple=couple, seq__gt=seen, seq__lte=couple.seq, at__gte=oldest)
        partners = couple.partners()
        for event in events.select_related("actor").order_by("seq"):
            if not _pushes(event):
                continue
            for person in _recipients(couple, event, partners, now):
                when = send_at(event=event, recipient=person, now=now)
                if when is None:
                    continue
                for device in PushDevice.objects.filter(user=person):
                    with translation.override(person.language):  # each reader's own
                        payload, urgency = push_payload(event=event, device=device)
                    # One notification a tag: a newer one makes a waiting older one moot.
                    PushJob.objects.filter(device=device, payload__tag=payload["tag"]).delete()
                    PushJob.objects.create(
                        device=device, event=event, payload=payload, urgency=urgency, next_try_at=when
                    )
    return True


def push_test(*, user: User, device_id: int) -> PushJob:
    """Settings' "send me a test": a notification to one of my devices by the real path
    (the queue, the sender, the push service, the service worker)."""
    device = device_of(user=user, device_id=device_id)
    payload = {
        "kind": "test",
        "title": str(WORDS["push_test_title"]),
        "body": str(WORDS["push_test_body"]),
        "tag": "test",
        "url": "/settings/",
    }
    PushJob.objects.filter(device=device, payload__tag="test").delete()
    return PushJob.objects.create(device=device, event=None, payload=payload, urgency="normal")


# Send: jobs -> push services


def push_send_next(now: datetime) -> bool:
    due = (
        PushJob.objects.filter(next_try_at__lte=now)
        .order_by("next_try_at")
        .values_list("pk", "next_try_at")[:1]
    )
    if not due:
        return False
    pk, next_try_at = due[0]
    claimed = PushJob.objects.filter(pk=pk, next_try_at=next_try_at).update(
        next_try_at=now + SEND_CLAIM, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return True
    job = PushJob.objects.select_related("device").filter(pk=pk).first()
    if job is None:
        return True
    try:
        public = endpoint_reachable(job.device.endpoint)
    except OSError as e:
        PUSH_FAILED.inc()
        _push_retry(job, now, type(e).__name__)
        return True
    if not public:
        log.warning("push device %s: its endpoint leads to no public address; removed", job.device_id)
        job.device.delete()
        return True
    try:
        webpush(
            job.device.subscription_info(),
            data=json.dumps(job.payload),
            vapid_private_key=Vapid.from_pem(vapid_private_pem().encode()),
            vapid_claims={"sub": settings.PORCHLIGHT["VAPID_CONTACT"]},
            timeout=settings.PORCHLIGHT["PUSH_TIMEOUT_SECONDS"],
            ttl=12 * 3600,
            headers={"Urgency": job.urgency, "Topic": job.payload["tag"][:32]},
        )
    except WebPushException as e:
        PUSH_FAILED.inc()
        status = e.response.status_code if e.response is not None else None
        if status in (404, 410):
            log.info("push subscription %s is gone (%s): removed", job.device_id, status)
            job.device.delete()
            return True
        _push_retry(job, now, f"status {status}")
    except Exception as e:  # timeouts, refused connections: the push service's trouble
        PUSH_FAILED.inc()
        _push_retry(job, now, type(e).__name__)
    else:
        PUSH_SENT.inc()
        PushDevice.objects.filter(pk=job.device_id).update(last_sent_at=now, last_error="")
        job.delete()
    return True


def _push_retry(job: PushJob, now: datetime, why: str) -> None:
    PushDevice.objects.filter(pk=job.device_id).update(last_error=why[:80])
    if job.attempts >= settings.PORCHLIGHT["PUSH_MAX_ATTEMPTS"]:
        log.warning(
            "push %s to device %s given up after %s tries: %s", job.pk, job.device_id, job.attempts, why
        )
        job.delete()
        return
    wait = BACKOFF[min(job.attempts - 1, len(BACKOFF) - 1)]
    log.info("push %s to device %s failed (%s): retry in %s", job.pk, job.device_id, why, wait)
    PushJob.objects.filter(pk=job.pk).update(next_try_at=now + wait)
