"""The schema of `GET /api/v1/me/export` (the document is `controls.data_rights.services.
user_data_export`; a test checks they agree). Dates and times are ISO 8601 strings."""

from __future__ import annotations

from rest_framework import serializers

S = serializers


class ExportAccountSerializer(S.Serializer):
    email = S.EmailField()
    display_name = S.CharField()
    birth_date = S.DateField(allow_null=True)
    time_zone = S.CharField(help_text="IANA time zone, e.g. Europe/Berlin.")
    date_joined = S.DateTimeField()
    role = S.ChoiceField(choices=["teen", "adult", "unknown"])
    last_login = S.DateTimeField(allow_null=True)


class ExportEmailSerializer(S.Serializer):
    email = S.EmailField()
    verified = S.BooleanField()
    primary = S.BooleanField()


class ExportLinkSerializer(S.Serializer):
    my_role = S.ChoiceField(choices=["guardian", "teen"])
    other_person = S.CharField(help_text="The other side's display name only.")
    status = S.CharField()
    created_at = S.DateTimeField()
    approved_at = S.DateTimeField(allow_null=True)
    ended_at = S.DateTimeField(allow_null=True)
    end_reason = S.CharField()


class ExportInvitationSerializer(S.Serializer):
    created_at = S.DateTimeField()
    expires_at = S.DateTimeField()
    status = S.CharField()
    answered_at = S.DateTimeField(allow_null=True)


class ExportNotificationSerializer(S.Serializer):
    kind = S.CharField()
    title = S.CharField()
    body = S.CharField()
    link = S.CharField()
    created_at = S.DateTimeField()
    deliver_at = S.DateTimeField()
    read_at = S.DateTimeField(allow_null=True)


class ExportActionSerializer(S.Serializer):
    action = S.CharField()
    summary = S.CharField()
    created_at = S.DateTimeField()


class ExportDeviceSerializer(S.Serializer):
    name = S.CharField()
    platform = S.CharField()
    created_at = S.DateTimeField()
    revoked_at = S.DateTimeField(allow_null=True)
    last_seen_at = S.DateTimeField(allow_null=True)
    acked_at = S.DateTimeField(allow_null=True)


class ExportUsageSerializer(S.Serializer):
    days = S.ListField(child=S.DictField(), help_text="Per teen day: counted and total seconds.")
    by_app_and_device = S.ListField(child=S.DictField(), help_text="Per day, app and device.")
    grants = S.ListField(child=S.DictField(), help_text="Extra time given, and by whom.")
    time_requests = S.ListField(child=S.DictField(), help_text="More-time requests and answers.")


class ExportTeenSerializer(S.Serializer):
    display_name = S.CharField()
    time_zone = S.CharField()
    rules = S.DictField(allow_null=True, help_text="The teen's rules and downtime windows.")
    usage = ExportUsageSerializer()
    devices = ExportDeviceSerializer(many=True)


class DataExportSerializer(S.Serializer):
    format = S.CharField(help_text="`family-pairing-export/1`.")
    exported_at = S.DateTimeField()
    account = ExportAccountSerializer()
    email_addresses = ExportEmailSerializer(many=True)
    links = ExportLinkSerializer(many=True)
    pairing_invitations = ExportInvitationSerializer(many=True)
    notifications = ExportNotificationSerializer(many=True)
    notification_email_preferences = S.DictField(
        child=S.BooleanField(), help_text="E-mail on (true) or off per notification kind."
    )
    my_actions = ExportActionSerializer(many=True, help_text="Your entries in the audit trail.")
    my_rules = S.DictField(
        required=False, allow_null=True, help_text="A teen's own rules (teens only)."
    )
    my_usage = ExportUsageSerializer(required=False, help_text="A teen's own usage.")
    my_devices = ExportDeviceSerializer(many=True, required=False)
    teens = ExportTeenSerializer(many=True, help_text="A guardian's teens (empty for a teen).")
