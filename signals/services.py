"""The lights: setting one, and the couple snapshot that clients start from."""

import re
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from couples.models import Couple, Event, User
from couples.services import NotPaired, couple_active_locked, couple_lock, event_append, event_for_op
from couples.validators import validate_no_control_characters
from signals.models import NOTE_MAX, Signal, State
from signals.words import WORDS

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
OP_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def signal_validate(*, state, note, op_id) -> str:
    errors = {}
    if state not in State.values:
        errors["state"] = [WORDS["bad_state"]]
    if not isinstance(note, str):
        errors["note"] = [WORDS["invalid"]]
    else:
        note = note.strip()
        if len(note) > NOTE_MAX:
            errors["note"] = [WORDS["note_too_long"]]
        else:
            try:
                validate_no_control_characters(note)
            except ValidationError as e:
                errors["note"] = e.messages
    if op_id is not None and (not isinstance(op_id, str) or not OP_ID.match(op_id)):
        errors["op_id"] = [WORDS["bad_op_id"]]
    if errors:
        raise ValidationError(errors)
    return note


def signal_set(*, user: User, state: str, note: str = "", op_id: str | None = None) -> tuple[Event, bool]:
    """Set the user's light. Returns the event and whether it is new (False: a retry)."""
    note = signal_validate(state=state, note=note, op_id=op_id)
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        earlier = event_for_op(user=user, op_id=op_id, kind="signal.changed")
        if earlier is not None:
            return earlier, False
        now = timezone.now()
        Signal.objects.update_or_create(
            couple=couple, user=user, defaults={"state": state, "note": note, "set_at": now}
        )
        data = {"user": user.pk, "state": state, "note": note, "set_at": now.isoformat()}
        event = event_append(couple=couple, kind="signal.changed", actor=user, data=data, op_id=op_id)
    return event, True


def _snapshot(couple: Couple, viewer: User) -> dict:
    signals = {s.user_id: s for s in Signal.objects.filter(couple=couple)}
    partners = []
    for person in couple.partners():
        signal = signals.get(person.pk)
        partners.append(
            {
                "id": person.pk,
                "display_name": person.display_name,
                "is_me": person.pk == viewer.pk,
                "timezone": person.timezone,
                "signal": signal.as_dict() if signal else {"state": None, "note": "", "set_at": None},
                "preview": None,
            }
        )
    return {
        "id": couple.pk,
        "seq": couple.seq,
        "timezone": couple.timezone,
        "created_at": couple.created_at.isoformat(),
        "partners": partners,
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
        couple = couple_lock(couple_id)
        if not couple.is_active or not couple.has_active_member(user):
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


def socket_check(*, user_id: int, couple_id: int, session_key: str | None) -> int | None:
    """The couple's latest seq while this user may still listen, else None.

    The control group closes sockets at once; this check is the backstop for a
    revoke that the channel layer lost (say, Redis was down during an unpair).
    """
    if session_key is not None and not SessionStore().exists(session_key):
        return None
    return (
        Couple.objects.filter(
            pk=couple_id,
            ended_at__isnull=True,
            memberships__user_id=user_id,
            memberships__left_at__isnull=True,
            memberships__user__is_active=True,
        )
        .values_list("seq", flat=True)
        .first()
    )
