from rest_framework import serializers

from couples.validators import NOTE_MAX
from practice.models import ASK_MAX


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
    text = serializers.CharField(max_length=ASK_MAX, help_text=f"at most {ASK_MAX} characters")
    op_id = serializers.CharField(max_length=64, required=False, allow_null=True, default=None)


class AskAnswerSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=["yes", "not_now"])
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class JournalWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["alone_time", "anxiety"])
    minutes = serializers.JSONField(required=False, default=None, help_text="alone_time: 1 to 240")
    intensity_before = serializers.JSONField(required=False, default=None, help_text="anxiety: 0 to 10")
    intensity_after = serializers.JSONField(
        required=False, default=None, help_text="0 to 10, five minutes later"
    )
    trigger = serializers.CharField(required=False, allow_blank=True, default="", max_length=ASK_MAX)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)


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
    appreciation = serializers.CharField(max_length=NOTE_MAX)
    need = serializers.CharField(max_length=NOTE_MAX)


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
