"""Write functions of the couples app: pairing, the event log and its doorbell.

Every change to a couple is an Event row written in the same transaction as the state
it changes; the doorbell (couples.bell) is rung only after commit (DESIGN.md section 2).
"""

import hashlib
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from couples.bell import bell_ring
from couples.metrics import EVENTS_WRITTEN
from couples.models import (
    ALONE,
    EVENT_KINDS,
    Couple,
    Event,
    Invite,
    LoginSession,
    Membership,
    User,
    WsTicket,
    invite_code_normalize,
)
from couples.words import WORDS

log = logging.getLogger(__name__)

# Close codes a socket gets when its right to listen ends.
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_PAIRED = 4403


class ServiceError(Exception):
    """A refused request: carries the HTTP status and a kind, user-facing detail."""

    status = 400

    def __init__(self, code: str, detail=None, status: int | None = None):
        self.code = code
        self.detail = detail if detail is not None else WORDS.get(code, code)
        if status is not None:
            self.status = status
        super().__init__(code)


class NotPaired(ServiceError):
    status = 404

    def __init__(self):
        super().__init__("not_paired")


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def event_messages(*events: Event) -> list[tuple[str, dict]]:
    """The doorbell's messages for committed events. Every write path (a transaction's
    on_commit, the event loop's writer) rings each event once through here, so here is
    where they are counted for /metrics."""
    for event in events:
        EVENTS_WRITTEN.labels(event.kind).inc()
    return [(f"couple.{e.couple_id}", {"type": "couple.event", "event": e.as_frame()}) for e in events]


def events_publish(*events: Event) -> None:
    bell_ring(*event_messages(*events))


def sockets_close(*, user_id: int, code: int, auth_key: str | None = None) -> None:
    """Close a user's live sockets (all of them, or those of one login)."""
    bell_ring((user_group(user_id), {"type": "user.revoke", "code": code, "auth_key": auth_key}))


def couple_lock(couple_id: int) -> Couple:
    """The couple row, locked for this transaction: seq allocation is serialized here."""
    return Couple.objects.select_for_update().get(pk=couple_id)


def couple_active_locked(*, user: User, **annotations) -> Couple:
    """The user's couple, locked, in one query that also re-checks the membership under
    the lock: a write racing an unpair either lands before it or is refused. Annotations
    ride on the same query."""
    couple = (
        Couple.objects.select_for_update(of=("self",))
        .filter(ended_at__isnull=True, memberships__user=user, memberships__left_at__isnull=True)
        .annotate(**annotations)
        .first()
    )
    if couple is None:
        raise NotPaired()
    return couple


OP_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def op_id_clean(op_id):
    if op_id is not None and (not isinstance(op_id, str) or not OP_ID.match(op_id)):
        raise ValidationError({"op_id": [WORDS["bad_op_id"]]})
    return op_id


def op_event_check(event: Event | None, kind: str) -> Event | None:
    """An op_id names one write: reusing it for a different kind of write is refused."""
    if event is not None and event.kind != kind:
        raise ServiceError("op_id_reused", status=409)
    return event


def event_for_op(*, user: User, op_id: str | None, kind: str) -> Event | None:
    """The event an earlier try of this op made, if any. Call with the couple locked."""
    if op_id_clean(op_id) is None:
        return None
    return op_event_check(Event.objects.filter(actor=user, op_id=op_id).first(), kind)


def event_append(*, couple: Couple, kind: str, actor: User | None, data: dict, op_id=None, at=None) -> Event:
    """Append to the couple's log. The caller holds the couple row lock (couple_lock)."""
    assert transaction.get_connection().in_atomic_block, "event_append needs a transaction"
    assert kind in EVENT_KINDS, f"{kind} is not in couples.models.EVENT_KINDS"
    couple.seq += 1
    Couple.objects.filter(pk=couple.pk).update(seq=couple.seq)
    event = Event.objects.create(
        couple=couple,
        seq=couple.seq,
        kind=kind,
        actor=actor,
        data=data,
        op_id=op_id or None,
        at=at or timezone.now(),
    )
    events_publish_on_commit(event)
    return event


def events_publish_on_commit(*events: Event) -> None:
    """Ring the doorbell once the transaction commits: never for a write that rolled back."""
    transaction.on_commit(lambda: events_publish(*events))


def events_append(entries: list[tuple[Couple, str, dict]]) -> list[Event]:
    """Append (couple, kind, data) events without an actor, for many couples at once
    (the scheduler's batches): the seqs in one executemany, the events in one insert.
    The caller holds every couple's lock."""
    assert transaction.get_connection().in_atomic_block, "events_append needs a transaction"
    assert all(kind in EVENT_KINDS for _, kind, _ in entries), "a kind not in couples.models.EVENT_KINDS"
    events = []
    for couple, kind, data in entries:
        couple.seq += 1
        events.append(Event(couple=couple, seq=couple.seq, kind=kind, data=data))
    if events:
        couples = {c.pk: c.seq for c, _, _ in entries}
        with connection.cursor() as cursor:  # not bulk_update: its CASE costs more than the trip
            cursor.executemany(
                "UPDATE couples_couple SET seq = %s WHERE id = %s", [(s, pk) for pk, s in couples.items()]
            )
        Event.objects.bulk_create(events)
        events_publish_on_commit(*events)
    return events


def couple_settings_update(*, user: User, changes: dict) -> tuple[Couple, Event | None]:
    """Change the couple's shared settings; both partners see a settings.changed event.
    Call inside a transaction when something else must change with them."""
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        changed = {k: v for k, v in changes.items() if k in Couple.SETTINGS and getattr(couple, k) != v}
        if not changed:
            return couple, None
        for name, value in changed.items():
            setattr(couple, name, value)
        couple.full_clean(exclude=["seq"])
        couple.save(update_fields=list(changed))
        event = event_append(
            couple=couple,
            kind="settings.changed",
            actor=user,
            data={"changed": changed, **couple.settings_dict()},
        )
    return couple, event


def couple_agree(*, user: User) -> tuple[Event, bool]:
    """The person says "We agree" to the couple's agreement: an `agreement.made` event
    both see. Returns it and whether it is new (False: they had agreed already)."""
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        membership = Membership.objects.get(couple=couple, user=user, left_at__isnull=True)
        if membership.agreed_at is not None:
            earlier = Event.objects.filter(couple=couple, actor=user, kind="agreement.made").first()
            if earlier is not None:
                return earlier, False
        membership.agreed_at = timezone.now()
        membership.save(update_fields=["agreed_at"])
        event = event_append(
            couple=couple, kind="agreement.made", actor=user, data={"user": user.pk}, at=membership.agreed_at
        )
    return event, True


def invite_create(*, user: User) -> Invite:
    """A new code, replacing this person's open one: only the newest works, so making
    codes needs no limit of its own (joining has its own, couples.throttles)."""
    if user.active_couple() is not None:
        raise ServiceError("already_paired", status=409)
    now = timezone.now()
    for _ in range(5):
        try:
            with transaction.atomic():
                Invite.objects.filter(created_by=user, used_at__isnull=True).delete()
                return Invite.objects.create(created_by=user, created_at=now)
        except IntegrityError:
            continue  # the same code drawn twice: draw again
    raise RuntimeError("could not draw a free invite code")


def invite_open(*, user: User) -> Invite | None:
    """This person's code that still works, to show again."""
    open_invites = Invite.objects.filter(created_by=user, used_at__isnull=True, expires_at__gt=timezone.now())
    return open_invites.order_by("-created_at").first()


def couple_join(*, user: User, code: str) -> Couple:
    code = invite_code_normalize(code)
    now = timezone.now()
    with transaction.atomic():
        invite = Invite.objects.select_for_update().filter(code=code).first()
        if invite is None:
            raise ServiceError("invite_unknown", status=404)
        if invite.created_by_id == user.pk:
            raise ServiceError("invite_self", status=400)
        if invite.used_at is not None:
            raise ServiceError("invite_used", status=410)
        if invite.is_expired(now):
            raise ServiceError("invite_expired", status=410)
        if user.active_couple() is not None:
            raise ServiceError("already_paired", status=409)
        inviter = invite.created_by
        if inviter.active_couple() is not None:
            raise ServiceError("inviter_paired", status=409)
        couple = Couple.objects.create(timezone=inviter.timezone, created_at=now)
        try:
            # The partial unique index settles a race between two joins of one person.
            with transaction.atomic():
                Membership.objects.create(couple=couple, user=inviter, joined_at=now)
                Membership.objects.create(couple=couple, user=user, joined_at=now)
        except IntegrityError:
            raise ServiceError("already_paired", status=409) from None
        invite.used_at = now
        invite.used_by = user
        invite.save(update_fields=["used_at", "used_by"])
        # Other open invites of either person are void now.
        Invite.objects.filter(created_by__in=[user, inviter], used_at__isnull=True).update(expires_at=now)
        couple = couple_lock(couple.pk)
        event_append(couple=couple, kind="partner.joined", actor=user, data={"user": user.pk})
    return couple


def couple_end(*, couple: Couple, leaving: User, actor: User | None) -> None:
    """End a locked couple: `partner.left` for the one leaving, every membership closed,
    and both partners' sockets closed after commit."""
    now = timezone.now()
    # A deleted account (no actor) leaves no id of theirs behind in the partner's log.
    data = {"user": leaving.pk if actor is not None else None}
    event_append(couple=couple, kind="partner.left", actor=actor, data=data)
    members = couple.memberships.filter(left_at__isnull=True)
    for member_id in list(members.values_list("user_id", flat=True)):
        transaction.on_commit(lambda m=member_id: sockets_close(user_id=m, code=CLOSE_NOT_PAIRED))
    members.update(left_at=now)
    couple.ended_at = now
    couple.save(update_fields=["ended_at"])


def couple_unpair(*, user: User) -> Couple:
    """Either partner, alone, at once: sockets of both close after commit."""
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        couple_end(couple=couple, leaving=user, actor=user)
    return couple


def pairing_ended(*, user: User) -> dict | None:
    """How this person's last pairing ended, for the pairing page of someone unpaired:
    {"at", "by", "partner_name"}, or None (never paired, or paired now). "by" is "me",
    "partner", "deleted" (the partner's account went: partner.left has no actor) or None
    (its partner.left is no longer in the log: the retention purge took it)."""
    last = user.memberships.select_related("couple").order_by("-joined_at", "-pk").first()
    if last is None or last.couple.ended_at is None:
        return None
    left = Event.objects.filter(couple=last.couple, kind="partner.left").order_by("-seq").first()
    partner = last.couple.memberships.exclude(user=user).select_related("user").first()
    by = None
    if left is not None:
        by = {None: "deleted", user.pk: "me"}.get(left.actor_id, "partner")
    return {
        "at": last.couple.ended_at,
        "by": by,
        "partner_name": partner.user.display_name if partner else "",
    }


def login_of_session(session_key: str | None) -> str:
    """A login names what a request or socket rides on: a browser session or an API token."""
    return f"s:{session_key or ''}"


def login_of_token(token_key: str) -> str:
    return f"t:{token_key}"


def auth_key(login: str) -> str:
    """A login's name for control messages, which may cross Redis: a digest, never the key."""
    return login[:2] + hashlib.sha256(login[2:].encode()).hexdigest()[:40]


def logins_live(pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of these (user id, login) pairs still stand: the session or token exists,
    belongs to that user, and the user is active. Two queries however many."""
    sessions = {key[2:] for _, key in pairs if key.startswith("s:")}
    tokens = {key[2:] for _, key in pairs if key.startswith("t:")}
    live = set()
    if sessions:
        rows = LoginSession.objects.filter(
            session_key__in=sessions, expire_date__gt=timezone.now(), user__is_active=True
        ).values_list("user_id", "session_key")
        live |= {(user_id, login_of_session(key)) for user_id, key in rows}
    if tokens:
        rows = Token.objects.filter(key__in=tokens, user__is_active=True).values_list("user_id", "key")
        live |= {(user_id, login_of_token(key)) for user_id, key in rows}
    return live & pairs


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def ws_ticket_create(*, user: User, login: str) -> str:
    now = timezone.now()
    WsTicket.objects.filter(expires_at__lt=now).delete()
    ticket = secrets.token_urlsafe(32)
    seconds = settings.PORCHLIGHT["WS_TICKET_SECONDS"]
    WsTicket.objects.create(
        digest=secret_digest(ticket), user=user, login=login, expires_at=now + timedelta(seconds=seconds)
    )
    return ticket


def ws_ticket_consume(ticket: str) -> WsTicket | None:
    """Use a ticket up. Deleting it is the claim: only one socket can win it. A ticket
    whose login has ended since (logout, password change) is worth nothing."""
    row = WsTicket.objects.filter(digest=secret_digest(ticket)).select_related("user").first()
    if row is None:
        return None
    deleted, _ = WsTicket.objects.filter(pk=row.pk).delete()
    if deleted != 1 or row.expires_at <= timezone.now():
        return None
    if not logins_live({(row.user_id, row.login)}):
        return None
    return row


def user_logged_out(*, user: User, login: str) -> None:
    """One login ended: its unused tickets go, and its sockets close at once (and at
    their next heartbeat, should the doorbell lose this)."""
    WsTicket.objects.filter(user=user, login=login).delete()
    if login.startswith("t:"):
        Token.objects.filter(user=user, key=login[2:]).delete()
    sockets_close(user_id=user.pk, code=CLOSE_UNAUTHORIZED, auth_key=auth_key(login))


def user_password_changed(*, user: User, keep_session: str | None = None) -> None:
    """A changed password ends every other way in: tokens, tickets, the person's other
    browser sessions, and every open socket (the one making the change reconnects with
    its renewed session)."""
    Token.objects.filter(user=user).delete()
    WsTicket.objects.filter(user=user).delete()
    LoginSession.objects.filter(user=user).exclude(session_key=keep_session or "").delete()
    transaction.on_commit(lambda: sockets_close(user_id=user.pk, code=CLOSE_UNAUTHORIZED))


def session_logged_out(sender, request, user, **kwargs) -> None:
    """Receiver of Django's user_logged_out: logging out does not reach an open socket
    by itself (its scope keeps the session it started with), so ring its doorbell."""
    if user is not None and request is not None:
        user_logged_out(user=user, login=login_of_session(request.session.session_key))


def person_forget_in_events(*, user: User) -> None:
    """What others wrote stays in their couple's log without this person's id (an answer
    the partner gave, a gentle flag about "us"); what was for this person alone (a
    reconnect nudge) goes. Every kind's paths are in couples.models.EVENT_KINDS."""
    couples = Membership.objects.filter(user=user).values("couple_id")
    for kind, paths in EVENT_KINDS.items():
        for path in paths:
            alone = path.startswith(ALONE)
            lookup = "data__" + path.removeprefix(ALONE).replace(".", "__")
            named = Event.objects.filter(couple__in=couples, kind=kind, **{lookup: user.pk})
            if alone:
                named.delete()
                continue
            *parents, leaf = path.split(".")
            for event in named:
                holder = event.data
                for part in parents:
                    holder = holder[part]
                holder[leaf] = None
                event.save(update_fields=["data"])


def account_delete(*, user: User, password: str) -> None:
    """Delete a person: confirmed with their password; their partner sees a neutral
    partner.left; every row of theirs goes, and what only they wrote with it (their
    events: lights, notes, previews). The couple's shared rhythm stays with the partner.
    Their sockets close at once; their sessions and tokens end with the user row."""
    if not user.check_password(password):
        raise ValidationError({"password": [WORDS["bad_password"]]})
    user_id = user.pk
    with transaction.atomic():
        # First of the rings after commit: the person's own sockets close as logged out
        # (4401) before their couple's partner.left could close them as unpaired.
        transaction.on_commit(lambda: sockets_close(user_id=user_id, code=CLOSE_UNAUTHORIZED))
        try:
            couple = couple_active_locked(user=user)
        except NotPaired:
            couple = None
        if couple is not None:
            # Neutral: no actor, so the goodbye names nobody who is gone.
            couple_end(couple=couple, leaving=user, actor=None)
        Event.objects.filter(actor=user).delete()
        person_forget_in_events(user=user)
        user.delete()  # cascades: memberships, invites, lights, spans, previews, mutes, devices,
        # tokens, tickets and sessions


# Quiet hours


def quiet_end(*, user: User, now) -> datetime | None:
    """When this person's quiet hours end, if `now` is inside them; else None. The hours
    are wall-clock times in the person's time zone, so they stay 23:00 to 07:00 across a
    DST change (an end that falls in a skipped hour is read past the gap)."""
    start, end = user.quiet_from, user.quiet_until
    if start is None or end is None or start == end:
        return None
    tz = ZoneInfo(user.timezone)
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz).astimezone(UTC)
