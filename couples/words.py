"""User-facing words of the couples app, in one place, marked for translation."""

from django.utils.translation import gettext_lazy as _

WORDS = {
    "bad_timezone": _("That is not a time zone we know. Try one like Europe/Berlin."),
    "control_characters": _("Please leave out control characters."),
    "not_text": _("This should be text."),
    "unknown_field": _("This field is not one we know."),
    "too_deep": _("The JSON is nested too deeply."),
    "bad_text": _("Some of that text could not be read. Please type it again."),
    "too_long": _("Please keep it to {n} characters."),
    "already_paired": _("You are already paired. Unpair first to pair with someone else."),
    "not_paired": _("You are not paired with anyone yet."),
    "invite_unknown": _("That code does not match an open invite. Check it and try again."),
    "invite_expired": _("That invite has expired. Ask your partner for a new one."),
    "invite_used": _("That invite has already been used. Ask your partner for a new one."),
    "invite_self": _("That is your own invite. Send it to your partner."),
    "inviter_paired": _("The person who made this invite is already paired."),
    "csrf_failed": _("This browser request is missing its CSRF token. Reload the page and try again."),
    "not_found": _("There is nothing here."),
    "body_too_large": _("That request is too large."),
    "bad_request": _("That request could not be read."),
    "server_error": _("Something went wrong on our side. Please try again."),
    "password_digits": _("A password needs more than digits."),
    "bad_password": _("That is not your password."),
    "username_taken": _("That username is taken. Please choose another."),
    "bad_credentials": _("That username and password do not match."),
    "bad_op_id": _("op_id is up to 64 letters, digits, '-', '_', ':' or '.'."),
    "op_id_reused": _("This op_id was already used for a different change."),
    "reset_sent": _(
        "If that address belongs to an account and was confirmed, a link to choose a new password is on its way."
    ),
    "login_link_sent": _(
        "If that address belongs to an account and was confirmed, a link to log in is on its way."
    ),
    "mail_limit": _("That address or this account has had enough mail for now. Please try again in an hour."),
    "invalid_fields": _("Please check the highlighted fields."),
    "out_of_range": _("A value is out of range."),
    "conflict": _("That clashed with another change. Please try again."),
    "unavailable": _("Porchlight is briefly unavailable. Your change was not saved; please try again."),
}
