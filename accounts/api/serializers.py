from __future__ import annotations

from zoneinfo import available_timezones

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Role, User
from accounts.profile import time_zone_change_text


class TimeZoneChangeSerializer(serializers.Serializer):
    time_zone = serializers.CharField(help_text="The zone the day will be counted in.")
    takes_effect_at = serializers.DateTimeField(
        help_text="When (UTC): the start of the teen's next day in the zone in force now."
    )
    text = serializers.CharField(help_text="The same in plain words, for the person asking.")


def time_zone_change_data(user: User, *, viewer: User | None = None) -> dict | None:
    if not user.time_zone_change_pending:
        return None
    return {
        "time_zone": user.pending_time_zone,
        "takes_effect_at": user.time_zone_changes_at,
        "text": time_zone_change_text(user=user, viewer=viewer),
    }


class MeSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    age = serializers.SerializerMethodField()
    time_zone = serializers.CharField(
        read_only=True, help_text="The zone the user's day is counted in now."
    )
    time_zone_change = serializers.SerializerMethodField(
        help_text="A teen's own change of time zone waits for the start of their next day (so "
        "it never gives back time already used today); this is that pending change, or null. "
        "A guardian may apply it at once. Asking for the current zone again cancels it."
    )

    class Meta:
        model = User
        fields = ["id", "email", "display_name", "role", "age", "time_zone", "time_zone_change"]
        read_only_fields = fields

    def get_age(self, user: User) -> int | None:
        return user.age()

    @extend_schema_field(TimeZoneChangeSerializer(allow_null=True))
    def get_time_zone_change(self, user: User) -> dict | None:
        return time_zone_change_data(user)


class TeenTimeZoneSerializer(serializers.Serializer):
    teen = serializers.IntegerField()
    time_zone = serializers.CharField(help_text="The zone the teen's day is counted in now.")
    applied = serializers.BooleanField(
        help_text="True when this call applied a pending change; false when none was pending."
    )
    time_zone_change = TimeZoneChangeSerializer(allow_null=True)


class ProfileUpdateSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=80, required=False)
    time_zone = serializers.CharField(
        max_length=64,
        required=False,
        help_text="For a teen this takes effect at the start of their next day (see "
        "`time_zone_change` in the answer); for an adult at once.",
    )

    def validate_display_name(self, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise serializers.ValidationError("Please give a name.")
        return value

    def validate_time_zone(self, value: str) -> str:
        if value not in available_timezones():
            raise serializers.ValidationError(f"{value!r} is not a known IANA time zone.")
        return value
