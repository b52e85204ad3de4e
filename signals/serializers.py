from rest_framework import serializers

from signals.models import NOTE_MAX, State


class SignalSetSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=State.choices)
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")
    op_id = serializers.CharField(max_length=64, required=False, allow_null=True, default=None)


class EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    actor = serializers.IntegerField(allow_null=True)
    at = serializers.DateTimeField()
    data = serializers.DictField()


class SignalStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=State.choices, allow_null=True)
    note = serializers.CharField()
    set_at = serializers.DateTimeField(allow_null=True)


class PartnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    is_me = serializers.BooleanField()
    timezone = serializers.CharField()
    signal = SignalStateSerializer()
    preview = serializers.DictField(allow_null=True)


class CoupleSerializer(serializers.Serializer):
    """The couple snapshot: documentation only, the dict comes from couple_snapshot."""

    id = serializers.IntegerField()
    seq = serializers.IntegerField()
    timezone = serializers.CharField()
    created_at = serializers.DateTimeField()
    partners = PartnerSerializer(many=True)
