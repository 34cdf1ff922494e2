from __future__ import annotations

from zoneinfo import available_timezones

from rest_framework import serializers

from accounts.models import Role, User


class MeSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    age = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "display_name", "role", "age", "time_zone"]
        read_only_fields = fields

    def get_age(self, user: User) -> int | None:
        return user.age()


class ProfileUpdateSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=80, required=False)
    time_zone = serializers.CharField(max_length=64, required=False)

    def validate_display_name(self, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise serializers.ValidationError("Please give a name.")
        return value

    def validate_time_zone(self, value: str) -> str:
        if value not in available_timezones():
            raise serializers.ValidationError(f"{value!r} is not a known IANA time zone.")
        return value
