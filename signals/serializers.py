import re

from django.conf import settings
from django.core.validators import RegexValidator
from rest_framework import serializers

from couples import fields
from couples.models import EVENT_KINDS
from couples.serializers import DayField
from couples.validators import NOTE_MAX
from signals.models import Reply, State
from signals.words import WORDS


class SignalSetSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=State.choices)
    note = fields.text(NOTE_MAX, required=False, allow_blank=True, default="")
    op_id = fields.op_id()


class SignalAnswerSerializer(serializers.Serializer):
    reply = serializers.ChoiceField(choices=Reply.choices)
    note = fields.text(NOTE_MAX, required=False, allow_blank=True, default="")
    op_id = fields.op_id()
    to = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=2**63 - 1,
        help_text="the partner's id",
    )


class AnswerSerializer(serializers.Serializer):
    by = serializers.IntegerField()
    reply = serializers.ChoiceField(choices=Reply.choices)
    note = serializers.CharField()
    at = serializers.DateTimeField()
    light_seq = serializers.IntegerField()


class SignalStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=State.choices, allow_null=True)
    note = serializers.CharField()
    set_at = serializers.DateTimeField(allow_null=True)
    answer = AnswerSerializer(allow_null=True, help_text="the latest answer to this light, if any")


class PartnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    is_me = serializers.BooleanField()
    timezone = serializers.CharField()
    signal = SignalStateSerializer()
    preview = serializers.DictField(allow_null=True)
    agreed_at = serializers.DateTimeField(allow_null=True, help_text='when this partner said "We agree"')
    assessment = serializers.DictField(
        allow_null=True, help_text="this partner's latest shared self-assessment: pattern, means, at"
    )


class CoupleSerializer(serializers.Serializer):
    """The couple snapshot: documentation only, the dict comes from couple_snapshot."""

    id = serializers.IntegerField()
    seq = serializers.IntegerField()
    timezone = serializers.CharField()
    created_at = serializers.DateTimeField()
    partners = PartnerSerializer(many=True)
    settings = serializers.DictField()
    rhythm_now = serializers.DictField(allow_null=True, help_text="the block under way now, if any")
    flag = serializers.DictField(allow_null=True, help_text="the latest gentle flag not dismissed")


class SettingsSerializer(serializers.Serializer):
    timezone = fields.timezone()
    flags_enabled = serializers.BooleanField()
    flag_threshold = serializers.IntegerField(min_value=2, max_value=14, help_text="reds in 7 days")
    retention_months = serializers.IntegerField(
        min_value=1, max_value=120, allow_null=True, help_text="null keeps everything"
    )


class FlagSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.IntegerField()
    raised_at = serializers.DateTimeField()
    dismissed_at = serializers.DateTimeField(allow_null=True)
    message = serializers.CharField()
    suggestion = serializers.CharField()


class PushKeysSerializer(serializers.Serializer):
    # base64url without padding: a P-256 public point (65 bytes) and a 16-byte secret.
    p256dh = serializers.RegexField(r"^[A-Za-z0-9_\-]{87}=?$", max_length=100)
    auth = serializers.RegexField(r"^[A-Za-z0-9_\-]{22}(==)?$", max_length=40)


# https, a host name of proper labels, port 443, and a path of URI characters.
PUSH_SERVICE_URL = (
    r"^https://([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(:443)?"
    r"/([A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*$"
)


class PushServiceURL(RegexValidator):
    """The schema's word for a push service (signals.push.endpoint_host checks further);
    the tests' own push service on 127.0.0.1 speaks plain HTTP (PUSH_ALLOW_LOCAL)."""

    def __call__(self, value):
        if not settings.PORCHLIGHT["PUSH_ALLOW_LOCAL"]:
            super().__call__(value)


class PushSubscriptionSerializer(serializers.Serializer):
    """A browser's PushSubscription (its toJSON()), plus our per-device options."""

    endpoint = serializers.URLField(
        max_length=500,
        validators=[PushServiceURL(PUSH_SERVICE_URL, WORDS["bad_endpoint"])],
        help_text="a public push service's https URL (checked further: docs/api.md)",
    )
    keys = PushKeysSerializer()
    expirationTime = serializers.IntegerField(  # noqa: N815 (the browser's own name)
        required=False, allow_null=True, help_text="as the browser gives it; not used"
    )
    label = fields.text(80, required=False, allow_blank=True, default="")
    include_text = serializers.BooleanField(required=False, default=False)


class PushDeviceSerializer(serializers.Serializer):
    """A device as its person sees it: never its endpoint or keys."""

    id = serializers.IntegerField()
    label = serializers.CharField(allow_blank=True)
    include_text = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    last_sent_at = serializers.DateTimeField(
        allow_null=True, help_text="the last notification its push service took"
    )
    last_error = serializers.CharField(allow_null=True, help_text="why the last try failed, if it did")


class PushDeviceUpdateSerializer(serializers.Serializer):
    include_text = serializers.BooleanField(required=False, help_text="left as it is when absent")


class PushKeySerializer(serializers.Serializer):
    public_key = serializers.CharField(help_text="applicationServerKey, base64url")


_KIND = "(" + "|".join(re.escape(kind) for kind in sorted(EVENT_KINDS)) + ")"
KINDS = f"^{_KIND}(,{_KIND})*$"  # event kinds, comma separated


class HistoryQuerySerializer(fields.QuerySerializer):
    kind = serializers.RegexField(
        KINDS,
        max_length=400,
        required=False,
        help_text="one kind, or several separated by commas",
    )
    partner = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    start = DayField(required=False)
    end = DayField(required=False)
    cursor = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class HistoryPageSerializer(serializers.Serializer):
    results = serializers.ListField(child=serializers.DictField())
    next_cursor = serializers.IntegerField(allow_null=True)
    archive = serializers.BooleanField(help_text="true after an unpair: only my own events, read-only")


class SummaryQuerySerializer(fields.QuerySerializer):
    period = serializers.ChoiceField(choices=["week", "month"], default="week")
    date = DayField(required=False)


class ExportQuerySerializer(fields.QuerySerializer):
    format = serializers.ChoiceField(choices=["json", "csv"], default="json")
