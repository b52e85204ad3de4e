import unicodedata
from functools import cache
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError

from couples.words import WORDS

# Files in the zoneinfo folder that are not IANA zone names: the machine's own zone
# (which follows whatever the host is set to) and tzdata's placeholders.
NOT_ZONES = {"localtime", "Factory", "posixrules"}
# A note's most characters, wherever a person writes one (a light, an answer, a practice).
NOTE_MAX = 280


@cache
def timezones() -> frozenset[str]:
    return frozenset(
        name
        for name in available_timezones()
        if name not in NOT_ZONES and not name.startswith(("posix/", "right/"))
    )


def validate_timezone(value: str) -> None:
    if value not in timezones():
        raise ValidationError(WORDS["bad_timezone"], code="bad_timezone")


def validate_no_control_characters(value: str) -> None:
    # Control characters (NUL, escape sequences, newlines) have no place in a short
    # note and can hide text from the partner or break a log line.
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValidationError(WORDS["control_characters"], code="control_characters")


def clean_short_text(value, *, max_length: int, required_message=None) -> str:
    """A note, a message, a name: trimmed, short, no control characters.
    Raises ValidationError with a kind message; returns the trimmed text."""
    if not isinstance(value, str):
        raise ValidationError(WORDS["not_text"], code="not_text")
    value = value.strip()
    if not value and required_message is not None:
        raise ValidationError(required_message, code="required")
    if len(value) > max_length:
        raise ValidationError(str(WORDS["too_long"]).format(n=max_length), code="too_long")
    validate_no_control_characters(value)
    return value


def choice_with_note_clean(*, field: str, value, choices, message, note) -> str:
    """A choice (a light, an answer) and the note that goes with it: the note cleaned, or
    a ValidationError naming each field that is wrong (`message` for the choice)."""
    errors = {}
    if value not in choices:
        errors[field] = [message]
    try:
        note = clean_short_text(note, max_length=NOTE_MAX)
    except ValidationError as e:
        errors["note"] = e.messages
    if errors:
        raise ValidationError(errors)
    return note
