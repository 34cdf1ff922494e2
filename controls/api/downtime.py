"""A teen's downtime windows in the API: list, add, read, change, remove. Thin: the rules are in
`controls.rules.downtime`, the same functions the pages call."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from controls.access import teen_for_rule_change, teen_for_viewer
from controls.api.rules import (
    READ_ERRORS,
    TEEN_ID,
    WRITE_ERRORS,
    DowntimeWindowSavedSerializer,
    DowntimeWindowSerializer,
    input_valid,
    service_call,
    window_shape,
)
from controls.models import DowntimeWindow
from controls.rules import downtime
from controls.rules.describe import WEEKDAY_KEYS, window_text


def _window_values(data: dict[str, Any], current: DowntimeWindow | None = None) -> dict:
    values = {}
    if current is not None:
        values = {
            "name": current.name,
            "weekdays": current.weekday_list(),
            "start": current.start,
            "end": current.end,
        }
    if "weekdays" in data:
        data = {**data, "weekdays": [WEEKDAY_KEYS.index(key) for key in data["weekdays"]]}
    return {**values, **data}


class DowntimeWindowListView(APIView):
    @extend_schema(
        summary="A teen's downtime windows",
        parameters=[TEEN_ID],
        responses={200: DowntimeWindowSerializer(many=True), **READ_ERRORS},
        tags=["rules"],
    )
    def get(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_viewer(user=request.user, teen_id=teen_id)
        return Response([window_shape(w) for w in DowntimeWindow.objects.filter(teen=teen)])

    @extend_schema(
        summary="Add a downtime window (guardians)",
        parameters=[TEEN_ID],
        request=DowntimeWindowSerializer,
        responses={201: DowntimeWindowSavedSerializer, **WRITE_ERRORS},
        tags=["rules"],
    )
    def post(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        data = _window_values(input_valid(DowntimeWindowSerializer, request))
        window = service_call(
            downtime.downtime_window_create, actor=request.user, teen=teen, **data
        )
        shape = window_shape(window)
        text = window_text(
            name=window.name, weekdays=window.weekday_list(), start=window.start, end=window.end
        )
        return Response(
            {**shape, "changes": [f"New downtime: {text}"]}, status=status.HTTP_201_CREATED
        )


class DowntimeWindowDetailView(APIView):
    def _window_for_viewer(self, request: Request, teen_id: int, window_id: int):
        teen = teen_for_viewer(user=request.user, teen_id=teen_id)
        return get_object_or_404(DowntimeWindow, pk=window_id, teen=teen)

    def _window_for_change(self, request: Request, teen_id: int, window_id: int):
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        return get_object_or_404(
            DowntimeWindow.objects.select_related("teen"), pk=window_id, teen=teen
        )

    def _update(self, request: Request, teen_id: int, window_id: int, *, partial: bool):
        window = self._window_for_change(request, teen_id, window_id)
        data = _window_values(
            input_valid(DowntimeWindowSerializer, request, partial=partial), window
        )
        change = service_call(
            downtime.downtime_window_update, actor=request.user, window=window, **data
        )
        window.refresh_from_db()
        return Response({**window_shape(window), "changes": change.lines})

    @extend_schema(
        summary="One downtime window",
        parameters=[TEEN_ID],
        responses={200: DowntimeWindowSerializer, **READ_ERRORS},
        tags=["rules"],
    )
    def get(self, request: Request, teen_id: int, window_id: int) -> Response:
        return Response(window_shape(self._window_for_viewer(request, teen_id, window_id)))

    @extend_schema(
        summary="Replace a downtime window (guardians)",
        parameters=[TEEN_ID],
        request=DowntimeWindowSerializer,
        responses={200: DowntimeWindowSavedSerializer, **WRITE_ERRORS},
        tags=["rules"],
    )
    def put(self, request: Request, teen_id: int, window_id: int) -> Response:
        return self._update(request, teen_id, window_id, partial=False)

    @extend_schema(
        summary="Change a downtime window (guardians)",
        parameters=[TEEN_ID],
        request=DowntimeWindowSerializer,
        responses={200: DowntimeWindowSavedSerializer, **WRITE_ERRORS},
        tags=["rules"],
    )
    def patch(self, request: Request, teen_id: int, window_id: int) -> Response:
        return self._update(request, teen_id, window_id, partial=True)

    @extend_schema(
        summary="Remove a downtime window (guardians)",
        parameters=[TEEN_ID],
        request=None,
        responses={204: None, **WRITE_ERRORS},
        tags=["rules"],
    )
    def delete(self, request: Request, teen_id: int, window_id: int) -> Response:
        window = self._window_for_change(request, teen_id, window_id)
        downtime.downtime_window_delete(actor=request.user, window=window)
        return Response(status=status.HTTP_204_NO_CONTENT)
