"""A person's optional e-mail address, password reset and one-time log-in links by mail.

An address is used only once its owner followed the link sent to it (`email_verified_at`);
until then no reset or log-in link goes there. Resets use Django's own tokens and views;
a reset password ends every other login and socket of that person
(`user_password_changed`), as a changed one does. Addresses never go into the log.

Every mail goes through the outbox (`OutgoingMail`): a request writes one row and
answers; `mail_send_next`, a step of the background loops, writes and sends it, with
retries, so a restart loses nothing. A reset or log-in link request does the same work
whether or not the address has an account: the row is written either way, and only
the sender looks the address up.

Mail is a thing a stranger could aim: each recipient address gets at most
MAILS_PER_HOUR an hour, and each account may ask for as many confirmations. A mail to
an address not yet confirmed carries no text its sender chose (no name): only ours.
"""

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from couples.models import OutgoingMail, User, email_normal
from couples.services import ServiceError
from couples.words import WORDS

log = logging.getLogger(__name__)

VERIFY_SALT = "couples.email.verify"
VERIFY_MAX_AGE = 3 * 24 * 3600
MAILS_PER_HOUR = 3
SEND_CLAIM = timedelta(minutes=2)  # a mail being sent is hidden this long; retried if its sender died
BACKOFF = [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30)]
MAX_ATTEMPTS = 8


class LoginLinkTokenGenerator(PasswordResetTokenGenerator):
    """A one-time log-in link: like a reset token (it dies when the person logs in, since
    last_login is in its hash, or changes the password), but of its own kind and good
    for an hour."""

    key_salt = "couples.mail.LoginLinkTokenGenerator"
    MAX_AGE = 3600

    def check_token(self, user, token):
        if not super().check_token(user, token):
            return False
        made = base36_to_int(token.split("-")[0])
        return self._num_seconds(self._now()) - made <= self.MAX_AGE


login_link_tokens = LoginLinkTokenGenerator()


def _budget_take(key: str) -> bool:
    """One more mail under `key` this hour: True, and counted, while fewer than
    MAILS_PER_HOUR went; else False."""
    now = timezone.now().timestamp()
    sent = [t for t in cache.get(key, []) if t > now - 3600]
    if len(sent) >= MAILS_PER_HOUR:
        return False
    cache.set(key, [now, *sent], 3600)
    return True


def _recipient_key(address: str) -> str:
    return "mail_to_" + hashlib.sha256(address.lower().encode()).hexdigest()[:32]


def mail_queue(*, kind: str, to: str, base_url: str, user: User | None = None) -> bool:
    """Put a mail in the outbox, unless its recipient had enough this hour (False)."""
    if not _budget_take(_recipient_key(to)):
        return False
    OutgoingMail.objects.create(kind=kind, to=to, user=user, base_url=base_url)
    return True


def email_set(*, user: User, email: str, base_url: str) -> None:
    """Change (or with "" remove) the person's address. A new address waits for its
    owner to follow the link mailed to it. Refused (429) when this account or that
    address has had MAILS_PER_HOUR confirmations this hour."""
    email = email_normal(email)
    if email.lower() == user.email.lower():
        return
    if email:
        if not _budget_take(f"mail_from_u{user.pk}") or not mail_queue(
            kind=OutgoingMail.Kind.VERIFY, to=email, base_url=base_url, user=user
        ):
            raise ServiceError("mail_limit", WORDS["mail_limit"], 429)
    user.email, user.email_verified_at = email, None
    user.save(update_fields=["email", "email_verified_at"])


def email_verify(token: str) -> User | None:
    """Follow a verification link: the person whose address it was, or None when the
    link is broken, older than three days, or the address has changed since."""
    try:
        user_id, email = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.email.lower() != str(email).lower():
        return None
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def link_request(*, kind: str, email: str, base_url: str) -> None:
    """A password reset or log-in link for each account whose verified address this
    is. The same work whatever the address: nothing tells the caller whether there was one."""
    mail_queue(kind=kind, to=email_normal(email), base_url=base_url)


def _owners(address: str):
    return User.objects.filter(email__iexact=address, is_active=True, email_verified_at__isnull=False)


def _written(mail: OutgoingMail) -> list[tuple[str, str]]:
    """(subject, body) of each mail this outbox row makes, in each reader's language."""
    written = []
    if mail.kind == OutgoingMail.Kind.VERIFY:
        user = mail.user
        if user is None or user.email.lower() != mail.to.lower() or user.email_verified_at is not None:
            return []  # the address changed, or was confirmed, since
        token = signing.dumps([user.pk, user.email], salt=VERIFY_SALT)
        context = {"link": mail.base_url + reverse("email-verify", args=[token])}
        with translation.override(user.language):
            written.append(_render("email_verify", context))
        return written
    for user in _owners(mail.to):
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        if mail.kind == OutgoingMail.Kind.RESET:
            path = reverse("password-reset-confirm", args=[uid, default_token_generator.make_token(user)])
        else:
            path = reverse("login-link", args=[uid, login_link_tokens.make_token(user)])
        context = {"user": user, "link": mail.base_url + path}
        with translation.override(user.language):
            written.append(
                _render("password_reset" if mail.kind == OutgoingMail.Kind.RESET else "login_link", context)
            )
    return written


def _render(name: str, context: dict) -> tuple[str, str]:
    subject = render_to_string(f"couples/mail/{name}_subject.txt", context).strip()
    return subject, render_to_string(f"couples/mail/{name}.txt", context)


def mail_send_next(now: datetime) -> bool:
    """Send one due mail of the outbox (a step of the background loops). True if one was due."""
    due = (
        OutgoingMail.objects.filter(next_try_at__lte=now)
        .order_by("next_try_at")
        .values_list("pk", "next_try_at")[:1]
    )
    if not due:
        return False
    pk, next_try_at = due[0]
    claimed = OutgoingMail.objects.filter(pk=pk, next_try_at=next_try_at).update(
        next_try_at=now + SEND_CLAIM, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return True
    mail = OutgoingMail.objects.select_related("user").filter(pk=pk).first()
    if mail is None:
        return True
    try:
        for subject, body in _written(mail):
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [mail.to])
    except Exception as e:  # the mail server's trouble: try again later
        if mail.attempts >= MAX_ATTEMPTS:
            log.warning(
                "mail %s (%s) given up after %s tries: %s",
                mail.pk,
                mail.kind,
                mail.attempts,
                type(e).__name__,
            )
            mail.delete()
        else:
            wait = BACKOFF[min(mail.attempts - 1, len(BACKOFF) - 1)]
            log.info("mail %s (%s) failed (%s): retry in %s", mail.pk, mail.kind, type(e).__name__, wait)
            OutgoingMail.objects.filter(pk=pk).update(next_try_at=now + wait)
        return True
    mail.delete()
    return True
