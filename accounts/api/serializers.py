from __future__ import annotations

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
