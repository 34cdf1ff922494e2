"""The access-control matrix's rows (tests/access/test_matrix.py reads them): who gets what from
every page and API operation, with the arguments and bodies the probes send."""

from __future__ import annotations

from tests.access.cast import ROLES

COLUMNS = "anonymous guardian other_guardian teen other_teen adult device other_device"
assert COLUMNS.split() == list(ROLES)

# --- What is left out, and why ------------------------------------------------------------------
# Route prefixes not in the matrix. Each is someone else's access control, tested elsewhere.
SKIPPED_PREFIXES = {
    "admin/": "Django's admin: every view is wrapped by admin_site.admin_view (staff only); "
    "test_it_keeps_the_whole_cast_out_of_the_admin checks the cast is turned away",
    "_allauth/": "allauth's headless API for app clients (sign-in, sign-up, sessions): "
    "allauth's own access rules; tests/security and tests/familypairing/test_api_base.py "
    "use it",
}
# allauth pages whose URL carries a one-time key sent by e-mail: without the key they are
# nothing; with it they are allauth's flows (exercised by tests/security/test_sessions.py and
# the browser journey).
SKIPPED_NAMES = {
    "account_confirm_email": "needs the e-mailed confirmation key (allauth's flow)",
    "account_reset_password_from_key": "needs the e-mailed reset key (allauth's flow)",
}

# --- Which object each URL argument points at (a key of cast.objects or cast.secrets) -----------
DEFAULT_ARGUMENTS = {
    "teen_id": "teen",
    "device_id": "device",
    "window_id": "window",
    "time_request_id": "time_request",
    "invitation_id": "invitation",
    "link_id": "link",
    "request_id": "unlink_request",
    "notification_id": "notification",
    "rule_id": "app_rule",
    "lock_id": "lock",
    "label_id": "app_label",
}
ARGUMENTS = {
    "guardian_approval": {"link_id": "pending_link"},
    "guardian_link_withdraw": {"link_id": "pending_link"},
    "pair_by_token": {"token": "pairing_token"},
    "device_removed": {"secret": "other_device_removed"},
    "time_request_email_action": {"token": "email_action_token"},
    "POST /api/v1/links/{link_id}/approve": {"link_id": "pending_link"},
    "POST /api/v1/links/{link_id}/refuse": {"link_id": "pending_link"},
    "dns_feed": {"token": "dns_feed_token", "fmt": "dns_feed_format"},
    "teen_extension_policy": {"kind": "extension_policy_kind"},
}

# --- Bodies for POSTs (pages: form fields; API: JSON); an empty one otherwise ----------------
# Valid where it is cheap to be: then the cast member who may act gets a 2xx, and a stranger is
# refused a request that would have worked.
DATA: dict[str, dict] = {
    "POST /api/v1/teens/{teen_id}/grants": {"bonus_minutes": 15},
    "POST /api/v1/teens/{teen_id}/devices": {"name": "Tablet", "platform": "ios"},
    "PATCH /api/v1/devices/{device_id}": {"name": "Tom's old phone"},
    "POST /api/v1/teens/{teen_id}/downtime-windows": {
        "name": "School",
        "weekdays": ["mon", "tue", "wed", "thu", "fri"],
        "start": "09:00",
        "end": "15:00",
    },
    "PUT /api/v1/teens/{teen_id}/downtime-windows/{window_id}": {
        "name": "Bedtime",
        "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "start": "21:30",
        "end": "06:30",
    },
    "PATCH /api/v1/me": {"time_zone": "Europe/Paris"},
    "POST /api/v1/teens/{teen_id}/app-rules": {
        "category": "games",
        "kind": "limit",
        "school_days": 60,
    },
    "PATCH /api/v1/teens/{teen_id}/app-rules/{rule_id}": {"kind": "always_allowed"},
    "POST /api/v1/teens/{teen_id}/locks": {},
    "POST /api/v1/teens/{teen_id}/app-labels": {
        "app": "com.example.chess",
        "name": "Chess club",
        "category": "games",
    },
    "PUT /api/v1/teens/{teen_id}/downtime-windows/{window_id}/allowed": {
        "allowed_apps": ["khan-academy"],
        "allowed_categories": ["education"],
    },
    "PATCH /api/v1/teens/{teen_id}/rules/screen-time": {"limit_wed": 90},
    "PATCH /api/v1/teens/{teen_id}/rules/browsing": {"search_enabled": False},
    "PATCH /api/v1/teens/{teen_id}/rules/privacy": {"private_account": True},
    "PATCH /api/v1/teens/{teen_id}/rules/unlinking": {"unlink_needs_approval": False},
    "POST /api/v1/time-requests/{time_request_id}/approve": {"minutes": 30},
    "POST /api/v1/time-requests/{time_request_id}/deny": {"note": "Homework first"},
    "POST /api/v1/device/policy/ack": {"version": "1"},
    "POST /api/v1/device/enrolment": {"platform": "android", "suggested_name": "Tablet"},
    "POST /api/v1/device/heartbeat": {"client_version": "1.0", "may_disable": False},
    "POST /api/v1/notifications/read": {"ids": []},
    "PUT /api/v1/notifications/preferences": {"email": {}},
    "teen_grant_time": {"bonus_minutes": "15"},
    "teen_governance": {"unlink_needs_approval": "on"},
    "downtime_delete": {},
    "time_request_answer": {"answer": "approve"},
    "device_rename": {"name": "Tom's old phone"},
    "teen_dns_feed": {"action": "create"},
}

# --- The matrix ----------------------------------------------------------------------------------
# Read a row as: anonymous, guardian (alice), other_guardian (bob), teen (tom), other_teen (tina),
# adult (carl), device (tom's), other_device (tina's). Pages refuse by redirecting to sign-in;
# devices are strangers to the pages (a bearer token is not a browser session). 302 is any
# other redirect (a teen sent to their own page, a form that saved).
# fmt: off
PAGES: dict[str, dict[str, str]] = {
    # Public pages and allauth's account pages (argument-free).
    "landing":                 {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "200   200   200   200   200   200   200   200"},
    "home":                    {"GET": "login 302   302   302   302   302   login login",
                                "POST": "login 302   302   302   302   302   login login"},
    "healthz":                 {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "405   405   405   405   405   405   405   405"},
    "api-schema":              {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "405   405   405   405   405   405   405   405"},
    "api-docs":                {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "405   405   405   405   405   405   405   405"},
    "api-docs-auth":           {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "405   405   405   405   405   405   405   405"},
    "account_login":           {"GET": "200   302   302   302   302   302   200   200",
                                "POST": "200   302   302   302   302   302   200   200"},
    "account_logout":          {"GET": "302   200   200   200   200   200   302   302",
                                "POST": "302   302   302   302   302   302   302   302"},
    "account_inactive":        {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "405   405   405   405   405   405   405   405"},
    # Where the e-mail confirmation link lands after its key moved into the session: without a
    # link opened in this browser it says "expired or invalid" and confirms nothing.
    "account_confirm_email_stashed":
                               {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "404   404   404   404   404   404   404   404"},
    "account_signup":          {"GET": "200   302   302   302   302   302   200   200",
                                "POST": "200   302   302   302   302   302   200   200"},
    "account_reauthenticate":  {"GET": "login 200   200   200   200   200   login login",
                                "POST": "login 200   200   200   200   200   login login"},
    "account_email":           {"GET": "login 200   200   200   200   200   login login",
                                "POST": "login 302   302   302   302   302   login login"},
    "account_email_verification_sent":
                               {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "405   405   405   405   405   405   405   405"},
    "account_change_password": {"GET": "login 200   200   200   200   200   login login",
                                "POST": "login 200   200   200   200   200   login login"},
    "account_set_password":    {"GET": "login 302   302   302   302   302   login login",
                                "POST": "login 302   302   302   302   302   login login"},
    "account_reset_password":  {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "200   200   200   200   200   200   200   200"},
    "account_confirm_login_code":
                               {"GET": "login 302   302   302   302   302   login login",
                                "POST": "login 302   302   302   302   302   login login"},
    "account_reset_password_from_key_done":
                               {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "405   405   405   405   405   405   405   405"},
    "account_reset_password_done":
                               {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "405   405   405   405   405   405   405   405"},
    "mfa_index":               {"GET": "login 200   200   200   200   200   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "mfa_authenticate":        {"GET": "login 302   302   302   302   302   login login",
                                "POST": "login 302   302   302   302   302   login login"},
    "mfa_reauthenticate":      {"GET": "login 302   302   302   302   302   login login",
                                "POST": "login 302   302   302   302   302   login login"},
    "mfa_activate_totp":       {"GET": "login 302   302   302   302   302   login login",
                                "POST": "login 302   302   302   302   302   login login"},
    "mfa_deactivate_totp":     {"GET": "login 404   404   404   404   404   login login",
                                "POST": "login 404   404   404   404   404   login login"},
    "mfa_view_recovery_codes": {"GET": "login 404   404   404   404   404   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "mfa_generate_recovery_codes":
                               {"GET": "login 302   302   302   302   302   login login",
                                "POST": "login 302   302   302   302   302   login login"},
    "mfa_download_recovery_codes":
                               {"GET": "login 404   404   404   404   404   login login",
                                "POST": "login 404   404   404   404   404   login login"},
    "usersessions_list":       {"GET": "login 200   200   200   200   200   login login",
                                "POST": "login 302   302   302   302   302   login login"},

    # Pairing, parent side: only the invitation's parent sees or changes it.
    "pairing_start":           {"GET": "login 302   200   403   403   200   login login",
                                "POST": "login 302   302   403   403   302   login login"},
    "pairing_invitation":      {"GET": "login 200   404   404   404   404   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "pairing_invitation_status":
                               {"GET": "login 200   404   404   404   404   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "pairing_invitation_revoke":
                               {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   404   404   404   404   login login"},
    "pairing_invitation_renew":
                               {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   404   404   404   404   login login"},
    # A second adult (dave) asked to become tom's guardian: alice answers; only dave (not in
    # the cast) may withdraw.
    "guardian_approval":       {"GET": "login 200   404   404   404   404   login login",
                                "POST": "login 400   404   404   404   404   login login"},
    "guardian_link_withdraw":  {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 404   404   404   404   404   login login"},
    "guardian_unlink":         {"GET": "login 200   404   404   404   404   login login",
                                "POST": "login 302   404   404   404   404   login login"},
    "unlink_request":          {"GET": "login 200   404   404   404   404   login login",
                                "POST": "login 400   404   404   404   404   login login"},
    # Pairing, teen side: adults are told this is for teens (403); the confirm page needs the
    # code or QR link first (400, the same answer as a wrong code: no oracle); the QR token is
    # the secret, so any signed-in teen holding it reaches the confirm page.
    "pair_enter_code":         {"GET": "login 403   403   200   200   403   login login",
                                "POST": "login 403   403   400   400   403   login login"},
    "pair_confirm":            {"GET": "login 403   403   400   400   403   login login",
                                "POST": "login 403   403   400   400   403   login login"},
    "pair_by_token":           {"GET": "login 403   403   302   302   403   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "teen_unlink":             {"GET": "login 302   302   200   404   302   login login",
                                "POST": "login 302   302   302   404   302   login login"},
    "teen_unlink_request_cancel":
                               {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 404   404   302   404   404   login login"},

    # Devices: the teen and their guardians manage them; adults are sent to their dashboard.
    "my_devices":              {"GET": "login 302   302   200   200   302   login login",
                                "POST": "login 302   302   400   400   302   login login"},
    "teen_devices":            {"GET": "login 200   404   302   404   404   login login",
                                "POST": "login 400   404   302   404   404   login login"},
    # Linking a device with a code: anyone signed in may open it (whose devices they may link
    # is decided on the code's confirm page); an empty form is refused naming the code.
    "device_link":             {"GET": "login 200   200   200   200   200   login login",
                                "POST": "login 400   400   400   400   400   login login"},
    # The uninstall address (tina's device here): public, the secret is the credential.
    "device_removed":          {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "405   405   405   405   405   405   405   405"},
    "device_rename":           {"GET": "login 200   404   200   404   404   login login",
                                "POST": "login 302   404   302   404   404   login login"},
    "device_revoke":           {"GET": "login 200   404   200   404   404   login login",
                                "POST": "login 302   404   302   404   404   login login"},

    # Controls: guardians see and change; the teen sees (sent to their own page) but changing
    # gets 403; strangers 404.
    "dashboard":               {"GET": "login 200   200   302   302   200   login login",
                                "POST": "login 200   200   302   302   200   login login"},
    "teen_home":               {"GET": "login 302   302   200   200   302   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "my_rules":                {"GET": "login 302   302   200   200   302   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "my_guardians":            {"GET": "login 302   302   200   200   302   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "my_history":              {"GET": "login 302   302   200   200   302   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "teen_detail":             {"GET": "login 200   404   302   404   404   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "teen_screen_time":        {"GET": "login 200   404   302   404   404   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "screen_time_limits":      {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 400   404   403   404   404   login login"},
    "screen_time_every_day":   {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 400   404   403   404   404   login login"},
    "screen_time_options":     {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 400   404   403   404   404   login login"},
    "downtime_create":         {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 400   404   403   404   404   login login"},
    "downtime_update":         {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 400   404   403   404   404   login login"},
    "downtime_delete":         {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   404   403   404   404   login login"},
    # Issue 13: the per-app actions of the screen-time tab (an empty app-rule or label form is
    # a 400 naming its fields; an empty lock form locks all devices until unlocked).
    "app_rule_save":           {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 400   404   403   404   404   login login"},
    "app_rule_delete":         {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   404   403   404   404   login login"},
    "app_label_save":          {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 400   404   403   404   404   login login"},
    "app_label_delete":        {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   404   403   404   404   login login"},
    "lock_start":              {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   404   403   404   404   login login"},
    "lock_end":                {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   404   403   404   404   login login"},
    "downtime_allowed":        {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   404   403   404   404   login login"},
    "teen_browsing":           {"GET": "login 200   404   302   404   404   login login",
                                "POST": "login 400   404   403   404   404   login login"},
    "teen_privacy":            {"GET": "login 200   404   302   404   404   login login",
                                "POST": "login 400   404   403   404   404   login login"},
    "teen_governance":         {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   404   403   404   404   login login"},
    "teen_history":            {"GET": "login 200   404   302   404   404   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    # DNS-filter exports: the teen's guardians, and the teen (who sees every rule).
    "export_hosts":            {"GET": "login 200   404   200   404   404   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "export_adguard":          {"GET": "login 200   404   200   404   404   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    # The home network filter address: only the teen's guardians make, replace or revoke it;
    # the feed itself is a secret URL a filter fetches with no session, so whoever holds the
    # token reads the list (a wrong token is 404, tests/controls/test_feeds.py).
    "teen_dns_feed":           {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   404   403   404   404   login login"},
    "dns_feed":                {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "405   405   405   405   405   405   405   405"},
    # The browser extension: the packed files are public (browsers fetch them by policy, with
    # no session); its install page and policy files are for the teen's guardians.
    "extension_crx":           {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "405   405   405   405   405   405   405   405"},
    "extension_zip":           {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "405   405   405   405   405   405   405   405"},
    "extension_updates":       {"GET": "200   200   200   200   200   200   200   200",
                                "POST": "405   405   405   405   405   405   405   405"},
    "teen_browser_extension":  {"GET": "login 200   404   404   404   404   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "teen_extension_policy":   {"GET": "login 200   404   404   404   404   login login",
                                "POST": "login 405   405   405   405   405   login login"},

    # More time: the teen asks; the teen's guardians answer (the teen may only look); a teen
    # may not grant time to anyone (403 whoever the teen in the URL is).
    "teen_time_request":       {"GET": "login 403   403   200   200   403   login login",
                                "POST": "login 403   403   400   400   403   login login"},
    "teen_time_panel":         {"GET": "login 403   403   200   200   403   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "time_request_detail":     {"GET": "login 200   404   200   404   404   login login",
                                "POST": "login 200   404   200   404   404   login login"},
    "time_request_answer":     {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   404   403   404   404   login login"},
    # The e-mailed Approve link moves its token into the session and on to the token-free page
    # (anyone, signed in or not: the sign-in comes there). That page, without a link opened in
    # this browser, is nothing; with alice's token it is hers alone
    # (test_the_e_mailed_link_opens_for_its_guardian_only below).
    "time_request_email_action":
                               {"GET": "302   302   302   302   302   302   302   302",
                                "POST": "302   302   302   302   302   302   302   302"},
    "time_request_email_confirm":
                               {"GET": "login 404   404   404   404   404   login login",
                                "POST": "login 404   404   404   404   404   login login"},
    "teen_grant_time":         {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   404   403   403   404   login login"},

    # Notifications and your data: everyone signed in has their own; another's is 404, and
    # "mark read" of another's notification changes nothing (checked below) and says nothing.
    "notification_centre":     {"GET": "login 200   200   200   200   200   login login",
                                "POST": "login 200   200   200   200   200   login login"},
    # 286 tells htmx to stop polling once the visitor is signed out.
    "notification_badge":      {"GET": "286   200   200   200   200   200   286   286",
                                "POST": "405   405   405   405   405   405   405   405"},
    "notification_read_all":   {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   302   302   302   302   login login"},
    "notification_preferences":
                               {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   302   302   302   302   login login"},
    "notification_open":       {"GET": "login 302   404   404   404   404   login login",
                                "POST": "login 302   404   404   404   404   login login"},
    "notification_read":       {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   302   302   302   302   login login"},
    "data_rights":             {"GET": "login 200   200   200   200   200   login login",
                                "POST": "login 200   200   200   200   200   login login"},
    "data_export":             {"GET": "login 200   200   200   200   200   login login",
                                "POST": "login 405   405   405   405   405   login login"},
    "data_delete":             {"GET": "login 200   200   200   200   200   login login",
                                "POST": "login 400   400   400   400   400   login login"},
    "profile":                 {"GET": "login 200   200   200   200   200   login login",
                                "POST": "login 400   400   400   400   400   login login"},
    # A guardian applies the teen's pending change of time zone now; the teen cannot (403).
    "teen_time_zone_apply":    {"GET": "login 405   405   405   405   405   login login",
                                "POST": "login 302   404   403   404   404   login login"},
}

# API operations (people use an app token; devices their bearer token): 401 without the right
# kind of credentials, then as for the pages.
API: dict[str, str] = {
    "GET /api/v1/me":                                        "401 200 200 200 200 200 401 401",
    "PATCH /api/v1/me":                                      "401 200 200 200 200 200 401 401",
    "POST /api/v1/teens/{teen_id}/time-zone-change/apply":   "401 200 404 403 404 404 401 401",
    "GET /api/v1/me/export":                                 "401 200 200 200 200 200 401 401",
    "POST /api/v1/me/delete":                                "401 400 400 400 400 400 401 401",
    # Pairing
    "GET /api/v1/pairing/invitations":                       "401 200 200 200 200 200 401 401",
    "POST /api/v1/pairing/invitations":                      "401 201 201 403 403 201 401 401",
    "GET /api/v1/pairing/invitations/{invitation_id}":       "401 200 404 404 404 404 401 401",
    "POST /api/v1/pairing/invitations/{invitation_id}/revoke":
                                                             "401 200 404 404 404 404 401 401",
    "POST /api/v1/pairing/lookup":                           "401 400 400 400 400 400 401 401",
    "POST /api/v1/pairing/accept":                           "401 400 400 400 400 400 401 401",
    "POST /api/v1/pairing/decline":                          "401 400 400 400 400 400 401 401",
    "GET /api/v1/links":                                     "401 200 200 200 200 200 401 401",
    "GET /api/v1/links/approvals":                           "401 200 200 200 200 200 401 401",
    "POST /api/v1/links/{link_id}/approve":                  "401 200 404 404 404 404 401 401",
    "POST /api/v1/links/{link_id}/refuse":                   "401 200 404 404 404 404 401 401",
    # tom's unlink is a request alice must answer (202), as "unlinking needs approval" is on.
    "POST /api/v1/links/{link_id}/unlink":                   "401 200 404 202 404 404 401 401",
    "GET /api/v1/unlink-requests":                           "401 200 200 200 200 200 401 401",
    "POST /api/v1/unlink-requests/{request_id}/approve":     "401 200 404 404 404 404 401 401",
    "POST /api/v1/unlink-requests/{request_id}/decline":     "401 200 404 404 404 404 401 401",
    "POST /api/v1/unlink-requests/{request_id}/cancel":      "401 404 404 200 404 404 401 401",
    # Devices
    "GET /api/v1/teens/{teen_id}/devices":                   "401 200 404 200 404 404 401 401",
    "POST /api/v1/teens/{teen_id}/devices":                  "401 201 404 201 404 404 401 401",
    "GET /api/v1/devices/{device_id}":                       "401 200 404 200 404 404 401 401",
    "PATCH /api/v1/devices/{device_id}":                     "401 200 404 200 404 404 401 401",
    "POST /api/v1/devices/{device_id}/revoke":               "401 200 404 200 404 404 401 401",
    # Rules: guardians read and change, the teen reads (403 on change), strangers 404.
    "GET /api/v1/teens/{teen_id}/rules":                     "401 200 404 200 404 404 401 401",
    "GET /api/v1/teens/{teen_id}/rules/screen-time":         "401 200 404 200 404 404 401 401",
    "PATCH /api/v1/teens/{teen_id}/rules/screen-time":       "401 200 404 403 404 404 401 401",
    "GET /api/v1/teens/{teen_id}/rules/browsing":            "401 200 404 200 404 404 401 401",
    "PATCH /api/v1/teens/{teen_id}/rules/browsing":          "401 200 404 403 404 404 401 401",
    "GET /api/v1/teens/{teen_id}/rules/privacy":             "401 200 404 200 404 404 401 401",
    "PATCH /api/v1/teens/{teen_id}/rules/privacy":           "401 200 404 403 404 404 401 401",
    "GET /api/v1/teens/{teen_id}/rules/unlinking":           "401 200 404 200 404 404 401 401",
    "PATCH /api/v1/teens/{teen_id}/rules/unlinking":         "401 200 404 403 404 404 401 401",
    "GET /api/v1/teens/{teen_id}/downtime-windows":          "401 200 404 200 404 404 401 401",
    "POST /api/v1/teens/{teen_id}/downtime-windows":         "401 201 404 403 404 404 401 401",
    "GET /api/v1/teens/{teen_id}/downtime-windows/{window_id}":
                                                             "401 200 404 200 404 404 401 401",
    "PUT /api/v1/teens/{teen_id}/downtime-windows/{window_id}":
                                                             "401 200 404 403 404 404 401 401",
    "PATCH /api/v1/teens/{teen_id}/downtime-windows/{window_id}":
                                                             "401 200 404 403 404 404 401 401",
    "DELETE /api/v1/teens/{teen_id}/downtime-windows/{window_id}":
                                                             "401 204 404 403 404 404 401 401",
    "PUT /api/v1/teens/{teen_id}/downtime-windows/{window_id}/allowed":
                                                             "401 200 404 403 404 404 401 401",
    # Issue 13: the catalogue (anyone signed in), app rules, locks and labels (as rules).
    "GET /api/v1/catalogue":                                 "401 200 200 200 200 200 401 401",
    "GET /api/v1/teens/{teen_id}/app-rules":                 "401 200 404 200 404 404 401 401",
    "POST /api/v1/teens/{teen_id}/app-rules":                "401 201 404 403 404 404 401 401",
    "PATCH /api/v1/teens/{teen_id}/app-rules/{rule_id}":     "401 200 404 403 404 404 401 401",
    "DELETE /api/v1/teens/{teen_id}/app-rules/{rule_id}":    "401 204 404 403 404 404 401 401",
    "GET /api/v1/teens/{teen_id}/locks":                     "401 200 404 200 404 404 401 401",
    "POST /api/v1/teens/{teen_id}/locks":                    "401 201 404 403 404 404 401 401",
    "DELETE /api/v1/teens/{teen_id}/locks/{lock_id}":        "401 204 404 403 404 404 401 401",
    "GET /api/v1/teens/{teen_id}/app-labels":                "401 200 404 200 404 404 401 401",
    "POST /api/v1/teens/{teen_id}/app-labels":               "401 201 404 403 404 404 401 401",
    "DELETE /api/v1/teens/{teen_id}/app-labels/{label_id}":  "401 204 404 403 404 404 401 401",
    "GET /api/v1/teens/{teen_id}/policy":                    "401 200 404 200 404 404 401 401",
    "GET /api/v1/teens/{teen_id}/history":                   "401 200 404 200 404 404 401 401",
    # The home network filter address is the guardians' secret: the teen gets 403.
    "GET /api/v1/teens/{teen_id}/dns-feed":                  "401 200 404 403 404 404 401 401",
    "POST /api/v1/teens/{teen_id}/dns-feed":                 "401 200 404 403 404 404 401 401",
    "DELETE /api/v1/teens/{teen_id}/dns-feed":               "401 204 404 403 404 404 401 401",
    "POST /api/v1/teens/{teen_id}/dns-feed/rotate":          "401 200 404 403 404 404 401 401",
    # More time and notifications
    "GET /api/v1/time-requests":                             "401 200 200 200 200 200 401 401",
    "POST /api/v1/time-requests":                            "401 403 403 400 400 403 401 401",
    "GET /api/v1/time-requests/{time_request_id}":           "401 200 404 200 404 404 401 401",
    "POST /api/v1/time-requests/{time_request_id}/approve":  "401 200 404 403 404 404 401 401",
    "POST /api/v1/time-requests/{time_request_id}/deny":     "401 200 404 403 404 404 401 401",
    "POST /api/v1/teens/{teen_id}/grants":                   "401 201 404 403 403 404 401 401",
    "GET /api/v1/notifications":                             "401 200 200 200 200 200 401 401",
    "POST /api/v1/notifications/read":                       "401 200 200 200 200 200 401 401",
    "GET /api/v1/notifications/unread-count":                "401 200 200 200 200 200 401 401",
    "GET /api/v1/notifications/preferences":                 "401 200 200 200 200 200 401 401",
    "PUT /api/v1/notifications/preferences":                 "401 200 200 200 200 200 401 401",
    # The device API: devices only, each for its own teen (there are no ids to cross).
    "GET /api/v1/device/policy":                             "401 401 401 401 401 401 200 200",
    "POST /api/v1/device/policy/ack":                        "401 401 401 401 401 401 200 200",
    "POST /api/v1/device/usage":                             "401 401 401 401 401 401 400 400",
    "POST /api/v1/device/time-requests":                     "401 401 401 401 401 401 400 400",
    "GET /api/v1/device/time-requests":                      "401 401 401 401 401 401 200 200",
    # tom's request: tina's device gets 404 (not its teen's).
    "GET /api/v1/device/time-requests/{time_request_id}":    "401 401 401 401 401 401 200 404",
    "POST /api/v1/device/heartbeat":                         "401 401 401 401 401 401 200 200",
    "GET /api/v1/device/about":                              "401 401 401 401 401 401 200 200",
    # Enrolment needs no credentials (the device has none yet); an empty poll is refused.
    "POST /api/v1/device/enrolment":                         "200 200 200 200 200 200 200 200",
    "POST /api/v1/device/enrolment/token":                   "400 400 400 400 400 400 400 400",
    "GET /api/v1/device/blocklist.hosts":                    "401 401 401 401 401 401 200 200",
    "GET /api/v1/device/blocklist.adguard":                  "401 401 401 401 401 401 200 200",
}
# fmt: on
