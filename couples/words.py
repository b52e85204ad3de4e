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
    "quiet_pair": _("Quiet hours need a start and a different end, or neither."),
    "unavailable": _("Porchlight is briefly unavailable. Your change was not saved; please try again."),
}

# The framework's own messages (DRF's fields and errors, Django's forms), in the
# project's words in both languages: applied when the app loads (couples.fields.
# framework_words). Keyed by DRF's error codes; {placeholders} are DRF's.
FIELD_WORDS = {
    "required": _("Please fill this in."),
    "null": _("Please fill this in."),
    "blank": _("Please write something here."),
    "max_length": _("Please keep it to {max_length} characters."),
    "min_length": _("Please write at least {min_length} characters."),
    "text_invalid": _("This should be text."),
    "number_invalid": _("This should be a whole number."),
    "float_invalid": _("This should be a number."),
    "max_value": _("Please give a number no bigger than {max_value}."),
    "min_value": _("Please give a number no smaller than {min_value}."),
    "max_string_length": _("That number is too long."),
    "boolean_invalid": _("This should be true or false."),
    "invalid_choice": _("That is not one of the choices."),
    "datetime_invalid": _("This should be a date and time, like 2026-12-11T19:00:00+01:00."),
    "date_invalid": _("This should be a day, like 2026-12-11."),
    "email_invalid": _("That does not look like an e-mail address."),
    "regex_invalid": _("That is not in the form this field takes."),
    "not_a_list": _("This should be a list."),
    "empty": _("Please give at least one."),
    "list_min_length": _("Please give at least {min_length}."),
    "list_max_length": _("Please give no more than {max_length}."),
    "not_a_dict": _("This should be an object of names and values."),
    "serializer_invalid": _("The request should be a JSON object of fields."),
    "not_authenticated": _("Please log in first."),
    "authentication_failed": _("Your log-in is not valid any more. Please log in again."),
    "permission_denied": _("That is not yours to do."),
    "method_not_allowed": _("This address does not take {method}."),
    "unsupported_media_type": _("Please send JSON (Content-Type: application/json)."),
    "parse_error": _("That request could not be read as JSON."),
    "not_acceptable": _("This address answers in JSON only."),
}
