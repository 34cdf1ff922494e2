"""The catalogue, rules per app and category, locks, the family's app labels and downtime
allowed lists in the API (issue 13). Thin: every write is a service of `controls.app_rules`, the
same the pages call; access is checked once per request (`controls.access`), and an object of
another family is a 404 like a stranger's teen."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from controls.access import teen_for_rule_change, teen_for_viewer
from controls.api.rules import READ_ERRORS, TEEN_ID, WRITE_ERRORS, input_valid, service_call
from controls.app_models import (
    RULE_WEEKDAY_FIELDS,
    AppCategory,
    AppRule,
    AppRuleKind,
    FamilyAppLabel,
    Lock,
)
from controls.app_rules import locks as lock_services
from controls.app_rules import services
from controls.app_rules.describe import lock_text, rule_text, target_name
from controls.app_rules.selectors import labels_of, locks_open
from controls.catalogue.lookup import catalogue_search
from controls.models import DowntimeWindow


def _minutes(day: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        allow_null=True, required=False, help_text=f"Minutes on {day} (1–1440; null: no limit)."
    )


class CatalogueAppSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The app's key: what rules name (`app`).")
    name = serializers.CharField(help_text="The name shown everywhere.")
    category = serializers.ChoiceField(choices=AppCategory.choices)
    android = serializers.ListField(child=serializers.CharField(), help_text="Android packages.")
    ios = serializers.ListField(child=serializers.CharField(), help_text="iOS bundle ids.")
    web = serializers.ListField(
        child=serializers.CharField(),
        help_text="Web domains (a device reports `web:<host>`; subdomains match).",
    )


class AppRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    app = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A catalogue key (`tiktok`) or a device identifier; empty for a category rule.",
    )
    category = serializers.ChoiceField(
        choices=AppCategory.choices, required=False, allow_blank=True,
        help_text="The category of a category rule; empty for an app rule.",
    )  # fmt: skip
    kind = serializers.ChoiceField(
        choices=AppRuleKind.choices,
        help_text="`limit` (minutes per weekday), `always_allowed` (usable in downtime, after "
        "limits and when locked; its time is not counted) or `blocked`.",
    )
    limit_mon = _minutes("Mondays")
    limit_tue = _minutes("Tuesdays")
    limit_wed = _minutes("Wednesdays")
    limit_thu = _minutes("Thursdays")
    limit_fri = _minutes("Fridays")
    limit_sat = _minutes("Saturdays")
    limit_sun = _minutes("Sundays")
    school_days = serializers.IntegerField(
        allow_null=True, required=False, write_only=True,
        help_text="Sets Monday to Friday at once (named days sent too win).",
    )  # fmt: skip
    every_day = serializers.IntegerField(
        allow_null=True, required=False, write_only=True,
        help_text="Sets all seven days at once (named days sent too win).",
    )  # fmt: skip
    name = serializers.CharField(read_only=True, help_text="The app's or category's name.")
    text = serializers.CharField(read_only=True, help_text="The rule in plain words.")


class LockSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    category = serializers.ChoiceField(
        choices=AppCategory.choices, required=False, allow_blank=True,
        help_text="Lock only this category; empty: all of the teen's devices.",
    )  # fmt: skip
    until = serializers.DateTimeField(
        required=False, allow_null=True,
        help_text="When the lock ends by itself (ISO 8601 with offset, at most 30 days "
        "ahead); null or absent: until a guardian unlocks.",
    )  # fmt: skip
    created_by = serializers.CharField(read_only=True, help_text="Who locked.")
    created_at = serializers.DateTimeField(read_only=True)
    text = serializers.CharField(read_only=True, help_text="The lock in plain words.")


class AppLabelSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    app = serializers.CharField(help_text="The identifier devices report (not in the catalogue).")
    name = serializers.CharField(help_text="The name to show (1–80 characters).")
    category = serializers.ChoiceField(choices=AppCategory.choices)


class DowntimeAllowedSerializer(serializers.Serializer):
    allowed_apps = serializers.ListField(
        child=serializers.CharField(), required=False,
        help_text="Apps usable during the window: catalogue keys or device identifiers.",
    )  # fmt: skip
    allowed_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=AppCategory.choices), required=False,
        help_text="Categories usable during the window.",
    )  # fmt: skip


def rule_shape(rule: AppRule, labels) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "app": rule.app,
        "category": rule.category,
        "kind": rule.kind,
        **{name: getattr(rule, name) for name in RULE_WEEKDAY_FIELDS},
        "name": target_name(app=rule.app, category=rule.category, labels=labels),
        "text": rule_text(rule, labels),
    }


def lock_shape(lock: Lock, tz) -> dict[str, Any]:
    return {
        "id": lock.pk,
        "category": lock.category,
        "until": lock.until,
        "created_by": lock.created_by_name,
        "created_at": lock.created_at,
        "text": lock_text(lock, tz),
    }


class CatalogueView(APIView):
    @extend_schema(
        summary="Search the catalogue of apps and sites",
        parameters=[
            OpenApiParameter("q", str, description="Part of a name or identifier."),
            OpenApiParameter(
                "category", str, enum=AppCategory.values, description="Only this category."
            ),
        ],
        responses={
            200: CatalogueAppSerializer(many=True),
            400: OpenApiResponse(description="`{category: [message]}`: not a category."),
            401: READ_ERRORS[401],
        },
        tags=["catalogue"],
    )
    def get(self, request: Request) -> Response:
        category = request.query_params.get("category", "")
        if category and category not in AppCategory.values:
            return Response({"category": ["Not a category."]}, status=400)
        apps = catalogue_search(request.query_params.get("q", ""), category=category, limit=100)
        return Response(
            [
                {"key": a.key, "name": a.name, "category": a.category, "android": list(a.android),
                 "ios": list(a.ios), "web": list(a.web)}
                for a in apps
            ]
        )  # fmt: skip


class AppRuleListView(APIView):
    @extend_schema(
        summary="A teen's app and category rules",
        parameters=[TEEN_ID],
        responses={200: AppRuleSerializer(many=True), **READ_ERRORS},
        tags=["app rules"],
    )
    def get(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_viewer(user=request.user, teen_id=teen_id)
        labels = labels_of(teen)
        return Response([rule_shape(r, labels) for r in AppRule.objects.filter(teen=teen)])

    @extend_schema(
        summary="Set an app's or a category's rule (guardians)",
        description="Creates the rule, or changes the one the app or category already has.",
        parameters=[TEEN_ID],
        request=AppRuleSerializer,
        responses={201: AppRuleSerializer, **WRITE_ERRORS},
        tags=["app rules"],
    )
    def post(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        data = input_valid(AppRuleSerializer, request)
        rule, _ = service_call(services.app_rule_set, actor=request.user, teen=teen, changes=data)
        return Response(rule_shape(rule, labels_of(teen)), status=status.HTTP_201_CREATED)


class AppRuleDetailView(APIView):
    @extend_schema(
        summary="Change an app rule (guardians)",
        parameters=[TEEN_ID],
        request=AppRuleSerializer,
        responses={200: AppRuleSerializer, **WRITE_ERRORS},
        tags=["app rules"],
    )
    def patch(self, request: Request, teen_id: int, rule_id: int) -> Response:
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        rule = get_object_or_404(AppRule, pk=rule_id, teen=teen)
        data = input_valid(AppRuleSerializer, request, partial=True)
        rule, _ = service_call(
            services.app_rule_set, actor=request.user, teen=teen, changes=data, rule_id=rule.pk
        )
        return Response(rule_shape(rule, labels_of(teen)))

    @extend_schema(
        summary="Remove an app rule (guardians)",
        parameters=[TEEN_ID],
        request=None,
        responses={204: None, **WRITE_ERRORS},
        tags=["app rules"],
    )
    def delete(self, request: Request, teen_id: int, rule_id: int) -> Response:
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        rule = get_object_or_404(AppRule, pk=rule_id, teen=teen)
        services.app_rule_delete(actor=request.user, teen=teen, rule_id=rule.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LockListView(APIView):
    @extend_schema(
        summary="The locks in force now",
        parameters=[TEEN_ID],
        responses={200: LockSerializer(many=True), **READ_ERRORS},
        tags=["app rules"],
    )
    def get(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_viewer(user=request.user, teen_id=teen_id)
        return Response([lock_shape(lock, teen.tz) for lock in locks_open(teen=teen)])

    @extend_schema(
        summary="Lock now: all devices or one category (guardians)",
        parameters=[TEEN_ID],
        request=LockSerializer,
        responses={201: LockSerializer, **WRITE_ERRORS},
        tags=["app rules"],
    )
    def post(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        data = input_valid(LockSerializer, request)
        lock = service_call(
            lock_services.lock_start,
            actor=request.user,
            teen=teen,
            category=data.get("category") or "",
            until=data.get("until"),
            now=timezone.now(),
        )
        return Response(lock_shape(lock, teen.tz), status=status.HTTP_201_CREATED)


class LockDetailView(APIView):
    @extend_schema(
        summary="Unlock at once (guardians)",
        parameters=[TEEN_ID],
        request=None,
        responses={204: None, **WRITE_ERRORS},
        tags=["app rules"],
    )
    def delete(self, request: Request, teen_id: int, lock_id: int) -> Response:
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        lock = get_object_or_404(Lock, pk=lock_id, teen=teen)
        lock_services.lock_end(actor=request.user, teen=teen, lock_id=lock.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AppLabelListView(APIView):
    @extend_schema(
        summary="The family's names for apps the catalogue does not know",
        parameters=[TEEN_ID],
        responses={200: AppLabelSerializer(many=True), **READ_ERRORS},
        tags=["app rules"],
    )
    def get(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_viewer(user=request.user, teen_id=teen_id)
        return Response(
            AppLabelSerializer(FamilyAppLabel.objects.filter(teen=teen), many=True).data
        )

    @extend_schema(
        summary="Name and categorise an unknown app (guardians)",
        parameters=[TEEN_ID],
        request=AppLabelSerializer,
        responses={201: AppLabelSerializer, **WRITE_ERRORS},
        tags=["app rules"],
    )
    def post(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        data = input_valid(AppLabelSerializer, request)
        label = service_call(services.app_label_set, actor=request.user, teen=teen, **data)
        return Response(AppLabelSerializer(label).data, status=status.HTTP_201_CREATED)


class AppLabelDetailView(APIView):
    @extend_schema(
        summary="Remove an app's name (guardians)",
        parameters=[TEEN_ID],
        request=None,
        responses={204: None, **WRITE_ERRORS},
        tags=["app rules"],
    )
    def delete(self, request: Request, teen_id: int, label_id: int) -> Response:
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        label = get_object_or_404(FamilyAppLabel, pk=label_id, teen=teen)
        services.app_label_delete(actor=request.user, teen=teen, label_id=label.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DowntimeAllowedView(APIView):
    @extend_schema(
        summary="What stays usable during a downtime window (guardians)",
        parameters=[TEEN_ID],
        request=DowntimeAllowedSerializer,
        responses={200: DowntimeAllowedSerializer, **WRITE_ERRORS},
        tags=["rules"],
    )
    def put(self, request: Request, teen_id: int, window_id: int) -> Response:
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        window = get_object_or_404(DowntimeWindow, pk=window_id, teen=teen)
        data = input_valid(DowntimeAllowedSerializer, request)
        window = service_call(
            services.downtime_allowed_set,
            actor=request.user,
            teen=teen,
            window_id=window.pk,
            apps=data.get("allowed_apps", []),
            categories=data.get("allowed_categories", []),
        )
        return Response(
            {"allowed_apps": window.allowed_apps, "allowed_categories": window.allowed_categories}
        )
