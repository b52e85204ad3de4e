"""The lights: setting one, and the couple snapshot that clients start from."""

from datetime import timedelta

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.db.models import BigIntegerField, OuterRef, Subquery, Value
from django.utils import timezone

from couples.models import Couple, Event, Membership, User
from couples.services import (
    NotPaired,
    ServiceError,
    couple_active_locked,
    couple_settings_update,
    event_append,
    event_for_op,
    events_publish_on_commit,
    logins_live,
    op_event_check,
    op_id_clean,
    quiet_end,
)
from couples.validators import choice_with_note_clean
from practice.services import assessments_shared
from rhythms.models import Preview
from rhythms.services import muted_blocks, previews_live, reminders_reschedule, rhythm_now
from signals.models import Answer, Flag, Reply, Signal, SignalSpan, State
from signals.words import WORDS


def signal_validate(*, state, note) -> str:
    return choice_with_note_clean(
        field="state", value=state, choices=State.values, message=WORDS["bad_state"], note=note
    )


def signal_set(*, user: User, state: str, note: str = "", op_id: str | None = None) -> tuple[Event, bool]:
    """Set the user's light (its note with it): the light, its span for history and its
    event in one transaction, the same for a tap from the socket and from REST. Returns
    the event and whether it is new (False: a retry of the same op_id, nothing written)."""
    note = signal_validate(state=state, note=note)
    op_id_clean(op_id)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            event = _light_set_in_one_statement(user=user, state=state, note=note, op_id=op_id)
        else:
            event = _light_set(user=user, state=state, note=note, op_id=op_id)
        if not isinstance(event, Event):  # the id of a retried op_id's event
            return op_event_check(Event.objects.get(pk=event), "signal.changed"), False
        if event.data["red_on"]:
            # After the red itself, in the same transaction: a flag never delays or hides red.
            flag_maybe_raise(couple=Couple.objects.get(pk=event.couple_id), user=user, now=event.at)
    return event, True


def _light_set(*, user: User, state: str, note: str, op_id) -> Event | int:
    """The light, its span and its event through the ORM and event_append, like every
    other write. Returns the new event, or the id of an earlier try's (nothing written)."""
    couple = _couple_for_light(user=user, op_id=op_id)
    if couple.earlier is not None:
        return couple.earlier
    now = timezone.now()
    light = {"state": state, "note": note, "set_at": now}
    if couple.previous is None:
        Signal.objects.create(couple=couple, user=user, **light)
    else:
        Signal.objects.filter(couple=couple, user=user).update(**light)
    SignalSpan.objects.filter(couple=couple, user=user, ended_at=None).update(ended_at=now)
    SignalSpan.objects.create(couple=couple, user=user, state=state, started_at=now)
    data = light_data(user=user, state=state, note=note, previous=couple.previous, now=now)
    nothing_waiting = couple.push_seq == couple.seq
    event = event_append(couple=couple, kind="signal.changed", actor=user, data=data, op_id=op_id, at=now)
    if nothing_waiting and not light_pushes(data):
        # The push dispatcher (signals.push) then visits only couples with something to push.
        Couple.objects.filter(pk=couple.pk).update(push_seq=couple.seq)
    return event


def _light_set_in_one_statement(*, user: User, state: str, note: str, op_id) -> Event | int:
    """PostgreSQL: _light_set's writes as one statement, prepared once per connection."""
    now = timezone.now()
    connection.ensure_connection()
    # A cursor that binds on the server, so that the statement can be prepared; Django's
    # own cursors bind on the client and never prepare.
    with psycopg.Cursor(connection.connection) as cursor, connection.wrap_database_errors:
        cursor.execute(
            *light_set_statement(user=user, state=state, note=note, op_id=op_id, now=now), prepare=True
        )
        event = light_set_outcome(cursor.fetchone(), user=user, state=state, note=note, op_id=op_id, now=now)
    if isinstance(event, Event):
        events_publish_on_commit(event)
    return event


def light_set_statement(*, user: User, state: str, note: str, op_id, now) -> tuple[str, list]:
    """PostgreSQL: a tap as one statement, the function porchlight_light_set (signals
    migration 0006), from the database thread and from the event loop (signals.inloop).
    Kept because `make bench-tap` measures the ORM form at twelve times its CPU (3.1
    against 0.26 ms a tap), more at 800 taps a second than a 2-core machine has."""
    data = {"user": user.pk, "state": state, "note": note, "set_at": now.isoformat()}
    return LIGHT_SET, [user.pk, state, note, now, _json(data), op_id]


def light_set_outcome(row, *, user: User, state: str, note: str, op_id, now) -> Event | int:
    """What light_set_statement's row says: the new event, or the id of the earlier event
    of this op_id (a retry, nothing written)."""
    couple_id, seq, previous, earlier, event_id = row
    if couple_id is None:
        raise NotPaired()
    if earlier is not None:
        return earlier
    event = Event(pk=event_id, couple_id=couple_id, seq=seq, kind="signal.changed", actor=user, at=now)
    event.data = light_data(user=user, state=state, note=note, previous=previous, now=now)
    event.op_id = op_id
    return event


LIGHT_SET = (
    "SELECT couple_id, seq, previous, earlier, event_id FROM porchlight_light_set(%s, %s, %s, %s, %s, %s)"
)


def _json(data: dict):
    return Event._meta.get_field("data").get_db_prep_save(data, connection)


def _couple_for_light(*, user: User, op_id: str | None) -> Couple:
    """couple_active_locked, with the person's light as it was (`previous`) and the event
    of an earlier try of this op_id (`earlier`) read by the same statement: a tap is the
    write path's busiest caller, and each statement is a round trip."""
    own = {"couple": OuterRef("pk"), "user": user}
    earlier = Event.objects.filter(actor=user, op_id=op_id).values("pk")[:1]
    return couple_active_locked(
        user=user,
        previous=Subquery(Signal.objects.filter(**own).values("state")),
        earlier=Subquery(earlier) if op_id else Value(None, output_field=BigIntegerField()),
    )


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
    """Whether a light change goes to the partner's closed page as a notification: a red
    or a yellow coming on, or a green after either (it replaces their notification, so
    that no red is left standing). A note added to a light already on does not (the PostgreSQL
    function porchlight_light_set, signals migration 0014, holds the same rule)."""
    state, previous = data.get("state"), data.get("previous")
    if state == previous:
        return False
    return state != State.GREEN or previous in (State.YELLOW, State.RED)


def signal_answer(
    *, user: User, reply: str, note: str = "", op_id: str | None = None, to: int | None = None
) -> tuple[Event, bool]:
    """Answer the partner's yellow or red light: an Answer and its `signal.answered`
    event in one transaction. `to`, when given, must be the partner. Returns the event
    and whether it is new (False: a retry of the same op_id, nothing written)."""
    note = choice_with_note_clean(
        field="reply", value=reply, choices=Reply.values, message=WORDS["bad_reply"], note=note
    )
    if to is not None and to == user.pk:
        raise ServiceError("own_light", WORDS["own_light"], 409)
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        earlier = event_for_op(user=user, op_id=op_id, kind="signal.answered")
        if earlier is not None:
            return earlier, False
        partner = next(p for p in couple.partners() if p.pk != user.pk)
        if to is not None and to != partner.pk:
            raise ServiceError("not_partner", WORDS["not_partner"], 409)
        light = Signal.objects.filter(couple=couple, user=partner).first()
        if light is None or light.state == State.GREEN:
            # The light changed before the answer arrived: a clash with the state, 409.
            raise ServiceError("nothing_to_answer", WORDS["nothing_to_answer"], 409)
        light_seq, light_at = _light_on(couple=couple, user=partner)
        answer = Answer.objects.create(
            couple=couple,
            to=partner,
            by=user,
            light_seq=light_seq,
            light_state=light.state,
            light_at=light_at,
            reply=reply,
            note=note,
        )
        data = {"to": partner.pk, "reply": reply, "note": note, "light_seq": light_seq}
        event = event_append(
            couple=couple, kind="signal.answered", actor=user, data=data, op_id=op_id, at=answer.at
        )
    return event, True


def _light_on(*, couple: Couple, user: User) -> tuple[int, object]:
    """The seq and time of the event that turned the person's current light on: their
    latest light change that changed the state (later ones only edited its note)."""
    changes = Event.objects.filter(couple=couple, actor=user, kind="signal.changed").order_by("-seq")
    for seq, at, data in changes.values_list("seq", "at", "data").iterator(chunk_size=20):
        if data.get("previous") != data["state"]:
            return seq, at
    raise ServiceError("nothing_to_answer", WORDS["nothing_to_answer"], 409)


def answers_current(*, couple: Couple, signals: dict) -> dict:
    """For each person whose light is yellow or red, the latest answer to that light, if
    any: an answer to an earlier light (one changed since) is left behind."""
    current = {}
    for user_id, signal in signals.items():
        if signal.state == State.GREEN:
            continue
        answer = Answer.objects.filter(couple=couple, to_id=user_id).order_by("-at", "-pk").first()
        if answer is None or answer.light_state != signal.state:
            continue
        changed_since = (
            Event.objects.filter(
                couple=couple, actor_id=user_id, kind="signal.changed", seq__gt=answer.light_seq
            )
            .exclude(data__state=answer.light_state)
            .exists()
        )
        if not changed_since:
            current[user_id] = answer.as_dict()
    return current


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
    if kind == "signal.changed" and data["state"] == State.GREEN and data.get("previous") == State.RED:
        return True  # it replaces the red's notification: none is left standing
    if kind == "signal.answered":  # for the one who asked, whatever their own preview says
        return data["to"] == recipient.pk
    if kind == "preview.due":
        return data["user"] == recipient.pk
    if kind == "reminder.fired":
        all_muted, blocks = muted_blocks(user=recipient, couple=couple)
        return not all_muted and data["block"]["id"] not in blocks
    if kind in ("signal.changed", "preview.posted", "reunion", "flag.raised"):
        live = Preview.objects.filter(couple=couple, user=recipient, cleared_at__isnull=True).first()
        return not (live and live.is_unreachable(now))
    return False


def _light_since(couple: Couple, user_id: int, signal: Signal | None) -> str | None:
    """When the light now on came on: a note added to it since does not move this."""
    if signal is None:
        return None
    changes = (
        Event.objects.filter(couple=couple, actor_id=user_id, kind="signal.changed")
        .order_by("-seq")
        .values_list("at", "data__state", "data__previous")[:50]
    )
    for at, state, previous in changes:
        if state != previous:
            return at.isoformat()
    return signal.set_at.isoformat()  # its coming on is older than its last fifty notes


def _back_at(couple: Couple, user_ids: list[int]) -> dict[int, str]:
    """When each partner last said "I'm back", if they have posted no preview since: a
    page shows the reunion for a while, after a reload too."""
    back = {}
    for user_id in user_ids:
        last = (
            Event.objects.filter(couple=couple, actor_id=user_id, kind__in=("reunion", "preview.posted"))
            .order_by("-seq")
            .first()
        )
        if last is not None and last.kind == "reunion":
            back[user_id] = last.at.isoformat()
    return back


def _snapshot(couple: Couple, viewer: User) -> dict:
    now = timezone.now()
    signals = {s.user_id: s for s in Signal.objects.filter(couple=couple)}
    answers = answers_current(couple=couple, signals=signals)
    memberships = list(couple.memberships.select_related("user").order_by("joined_at", "id"))
    assessments = assessments_shared(couple=couple)
    previews = previews_live(couple=couple)
    back = _back_at(couple, [m.user_id for m in memberships])
    partners = []
    for membership in memberships:
        person = membership.user
        signal = signals.get(person.pk)
        preview = previews.get(person.pk)
        partners.append(
            {
                "id": person.pk,
                "display_name": person.display_name,
                "is_me": person.pk == viewer.pk,
                "timezone": person.timezone,
                "signal": {
                    **(signal.as_dict() if signal else {"state": None, "note": "", "set_at": None}),
                    "since": _light_since(couple, person.pk, signal),
                    "answer": answers.get(person.pk),
                },
                "preview": preview.as_dict() if preview else None,
                "back_at": back.get(person.pk),
                # In their quiet hours as of this snapshot (only red gets through); the
                # hours themselves are theirs alone. Events do not move it: a page reads it
                # again with each snapshot.
                "quiet_now": quiet_end(user=person, now=now) is not None,
                "agreed_at": membership.agreed_at.isoformat() if membership.agreed_at else None,
                # Only a result its person shared: pattern and means, never the answers.
                "assessment": assessments.get(person.pk),
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
