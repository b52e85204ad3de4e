"""The lights: setting one, and the couple snapshot that clients start from."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from couples.models import Couple, Event, Membership, User
from couples.services import (
    NotPaired,
    ServiceError,
    couple_active_locked,
    couple_settings_update,
    event_append,
    event_for_op,
    logins_live,
)
from couples.validators import clean_short_text
from rhythms.models import Preview
from rhythms.services import muted_blocks, previews_live, reminders_reschedule, rhythm_now
from signals.models import NOTE_MAX, Flag, Signal, SignalSpan, State
from signals.words import WORDS


def signal_validate(*, state, note) -> str:
    errors = {}
    if state not in State.values:
        errors["state"] = [WORDS["bad_state"]]
    try:
        note = clean_short_text(note, max_length=NOTE_MAX)
    except ValidationError as e:
        errors["note"] = e.messages
    if errors:
        raise ValidationError(errors)
    return note


def signal_set(*, user: User, state: str, note: str = "", op_id: str | None = None) -> tuple[Event, bool]:
    """Set the user's light (its note with it): the light, its span for history and its
    event in one transaction, through event_append like every write. Returns the event
    and whether it is new (False: a retry of the same op_id, nothing written)."""
    note = signal_validate(state=state, note=note)
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        earlier = event_for_op(user=user, op_id=op_id, kind="signal.changed")
        if earlier is not None:
            return earlier, False
        now = timezone.now()
        previous = Signal.objects.filter(couple=couple, user=user).values_list("state", flat=True).first()
        Signal.objects.update_or_create(
            couple=couple, user=user, defaults={"state": state, "note": note, "set_at": now}
        )
        SignalSpan.objects.filter(couple=couple, user=user, ended_at__isnull=True).update(ended_at=now)
        SignalSpan.objects.create(couple=couple, user=user, state=state, started_at=now)
        data = light_data(user=user, state=state, note=note, previous=previous, now=now)
        event = event_append(couple=couple, kind="signal.changed", actor=user, data=data, op_id=op_id)
        if data["red_on"]:
            # After the red itself, in the same transaction: a flag never delays or hides red.
            flag_maybe_raise(couple=couple, user=user, now=now)
    return event, True


def light_data(*, user: User, state: str, note: str, previous: str | None, now) -> dict:
    return {
        "user": user.pk,
        "state": state,
        "note": note,
        "set_at": now.isoformat(),
        "previous": previous,
        # "Red came on" (not a red note edited): what gentle flags count.
        "red_on": state == State.RED and previous != State.RED,
    }


def light_pushes(data: dict) -> bool:
    """Whether a light change interrupts the partner's closed page: red coming on."""
    return data.get("state") == State.RED and data.get("red_on", True)


def flag_maybe_raise(*, couple: Couple, user: User, now) -> Event | None:
    """Raise a gentle flag when this partner's red has come on `flag_threshold` times in
    the last 7 days, at most once per partner per 7 days."""
    if not couple.flags_enabled:
        return None
    since = now - timedelta(days=settings.PORCHLIGHT["FLAG_WINDOW_DAYS"])
    if Flag.objects.filter(couple=couple, user=user, raised_at__gt=since).exists():
        return None
    reds = Event.objects.filter(
        couple=couple, actor=user, kind="signal.changed", at__gt=since, data__red_on=True
    ).count()
    if reds < couple.flag_threshold:
        return None
    flag = Flag.objects.create(couple=couple, user=user, raised_at=now)
    return event_append(couple=couple, kind="flag.raised", actor=None, data={"flag": flag.as_dict()})


def flag_dismiss(*, user: User, flag_id: int) -> Event:
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        flag = Flag.objects.filter(couple=couple, pk=flag_id, dismissed_at__isnull=True).first()
        if flag is None:
            raise ServiceError("flag_unknown", WORDS["flag_unknown"], 404)
        flag.dismissed_at = timezone.now()
        flag.dismissed_by = user
        flag.save(update_fields=["dismissed_at", "dismissed_by"])
        return event_append(couple=couple, kind="flag.dismissed", actor=user, data={"flag": flag.pk})


def flags_recent(*, user: User) -> list[dict]:
    couple = user.active_couple()
    if couple is None:
        raise NotPaired()
    return [f.as_dict() for f in Flag.objects.filter(couple=couple).order_by("-raised_at")[:20]]


def couple_settings_change(*, user: User, changes: dict) -> Couple:
    """Shared settings; a new timezone moves every reminder with it, in one transaction."""
    with transaction.atomic():
        couple, event = couple_settings_update(user=user, changes=changes)
        if event is not None and "timezone" in event.data["changed"]:
            reminders_reschedule(couple=couple, now=timezone.now())
    return couple


def notification_wanted(*, couple: Couple, frame: dict, recipient: User, now=None) -> bool:
    """Should this event interrupt the recipient (a push), beyond showing in the app?

    Red always gets through. While the recipient said they are unreachable (a meeting,
    a flight), the partner's other changes wait in the app. Reminders respect each
    person's own mutes; a reconnect nudge is for the one who made the promise.
    """
    now = now or timezone.now()
    kind, data = frame["kind"], frame["data"]
    if frame.get("actor") == recipient.pk:
        return False
    if kind == "signal.changed" and data["state"] == State.RED:
        return True
    if kind == "preview.due":
        return data["user"] == recipient.pk
    if kind == "reminder.fired":
        all_muted, blocks = muted_blocks(user=recipient, couple=couple)
        return not all_muted and data["block"]["id"] not in blocks
    if kind in ("signal.changed", "preview.posted", "reunion", "flag.raised"):
        live = Preview.objects.filter(couple=couple, user=recipient, cleared_at__isnull=True).first()
        return not (live and live.is_unreachable(now))
    return False


def _snapshot(couple: Couple, viewer: User) -> dict:
    now = timezone.now()
    signals = {s.user_id: s for s in Signal.objects.filter(couple=couple)}
    previews = previews_live(couple=couple)
    partners = []
    for person in couple.partners():
        signal = signals.get(person.pk)
        preview = previews.get(person.pk)
        partners.append(
            {
                "id": person.pk,
                "display_name": person.display_name,
                "is_me": person.pk == viewer.pk,
                "timezone": person.timezone,
                "signal": signal.as_dict() if signal else {"state": None, "note": "", "set_at": None},
                "preview": preview.as_dict() if preview else None,
            }
        )
    flag = Flag.objects.filter(couple=couple, dismissed_at__isnull=True).order_by("-raised_at").first()
    return {
        "id": couple.pk,
        "seq": couple.seq,
        "timezone": couple.timezone,
        "created_at": couple.created_at.isoformat(),
        "partners": partners,
        "settings": couple.settings_dict(),
        "rhythm_now": rhythm_now(couple=couple, now=now),
        "flag": flag.as_dict() if flag else None,
    }


def couple_snapshot(*, user: User) -> dict:
    """The user's couple as one consistent picture: the lock keeps seq and state in step."""
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        return _snapshot(couple, user)


def socket_start(*, user: User, couple_id: int, after: int | None, replay_max: int) -> tuple[list[dict], int]:
    """The frames a (re)connecting socket starts with, and the seq it is then at: the
    events after `after` when they can all be replayed, else a snapshot that resets."""
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        if couple.pk != couple_id:  # re-paired since the socket looked: start over
            raise NotPaired()
        if after is not None and 0 <= after <= couple.seq and couple.seq - after <= replay_max:
            events = list(Event.objects.filter(couple=couple, seq__gt=after).order_by("seq"))
            if len(events) == couple.seq - after:
                return [e.as_frame() for e in events], couple.seq
        snapshot = {"type": "snapshot", "seq": couple.seq, "couple": _snapshot(couple, user)}
        return [snapshot], couple.seq


def events_between(*, couple_id: int, after: int, upto: int) -> list[dict]:
    """Events with after < seq <= upto: what a socket missed."""
    events = Event.objects.filter(couple_id=couple_id, seq__gt=after, seq__lte=upto).order_by("seq")
    return [e.as_frame() for e in events]


def sockets_check(*, listeners: list[tuple[int, int, str]]) -> dict[tuple, int | str]:
    """For each (user id, couple id, login) listening: the couple's latest seq while that
    person may still listen on that login, else why not ("unauthorized": the session or
    token has ended; "not_paired"). A fixed number of queries however many sockets a
    process holds: its heartbeat runs this once per tick for all of them.

    The control group closes sockets at once; this check is the backstop for a revoke
    that the doorbell lost (say, Redis was down during an unpair or a logout).
    """
    couples = {couple_id for _, couple_id, _ in listeners}
    users = {user_id for user_id, _, _ in listeners}
    seqs = {
        (user_id, couple_id): seq
        for couple_id, user_id, seq in Membership.objects.filter(
            couple_id__in=couples,
            user_id__in=users,
            left_at__isnull=True,
            couple__ended_at__isnull=True,
        ).values_list("couple_id", "user_id", "couple__seq")
    }
    live = logins_live({(user_id, login) for user_id, _, login in listeners})
    return {
        (user_id, couple_id, login): "unauthorized"
        if (user_id, login) not in live
        else seqs.get((user_id, couple_id), "not_paired")
        for user_id, couple_id, login in listeners
    }
