from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from couples.models import Couple

MINUTES_PER_WEEK = 7 * 24 * 60


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time, once and only once.

    Ambiguous (clocks fall back, the time happens twice): the first one.
    Nonexistent (clocks spring forward over it): the next valid time, the moment the
    clocks jump (02:30 on a New York spring-forward day fires at 03:00 EDT).
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive:
        return first.astimezone(UTC)
    # In a gap: walk forward minute by minute to the first wall time that exists.
    candidate = naive
    for _ in range(24 * 60):
        candidate += timedelta(minutes=1)
        aware = candidate.replace(tzinfo=tz)
        if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == candidate:
            return aware.astimezone(UTC)
    raise ValueError(f"no valid local time after {naive} in {tz}")


class Block(models.Model):
    """A weekly block of the couple's rhythm: connection time or autonomy time."""

    class Kind(models.TextChoices):
        CONNECTION = "connection", "connection"
        AUTONOMY = "autonomy", "autonomy"

    couple = models.ForeignKey(Couple, models.CASCADE, related_name="blocks")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=60)
    # A block the app names itself ("checkin"): shown in each reader's language
    # (rhythms.words.block_name) until someone renames it.
    key = models.CharField(max_length=12, blank=True, default="")
    days = models.JSONField(default=list)  # weekdays, Monday=0
    start = models.TimeField()  # local, in the couple's timezone
    minutes = models.PositiveSmallIntegerField()
    remind_before = models.PositiveSmallIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def as_dict(self) -> dict:
        return {
            "id": self.pk,
            "kind": self.kind,
            "name": self.name,
            "key": self.key or None,
            "days": self.days,
            "start": self.start.strftime("%H:%M"),
            "minutes": self.minutes,
            "remind_before": self.remind_before,
            "enabled": self.enabled,
        }

    def week_intervals(self) -> list[tuple[int, int]]:
        """The block's minutes of the week (local), [start, end), split at the week's end."""
        out = []
        for day in self.days:
            begin = day * 24 * 60 + self.start.hour * 60 + self.start.minute
            end = begin + self.minutes
            if end <= MINUTES_PER_WEEK:
                out.append((begin, end))
            else:
                out += [(begin, MINUTES_PER_WEEK), (0, end - MINUTES_PER_WEEK)]
        return out

    def overlaps(self, other: "Block") -> bool:
        return any(a < d and c < b for a, b in self.week_intervals() for c, d in other.week_intervals())

    def occurrences(self, begin: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
        """UTC starts of this block's occurrences with begin <= start < end."""
        if not self.days:
            return []
        day = begin.astimezone(tz).date() - timedelta(days=1)
        last = end.astimezone(tz).date() + timedelta(days=1)
        starts = []
        while day <= last:
            if day.weekday() in self.days:
                at = local_to_utc(day, self.start, tz)
                if begin <= at < end:
                    starts.append(at)
            day += timedelta(days=1)
        return starts

    def next_occurrence(self, after: datetime, tz: ZoneInfo) -> datetime | None:
        """The first start strictly after `after` (UTC), or None if the block never runs."""
        if not self.days:
            return None
        found = self.occurrences(after + timedelta(microseconds=1), after + timedelta(days=8), tz)
        return found[0] if found else None


class Reminder(models.Model):
    """One scheduled reminder of a block: at its start, or N minutes before.

    `next_fire_at` is the claim: the scheduler moves it forward with a conditional
    UPDATE, and only the process whose UPDATE changed the row sends.
    """

    class Kind(models.TextChoices):
        START = "start", "start"
        BEFORE = "before", "before"

    block = models.ForeignKey(Block, models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    next_fire_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    # A reminder found too late (REMINDER_LATE_MINUTES) is skipped, not sent: noted here.
    last_missed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["block", "kind"], name="one_reminder_per_kind")]
        indexes = [
            # Exactly the scheduler's query: the earliest due row, among those scheduled.
            models.Index(
                fields=["next_fire_at"], name="reminder_due", condition=Q(next_fire_at__isnull=False)
            )
        ]

    def offset(self) -> timedelta:
        if self.kind == self.Kind.BEFORE:
            return timedelta(minutes=self.block.remind_before or 0)
        return timedelta(0)

    def next_after(self, after: datetime, tz: ZoneInfo) -> datetime | None:
        """The next time to fire strictly after `after`, or None when nothing is due."""
        block = self.block
        if not block.enabled or (self.kind == self.Kind.BEFORE and not block.remind_before):
            return None
        start = block.next_occurrence(after + self.offset(), tz)
        return start - self.offset() if start else None


class ReminderMute(models.Model):
    """A person's own mute: of one block's reminders, or of all (block is null)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="reminder_mutes")
    couple = models.ForeignKey(Couple, models.CASCADE, related_name="reminder_mutes")
    block = models.ForeignKey(Block, models.CASCADE, null=True, blank=True, related_name="mutes")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "block"], name="one_mute_per_block"),
            models.UniqueConstraint(
                fields=["user", "couple"], condition=Q(block__isnull=True), name="one_mute_all_per_couple"
            ),
        ]


class Preview(models.Model):
    """A next-connection preview: what a partner is off to do, and when they expect to
    reconnect. One live preview per partner; a new one replaces it."""

    couple = models.ForeignKey(Couple, models.CASCADE, related_name="previews")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="previews")
    message = models.CharField(max_length=280)
    # A one-tap preset's key, when the message is the preset's words: each reader sees
    # them in their own language (rhythms.words.preview_words).
    preset = models.CharField(max_length=16, blank=True, default="")
    expected_at = models.DateTimeField(null=True, blank=True)
    unreachable_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    # How it ended: "reunion", "cleared" or "replaced" (history counts the reunions).
    ended_by = models.CharField(max_length=8, blank=True)
    # When to nudge the author to reconnect; cleared by the claim, a reunion or a new preview.
    nudge_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["couple", "user"], condition=Q(cleared_at__isnull=True), name="one_live_preview"
            )
        ]
        indexes = [models.Index(fields=["nudge_at"], name="preview_due", condition=Q(nudge_at__isnull=False))]

    def as_dict(self) -> dict:
        return {
            "id": self.pk,
            "message": self.message,
            "preset": self.preset or None,
            "expected_at": self.expected_at.isoformat() if self.expected_at else None,
            "unreachable_until": self.unreachable_until.isoformat() if self.unreachable_until else None,
            "created_at": self.created_at.isoformat(),
        }

    def is_unreachable(self, now: datetime) -> bool:
        return self.cleared_at is None and self.unreachable_until is not None and now < self.unreachable_until


class CalendarFeed(models.Model):
    """A person's private calendar feed of the couple's rhythm (rhythms/calendar.py). The
    URL's secret is kept only as its SHA-256 digest; one feed per person."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="calendar_feed")
    couple = models.ForeignKey(Couple, models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The person's password as it was when the feed was made (Django's session auth
    # hash): a new password, changed or reset, ends the feed as it ends logins.
    auth_hash = models.CharField(max_length=128, default="")
