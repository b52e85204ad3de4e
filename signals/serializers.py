from rest_framework import serializers

from couples.serializers import DayField
from couples.validators import validate_timezone
from signals.models import NOTE_MAX, Reply, State


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


class AssessmentItemSerializer(serializers.Serializer):
    id = serializers.CharField()
    dimension = serializers.ChoiceField(choices=["dependence", "independence"])
    text = serializers.CharField()


class AssessmentResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    dependence = serializers.FloatField(help_text="the mean of its five answers, 1 to 5")
    independence = serializers.FloatField(help_text="the mean of its five answers, 1 to 5")
    pattern = serializers.ChoiceField(
        choices=["hyper_independent", "over_dependent", "interdependent", "mixed"]
    )
    at = serializers.DateTimeField()
    shared = serializers.BooleanField()


class AssessmentPageSerializer(serializers.Serializer):
    items = AssessmentItemSerializer(many=True)
    latest = AssessmentResultSerializer(allow_null=True)
    history = AssessmentResultSerializer(many=True)


class AssessmentTakeSerializer(serializers.Serializer):
    answers = serializers.DictField(child=serializers.JSONField(), help_text="every item id -> 1 to 5")


class AssessmentShareSerializer(serializers.Serializer):
    shared = serializers.BooleanField()


class AskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    by = serializers.IntegerField()
    text = serializers.CharField()
    at = serializers.DateTimeField()
    answer = serializers.ChoiceField(choices=["yes", "not_now"], allow_null=True)
    note = serializers.CharField(allow_blank=True)
    answered_at = serializers.DateTimeField(allow_null=True)


class AskMakeSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=140, help_text="at most 140 characters")
    op_id = serializers.CharField(max_length=64, required=False, allow_null=True, default=None)


class AskAnswerSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=["yes", "not_now"])
    note = serializers.CharField(max_length=280, required=False, allow_blank=True, default="")


class JournalWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["alone_time", "anxiety"])
    minutes = serializers.JSONField(required=False, default=None, help_text="alone_time: 1 to 240")
    intensity_before = serializers.JSONField(required=False, default=None, help_text="anxiety: 0 to 10")
    intensity_after = serializers.JSONField(
        required=False, default=None, help_text="0 to 10, five minutes later"
    )
    trigger = serializers.CharField(required=False, allow_blank=True, default="", max_length=140)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=280)


class JournalEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["alone_time", "anxiety"])
    minutes = serializers.IntegerField(allow_null=True)
    intensity_before = serializers.IntegerField(allow_null=True)
    intensity_after = serializers.IntegerField(allow_null=True)
    trigger = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    partner_preview = serializers.BooleanField(help_text="the partner had a preview up at that moment")
    at = serializers.DateTimeField()


class PracticeSerializer(serializers.Serializer):
    key = serializers.CharField()
    capacity = serializers.ChoiceField(choices=["alone", "dependence"])
    title = serializers.CharField()
    how = serializers.CharField()


class PracticesSerializer(serializers.Serializer):
    pattern = serializers.CharField(allow_null=True)
    suggestions = PracticeSerializer(many=True)
    journal = JournalEntrySerializer(many=True)
    self_care = serializers.ListField(child=serializers.CharField(), help_text="up to ten things")
    summary = serializers.DictField()


class CheckInWriteSerializer(serializers.Serializer):
    week = serializers.CharField(max_length=8, help_text="ISO week, e.g. 2026-W49")
    appreciation = serializers.CharField(max_length=280)
    need = serializers.CharField(max_length=280)


class CheckInQuerySerializer(serializers.Serializer):
    week = serializers.CharField(max_length=8, help_text="ISO week, e.g. 2026-W49")


class CheckInSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    appreciation = serializers.CharField()
    need = serializers.CharField()
    at = serializers.DateTimeField()


class CheckInWeekSerializer(serializers.Serializer):
    week = serializers.CharField()
    mine = CheckInSerializer(allow_null=True)
    partner = serializers.DictField(help_text="{written} until both have written; then the check-in too")


class SelfCareSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.CharField(allow_blank=True), max_length=10)
