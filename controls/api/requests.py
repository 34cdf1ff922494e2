"""More-time requests, grants, notifications and your data in the API (`/api/v1/…`).

Thin: every rule is in `controls.time_requests.services`, `controls.notifications.selectors`
and `controls.data_rights.services`, the same functions the pages call. Guardians list and answer
their teens' requests and give time; teens ask and see their own; everyone reads their
notifications and exports their data.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import teen_for_guardian, teens_for_guardian
from controls.models import TimeRequest, TimeRequestStatus
from controls.time_requests.grants import day_grant_create
from controls.time_requests.selectors import time_request_for_user
from controls.time_requests.services import (
    GRANT_MAX_MINUTES,
    NOTE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    REQUEST_MINUTES,
    time_request_approve,
    time_request_create,
    time_request_deny,
)
from familypairing.api import ErrorSerializer

MAX_LIST = 100
MAX_ID = 2**63 - 1

# --- serializers -----------------------------------------------------------------------------


class PersonNameSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class TimeRequestSerializer(serializers.ModelSerializer):
    teen = PersonNameSerializer()
    answered_by = PersonNameSerializer(allow_null=True)
    minutes = serializers.IntegerField(
        allow_null=True, help_text="15, 30 or 60; null means the rest of today."
    )
    device = serializers.SerializerMethodField()

    class Meta:
        model = TimeRequest
        fields = [
            "id",
            "teen",
            "device",
            "local_date",
            "minutes",
            "reason",
            "status",
            "created_at",
            "answered_by",
            "answered_at",
            "note",
        ]

    def get_device(self, obj) -> str | None:
        return obj.device.name if obj.device_id and obj.device else None


class TimeRequestCreateSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(
        allow_null=True, help_text=f"One of {list(REQUEST_MINUTES)}, or null for the rest of today."
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=REASON_MAX_LENGTH, default=""
    )


class ApproveSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=GRANT_MAX_MINUTES,
        help_text="Give a different amount than asked (default: what the teen asked for).",
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH, default=""
    )


class DenySerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=NOTE_MAX_LENGTH,
        default="",
        help_text="Shown to the teen.",
    )


class TimeRequestQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TimeRequestStatus.choices, required=False)
    teen = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


def query_params_valid(request: Request, serializer_class) -> dict:
    """Validated query parameters; a repeated or malformed parameter is a 400 naming it."""
    repeated = [
        name for name in request.query_params if len(request.query_params.getlist(name)) > 1
    ]
    if repeated:
        raise exceptions.ValidationError(dict.fromkeys(repeated, "Give this parameter once."))
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def teen_filter(request: Request, teen_id: int | None) -> int | None:
    """The teen a list is narrowed to: a guardian's own teen, or the teen themself (404 for
    anyone else, as everywhere)."""
    if teen_id is None:
        return None
    if request.user.is_teen:
        if teen_id != request.user.pk:
            raise exceptions.NotFound("No such teen.")
        return teen_id
    return teen_for_guardian(guardian=request.user, teen_id=teen_id).pk


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Who answered first, or that the request lapsed.")
    time_request = TimeRequestSerializer()


class GrantInputSerializer(serializers.Serializer):
    bonus_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=GRANT_MAX_MINUTES
    )
    no_limit = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("no_limit") and not attrs.get("bonus_minutes"):
            raise serializers.ValidationError(
                {"bonus_minutes": "Give bonus minutes, or set no_limit to lift today's limit."}
            )
        return attrs


class GrantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    local_date = serializers.DateField()
    bonus_minutes = serializers.IntegerField()
    no_limit = serializers.BooleanField()
    created_at = serializers.DateTimeField()


def bad_request(exc: ValidationError) -> exceptions.ValidationError:
    return exceptions.ValidationError(
        exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
    )


NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Not one of your teens' requests.")
UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="Not signed in.")

# --- time requests ---------------------------------------------------------------------------


class TimeRequestListView(APIView):
    @extend_schema(
        summary="More-time requests: a guardian's teens' or a teen's own, newest first",
        parameters=[TimeRequestQuerySerializer],
        responses={
            200: TimeRequestSerializer(many=True),
            400: OpenApiResponse(description="A malformed or repeated query parameter."),
            401: UNAUTHENTICATED,
            404: OpenApiResponse(ErrorSerializer, description="`teen` is not one of yours."),
        },
    )
    def get(self, request: Request) -> Response:
        user = request.user
        query = query_params_valid(request, TimeRequestQuerySerializer)
        if user.is_teen:
            qs = TimeRequest.objects.filter(teen=user)
        else:
            qs = TimeRequest.objects.filter(teen__in=teens_for_guardian(guardian=user))
        teen_id = teen_filter(request, query.get("teen"))
        if teen_id is not None:
            qs = qs.filter(teen_id=teen_id)
        if query.get("status"):
            qs = qs.filter(status=query["status"])
        qs = qs.select_related("teen", "answered_by", "device")[:MAX_LIST]
        return Response(TimeRequestSerializer(qs, many=True).data)

    @extend_schema(
        summary="Ask for more time today (teens)",
        request=TimeRequestCreateSerializer,
        responses={
            201: TimeRequestSerializer,
            400: OpenApiResponse(
                description="Bad minutes or reason, a request already open, or the wait after "
                "a denial (field-named errors)."
            ),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(ErrorSerializer, description="Only a teen asks."),
        },
    )
    def post(self, request: Request) -> Response:
        if not request.user.is_teen:
            raise exceptions.PermissionDenied("Only a teen asks for more time.")
        data = TimeRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            time_request = time_request_create(teen=request.user, **data.validated_data)
        except ValidationError as exc:
            raise bad_request(exc) from None
        return Response(TimeRequestSerializer(time_request).data, status=status.HTTP_201_CREATED)


class TimeRequestDetailView(APIView):
    @extend_schema(
        summary="One more-time request",
        responses={200: TimeRequestSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, time_request_id: int) -> Response:
        time_request = time_request_for_user(user=request.user, time_request_id=time_request_id)
        return Response(TimeRequestSerializer(time_request).data)


class _AnswerView(APIView):
    input_serializer: type[serializers.Serializer]

    def _answer(self, request: Request, time_request_id: int, answer) -> Response:
        time_request = time_request_for_user(user=request.user, time_request_id=time_request_id)
        if time_request.teen_id == request.user.pk:
            raise exceptions.PermissionDenied("A teen cannot answer their own request.")
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            answer(time_request=time_request, guardian=request.user, **data.validated_data)
        except ValidationError as exc:
            time_request.refresh_from_db()
            if time_request.status != TimeRequestStatus.PENDING:
                return Response(
                    {
                        "detail": " ".join(exc.message_dict.get("request", exc.messages)),
                        "time_request": TimeRequestSerializer(time_request).data,
                    },
                    status=status.HTTP_409_CONFLICT,
                )
            raise bad_request(exc) from None
        time_request.refresh_from_db()
        return Response(TimeRequestSerializer(time_request).data)


_ANSWER_RESPONSES = {
    200: TimeRequestSerializer,
    400: OpenApiResponse(description="Bad minutes or note (field-named errors)."),
    401: UNAUTHENTICATED,
    403: OpenApiResponse(ErrorSerializer, description="A teen cannot answer."),
    404: NOT_FOUND,
    409: OpenApiResponse(
        ConflictSerializer, description="Already answered (says by whom) or lapsed."
    ),
}


class TimeRequestApproveView(_AnswerView):
    input_serializer = ApproveSerializer

    @extend_schema(
        summary="Approve: a grant for the teen's day, counted at once (first answer wins)",
        request=ApproveSerializer,
        responses=_ANSWER_RESPONSES,
    )
    def post(self, request: Request, time_request_id: int) -> Response:
        return self._answer(request, time_request_id, time_request_approve)


class TimeRequestDenyView(_AnswerView):
    input_serializer = DenySerializer

    @extend_schema(
        summary="Deny, with an optional note the teen sees (first answer wins)",
        request=DenySerializer,
        responses=_ANSWER_RESPONSES,
    )
    def post(self, request: Request, time_request_id: int) -> Response:
        return self._answer(request, time_request_id, time_request_deny)


class TeenGrantView(APIView):
    @extend_schema(
        summary="Give a teen bonus minutes, or no limit, for today (guardians)",
        request=GrantInputSerializer,
        responses={
            201: GrantSerializer,
            400: OpenApiResponse(description="Bad bonus_minutes (field-named errors)."),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(ErrorSerializer, description="Teens cannot give time."),
            404: OpenApiResponse(ErrorSerializer, description="Not one of your teens."),
        },
    )
    def post(self, request: Request, teen_id: int) -> Response:
        if request.user.is_teen:
            raise exceptions.PermissionDenied("Only a guardian can give extra time.")
        teen = teen_for_guardian(guardian=request.user, teen_id=teen_id)
        data = GrantInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            grant = day_grant_create(guardian=request.user, teen=teen, **data.validated_data)
        except ValidationError as exc:
            raise bad_request(exc) from None
        return Response(GrantSerializer(grant).data, status=status.HTTP_201_CREATED)
