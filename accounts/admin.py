from __future__ import annotations

from datetime import date

from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.devices.services import device_revoke
from accounts.models import (
    ADULT_AGE,
    TEEN_MIN_AGE,
    AttemptCounter,
    Device,
    GuardianLink,
    InvitationStatus,
    PairingInvitation,
    UnlinkRequest,
    User,
)
from accounts.pairing.services import pairing_invitation_revoke
from controls.models import AuditEvent


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


# --- Pairing: invitations, links and unlink requests (support views; codes are never shown) -------


class InvitationOpenFilter(admin.SimpleListFilter):
    title = _("usable now")
    parameter_name = "usable"

    def lookups(self, request, model_admin):
        return [("yes", _("Usable (waiting, not expired)")), ("no", _("Not usable"))]

    def queryset(self, request, queryset: QuerySet[PairingInvitation]):
        usable = Q(status=InvitationStatus.PENDING, expires_at__gt=timezone.now())
        if self.value() == "yes":
            return queryset.filter(usable)
        if self.value() == "no":
            return queryset.exclude(usable)
        return queryset


@admin.register(PairingInvitation)
class PairingInvitationAdmin(admin.ModelAdmin):
    # No token, code, hash or sealed copy anywhere in here: support never needs a live code.
    list_display = [
        "id",
        "parent",
        "status",
        "created_at",
        "expires_at",
        "answered_by",
        "answered_at",
    ]
    list_filter = [InvitationOpenFilter, "status", "created_at"]
    list_select_related = ["parent", "answered_by"]
    search_fields = ["parent__email", "parent__display_name", "answered_by__email"]
    date_hierarchy = "created_at"
    fields = ["parent", "status", "created_at", "expires_at", "answered_by", "answered_at"]
    readonly_fields = fields
    actions = ["revoke_selected"]

    def has_add_permission(self, request) -> bool:
        return False  # invitations are made by parents, with a code only they see

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected waiting invitations"))
    def revoke_selected(self, request, queryset: QuerySet[PairingInvitation]) -> None:
        revoked = 0
        for invitation in queryset.filter(status=InvitationStatus.PENDING).select_related("parent"):
            pairing_invitation_revoke(invitation=invitation, parent=invitation.parent)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} invitation(s).")


class UnlinkRequestInline(admin.TabularInline):
    model = UnlinkRequest
    fields = ["created_at", "status", "decided_by", "decided_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(GuardianLink)
class GuardianLinkAdmin(admin.ModelAdmin):
    """Read-only: links change only through pairing and unlinking, which notify and audit."""

    list_display = [
        "id",
        "parent",
        "teen",
        "status",
        "created_at",
        "approved_at",
        "ended_at",
        "end_reason",
    ]
    list_filter = ["status", "end_reason", "created_at"]
    list_select_related = ["parent", "teen"]
    search_fields = ["parent__email", "parent__display_name", "teen__email", "teen__display_name"]
    date_hierarchy = "created_at"
    fields = [
        "parent",
        "teen",
        "status",
        "invitation",
        "created_at",
        "approved_at",
        "approved_by",
        "ended_at",
        "ended_by",
        "end_reason",
        "history",
    ]
    readonly_fields = fields
    inlines = [UnlinkRequestInline]

    def has_add_permission(self, request) -> bool:
        return False  # a link needs the teen's consent, given through pairing

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # ending a link must notify and audit; deleting would do neither

    @admin.display(description=_("history"))
    def history(self, link: GuardianLink) -> str:
        events = AuditEvent.objects.filter(
            teen_id=link.teen_id, action__startswith="link.", details__link_id=link.pk
        ).order_by("created_at", "id")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{event.created_at:%Y-%m-%d %H:%M:%S} UTC",
                    event.actor_label,
                    event.action,
                    event.summary,
                )
                for event in events
            ),
        )
        if not rows:
            return "—"
        return format_html(
            "<table><thead><tr><th>when</th><th>who</th><th>action</th><th>what</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            rows,
        )


@admin.register(UnlinkRequest)
class UnlinkRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "link", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status", "created_at"]
    list_select_related = ["link__parent", "link__teen", "decided_by"]
    search_fields = ["link__teen__email", "link__parent__email"]
    fields = ["link", "status", "created_at", "decided_by", "decided_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AttemptCounter)
class AttemptCounterAdmin(admin.ModelAdmin):
    """Failed pairing guesses per (hashed) account or address; delete rows to lift a lockout."""

    list_display = ["scope", "key_hash", "window_start", "count"]
    list_filter = ["scope"]
    readonly_fields = ["scope", "key_hash", "window_start", "count"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    """Devices never show their token (only a hash is stored); revoking is the support action."""

    list_display = ["name", "teen", "platform", "last_seen_at", "acked_at", "revoked_at"]
    list_filter = ["platform", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "teen__email", "teen__display_name", "token_prefix"]
    list_select_related = ["teen"]
    raw_id_fields = ["teen", "created_by"]
    exclude = ["token_hash"]
    readonly_fields = ["token_prefix", "created_at", "last_seen_at", "acked_version", "acked_at"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected devices")
    def revoke(self, request, queryset) -> None:
        for device in queryset.filter(revoked_at__isnull=True):
            device_revoke(device=device, actor=request.user)


# allauth's session admin searches `user__username`, which this user model does not have.
admin.site.unregister(UserSession)


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    raw_id_fields = ["user"]
    list_display = ["user", "created_at", "last_seen_at", "ip", "user_agent"]
    search_fields = ["user__email", "ip"]
    list_select_related = ["user"]
