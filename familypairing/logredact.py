"""Keep the secrets that travel in URL paths out of the logs.

A pairing QR link (`/pair/<token>`), an e-mailed Approve / Deny link (`/requests/email/<token>/`)
and allauth's e-mail confirmation and password reset links (`/accounts/confirm-email/<key>/`,
`/accounts/password/reset/key/<key>/`) carry their secret in the path of their first request
(each then moves it into the session and redirects to a secret-free address); a home network
filter's subscription (`/feeds/<token>/…`) carries it in every request, since a DNS filter can send
no header. Django logs the path of every 4xx and 5xx answer ("Forbidden: /pair/…", e.g. when an
adult opens a live QR link) and runserver logs every request line, so those loggers pass their
records through this filter, which replaces the secret with "[redacted]" before any handler writes
it. gunicorn's access log gets the same through familypairing.gunicorn_conf.
"""

from __future__ import annotations

import logging
import re

SECRET_IN_PATH = re.compile(
    r"(/pair/|/requests/email/|/feeds/|/accounts/confirm-email/|/accounts/password/reset/key/)"
    r"(?!confirm/)[^/\s?#\"']+"
)


def redact(text: str) -> str:
    return SECRET_IN_PATH.sub(r"\1[redacted]", text)


def _clean(value):
    return redact(value) if isinstance(value, str) else value


class RedactSecretPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _clean(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _clean(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_clean(value) for value in record.args)
        return True
