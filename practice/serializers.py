from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from couples import fields
from couples.validators import NOTE_MAX
from practice.models import ASK_MAX
from practice.services import ITEMS, SELF_CARE_ITEM, SELF_CARE_MAX


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


@extend_schema_field(
    {
        "type": "object",
        "properties": {key: {"type": "integer", "minimum": 1, "maximum": 5} for key, _, _ in ITEMS},
        "required": [key for key, _, _ in ITEMS],
        "additionalProperties": False,
    }
)
class AnswersField(serializers.DictField):
    """Every item of the self-assessment, answered 1 (not at all) to 5 (very much); the
    service checks each (practice.services.assessment_take), its errors per item."""


class AssessmentTakeSerializer(serializers.Serializer):
    answers = AnswersField(child=serializers.JSONField(), help_text="every item id -> 1 to 5")


class AssessmentShareSerializer(serializers.Serializer):
    shared = serializers.BooleanField(required=False, help_text="left as it is when absent")


class AskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    by = serializers.IntegerField()
    text = serializers.CharField()
    at = serializers.DateTimeField()
    answer = serializers.ChoiceField(choices=["yes", "not_now"], allow_null=True)
    note = serializers.CharField(allow_blank=True)
    answered_at = serializers.DateTimeField(allow_null=True)


class AskMakeSerializer(serializers.Serializer):
    text = fields.text(ASK_MAX, help_text=f"at most {ASK_MAX} characters")
    op_id = fields.op_id()


class AskAnswerSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=["yes", "not_now"])
    note = fields.text(NOTE_MAX, required=False, allow_blank=True, default="")


class JournalWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["alone_time", "anxiety"])
    minutes = serializers.IntegerField(
        min_value=1,
        max_value=240,
        required=False,
        allow_null=True,
        default=None,
        help_text="alone_time: required",
    )
    intensity_before = serializers.IntegerField(
        min_value=0,
        max_value=10,
        required=False,
        allow_null=True,
        default=None,
        help_text="anxiety: required",
    )
    intensity_after = serializers.IntegerField(
        min_value=0,
        max_value=10,
        required=False,
        allow_null=True,
        default=None,
        help_text="five minutes later",
    )
    trigger = fields.text(ASK_MAX, required=False, allow_blank=True, default="")
    note = fields.text(NOTE_MAX, required=False, allow_blank=True, default="")


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


class StepSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["say_low", "say_why", "let_show"])
    text = serializers.CharField()
    done = serializers.BooleanField(help_text="marked done this week")


class PracticesSerializer(serializers.Serializer):
    pattern = serializers.CharField(allow_null=True)
    suggestions = PracticeSerializer(many=True)
    journal = JournalEntrySerializer(many=True)
    self_care = serializers.ListField(child=serializers.CharField(), help_text="up to ten things")
    summary = serializers.DictField()
    steps = StepSerializer(many=True, help_text="this week's small steps of sharing something vulnerable")


class StepMarkSerializer(serializers.Serializer):
    done = serializers.BooleanField()


class StepMarkedSerializer(serializers.Serializer):
    key = serializers.CharField()
    done = serializers.BooleanField()
    week = serializers.CharField()


WEEK = r"^2[0-9]{3}-W(0[1-9]|[1-4][0-9]|5[0-3])$"


class CheckInWriteSerializer(serializers.Serializer):
    week = serializers.RegexField(WEEK, help_text="ISO week, e.g. 2026-W49: this week or an earlier one")
    appreciation = fields.text(NOTE_MAX)
    need = fields.text(NOTE_MAX)


class CheckInQuerySerializer(fields.QuerySerializer):
    week = serializers.RegexField(WEEK, help_text="ISO week, e.g. 2026-W49")


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
    items = serializers.ListField(
        child=fields.text(SELF_CARE_ITEM, allow_blank=True), max_length=SELF_CARE_MAX
    )
