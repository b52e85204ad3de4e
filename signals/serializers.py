from rest_framework import serializers

from couples.serializers import DayField
from couples.validators import NOTE_MAX, validate_timezone
from signals.models import Reply, State


class SignalSetSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=State.choices)
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")
    op_id = serializers.CharField(max_length=64, required=False, allow_null=True, default=None)


class SignalAnswerSerializer(serializers.Serializer):
    reply = serializers.ChoiceField(choices=Reply.choices)
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")
    op_id = serializers.CharField(max_length=64, required=False, allow_null=True, default=None)
    to = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="the partner's id")


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
    timezone = serializers.CharField(max_length=64, validators=[validate_timezone])
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
    p256dh = serializers.CharField(max_length=100)
    auth = serializers.CharField(max_length=40)


class PushDeviceSerializer(serializers.Serializer):
    """A browser's PushSubscription (its toJSON()), plus our per-device options."""

    id = serializers.IntegerField(read_only=True)
    endpoint = serializers.URLField(max_length=500, write_only=True)
    keys = PushKeysSerializer(write_only=True)
    label = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    include_text = serializers.BooleanField(required=False, default=False)


class PushDeviceUpdateSerializer(serializers.Serializer):
    include_text = serializers.BooleanField()


class PushKeySerializer(serializers.Serializer):
    public_key = serializers.CharField(help_text="applicationServerKey, base64url")


class HistoryQuerySerializer(serializers.Serializer):
    kind = serializers.CharField(required=False, help_text="one kind, or several separated by commas")
    partner = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    start = DayField(required=False)
    end = DayField(required=False)
    cursor = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class HistoryPageSerializer(serializers.Serializer):
    results = serializers.ListField(child=serializers.DictField())
    next_cursor = serializers.IntegerField(allow_null=True)
    archive = serializers.BooleanField(help_text="true after an unpair: only my own events, read-only")


class SummaryQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=["week", "month"], default="week")
    date = DayField(required=False)


class ExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["json", "csv"], default="json")
