from __future__ import annotations

from datetime import date

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import ADULT_AGE, TEEN_MIN_AGE, User


def _years_ago(years: int) -> date:
    today = date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [
            ("teen", _("Teen (13–17)")),
            ("adult", _("Adult (18+)")),
            ("unknown", _("No birth date")),
        ]

    def queryset(self, request, queryset: QuerySet[User]) -> QuerySet[User]:
        value = self.value()
        if value == "teen":
            return queryset.filter(
                birth_date__gt=_years_ago(ADULT_AGE), birth_date__lte=_years_ago(TEEN_MIN_AGE)
            )
        if value == "adult":
            return queryset.filter(birth_date__lte=_years_ago(ADULT_AGE))
        if value == "unknown":
            return queryset.filter(birth_date__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "display_name",
        "role_display",
        "age_display",
        "time_zone",
        "is_active",
        "is_staff",
        "date_joined",
    ]
    list_filter = [RoleFilter, "is_active", "is_staff", "time_zone"]
    search_fields = ["email", "display_name"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "birth_date", "time_zone")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "display_name",
                    "birth_date",
                    "time_zone",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    @admin.display(description="role")
    def role_display(self, user: User) -> str:
        return user.role

    @admin.display(description="age")
    def age_display(self, user: User) -> int | None:
        return user.age()
