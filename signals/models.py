from django.conf import settings
from django.db import models
from django.utils import timezone

from couples.models import Couple
from couples.validators import NOTE_MAX
from signals.words import WORDS


class State(models.TextChoices):
    GREEN = "green", "green"
    YELLOW = "yellow", "yellow"
    RED = "red", "red"


class Signal(models.Model):
    """A partner's current light in one couple. History lives in the event log."""

    couple = models.ForeignKey(Couple, models.CASCADE, related_name="signals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="signals")
    state = models.CharField(max_length=6, choices=State.choices)
    note = models.CharField(max_length=NOTE_MAX, blank=True)
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["couple", "user"], name="one_signal_per_partner")]

    def as_dict(self) -> dict:
        return {"state": self.state, "note": self.note, "set_at": self.set_at.isoformat()}


class Reply(models.TextChoices):
    """The answers a partner can give to a yellow or a red (words: signals.words)."""

    SEEN = "seen", "seen"
    COMING = "coming", "coming"
    CALL_SOON = "call_soon", "call_soon"
    LATER = "later", "later"


class Answer(models.Model):
    """A partner's explicit answer to the other's yellow or red light (never a passive
    read receipt). `light_seq` is the seq of the event that turned that light on: a
    note added to the same light keeps the answer, a new light leaves it behind."""

    couple = models.ForeignKey(Couple, models.CASCADE, related_name="answers")
    to = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    light_seq = models.BigIntegerField()
    light_state = models.CharField(max_length=6, choices=State.choices)
    light_at = models.DateTimeField()
    reply = models.CharField(max_length=10, choices=Reply.choices)
    note = models.CharField(max_length=NOTE_MAX, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["couple", "to", "at"], name="answer_latest"),
            models.Index(fields=["couple", "light_at"], name="answer_period"),
        ]

    def as_dict(self) -> dict:
        return {
            "by": self.by_id,
            "reply": self.reply,
            "note": self.note,
            "at": self.at.isoformat(),
            "light_seq": self.light_seq,
        }


class Flag(models.Model):
    """A gentle flag: one partner's red has come on often. About "us", never a score."""

    couple = models.ForeignKey(Couple, models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["couple", "user", "raised_at"], name="flag_recent")]

    def as_dict(self) -> dict:
        return {
            "id": self.pk,
            "user": self.user_id,
            "raised_at": self.raised_at.isoformat(),
            "dismissed_at": self.dismissed_at.isoformat() if self.dismissed_at else None,
            "message": str(WORDS["flag_message"]),
            "suggestion": str(WORDS["flag_suggestion"]),
        }


class PushJob(models.Model):
    """One notification for one device, waiting to be sent (with retries) by the loop."""

    device = models.ForeignKey("couples.PushDevice", models.CASCADE, related_name="jobs")
    # The event it tells of; none for a test notification (Settings' "send me a test").
    event = models.ForeignKey("couples.Event", models.CASCADE, null=True, blank=True, related_name="+")
    payload = models.JSONField()
    urgency = models.CharField(max_length=8, default="normal")
    next_try_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["next_try_at"], name="pushjob_due")]
        constraints = [models.UniqueConstraint(fields=["device", "event"], name="one_push_per_device_event")]


class SignalSpan(models.Model):
    """How long a light was on: one row per light set, closed when the next is set.
    History sums these in the database (time-in-state), clipped to the period asked."""

    couple = models.ForeignKey(Couple, models.CASCADE, related_name="spans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    state = models.CharField(max_length=6, choices=State.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["couple", "started_at"], name="span_period"),
            # The overlap query's other half: spans still open, or ending after the start.
            models.Index(fields=["couple", "ended_at"], name="span_open_or_ending"),
        ]
