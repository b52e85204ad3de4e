from datetime import date

from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from couples import fields
from couples.language import language_asked
from couples.models import Invite, User, username_normal
from couples.words import WORDS


class DayField(serializers.DateField):
    """A calendar day in a query (history, summaries, the rhythm's week): within years a
    couple's life can hold. Past them, a day's bounds in a time zone or a period's end
    overflow Python's dates (year 1, year 9999)."""

    FIRST, LAST = date(2000, 1, 1), date(2999, 12, 31)
    default_error_messages = {"out_of_range": _("Please pick a day from 2000 to 2999.")}

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not self.FIRST <= day <= self.LAST:
            self.fail("out_of_range")
        return day


@extend_schema_field({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "23:00"})
class WallClockField(serializers.TimeField):
    """A time of day written HH:MM, and read back so."""


def quiet_time(**kwargs) -> WallClockField:
    return WallClockField(format="%H:%M", input_formats=["%H:%M"], required=False, allow_null=True, **kwargs)


class UserSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(
        required=False,
        allow_blank=True,
        max_length=254,
        help_text="Optional; used once its owner confirmed it",
    )
    email_verified = serializers.SerializerMethodField()
    paired = serializers.SerializerMethodField(help_text="Whether this person is in a couple now")
    display_name = fields.text(60)
    timezone = fields.timezone(required=False)
    quiet_from = quiet_time(
        help_text="quiet hours start, HH:MM in my time zone (with quiet_until, or both null)"
    )
    quiet_until = quiet_time(help_text="quiet hours end, HH:MM")

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "timezone",
            "language",
            "email",
            "email_verified",
            "paired",
            "quiet_from",
            "quiet_until",
        ]
        read_only_fields = ["id", "username"]

    def validate(self, data):
        quiet = [data.get(name, getattr(self.instance, name, None)) for name in ("quiet_from", "quiet_until")]
        if (quiet[0] is None) != (quiet[1] is None) or (quiet[0] is not None and quiet[0] == quiet[1]):
            raise serializers.ValidationError({"quiet_until": [WORDS["quiet_pair"]]})
        return data

    def get_email_verified(self, user) -> bool:
        return bool(user.email) and user.email_verified_at is not None

    def get_paired(self, user) -> bool:
        return user.active_couple() is not None


class RegisterSerializer(serializers.ModelSerializer):
    # Django's validators hold a password to 8 characters or more, not only digits (and
    # not common, nor like the name: past what a schema says).
    password = serializers.CharField(
        write_only=True,
        min_length=8,
        max_length=128,
        validators=[RegexValidator(r"^[^\u0000]*[^0-9\u0000][^\u0000]*$", WORDS["password_digits"])],
        style={"input_type": "password"},
    )
    display_name = fields.text(60)
    timezone = fields.timezone(required=False)

    class Meta:
        model = User
        fields = ["username", "password", "display_name", "timezone", "language"]
        extra_kwargs = {
            # Uniqueness is validate_username's, on the name's normal form.
            "username": {"validators": [UnicodeUsernameValidator()]},
            "language": {"required": False, "help_text": "Defaults to the request's Accept-Language"},
        }

    def validate_username(self, value):
        value = username_normal(value)
        if User.objects.username_taken(value):
            raise serializers.ValidationError(WORDS["username_taken"], code="taken")
        return value

    def validate(self, attrs):
        # The username's uniqueness is checked by validate_username before this runs,
        # so a taken name costs no password hash.
        candidate = User(username=attrs["username"], display_name=attrs.get("display_name", ""))
        password_validation.validate_password(attrs["password"], candidate)
        return attrs

    def create(self, validated_data):
        validated_data.setdefault("language", language_asked())
        return User.objects.create_user(**validated_data)


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)

    def validate_username(self, value):
        return username_normal(value)

    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128)

    def validate(self, attrs):
        user = self.context["request"].user
        if not user.check_password(attrs["old_password"]):
            raise serializers.ValidationError({"old_password": [WORDS["bad_password"]]})
        password_validation.validate_password(attrs["new_password"], user)
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class RegisteredSerializer(UserSerializer):
    token = serializers.CharField(read_only=True)

    class Meta(UserSerializer.Meta):
        fields = UserSerializer.Meta.fields + ["token"]


class InviteSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="code_display")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Invite
        fields = ["code", "url", "expires_at"]

    def get_url(self, invite) -> str:
        return self.context["request"].build_absolute_uri(f"/pair/?code={invite.code}")


class JoinSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)


class TicketSerializer(serializers.Serializer):
    ticket = serializers.CharField()
    expires_in = serializers.IntegerField()


class EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    actor = serializers.IntegerField(allow_null=True)
    at = serializers.DateTimeField()
    data = serializers.DictField()


class ErrorSerializer(serializers.Serializer):
    """Every refusal: a stable code for programs, a kind sentence for people."""

    code = serializers.CharField()
    detail = serializers.JSONField()
    errors = serializers.DictField(required=False, help_text="Per-field messages, on 400 invalid.")


def errors(*statuses: int) -> dict:
    return {status: ErrorSerializer for status in statuses}


class PasswordResetSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class AccountDeleteSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=128)
