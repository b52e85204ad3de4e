from django.conf import settings
from django.db import models
from django.utils import timezone

from couples.models import Couple
from couples.validators import NOTE_MAX


class Assessment(models.Model):
    """One person's self-assessment (practice.services): private to them unless `shared`,
    and then only its pattern and means."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="assessments")
    answers = models.JSONField()
    dependence = models.FloatField()
    independence = models.FloatField()
    pattern = models.CharField(max_length=20)
    at = models.DateTimeField(default=timezone.now)
    shared = models.BooleanField(default=False)
    # The couple it was shared in: a share does not follow its person to a next partner.
    shared_couple = models.ForeignKey(Couple, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["user", "at"], name="assessment_own")]

    def as_dict(self) -> dict:
        return {
            "id": self.pk,
            "dependence": self.dependence,
            "independence": self.independence,
            "pattern": self.pattern,
            "at": self.at.isoformat(),
            "shared": self.shared,
        }

    def shared_dict(self) -> dict:
        """What the partner sees of a shared result: no answers."""
        return {
            "pattern": self.pattern,
            "dependence": self.dependence,
            "independence": self.independence,
            "at": self.at.isoformat(),
        }


ASK_MAX = 140


class Ask(models.Model):
    """A small ask of the partner (practising safe dependence): one open per person; the
    partner answers yes or not now, and a not now is fine."""

    couple = models.ForeignKey(Couple, models.CASCADE, related_name="asks")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="asks")
    text = models.CharField(max_length=ASK_MAX)
    at = models.DateTimeField(default=timezone.now)
    answer = models.CharField(max_length=8, blank=True)  # "", "yes" or "not_now"
    note = models.CharField(max_length=NOTE_MAX, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["couple", "at"], name="ask_recent")]
        # One open ask per person in a couple: one left open at an unpairing ends with it.
        constraints = [
            models.UniqueConstraint(
                fields=["couple", "by"],
                condition=models.Q(answered_at__isnull=True),
                name="one_open_ask_a_couple",
            )
        ]

    def as_dict(self) -> dict:
        return {
            "id": self.pk,
            "by": self.by_id,
            "text": self.text,
            "at": self.at.isoformat(),
            "answer": self.answer or None,
            "note": self.note,
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
        }


class JournalEntry(models.Model):
    """A practice logged by its person alone (practice.services): time alone, or an anxious
    moment sat with. Private: no other person reads it by any path."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="journal")
    kind = models.CharField(max_length=12)  # "alone_time" or "anxiety"
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    intensity_before = models.PositiveSmallIntegerField(null=True, blank=True)
    intensity_after = models.PositiveSmallIntegerField(null=True, blank=True)
    trigger = models.CharField(max_length=ASK_MAX, blank=True)
    note = models.CharField(max_length=NOTE_MAX, blank=True)
    # Whether the partner had a next-connection preview up at that moment: anxiety often
    # follows uncertainty, and the person's own summary shows it.
    partner_preview = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "at"], name="journal_own")]

    def as_dict(self) -> dict:
        return {
            "id": self.pk,
            "kind": self.kind,
            "minutes": self.minutes,
            "intensity_before": self.intensity_before,
            "intensity_after": self.intensity_after,
            "trigger": self.trigger,
            "note": self.note,
            "partner_preview": self.partner_preview,
            "at": self.at.isoformat(),
        }


class CheckIn(models.Model):
    """A partner's weekly check-in: one appreciation, one need for the week ahead. The
    partner reads it only once both have written theirs for that week."""

    couple = models.ForeignKey(Couple, models.CASCADE, related_name="checkins")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="checkins")
    week = models.CharField(max_length=8)  # ISO week, "2026-W49"
    appreciation = models.CharField(max_length=NOTE_MAX)
    need = models.CharField(max_length=NOTE_MAX)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["couple", "user", "week"], name="one_checkin_a_week")]

    def as_dict(self) -> dict:
        return {
            "user": self.user_id,
            "appreciation": self.appreciation,
            "need": self.need,
            "at": self.at.isoformat(),
        }


class SelfCare(models.Model):
    """A person's own self-care list: up to ten things that steady them. Private."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="self_care")
    items = models.JSONField(default=list)


class PracticeStep(models.Model):
    """A small step of sharing something vulnerable (practising safe dependence), marked
    done by its person for a week. Private."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="practice_steps")
    step = models.CharField(max_length=16)
    week = models.CharField(max_length=8)  # ISO week, "2026-W49", in the person's time zone
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "step", "week"], name="one_step_a_week")]
