import unicodedata
from functools import cache
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError

from couples.words import WORDS


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_timezone(value: str) -> None:
    if value not in _timezones():
        raise ValidationError(WORDS["bad_timezone"], code="bad_timezone")


def validate_no_control_characters(value: str) -> None:
    # Control characters (NUL, escape sequences, newlines) have no place in a short
    # note and can hide text from the partner or break a log line.
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValidationError(WORDS["control_characters"], code="control_characters")
