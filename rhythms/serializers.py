from rest_framework import serializers

from couples import fields
from couples.serializers import DayField
from rhythms.models import Block
from rhythms.words import PRESETS


class BlockSerializer(serializers.Serializer):
    """Shape and types only; the rules (days, overlap, ranges) live in the services."""

    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=Block.Kind.choices)
    name = fields.text(60)
    key = serializers.ChoiceField(
        choices=["checkin"],
        required=False,
        allow_null=True,
        help_text="A block the app names itself (set at creation): shown in each reader's language",
    )
    days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), min_length=1, max_length=7
    )
    start = serializers.RegexField(r"^([01]\d|2[0-3]):[0-5]\d$", help_text="HH:MM, the couple's local time")
    minutes = serializers.IntegerField(min_value=5, max_value=24 * 60)
    remind_before = serializers.IntegerField(min_value=1, max_value=240, required=False, allow_null=True)
    enabled = serializers.BooleanField(required=False, default=True)
    muted = serializers.BooleanField(read_only=True, help_text="Reminders muted for me (only)")


class MuteSerializer(serializers.Serializer):
    muted = serializers.BooleanField()


class PreviewSerializer(serializers.Serializer):
    message = fields.text(280, required=False, allow_blank=True)
    preset = serializers.ChoiceField(choices=list(PRESETS), required=False)
    expected_at = serializers.DateTimeField(required=False, allow_null=True)
    unreachable_until = serializers.DateTimeField(required=False, allow_null=True)
    op_id = fields.op_id()


class ReunionSerializer(serializers.Serializer):
    op_id = fields.op_id()


class PresetSerializer(serializers.Serializer):
    key = serializers.CharField()
    message = serializers.CharField()


class UpcomingQuerySerializer(fields.QuerySerializer):
    # `from` is a Python keyword: the view maps it.
    days = serializers.IntegerField(min_value=1, max_value=31, required=False, default=7)
    date = DayField(required=False, allow_null=True)


class OccurrenceSerializer(serializers.Serializer):
    block = BlockSerializer()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    local_start = serializers.CharField()
    local_end = serializers.CharField()


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.URLField(read_only=True, help_text="Private: whoever has it can read the rhythm")


class CalendarFeedStateSerializer(serializers.Serializer):
    """Whether a feed is on; its URL was shown once, when it was made."""

    active = serializers.BooleanField()
    created_at = serializers.DateTimeField(allow_null=True)
