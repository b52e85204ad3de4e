"""A person's optional e-mail address, and password reset by e-mail.

An address is used only once its owner followed the link sent to it (`email_verified_at`);
until then no reset goes there. Resets go through Django's own password reset form,
tokens and views; a reset password ends every other login and socket of that person
(`user_password_changed`), as a changed one does. Addresses never go into the log.
"""

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from couples.models import User

VERIFY_SALT = "couples.email.verify"
VERIFY_MAX_AGE = 3 * 24 * 3600


def email_set(*, user: User, email: str, base_url: str) -> None:
    """Change (or with "" remove) the person's address. A new address waits for its
    owner to follow the link mailed to it."""
    email = User.objects.normalize_email(email.strip())
    if email.lower() == user.email.lower():
        return
    user.email, user.email_verified_at = email, None
    user.save(update_fields=["email", "email_verified_at"])
    if email:
        token = signing.dumps([user.pk, email], salt=VERIFY_SALT)
        link = base_url + reverse("email-verify", args=[token])
        with translation.override(user.language):
            subject = render_to_string("couples/mail/email_verify_subject.txt").strip()
            body = render_to_string("couples/mail/email_verify.txt", {"user": user, "link": link})
        transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email]))


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


class VerifiedPasswordResetForm(PasswordResetForm):
    """Django's form, sending only to addresses their owners have verified."""

    def get_users(self, email):
        return (u for u in super().get_users(email) if u.email_verified_at is not None)

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        # In the language of the person it goes to, not of whoever asked for it.
        with translation.override(context["user"].language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


def password_reset_request(*, email: str, request) -> None:
    """Mail a reset link to each active account with this verified address; nothing
    tells the caller whether there was one."""
    form = VerifiedPasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name="couples/mail/password_reset_subject.txt",
            email_template_name="couples/mail/password_reset_email.txt",
            from_email=settings.DEFAULT_FROM_EMAIL,
        )
