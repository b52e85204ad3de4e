from django.conf import settings
from django.db import models
from django.utils import timezone

from couples.models import Couple


class State(models.TextChoices):
    GREEN = "green", "green"
    YELLOW = "yellow", "yellow"
    RED = "red", "red"


NOTE_MAX = 280


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
