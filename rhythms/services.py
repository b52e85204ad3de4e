"""Write functions of the rhythms app: blocks and their reminders, previews and
reunions, and the scheduler's claim steps (DESIGN.md section 5)."""

import logging
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from couples.models import Couple, Event, User
from couples.services import (
    ServiceError,
    couple_active_locked,
    couple_lock,
    event_append,
    event_for_op,
    events_append,
)
from couples.validators import clean_short_text
from rhythms.models import Block, Preview, Reminder, ReminderMute
from rhythms.words import PRESETS, WORDS

log = logging.getLogger(__name__)

HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


# Blocks


def _block_clean(block: Block) -> None:
    errors = {}
    days = block.days
    if not isinstance(days, list) or not days or any(type(d) is not int or not 0 <= d <= 6 for d in days):
        errors["days"] = [WORDS["bad_days"]]
    else:
        block.days = sorted(set(days))
    try:
        block.name = clean_short_text(block.name, max_length=60, required_message=WORDS["bad_name"])
    except ValidationError as e:
        errors["name"] = e.messages
    if block.kind not in Block.Kind.values:
        errors["kind"] = [WORDS["bad_kind"]]
    if type(block.minutes) is not int or not 5 <= block.minutes <= 24 * 60:
        errors["minutes"] = [WORDS["bad_minutes"]]
    if block.remind_before is not None and (
        type(block.remind_before) is not int or not 1 <= block.remind_before <= 240
    ):
        errors["remind_before"] = [WORDS["bad_remind_before"]]
    if errors:
        raise ValidationError(errors)
    if block.enabled:
        others = Block.objects.filter(couple_id=block.couple_id, enabled=True).exclude(pk=block.pk)
        for other in others:
            if block.overlaps(other):
                # Well formed, but clashing with another block: 409.
                raise ServiceError("overlap", str(WORDS["overlap"]).format(name=other.name), 409)


def parse_start(value) -> time:
    if isinstance(value, time):
        return value
    match = HHMM.match(value) if isinstance(value, str) else None
    if not match:
        raise ValidationError({"start": [WORDS["bad_start"]]})
    return time(int(match[1]), int(match[2]))


def reminders_sync(*, block: Block, now: datetime) -> None:
    """Make the block's reminder rows match it, each with its next time to fire."""
    tz = ZoneInfo(block.couple.timezone)
    for kind in Reminder.Kind.values:
        reminder, _ = Reminder.objects.get_or_create(block=block, kind=kind)
        reminder.block = block
        reminder.next_fire_at = reminder.next_after(now, tz)
        reminder.failures, reminder.last_error = 0, ""
        reminder.save(update_fields=["next_fire_at", "failures", "last_error"])


def reminders_reschedule(*, couple: Couple, now: datetime) -> None:
    """After a timezone change: every block's reminders again, from now."""
    for block in Block.objects.filter(couple=couple).select_related("couple"):
        reminders_sync(block=block, now=now)


def _rhythm_changed(couple, user, action: str, block: Block, block_id: int) -> Event:
    data = {"action": action, "block": {**block.as_dict(), "id": block_id}}
    return event_append(couple=couple, kind="rhythm.changed", actor=user, data=data)


def block_create(*, user: User, fields: dict) -> tuple[Block, Event]:
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        block = Block(couple=couple, created_by=user, **{**fields, "key": fields.get("key") or ""})
        block.start = parse_start(block.start)
        _block_clean(block)
        block.save()
        reminders_sync(block=block, now=timezone.now())
        event = _rhythm_changed(couple, user, "created", block, block.pk)
    return block, event


def _block_of(couple: Couple, block_id) -> Block:
    block = Block.objects.filter(couple=couple, pk=block_id).select_related("couple").first()
    if block is None:
        raise ServiceError("block_unknown", WORDS["block_unknown"], 404)
    return block


def block_update(*, user: User, block_id: int, changes: dict) -> tuple[Block, Event | None]:
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        block = _block_of(couple, block_id)
        before = block.as_dict()
        changes = {name: value for name, value in changes.items() if name != "key"}
        if changes.get("name", block.name) != block.name:
            block.key = ""  # renamed: the name is the person's own from now on
        for name, value in changes.items():
            setattr(block, name, value)
        block.start = parse_start(block.start)
        _block_clean(block)
        if block.as_dict() == before:
            return block, None
        block.updated_at = timezone.now()
        block.save()
        reminders_sync(block=block, now=timezone.now())
        event = _rhythm_changed(couple, user, "updated", block, block.pk)
    return block, event


def block_delete(*, user: User, block_id: int) -> Event:
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        block = _block_of(couple, block_id)
        pk = block.pk
        block.delete()
        return _rhythm_changed(couple, user, "deleted", block, pk)


def block_mute(*, user: User, block_id: int | None, muted: bool) -> None:
    """Mute reminders for this person only (one block, or all with block_id=None).
    Nobody else sees it: it changes no shared state and writes no event."""
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        block = _block_of(couple, block_id) if block_id is not None else None
        mutes = ReminderMute.objects.filter(user=user, couple=couple, block=block)
        if muted and not mutes.exists():
            ReminderMute.objects.create(user=user, couple=couple, block=block)
        elif not muted:
            mutes.delete()


def muted_blocks(*, user: User, couple: Couple) -> tuple[bool, set[int]]:
    """(all muted, ids of muted blocks) for this person."""
    rows = list(ReminderMute.objects.filter(user=user, couple=couple).values_list("block_id", flat=True))
    return None in rows, {r for r in rows if r is not None}


def block_muted(*, user: User, couple: Couple, block_id: int | None) -> bool:
    """Has this person muted this block's reminders (or, with None, all of them)? A
    block that is not the couple's is 404, as everywhere."""
    if block_id is not None:
        _block_of(couple, block_id)
    all_muted, blocks = muted_blocks(user=user, couple=couple)
    return all_muted or (block_id is not None and block_id in blocks)


def occurrence_dict(block: Block, starts_at: datetime, tz: ZoneInfo) -> dict:
    ends_at = starts_at + timedelta(minutes=block.minutes)
    return {
        "block": block.as_dict(),
        "starts_at": starts_at.isoformat(),
        "ends_at": ends_at.isoformat(),
        "local_start": starts_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        "local_end": ends_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
    }


def rhythm_upcoming(*, couple: Couple, viewer: User, start: date, days: int) -> list[dict]:
    """The couple's block occurrences from local midnight of `start` for `days` days,
    each block saying whether the viewer muted its reminders."""
    tz = ZoneInfo(couple.timezone)
    all_muted, muted = muted_blocks(user=viewer, couple=couple)
    begin = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(start + timedelta(days=days), time(0), tzinfo=tz).astimezone(UTC)
    found = [
        (at, block)
        for block in Block.objects.filter(couple=couple, enabled=True)
        for at in block.occurrences(begin, end, tz)
    ]
    occurrences = [occurrence_dict(block, at, tz) for at, block in sorted(found, key=lambda pair: pair[0])]
    for occurrence in occurrences:
        occurrence["block"]["muted"] = all_muted or occurrence["block"]["id"] in muted
    return occurrences


def rhythm_now(*, couple: Couple, now: datetime) -> dict | None:
    """The block under way now ("Now: autonomy time until 21:00"), if any."""
    tz = ZoneInfo(couple.timezone)
    for block in Block.objects.filter(couple=couple, enabled=True):
        for at in block.occurrences(now - timedelta(minutes=block.minutes), now + timedelta(seconds=1), tz):
            if at <= now < at + timedelta(minutes=block.minutes):
                return occurrence_dict(block, at, tz)
    return None


# Previews and reunions


def _when(value: datetime | None, field: str, now: datetime, errors: dict) -> datetime | None:
    if value is None:
        return None
    max_days = settings.PORCHLIGHT["PREVIEW_MAX_DAYS"]
    if value <= now:
        errors[field] = [WORDS["when_past"]]
    elif value > now + timedelta(days=max_days):
        errors[field] = [str(WORDS["when_too_far"]).format(days=max_days)]
    return value


def _preview_message(message: str | None, preset: str | None, errors: dict) -> str:
    """The words of a preview: the person's own, or a preset's in the author's language
    (the stored `preset` key lets every reader see them in theirs)."""
    if preset:
        if preset not in PRESETS:
            errors["preset"] = [WORDS["preset_unknown"]]
            return ""
        message = message or str(PRESETS[preset])
    try:
        return clean_short_text(message or "", max_length=280, required_message=WORDS["message_required"])
    except ValidationError as e:
        errors["message"] = e.messages
        return ""


def _preview_live(couple: Couple, user: User) -> Preview | None:
    return Preview.objects.filter(couple=couple, user=user, cleared_at__isnull=True).first()


def preview_post(
    *,
    user: User,
    message: str | None = None,
    preset: str | None = None,
    expected_at: datetime | None = None,
    unreachable_until: datetime | None = None,
    op_id: str | None = None,
) -> tuple[Event, bool]:
    """Post a next-connection preview; it replaces the author's earlier one."""
    now = timezone.now()
    errors: dict = {}
    own_words = bool(message and message.strip())
    message = _preview_message(message, preset, errors)
    if errors:
        raise ValidationError(errors)
    # A time that was fine when the phone sent it can be past when it arrives: a clash
    # with the clock (409), not a malformed request.
    timing: dict = {}
    expected_at = _when(expected_at, "expected_at", now, timing)
    unreachable_until = _when(unreachable_until, "unreachable_until", now, timing)
    if timing:
        raise ServiceError("preview_when", next(iter(timing.values()))[0], 409)
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        earlier = event_for_op(user=user, op_id=op_id, kind="preview.posted")
        if earlier is not None:
            return earlier, False
        Preview.objects.filter(couple=couple, user=user, cleared_at__isnull=True).update(
            cleared_at=now, nudge_at=None, ended_by="replaced"
        )
        preview = Preview.objects.create(
            couple=couple,
            user=user,
            message=message,
            preset="" if own_words else preset or "",
            expected_at=expected_at,
            unreachable_until=unreachable_until,
            created_at=now,
            nudge_at=expected_at,
        )
        data = {"user": user.pk, "preview": preview.as_dict()}
        event = event_append(couple=couple, kind="preview.posted", actor=user, data=data, op_id=op_id)
    return event, True


def preview_clear(*, user: User) -> Event:
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        preview = _preview_live(couple, user)
        if preview is None:
            raise ServiceError("no_preview", WORDS["no_preview"], 404)
        Preview.objects.filter(pk=preview.pk).update(
            cleared_at=timezone.now(), nudge_at=None, ended_by="cleared"
        )
        data = {"user": user.pk, "preview": preview.pk}
        return event_append(couple=couple, kind="preview.cleared", actor=user, data=data)


def reunion(*, user: User, op_id: str | None = None) -> tuple[Event, bool]:
    """ "I'm back": ends the author's preview (if any) and tells the partner at once."""
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        earlier = event_for_op(user=user, op_id=op_id, kind="reunion")
        if earlier is not None:
            return earlier, False
        preview = _preview_live(couple, user)
        if preview is not None:
            Preview.objects.filter(pk=preview.pk).update(
                cleared_at=timezone.now(), nudge_at=None, ended_by="reunion"
            )
        data = {"user": user.pk, "preview": preview.pk if preview else None}
        event = event_append(couple=couple, kind="reunion", actor=user, data=data, op_id=op_id)
    return event, True


def previews_live(*, couple: Couple) -> dict[int, Preview]:
    return {p.user_id: p for p in Preview.objects.filter(couple=couple, cleared_at__isnull=True)}


# The scheduler's steps: each handles at most one due row and says whether it found one.


def _late_limit() -> timedelta:
    return timedelta(minutes=settings.PORCHLIGHT["REMINDER_LATE_MINUTES"])


def scheduler_lag_seconds(now: datetime) -> float:
    """How long the most overdue reminder has waited (0 when none is due): the
    scheduler's lag, for /metrics. One row by the partial index `reminder_due`."""
    due = (
        Reminder.objects.filter(next_fire_at__lte=now)
        .order_by("next_fire_at")
        .values_list("next_fire_at", flat=True)
        .first()
    )
    return (now - due).total_seconds() if due else 0.0


def reminders_fire_due(now: datetime) -> bool:
    """Fire due reminders, up to REMINDER_BATCH in one transaction: every couple's
    reminder may fall in the same minute. True if any was due.

    Rows are claimed with FOR UPDATE SKIP LOCKED (another scheduler process takes the
    next ones) and each moves to its next time in the same transaction as its event:
    exactly once across processes."""
    with transaction.atomic():
        due = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(next_fire_at__lte=now)
            .select_related("block")
            .order_by("next_fire_at")[: settings.PORCHLIGHT["REMINDER_BATCH"]]
        )
        if not due:
            return False
        # Couples too without waiting: one held by an edit waits for the next round
        # (waiting here, holding its reminders, could deadlock with that edit).
        couples = Couple.objects.select_for_update(skip_locked=True).in_bulk({r.block.couple_id for r in due})
        claimed, entries = [], []
        for reminder in due:
            couple = couples.get(reminder.block.couple_id)
            if couple is None:
                continue
            claimed.append(reminder)
            try:
                data = _reminder_advance(reminder, couple, now)
            except Exception as e:
                # One bad row must not stall the others, nor be retried in a tight loop.
                log.error("scheduler: reminder %s failed: %s", reminder.pk, type(e).__name__, exc_info=e)
                reminder.next_fire_at = now + timedelta(minutes=5)
                reminder.failures += 1
                reminder.last_error = repr(e)[:200]
                continue
            if data is not None:
                entries.append((couple, "reminder.fired", data))
        # executemany, not bulk_update: building bulk_update's CASE expressions took 70 %
        # of a 2,000-couple minute (docs/benchmarks.md).
        adapt = connection.ops.adapt_datetimefield_value
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE rhythms_reminder SET next_fire_at = %s, failures = %s, last_error = %s,"
                " last_missed_at = %s WHERE id = %s",
                [
                    (adapt(r.next_fire_at), r.failures, r.last_error, adapt(r.last_missed_at), r.pk)
                    for r in claimed
                ],
            )
        events_append(entries)
    return True


def _reminder_advance(reminder: Reminder, couple: Couple, now: datetime) -> dict | None:
    """Move a due reminder to its next time; the event's data if it should fire now."""
    fire_at = reminder.next_fire_at
    if not couple.is_active:
        reminder.next_fire_at = None
        return None
    tz = ZoneInfo(couple.timezone)
    # From the later of the two: a scheduler that was down does not replay a storm.
    reminder.next_fire_at = reminder.next_after(max(now, fire_at), tz)
    reminder.failures, reminder.last_error = 0, ""
    if now - fire_at > _late_limit():
        reminder.last_missed_at = fire_at
        log.info("reminder %s missed: %s late", reminder.pk, now - fire_at)
        return None
    block = reminder.block
    data = {**occurrence_dict(block, fire_at + reminder.offset(), tz), "reminder": reminder.kind}
    data["minutes_before"] = block.remind_before if reminder.kind == Reminder.Kind.BEFORE else 0
    return data


def preview_nudge_next(now: datetime) -> bool:
    due = (
        Preview.objects.filter(nudge_at__lte=now)
        .order_by("nudge_at")
        .values_list("pk", "nudge_at", "couple_id", "user_id")[:1]
    )
    if not due:
        return False
    pk, nudge_at, couple_id, user_id = due[0]
    try:
        with transaction.atomic():
            couple = couple_lock(couple_id)
            claimed = Preview.objects.filter(pk=pk, nudge_at=nudge_at, cleared_at__isnull=True).update(
                nudge_at=None
            )
            if claimed != 1 or not couple.is_active or now - nudge_at > timedelta(days=1):
                return True
            data = {"user": user_id, "preview": pk, "message": str(WORDS["nudge"])}
            event_append(couple=couple, kind="preview.due", actor=None, data=data)
    except Exception as e:
        rows = Preview.objects.filter(pk=pk, nudge_at=nudge_at)
        _step_failed(rows, e, "preview", pk, nudge_at=now + timedelta(minutes=5))
    return True


def _step_failed(rows, error: Exception, what: str, pk: int, **mark) -> None:
    """Mark a row that raised and step past it for a while: one bad row must not stall
    the loop, nor be retried in a tight loop."""
    log.error("scheduler: %s %s failed: %s", what, pk, type(error).__name__, exc_info=error)
    try:
        rows.update(**mark)
    except Exception:
        log.exception("scheduler: could not mark %s %s", what, pk)
