"""The practice API: the self-assessment, practices and journal, small asks, weekly
check-ins and the self-care list (practice.services)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from couples.api import event_written
from couples.serializers import EventSerializer, errors
from practice import services
from practice.serializers import (
    AskAnswerSerializer,
    AskMakeSerializer,
    AskSerializer,
    AssessmentPageSerializer,
    AssessmentResultSerializer,
    AssessmentShareSerializer,
    AssessmentTakeSerializer,
    CheckInQuerySerializer,
    CheckInSerializer,
    CheckInWeekSerializer,
    CheckInWriteSerializer,
    JournalEntrySerializer,
    JournalWriteSerializer,
    PracticesSerializer,
    SelfCareSerializer,
    StepMarkedSerializer,
    StepMarkSerializer,
)


class AssessmentView(APIView):
    @extend_schema(responses={200: AssessmentPageSerializer, **errors(401)})
    def get(self, request):
        return Response(services.assessment_page(user=request.user))

    @extend_schema(
        request=AssessmentTakeSerializer,
        responses={201: AssessmentResultSerializer, **errors(400, 401)},
        description="A new private result from all ten answers (1 to 5). Never shown to the partner unless shared.",
    )
    def post(self, request):
        serializer = AssessmentTakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.assessment_take(user=request.user, answers=serializer.validated_data["answers"])
        return Response(result.as_dict(), status=status.HTTP_201_CREATED)


class AssessmentShareView(APIView):
    @extend_schema(
        request=AssessmentShareSerializer,
        responses={200: AssessmentResultSerializer, **errors(400, 401, 404)},
        description="Share this result's pattern and means with my partner, or take them back.",
    )
    def patch(self, request, pk: int):
        serializer = AssessmentShareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shared = serializer.validated_data.get("shared")
        if shared is None:  # nothing asked of it: as it is
            result = services.assessment_of(user=request.user, assessment_id=pk)
        else:
            result = services.assessment_share(user=request.user, assessment_id=pk, shared=shared)
        return Response(result.as_dict())


class AsksView(APIView):
    @extend_schema(responses={200: AskSerializer(many=True), **errors(401, 404)})
    def get(self, request):
        return Response(services.asks_recent(user=request.user))

    @extend_schema(
        request=AskMakeSerializer,
        responses={201: EventSerializer, 200: EventSerializer, **errors(400, 401, 404, 409)},
        description="A small ask of my partner: event ask.made. One open ask per person (409 ask_open).",
    )
    def post(self, request):
        return event_written(request, AskMakeSerializer, services.ask_make)


class AskAnswerView(APIView):
    @extend_schema(
        request=AskAnswerSerializer,
        responses={201: EventSerializer, **errors(400, 401, 404, 409)},
        description="Answer my partner's ask, yes or not now: event ask.answered.",
    )
    def post(self, request, pk: int):
        serializer = AskAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.ask_answer(user=request.user, ask_id=pk, **serializer.validated_data)
        return Response(event.as_body(), status=status.HTTP_201_CREATED)


class PracticesView(APIView):
    @extend_schema(responses={200: PracticesSerializer, **errors(401)})
    def get(self, request):
        return Response(services.practices_page(user=request.user))


class StepView(APIView):
    @extend_schema(
        request=StepMarkSerializer,
        responses={200: StepMarkedSerializer, **errors(400, 401, 404)},
        description="Mark one of this week's small steps done (or not), privately.",
    )
    def put(self, request, step: str):
        serializer = StepMarkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.step_mark(user=request.user, step=step, **serializer.validated_data))


class JournalView(APIView):
    @extend_schema(
        request=JournalWriteSerializer,
        responses={201: JournalEntrySerializer, **errors(400, 401)},
        description="Log a practice, privately: time alone, or an anxious moment sat with.",
    )
    def post(self, request):
        serializer = JournalWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.journal_write(user=request.user, **serializer.validated_data)
        return Response(entry.as_dict(), status=status.HTTP_201_CREATED)


class CheckInsView(APIView):
    @extend_schema(
        parameters=[CheckInQuerySerializer],
        responses={200: CheckInWeekSerializer, **errors(400, 401, 404)},
        description="My check-in of the week, and my partner's once we have both written.",
    )
    def get(self, request):
        query = CheckInQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(services.checkins_of(user=request.user, week=query.validated_data["week"]))

    @extend_schema(
        request=CheckInWriteSerializer,
        responses={201: CheckInSerializer, **errors(400, 401, 404, 409)},
        description="One appreciation and one need for the week; checkin.revealed once both have written.",
    )
    def post(self, request):
        serializer = CheckInWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        checkin = services.checkin_write(user=request.user, **serializer.validated_data)
        return Response(checkin.as_dict(), status=status.HTTP_201_CREATED)


class SelfCareView(APIView):
    @extend_schema(
        request=SelfCareSerializer,
        responses={200: SelfCareSerializer, **errors(400, 401)},
        description="Replace my own self-care list: up to ten things, each up to 80 characters.",
    )
    def put(self, request):
        serializer = SelfCareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(
            {"items": services.self_care_set(user=request.user, items=serializer.validated_data["items"])}
        )
