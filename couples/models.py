import secrets
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from couples.validators import validate_timezone

# No 0/O, 1/I/L or U/V look-alikes: a code read aloud or typed on a phone survives.
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
INVITE_LENGTH = 8


def username_normal(raw: str) -> str:
    """The one spelling of a username, wherever one is stored, looked up, counted or
    compared: Unicode's compatibility form (NFKC, as Django's own forms fold it: a
    fullwidth or mathematical "ａ" is "a"), without surrounding space."""
    return unicodedata.normalize("NFKC", raw).strip()


def email_normal(raw: str) -> str:
    """An e-mail address as it is stored and counted: NFKC, trimmed, the domain lower case."""
    return UserManager.normalize_email(unicodedata.normalize("NFKC", raw).strip())


class PeopleManager(UserManager):
    def get_by_natural_key(self, username):
        # Every log-in path (the API, the HTML form, anything using ModelBackend) finds
        # the account by the normal form, so no spelling of a name is a second door.
        return super().get_by_natural_key(username_normal(username))

    def username_taken(self, username: str) -> bool:
        """Taken in any case, as Django's sign-up form holds it."""
        return self.filter(username__iexact=username_normal(username)).exists()


class User(AbstractUser):
    display_name = models.CharField(max_length=60)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    # What the person reads: pages, API errors, pushes and mails (couples/language.py).
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    # `email` (Django's) is optional; it is used only once its owner followed the link
    # mailed to it (couples/mail.py).
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Quiet hours, local in `timezone` (both or neither): notifications wait, a
    # partner's red still comes through (couples.services.quiet_end). Never shown to the partner.
    quiet_from = models.TimeField(null=True, blank=True)
    quiet_until = models.TimeField(null=True, blank=True)

    objects = PeopleManager()

    @classmethod
    def normalize_username(cls, username):
        return username_normal(username) if isinstance(username, str) else username

    def __str__(self) -> str:
        return self.display_name or self.username

    def active_couple(self) -> "Couple | None":
        return Couple.objects.filter(
            memberships__user=self, memberships__left_at__isnull=True, ended_at__isnull=True
        ).first()


class Couple(models.Model):
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The couple's shared IANA timezone; rhythms are computed in it.
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    # The last seq handed out. Allocated under this row's lock, so gap-free.
    seq = models.BigIntegerField(default=0)
    # The last seq the push dispatcher has looked at (signals.push).
    push_seq = models.BigIntegerField(default=0)
    # Settings the two set together; every change is a settings.changed event.
    flags_enabled = models.BooleanField(default=True)
    flag_threshold = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(2), MaxValueValidator(14)]
    )
    retention_months = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    # When the retention purge last found nothing more to remove here.
    purged_at = models.DateTimeField(null=True, blank=True)

    SETTINGS = ("timezone", "flags_enabled", "flag_threshold", "retention_months")

    class Meta:
        indexes = [
            # The push dispatcher's query: couples with events it has not looked at.
            models.Index(fields=["id"], name="couple_push_pending", condition=Q(seq__gt=models.F("push_seq")))
        ]

    def __str__(self) -> str:
        return f"couple {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    @property
    def group_name(self) -> str:
        return f"couple.{self.pk}"

    def partners(self) -> list[User]:
        return [m.user for m in self.memberships.select_related("user").order_by("joined_at", "id")]

    def settings_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.SETTINGS}


class Membership(models.Model):
    couple = models.ForeignKey(Couple, models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    # When this partner said "We agree" to the couple's agreement (what the lights mean,
    # that a red is answered as much as reasonably possible, that red is not for every day).
    agreed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # The database itself keeps a person in at most one active couple.
            models.UniqueConstraint(
                fields=["user"], condition=Q(left_at__isnull=True), name="one_active_couple_per_user"
            ),
            models.UniqueConstraint(fields=["couple", "user"], name="one_membership_per_couple"),
        ]


def invite_code_new() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def invite_code_normalize(raw: str) -> str:
    """Accept what people type: lower case, spaces and dashes ("abcd-efgh")."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


class Invite(models.Model):
    code = models.CharField(max_length=INVITE_LENGTH, unique=True, default=invite_code_new)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="invites")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def save(self, *args, **kwargs):
        if self.expires_at is None:
            minutes = settings.PORCHLIGHT["INVITE_TTL_MINUTES"]
            self.expires_at = self.created_at + timedelta(minutes=minutes)
        super().save(*args, **kwargs)

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def code_display(self) -> str:
        return f"{self.code[:4]}-{self.code[4:]}"


# Every kind of event the log holds, and where its data names a person besides its
# actor (dotted paths). The one table account deletion reads (couples.services.
# person_forget_in_events); event_append refuses a kind that is not here, so no kind
# escapes it. A path marked `ALONE` names the one person the event was for: the event
# goes with them.
ALONE = "alone:"
EVENT_KINDS: dict[str, tuple[str, ...]] = {
    "signal.changed": (),
    "signal.answered": ("to",),
    "flag.raised": ("flag.user",),
    "flag.dismissed": (),
    "preview.posted": (),
    "preview.cleared": (),
    "preview.due": (ALONE + "user",),
    "reunion": (),
    "rhythm.changed": (),
    "reminder.fired": (),
    "settings.changed": (),
    "agreement.made": ("user",),
    "partner.joined": ("user",),
    "partner.left": ("user",),
    "assessment.shared": (),
    "ask.made": ("ask.by",),
    "ask.answered": ("to",),
    "checkin.revealed": (),
}


class Event(models.Model):
    """One entry of a couple's append-only log: the truth that sockets replay."""

    couple = models.ForeignKey(Couple, models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)
    # A client-made id: a retried write with the same op_id is applied once.
    op_id = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        indexes = [
            # History: a couple's events of a kind over a period, and a person's own.
            models.Index(fields=["couple", "kind", "at"], name="event_kind_period"),
            models.Index(fields=["actor", "at"], name="event_actor_period"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["couple", "seq"], name="event_seq_unique"),
            models.UniqueConstraint(
                fields=["actor", "op_id"], condition=Q(op_id__isnull=False), name="event_op_id_unique"
            ),
        ]

    def as_body(self) -> dict:
        """The event as REST answers it."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "actor": self.actor_id,
            "at": self.at.isoformat(),
            "data": self.data,
        }

    def as_frame(self) -> dict:
        """The event as the websocket sends it; with the op_id its author's client sent,
        by which that client knows its tap went through (no separate ack)."""
        frame = {"type": "event", **self.as_body()}
        if self.op_id:
            frame["op_id"] = self.op_id
        return frame


class LoginSession(AbstractBaseSession):
    """A browser session (Django's database sessions) that knows whose it is, so that a
    password change can end a person's other sessions and account deletion all of them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, null=True, blank=True, related_name="sessions"
    )

    @classmethod
    def get_session_store_class(cls):
        return SessionStore


class SessionStore(DBStore):
    """Django's database sessions, each row marked with its user (SESSION_ENGINE is
    couples.sessions, which names this class)."""

    @classmethod
    def get_model_class(cls):
        return LoginSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            session.user_id = None
        return session


class WsTicket(models.Model):
    """A single-use, short-lived pass for a non-browser client's websocket."""

    digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    # The login that minted it ("s:<session key>" or "t:<token key>"): the ticket is
    # good only while that login is, and the socket it opens lives and dies with it.
    login = models.CharField(max_length=80)
    expires_at = models.DateTimeField(db_index=True)


class PushDevice(models.Model):
    """A browser's Web Push subscription: one per device, owned by one person."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="push_devices")
    endpoint = models.URLField(max_length=500, unique=True)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=40)
    label = models.CharField(max_length=80, blank=True)
    # Off by default: a note or preview text goes to a push service only if asked.
    include_text = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Whether notifications reach it: the last one its push service took, and why the
    # last try failed (a word, never a payload), for Settings to say.
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=80, blank=True)

    def subscription_info(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def as_dict(self) -> dict:
        return {
            "id": self.pk,
            "label": self.label,
            "include_text": self.include_text,
            "created_at": self.created_at.isoformat(),
            "last_sent_at": self.last_sent_at.isoformat() if self.last_sent_at else None,
            "last_error": self.last_error or None,
        }


class OutgoingMail(models.Model):
    """A mail waiting to go out (couples/mail.py). A request only writes this row; the
    background loop sends it, so no request waits on a mail server, nor tells by its
    timing whether an address has an account. What it says is written when it is sent."""

    class Kind(models.TextChoices):
        VERIFY = "verify"  # confirm an address given to `user`
        RESET = "reset"  # a password reset link, to each account with this verified address
        LOGIN_LINK = "login_link"  # a one-time log-in link, likewise

    kind = models.CharField(max_length=16, choices=Kind.choices)
    to = models.EmailField(max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Where the links in it point: the address the request came to.
    base_url = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    next_try_at = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
