"""The API's request fields as strict as the server is, so that the OpenAPI schema
states every limit the server enforces (drf-spectacular reads a field's validators:
max_length, min_value, a RegexValidator's pattern, a ChoiceField's enum).

- `text(...)`: a person's words: no control characters (the services clean and refuse
  them too: couples.validators), at most `max_length`.
- `op_id()`: a client's id for a retried write.
- `timezone()`: one of the IANA names the server knows, as an enum.
- JSON types are kept: a number where text, a number or a boolean is declared is
  refused, not turned into one, and so is a field the request does not have (a typo
  would otherwise pass unseen): `strict_json_types`, applied when the app loads.
  Query strings (QuerySerializer) are text by nature and still read as DRF reads them.
"""

from django.core.validators import RegexValidator
from rest_framework import serializers

from couples.validators import timezones
from couples.words import FIELD_WORDS, WORDS

# Unicode's control characters (category Cc): C0, DEL and C1; and text that holds more
# than white space, where words are required (the services trim it).
NO_CONTROL = RegexValidator(
    r"^[^\u0000-\u001f\u007f-\u009f]*$", WORDS["control_characters"], "control_characters"
)
WORDS_IN_IT = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
NOT_BLANK = RegexValidator(WORDS_IN_IT, WORDS["control_characters"], "control_characters")
OP_ID = RegexValidator(r"^[A-Za-z0-9_:.\-]{1,64}$", WORDS["bad_op_id"], "bad_op_id")


def text(max_length: int, **kwargs) -> serializers.CharField:
    """Optional words (allow_blank) may be empty or white space; required ones may not."""
    pattern = NO_CONTROL if kwargs.get("allow_blank") else NOT_BLANK
    return serializers.CharField(max_length=max_length, validators=[pattern], **kwargs)


def op_id() -> serializers.CharField:
    return serializers.CharField(
        max_length=64, required=False, allow_null=True, default=None, validators=[OP_ID],
        help_text="a client-made id: a retried write with it is applied once",
    )  # fmt: skip


def timezone(**kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=sorted(timezones()), error_messages={"invalid_choice": WORDS["bad_timezone"]}, **kwargs
    )


# Query parameters as the query serializers read them, for extend_schema(parameters=…):
# a day from 2000 to 2999 (couples.serializers.DayField), an id.
DAY = {"type": "string", "format": "date", "pattern": "^2[0-9]{3}-"}
ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


class QuerySerializer(serializers.Serializer):
    """A query string's fields: every value arrives as text."""

    json_types = False


def _keeping_json_types(field_class, fits):
    lax = field_class.to_internal_value

    def to_internal_value(self, data):
        if getattr(self.root, "json_types", True) and not fits(data):
            self.fail("invalid")
        return lax(self, data)

    field_class.to_internal_value = to_internal_value


def _no_unknown_fields(serializer, data):
    if isinstance(data, dict) and getattr(serializer.root, "json_types", True):
        unknown = sorted(set(data) - set(serializer.fields))
        if unknown:
            raise serializers.ValidationError({name: [WORDS["unknown_field"]] for name in unknown})


def strict_json_types() -> None:
    """DRF turns 0 into "0" for a CharField and into False for a BooleanField, and
    "5" into 5 for an IntegerField, and passes over fields it does not know: a client
    that sends the wrong type or name has a bug we should tell it about, and the schema
    promises the types and the names (additionalProperties: false, config/schema.py)."""
    lax = serializers.Serializer.to_internal_value

    def to_internal_value(self, data):
        _no_unknown_fields(self, data)
        return lax(self, data)

    serializers.Serializer.to_internal_value = to_internal_value
    _keeping_json_types(serializers.CharField, lambda data: isinstance(data, str))
    _keeping_json_types(serializers.BooleanField, lambda data: isinstance(data, bool))
    _keeping_json_types(
        serializers.IntegerField, lambda data: isinstance(data, int) and not isinstance(data, bool)
    )


def framework_words() -> None:
    """DRF's and Django's own messages ("This field may not be null.", "Authentication
    credentials were not provided.") in the project's words, which both languages have
    (couples.words.FIELD_WORDS): no framework phrasing reaches a person."""
    from django import forms
    from rest_framework import exceptions

    w = FIELD_WORDS
    number = {
        "max_value": w["max_value"],
        "min_value": w["min_value"],
        "max_string_length": w["max_string_length"],
    }
    messages = {
        serializers.Field: {"required": w["required"], "null": w["null"]},
        serializers.CharField: {
            "invalid": w["text_invalid"],
            "blank": w["blank"],
            "max_length": w["max_length"],
            "min_length": w["min_length"],
        },
        serializers.IntegerField: {**number, "invalid": w["number_invalid"]},
        serializers.FloatField: {**number, "invalid": w["float_invalid"]},
        serializers.BooleanField: {"invalid": w["boolean_invalid"]},
        serializers.ChoiceField: {"invalid_choice": w["invalid_choice"]},
        serializers.DateTimeField: {"invalid": w["datetime_invalid"], "date": w["datetime_invalid"]},
        serializers.DateField: {"invalid": w["date_invalid"], "datetime": w["date_invalid"]},
        serializers.EmailField: {"invalid": w["email_invalid"]},
        serializers.RegexField: {"invalid": w["regex_invalid"]},
        serializers.ListField: {
            "not_a_list": w["not_a_list"],
            "empty": w["empty"],
            "min_length": w["list_min_length"],
            "max_length": w["list_max_length"],
        },
        serializers.DictField: {"not_a_dict": w["not_a_dict"]},
        serializers.Serializer: {"invalid": w["serializer_invalid"]},
    }
    for field_class, words in messages.items():
        field_class.default_error_messages = {**field_class.default_error_messages, **words}
    for exception, key in (
        (exceptions.NotAuthenticated, "not_authenticated"),
        (exceptions.AuthenticationFailed, "authentication_failed"),
        (exceptions.PermissionDenied, "permission_denied"),
        (exceptions.MethodNotAllowed, "method_not_allowed"),
        (exceptions.UnsupportedMediaType, "unsupported_media_type"),
        (exceptions.ParseError, "parse_error"),
        (exceptions.NotAcceptable, "not_acceptable"),
    ):
        exception.default_detail = w[key]
    forms.Field.default_error_messages = {**forms.Field.default_error_messages, "required": w["required"]}
