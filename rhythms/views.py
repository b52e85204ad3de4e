"""Rhythm blocks, mutes, upcoming occurrences, previews and reunions: thin views."""

from datetime import datetime
from zoneinfo import ZoneInfo

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from couples.serializers import EventSerializer, errors
from couples.services import NotPaired
from rhythms import services
from rhythms.models import Block
from rhythms.serializers import (
    BlockSerializer,
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

    @extend_schema(request=BlockSerializer, responses={201: BlockSerializer, **errors(400, 401, 404)})
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
        request=BlockSerializer(partial=True), responses={200: BlockSerializer, **errors(400, 401, 404)}
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
        all_muted, blocks = services.muted_blocks(user=request.user, couple=_couple(request.user))
        return Response({"muted": all_muted if pk is None else all_muted or pk in blocks})

    @extend_schema(request=MuteSerializer, responses={200: MuteSerializer, **errors(400, 401, 404)})
    def put(self, request, pk: int | None = None):
        serializer = MuteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.block_mute(user=request.user, block_id=pk, **serializer.validated_data)
        return Response(serializer.validated_data)


class UpcomingView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="YYYY-MM-DD, the couple's local date; default today"),
            OpenApiParameter("days", int, description="1 to 31, default 7"),
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
        serializer = PreviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event, created = services.preview_post(user=request.user, **serializer.validated_data)
        return Response(event.as_body(), status=201 if created else 200)

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
        serializer = ReunionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event, created = services.reunion(user=request.user, **serializer.validated_data)
        return Response(event.as_body(), status=201 if created else 200)
