"""Rules per teen in the API: guardians read and change each rule set, the teen reads their own,
both read the effective policy and the history.

Access (one check per object, `controls.access`): a guardian with an active link reads and
writes; the teen reads and gets 403 on every write; anyone else gets 404. Every write goes
through the same service as the pages, so the same rules hold: a value outside the teen's age
bounds or any other rule gets 400 with `{field: [message]}` naming the rule, and nothing is
saved. Successful writes answer with the section as saved plus `changes`, the same plain-words
lines the pages show.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from controls.access import teen_for_rule_change, teen_for_viewer
from controls.audit import audit_events_for_teen
from controls.effective.selectors import effective_policy_for_teen
from controls.models import Audience, DomainMode, DowntimeWindow
from controls.models import LikedVideosAudience as Liked
from controls.policy import Reason
from controls.rules import services
from controls.rules.bounds import band_for_teen
from controls.rules.describe import WEEKDAY_KEYS, history_entry
from controls.rules.selectors import rules_ensure_for_teen

HISTORY_MAX = 200

# --------------------------------------------------------------------------------------------
# Serializers
# --------------------------------------------------------------------------------------------


def _limit_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        allow_null=True, required=False, help_text="Minutes 1–1440; null = no limit."
    )


@extend_schema_field(
    {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "21:30"}
)
class WallTimeField(serializers.TimeField):
    """A local wall time as "HH:MM" (the teen's time zone), not an RFC 3339 instant."""

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)


def _hhmm(**kwargs) -> WallTimeField:
    return WallTimeField(**kwargs)


class ScreenTimeSerializer(serializers.Serializer):
    version = serializers.IntegerField(read_only=True)
    limit_mon = _limit_field()
    limit_tue = _limit_field()
    limit_wed = _limit_field()
    limit_thu = _limit_field()
    limit_fri = _limit_field()
    limit_sat = _limit_field()
    limit_sun = _limit_field()
    warning_minutes = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Minutes before the limit (1–120 each, at most 3).",
    )
    day_start = _hhmm(required=False, help_text="When the teen's day starts, local time.")


class ScreenTimeUpdateSerializer(ScreenTimeSerializer):
    every_day = serializers.IntegerField(
        allow_null=True,
        required=False,
        write_only=True,
        help_text="Sets all seven limits at once (named days sent too win).",
    )


class BrowsingSerializer(serializers.Serializer):
    version = serializers.IntegerField(read_only=True)
    restricted_mode = serializers.BooleanField(required=False)
    search_enabled = serializers.BooleanField(required=False)
    keyword_filters = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="Trimmed, case-folded and de-duplicated on save; at most 500.",
    )
    domain_mode = serializers.ChoiceField(choices=DomainMode.choices, required=False)
    domains = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="Host names or *.wildcards; URLs are reduced to their host, "
        "international names stored as punycode; at most 500.",
    )


class AgeBoundsSerializer(serializers.Serializer):
    band = serializers.CharField()
    label = serializers.CharField()
    choices = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    locked_off = serializers.ListField(child=serializers.CharField())


class PrivacySerializer(serializers.Serializer):
    version = serializers.IntegerField(read_only=True)
    private_account = serializers.BooleanField(required=False)
    suggest_account = serializers.BooleanField(required=False)
    direct_messages = serializers.ChoiceField(choices=Audience.choices, required=False)
    live_streaming = serializers.BooleanField(required=False)
    comments = serializers.ChoiceField(choices=Audience.choices, required=False)
    liked_videos = serializers.ChoiceField(choices=Liked.choices, required=False)
    duet_stitch = serializers.BooleanField(required=False)
    downloads = serializers.BooleanField(required=False)
    mute_start = _hhmm(allow_null=True, required=False)
    mute_end = _hhmm(allow_null=True, required=False)
    bounds = AgeBoundsSerializer(
        read_only=True, help_text="What the teen's age allows; requests outside it get 400."
    )


class GovernanceSerializer(serializers.Serializer):
    version = serializers.IntegerField(read_only=True)
    unlink_needs_approval = serializers.BooleanField()


class DowntimeWindowSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    weekdays = serializers.ListField(
        child=serializers.ChoiceField(choices=WEEKDAY_KEYS),
        help_text="Days on which the window starts: mon..sun.",
    )
    start = _hhmm()
    end = _hhmm(help_text="Earlier than start: the window ends the next day. Must differ.")
    crosses_midnight = serializers.BooleanField(read_only=True)


class ChangesSerializer(serializers.Serializer):
    changes = serializers.ListField(
        child=serializers.CharField(), help_text="What this request changed, in words."
    )


class ScreenTimeSavedSerializer(ScreenTimeSerializer, ChangesSerializer):
    pass


class BrowsingSavedSerializer(BrowsingSerializer, ChangesSerializer):
    pass


class PrivacySavedSerializer(PrivacySerializer, ChangesSerializer):
    pass


class GovernanceSavedSerializer(GovernanceSerializer, ChangesSerializer):
    pass


class DowntimeWindowSavedSerializer(DowntimeWindowSerializer, ChangesSerializer):
    pass


class TeenRulesSerializer(serializers.Serializer):
    teen_id = serializers.IntegerField()
    version = serializers.IntegerField()
    time_zone = serializers.CharField()
    screen_time = ScreenTimeSerializer()
    downtime_windows = DowntimeWindowSerializer(many=True)
    browsing = BrowsingSerializer()
    privacy = PrivacySerializer()
    governance = GovernanceSerializer()


class TeenPolicySerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=[reason.value for reason in Reason])
    seconds_left = serializers.IntegerField(allow_null=True, help_text="null = no limit today.")
    limit_seconds = serializers.IntegerField(allow_null=True)
    used_seconds = serializers.IntegerField()
    limit_reached = serializers.BooleanField()
    local_date = serializers.DateField()
    day_start_utc = serializers.CharField()
    day_end_utc = serializers.CharField()
    downtime_name = serializers.CharField(allow_null=True)
    next_change_at = serializers.CharField(allow_null=True)
    warnings_due = serializers.ListField(child=serializers.IntegerField())
    version = serializers.CharField()
    browsing = serializers.DictField()
    privacy = serializers.DictField()


class HistoryEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor = serializers.CharField()
    action = serializers.CharField()
    headline = serializers.CharField()
    summary = serializers.CharField()
    changes = serializers.ListField(child=serializers.CharField())
    before = serializers.DictField(allow_null=True)
    after = serializers.DictField(allow_null=True)


# --------------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------------


def _screen_time(rules) -> dict[str, Any]:
    return {"version": rules.version, **services.rules_snapshot(rules, services.SCREEN_TIME_FIELDS)}


def _browsing(rules) -> dict[str, Any]:
    return {"version": rules.version, **services.rules_snapshot(rules, services.BROWSING_FIELDS)}


def _privacy(rules, teen) -> dict[str, Any]:
    return {
        "version": rules.version,
        **services.rules_snapshot(rules, services.PRIVACY_FIELDS),
        "bounds": band_for_teen(teen).as_dict(),
    }


def _governance(rules) -> dict[str, Any]:
    return {"version": rules.version, "unlink_needs_approval": rules.unlink_needs_approval}


def window_shape(window: DowntimeWindow) -> dict[str, Any]:
    return {
        "id": window.pk,
        "name": window.name,
        "weekdays": [WEEKDAY_KEYS[day] for day in window.weekday_list()],
        "start": window.start.strftime("%H:%M"),
        "end": window.end.strftime("%H:%M"),
        "crosses_midnight": window.end < window.start,
    }


def _service_errors(exc: DjangoValidationError) -> ValidationError:
    """A service's errors as a DRF 400: `{field: [messages]}`, `non_field_errors` for the
    whole request."""
    if not hasattr(exc, "error_dict"):
        return ValidationError({"non_field_errors": exc.messages})
    return ValidationError(
        {
            ("non_field_errors" if name == NON_FIELD_ERRORS else name): messages
            for name, messages in exc.message_dict.items()
        }
    )


def service_call(service, **kwargs):
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        raise _service_errors(exc) from None


def input_valid(serializer_class, request: Request, *, partial: bool = False) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------

TEEN_ID = OpenApiParameter("teen_id", int, OpenApiParameter.PATH, description="The teen's id.")
READ_ERRORS = {
    401: OpenApiResponse(description="Not signed in."),
    404: OpenApiResponse(description="No such teen, or not your teen."),
}
WRITE_ERRORS = {
    400: OpenApiResponse(
        description="A rule was broken: `{field: [message]}` (age bounds name the rule; "
        "`non_field_errors` for overlapping downtime). Nothing was saved."
    ),
    401: OpenApiResponse(description="Not signed in."),
    403: OpenApiResponse(description="The teen themself: teens can read but not change."),
    404: OpenApiResponse(description="No such teen, or not your teen."),
}


class TeenRulesView(APIView):
    @extend_schema(
        summary="All of a teen's rules",
        parameters=[TEEN_ID],
        responses={200: TeenRulesSerializer, **READ_ERRORS},
        tags=["rules"],
    )
    def get(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_viewer(user=request.user, teen_id=teen_id)
        rules = rules_ensure_for_teen(teen=teen)
        windows = DowntimeWindow.objects.filter(teen=teen)
        return Response(
            {
                "teen_id": teen.pk,
                "version": rules.version,
                "time_zone": teen.time_zone,
                "screen_time": _screen_time(rules),
                "downtime_windows": [window_shape(window) for window in windows],
                "browsing": _browsing(rules),
                "privacy": _privacy(rules, teen),
                "governance": _governance(rules),
            }
        )


def _read(request: Request, teen_id: int, shape) -> Response:
    teen = teen_for_viewer(user=request.user, teen_id=teen_id)
    return Response(shape(rules_ensure_for_teen(teen=teen), teen))


def _write(request: Request, teen_id: int, serializer_class, save, shape) -> Response:
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    data = input_valid(serializer_class, request, partial=True)
    change = service_call(save, actor=request.user, teen=teen, changes=data)
    return Response({**shape(change.rules, teen), "changes": change.lines})


def _read_schema(name: str, serializer):
    return extend_schema(
        summary=f"A teen's {name}",
        parameters=[TEEN_ID],
        responses={200: serializer, **READ_ERRORS},
        tags=["rules"],
    )


def _write_schema(name: str, request_serializer, response_serializer):
    return extend_schema(
        summary=f"Change a teen's {name} (guardians)",
        description="Send only what changes; the rest stays as it is.",
        parameters=[TEEN_ID],
        request=request_serializer,
        responses={200: response_serializer, **WRITE_ERRORS},
        tags=["rules"],
    )


class ScreenTimeView(APIView):
    @_read_schema("screen time", ScreenTimeSerializer)
    def get(self, request: Request, teen_id: int) -> Response:
        return _read(request, teen_id, lambda rules, teen: _screen_time(rules))

    @_write_schema("screen time", ScreenTimeUpdateSerializer, ScreenTimeSavedSerializer)
    def patch(self, request: Request, teen_id: int) -> Response:
        return _write(
            request,
            teen_id,
            ScreenTimeUpdateSerializer,
            services.screen_time_update,
            lambda rules, teen: _screen_time(rules),
        )


class BrowsingView(APIView):
    @_read_schema("browsing rules", BrowsingSerializer)
    def get(self, request: Request, teen_id: int) -> Response:
        return _read(request, teen_id, lambda rules, teen: _browsing(rules))

    @_write_schema("browsing rules", BrowsingSerializer, BrowsingSavedSerializer)
    def patch(self, request: Request, teen_id: int) -> Response:
        return _write(
            request,
            teen_id,
            BrowsingSerializer,
            services.browsing_update,
            lambda rules, teen: _browsing(rules),
        )


class PrivacyView(APIView):
    @_read_schema("privacy settings", PrivacySerializer)
    def get(self, request: Request, teen_id: int) -> Response:
        return _read(request, teen_id, _privacy)

    @_write_schema("privacy settings", PrivacySerializer, PrivacySavedSerializer)
    def patch(self, request: Request, teen_id: int) -> Response:
        return _write(request, teen_id, PrivacySerializer, services.privacy_update, _privacy)


def _governance_update(*, actor, teen, changes: dict[str, Any]) -> services.RulesChange:
    if "unlink_needs_approval" not in changes:
        raise ValidationError({"unlink_needs_approval": ["This field is required."]})
    return services.governance_update(
        actor=actor, teen=teen, unlink_needs_approval=changes["unlink_needs_approval"]
    )


class GovernanceView(APIView):
    @_read_schema("unlinking setting", GovernanceSerializer)
    def get(self, request: Request, teen_id: int) -> Response:
        return _read(request, teen_id, lambda rules, teen: _governance(rules))

    @_write_schema("unlinking setting", GovernanceSerializer, GovernanceSavedSerializer)
    def patch(self, request: Request, teen_id: int) -> Response:
        return _write(
            request,
            teen_id,
            GovernanceSerializer,
            _governance_update,
            lambda rules, teen: _governance(rules),
        )


class TeenPolicyView(APIView):
    @extend_schema(
        summary="A teen's effective policy right now",
        description="Allowed now or not, why, seconds left (null = no limit), when that next "
        "changes, the warnings due, and the browsing and privacy rules in force.",
        parameters=[TEEN_ID],
        responses={200: TeenPolicySerializer, **READ_ERRORS},
        tags=["rules"],
    )
    def get(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_viewer(user=request.user, teen_id=teen_id)
        return Response(effective_policy_for_teen(teen=teen).to_dict())


class TeenHistoryView(APIView):
    @extend_schema(
        summary="The history of changes for a teen, newest first",
        parameters=[
            TEEN_ID,
            OpenApiParameter(
                "limit", int, OpenApiParameter.QUERY, description=f"At most {HISTORY_MAX}."
            ),
        ],
        responses={
            200: HistoryEventSerializer(many=True),
            400: OpenApiResponse(description="`limit` is not a whole number."),
            **READ_ERRORS,
        },
        tags=["rules"],
    )
    def get(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_viewer(user=request.user, teen_id=teen_id)
        try:
            limit = int(request.query_params.get("limit", 50))
        except ValueError:
            raise ValidationError({"limit": ["Enter a whole number."]}) from None
        limit = max(1, min(HISTORY_MAX, limit))
        rows = []
        for event in audit_events_for_teen(teen=teen)[:limit]:
            entry = history_entry(event)
            details = event.details or {}
            rows.append(
                {
                    "id": event.pk,
                    "created_at": event.created_at,
                    "actor": entry["actor"],
                    "action": event.action,
                    "headline": entry["headline"],
                    "summary": event.summary,
                    "changes": entry["lines"],
                    "before": details.get("before"),
                    "after": details.get("after"),
                }
            )
        return Response(HistoryEventSerializer(rows, many=True).data)
