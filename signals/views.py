"""The couple and its lights over REST: thin views over the services."""

from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from couples import fields
from couples import services as couples_services
from couples.api import JoinAddressThrottle, JoinUserThrottle, event_written
from couples.serializers import EventSerializer, JoinSerializer, errors
from signals import history, ownership, push, services
from signals.serializers import (
    KINDS,
    CoupleSerializer,
    ExportQuerySerializer,
    FlagSerializer,
    HistoryPageSerializer,
    HistoryQuerySerializer,
    PushDeviceSerializer,
    PushDeviceUpdateSerializer,
    PushKeySerializer,
    PushSubscriptionSerializer,
    SettingsSerializer,
    SignalAnswerSerializer,
    SignalSetSerializer,
    SummaryQuerySerializer,
)


class CoupleView(APIView):
    @extend_schema(responses={200: CoupleSerializer, **errors(401, 404)})
    def get(self, request):
        return Response(services.couple_snapshot(user=request.user))

    @extend_schema(request=None, responses={204: None, **errors(401, 404)})
    def delete(self, request):
        couples_services.couple_unpair(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AgreeView(APIView):
    @extend_schema(
        request=None,
        responses={201: EventSerializer, 200: EventSerializer, **errors(401, 404)},
        description='I say "We agree" to our agreement: 201 with the agreement.made event both '
        "partners see; 200 with that same event when I had agreed already.",
    )
    def post(self, request):
        event, created = couples_services.couple_agree(user=request.user)
        return Response(event.as_body(), status=201 if created else 200)


class JoinView(APIView):
    throttle_classes = [JoinUserThrottle, JoinAddressThrottle]

    @extend_schema(
        request=JoinSerializer, responses={201: CoupleSerializer, **errors(400, 401, 404, 409, 410, 429)}
    )
    def post(self, request):
        serializer = JoinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        couples_services.couple_join(user=request.user, code=serializer.validated_data["code"])
        return Response(services.couple_snapshot(user=request.user), status=status.HTTP_201_CREATED)


class SignalView(APIView):
    @extend_schema(
        request=SignalSetSerializer,
        responses={201: EventSerializer, 200: EventSerializer, **errors(400, 401, 404, 409, 503)},
        description="Set my light. A retry with the same op_id answers 200 with the first event.",
    )
    def post(self, request):
        return event_written(request, SignalSetSerializer, services.signal_set)


class SignalAnswerView(APIView):
    @extend_schema(
        request=SignalAnswerSerializer,
        responses={201: EventSerializer, 200: EventSerializer, **errors(400, 401, 404, 409, 503)},
        description="Answer my partner's yellow or red light. A retry with the same op_id "
        "answers 200 with the first event.",
    )
    def post(self, request):
        return event_written(request, SignalAnswerSerializer, services.signal_answer)


class SettingsView(APIView):
    @extend_schema(responses={200: SettingsSerializer, **errors(401, 404)})
    def get(self, request):
        couple = request.user.active_couple()
        if couple is None:
            raise couples_services.NotPaired()
        return Response(couple.settings_dict())

    @extend_schema(
        request=SettingsSerializer(partial=True), responses={200: SettingsSerializer, **errors(400, 401, 404)}
    )
    def patch(self, request):
        serializer = SettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        couple = services.couple_settings_change(user=request.user, changes=serializer.validated_data)
        return Response(couple.settings_dict())


class FlagsView(APIView):
    @extend_schema(responses={200: FlagSerializer(many=True), **errors(401, 404)})
    def get(self, request):
        return Response(services.flags_recent(user=request.user))


class FlagDismissView(APIView):
    @extend_schema(request=None, responses={201: EventSerializer, **errors(401, 404)})
    def post(self, request, pk: int):
        event = services.flag_dismiss(user=request.user, flag_id=pk)
        return Response(event.as_body(), status=status.HTTP_201_CREATED)


class PushKeyView(APIView):
    @extend_schema(responses={200: PushKeySerializer})
    def get(self, request):
        return Response({"public_key": push.vapid_public_key()})


class PushDevicesView(APIView):
    @extend_schema(responses={200: PushDeviceSerializer(many=True), **errors(401)})
    def get(self, request):
        return Response([d.as_dict() for d in request.user.push_devices.order_by("pk")])

    @extend_schema(
        request=PushSubscriptionSerializer, responses={201: PushDeviceSerializer, **errors(400, 401, 409)}
    )
    def post(self, request):
        serializer = PushSubscriptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        device = push.device_register(
            user=request.user,
            endpoint=data["endpoint"],
            p256dh=data["keys"]["p256dh"],
            auth=data["keys"]["auth"],
            label=data["label"],
            include_text=data["include_text"],
        )
        return Response(device.as_dict(), status=status.HTTP_201_CREATED)


class PushDeviceView(APIView):
    @extend_schema(
        request=PushDeviceUpdateSerializer, responses={200: PushDeviceSerializer, **errors(400, 401, 404)}
    )
    def patch(self, request, pk: int):
        serializer = PushDeviceUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device = push.device_of(user=request.user, device_id=pk)
        if "include_text" in serializer.validated_data:
            device.include_text = serializer.validated_data["include_text"]
            device.save(update_fields=["include_text"])
        return Response(device.as_dict())

    @extend_schema(request=None, responses={204: None, **errors(401, 404)})
    def delete(self, request, pk: int):
        push.device_of(user=request.user, device_id=pk).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class PushTestView(APIView):
    @extend_schema(
        request=None,
        responses={202: PushDeviceSerializer, **errors(401, 404, 429)},
        description="Send a test notification to one of my devices, by the real path; 202 once queued.",
    )
    def post(self, request, pk: int):
        job = push.push_test(user=request.user, device_id=pk)
        return Response(job.device.as_dict(), status=status.HTTP_202_ACCEPTED)


def _query(serializer_class, request, renames=None):
    data = request.query_params.dict()
    for public, internal in (renames or {}).items():
        if public in data:
            data[internal] = data.pop(public)
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class HistoryView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "kind",
                {"type": "string", "pattern": KINDS},
                description="event kind(s), comma separated",
            ),
            OpenApiParameter("partner", fields.ID, description="only this partner's events"),
            OpenApiParameter("from", fields.DAY, description="YYYY-MM-DD, the couple's local date"),
            OpenApiParameter("to", fields.DAY, description="YYYY-MM-DD, inclusive"),
            OpenApiParameter("cursor", fields.ID, description="next_cursor of the previous page"),
        ],
        responses={200: HistoryPageSerializer, **errors(400, 401, 404)},
    )
    def get(self, request):
        q = _query(HistoryQuerySerializer, request, {"from": "start", "to": "end"})
        kinds = [k for k in q.get("kind", "").split(",") if k] or None
        page = history.timeline(
            user=request.user,
            kinds=kinds,
            partner=q.get("partner"),
            start=q.get("start"),
            end=q.get("end"),
            cursor=q.get("cursor"),
        )
        return Response(page)


class SummaryView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, enum=["week", "month"]),
            OpenApiParameter("date", fields.DAY, description="YYYY-MM-DD in the period; default today"),
        ],
        responses={200: dict, **errors(400, 401, 404)},
    )
    def get(self, request):
        q = _query(SummaryQuerySerializer, request)
        return Response(history.summary(user=request.user, period=q["period"], day=q.get("date")))


class ExportView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"])],
        responses={(200, "application/json"): dict, (200, "text/csv"): str, **errors(400, 401)},
    )
    def get(self, request):
        q = _query(ExportQuerySerializer, request)
        data = ownership.export_data(user=request.user)
        if q["format"] == "csv":
            response = HttpResponse(ownership.export_csv(data), content_type="text/csv; charset=utf-8")
        else:
            response = JsonResponse(data, json_dumps_params={"indent": 2})
        name = f"porchlight-{request.user.username}.{q['format']}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
