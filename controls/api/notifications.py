"""The notification centre in the API: list, mark read, unread count, e-mail preferences.
Thin: the rules are in `controls.notifications`, the same functions the pages call."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from controls.api.requests import (
    MAX_ID,
    MAX_LIST,
    UNAUTHENTICATED,
    PersonNameSerializer,
    query_params_valid,
    teen_filter,
)
from controls.models import NotificationKind
from controls.notifications.selectors import (
    InboxFilters,
    email_preferences_for_user,
    kinds_for_user,
    notification_unread_count,
    notifications_filtered,
    time_request_id_from,
)
from controls.notifications.services import email_preferences_set, notification_mark_read
from familypairing.api import ErrorSerializer


class NotificationQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False)
    kind = serializers.ChoiceField(choices=NotificationKind.choices, required=False)
    teen = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIST, default=30)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ID, default=0)


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    title = serializers.CharField()
    body = serializers.CharField()
    link = serializers.CharField()
    teen = PersonNameSerializer(allow_null=True)
    delivered_at = serializers.DateTimeField(source="deliver_at")
    read_at = serializers.DateTimeField(allow_null=True)
    time_request_id = serializers.SerializerMethodField()

    def get_time_request_id(self, obj) -> int | None:
        return time_request_id_from(obj)


class NotificationPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    unread = serializers.IntegerField()
    results = NotificationSerializer(many=True)


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        allow_null=True,
        max_length=1000,
        help_text="Notification ids; leave out to mark all read.",
    )


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread = serializers.IntegerField()


class UnreadSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class PreferencesSerializer(serializers.Serializer):
    email = serializers.DictField(
        child=serializers.BooleanField(),
        help_text="E-mail on/off per notification kind the user can receive.",
    )


# --- notifications ---------------------------------------------------------------------------


class NotificationListView(APIView):
    @extend_schema(
        summary="Your notifications, newest first (filters: unread, kind, teen)",
        parameters=[NotificationQuerySerializer],
        responses={
            200: NotificationPageSerializer,
            400: OpenApiResponse(description="A malformed or repeated query parameter."),
            401: UNAUTHENTICATED,
            404: OpenApiResponse(ErrorSerializer, description="`teen` is not one of yours."),
        },
    )
    def get(self, request: Request) -> Response:
        user = request.user
        query = query_params_valid(request, NotificationQuerySerializer)
        filters = InboxFilters(
            unread=query["unread"],
            kind=query.get("kind", ""),
            teen_id=teen_filter(request, query.get("teen")),
        )
        qs = notifications_filtered(user=user, filters=filters)
        offset, limit = query["offset"], query["limit"]
        results = list(qs[offset : offset + limit])
        return Response(
            {
                "count": qs.count(),
                "unread": notification_unread_count(user=user),
                "results": NotificationSerializer(results, many=True).data,
            }
        )


class NotificationReadView(APIView):
    @extend_schema(
        summary="Mark notifications read (all of them without `ids`)",
        request=MarkReadSerializer,
        responses={200: MarkedSerializer, 400: OpenApiResponse(), 401: UNAUTHENTICATED},
    )
    def post(self, request: Request) -> Response:
        data = MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marked = notification_mark_read(
            user=request.user, notification_ids=data.validated_data.get("ids")
        )
        return Response({"marked": marked, "unread": notification_unread_count(user=request.user)})


class NotificationUnreadView(APIView):
    @extend_schema(
        summary="How many notifications are unread (for a badge)",
        responses={200: UnreadSerializer, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        return Response({"unread": notification_unread_count(user=request.user)})


class NotificationPreferencesView(APIView):
    @extend_schema(
        summary="Which notification kinds also reach you by e-mail",
        responses={200: PreferencesSerializer, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        prefs = email_preferences_for_user(user=request.user)
        return Response({"email": {kind.value: on for kind, on in prefs}})

    @extend_schema(
        summary="Turn e-mails on or off per kind (kinds left out keep their setting)",
        request=PreferencesSerializer,
        responses={
            200: PreferencesSerializer,
            400: OpenApiResponse(description="Unknown kind."),
            401: UNAUTHENTICATED,
        },
    )
    def put(self, request: Request) -> Response:
        data = PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        allowed = {kind.value for kind in kinds_for_user(request.user)}
        unknown = sorted(set(data.validated_data["email"]) - allowed)
        if unknown:
            raise exceptions.ValidationError(
                {"email": f"Unknown or not applicable kinds: {', '.join(unknown)}."}
            )
        current = dict(email_preferences_for_user(user=request.user))
        wanted = {
            kind.value
            for kind, on in current.items()
            if data.validated_data["email"].get(kind.value, on)
        }
        email_preferences_set(user=request.user, wanted=wanted)
        return self.get(request)
