"""Rhythm blocks, mutes, upcoming occurrences, previews and reunions: thin views."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from couples import fields
from couples.api import event_written
from couples.serializers import EventSerializer, errors
from couples.services import NotPaired
from rhythms import calendar, services
from rhythms.models import Block
from rhythms.serializers import (
    BlockSerializer,
    CalendarFeedSerializer,
    CalendarFeedStateSerializer,
    MuteSerializer,
    OccurrenceSerializer,
    PresetSerializer,
    PreviewSerializer,
    ReunionSerializer,
    UpcomingQuerySerializer,
)
from rhythms.words import PRESETS


def _couple(user):
    couple = user.active_couple()
    if couple is None:
        raise NotPaired()
    return couple


def _blocks_for(user, blocks) -> list[dict]:
    all_muted, muted = services.muted_blocks(user=user, couple=_couple(user))
    return [{**b.as_dict(), "muted": all_muted or b.pk in muted} for b in blocks]


class BlocksView(APIView):
    @extend_schema(responses={200: BlockSerializer(many=True), **errors(401, 404)})
    def get(self, request):
        blocks = Block.objects.filter(couple=_couple(request.user)).order_by("start", "pk")
        return Response(_blocks_for(request.user, blocks))

    @extend_schema(request=BlockSerializer, responses={201: BlockSerializer, **errors(400, 401, 404, 409)})
    def post(self, request):
        serializer = BlockSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        block, _ = services.block_create(user=request.user, fields=serializer.validated_data)
        return Response(_blocks_for(request.user, [block])[0], status=status.HTTP_201_CREATED)


class BlockView(APIView):
    @extend_schema(responses={200: BlockSerializer, **errors(401, 404)})
    def get(self, request, pk: int):
        block = Block.objects.filter(couple=_couple(request.user), pk=pk).first()
        if block is None:
            raise services.ServiceError("block_unknown", services.WORDS["block_unknown"], 404)
        return Response(_blocks_for(request.user, [block])[0])

    @extend_schema(
        request=BlockSerializer(partial=True), responses={200: BlockSerializer, **errors(400, 401, 404, 409)}
    )
    def patch(self, request, pk: int):
        serializer = BlockSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        block, _ = services.block_update(user=request.user, block_id=pk, changes=serializer.validated_data)
        return Response(_blocks_for(request.user, [block])[0])

    @extend_schema(request=None, responses={204: None, **errors(401, 404)})
    def delete(self, request, pk: int):
        services.block_delete(user=request.user, block_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlockMuteView(APIView):
    @extend_schema(responses={200: MuteSerializer, **errors(401, 404)})
    def get(self, request, pk: int | None = None):
        return Response(
            {"muted": services.block_muted(user=request.user, couple=_couple(request.user), block_id=pk)}
        )

    @extend_schema(request=MuteSerializer, responses={200: MuteSerializer, **errors(400, 401, 404)})
    def put(self, request, pk: int | None = None):
        serializer = MuteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.block_mute(user=request.user, block_id=pk, **serializer.validated_data)
        return Response(serializer.validated_data)


class UpcomingView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from", fields.DAY, description="YYYY-MM-DD, the couple's local date; default today"
            ),
            OpenApiParameter(
                "days", {"type": "integer", "minimum": 1, "maximum": 31}, description="default 7"
            ),
        ],
        responses={200: OccurrenceSerializer(many=True), **errors(400, 401, 404)},
    )
    def get(self, request):
        couple = _couple(request.user)
        query = UpcomingQuerySerializer(
            data={"date": request.query_params.get("from"), **request.query_params.dict()}
        )
        query.is_valid(raise_exception=True)
        start = query.validated_data.get("date") or datetime.now(ZoneInfo(couple.timezone)).date()
        return Response(
            services.rhythm_upcoming(
                couple=couple, viewer=request.user, start=start, days=query.validated_data["days"]
            )
        )


class PreviewsView(APIView):
    @extend_schema(
        request=PreviewSerializer,
        responses={201: EventSerializer, 200: EventSerializer, **errors(400, 401, 404, 409)},
    )
    def post(self, request):
        return event_written(request, PreviewSerializer, services.preview_post)

    @extend_schema(request=None, responses={204: None, **errors(401, 404)})
    def delete(self, request):
        services.preview_clear(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PresetsView(APIView):
    @extend_schema(responses={200: PresetSerializer(many=True)})
    def get(self, request):
        return Response([{"key": key, "message": str(message)} for key, message in PRESETS.items()])


class ReunionView(APIView):
    @extend_schema(
        request=ReunionSerializer,
        responses={201: EventSerializer, 200: EventSerializer, **errors(400, 401, 404, 409)},
    )
    def post(self, request):
        return event_written(request, ReunionSerializer, services.reunion)


class CalendarFeedView(APIView):
    @extend_schema(responses={200: CalendarFeedStateSerializer, **errors(401)})
    def get(self, request):
        feed = calendar.calendar_feed_of(request.user)
        return Response({"active": feed is not None, "created_at": feed.created_at if feed else None})

    @extend_schema(request=None, responses={201: CalendarFeedSerializer, **errors(401, 404)})
    def post(self, request):
        secret = calendar.calendar_feed_create(user=request.user)
        url = request.build_absolute_uri(reverse("calendar-feed", args=[secret]))
        return Response({"url": url}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None, **errors(401)})
    def delete(self, request):
        calendar.calendar_feed_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@require_GET
def calendar_feed(request, secret: str):
    """The feed itself: no login, the secret in the URL is the key (calendar apps
    subscribe without one)."""
    feed = calendar.calendar_feed_find(secret[:100])
    if feed is None:
        raise Http404()
    with translation.override(feed.user.language):  # its names, in its person's language
        ics = calendar.calendar_ics(user=feed.user, couple=feed.couple)
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="porchlight-rhythm.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
