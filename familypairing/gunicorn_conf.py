"""gunicorn settings for production:

    gunicorn familypairing.wsgi -c python:familypairing.gunicorn_conf -b 127.0.0.1:8000 -w 4

The access log records the path without its query string (`%(U)s`, not the request line
`%(r)s`), and through `RedactingLogger` a secret in the path of a link's first request (pairing
QR link, e-mailed answer, e-mail confirmation, password reset) is written as "[redacted]". The
Referer is left out: it can repeat such an address.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from familypairing.logredact import redact

accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
logger_class = "familypairing.gunicorn_conf.RedactingLogger"


class RedactingLogger(Logger):
    """gunicorn's logger with the path atoms redacted and the query string never written, so
    even a custom `access_log_format` cannot leak a link's secret."""

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact(environ.get("PATH_INFO") or "")
        atoms["U"] = path
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {path} {environ.get('SERVER_PROTOCOL')}"
        atoms["q"] = "-"
        atoms["f"] = "-"
        for key in ("{referer}i", "{raw_uri}e", "{path_info}e", "{query_string}e"):
            if key in atoms:
                atoms[key] = "-"
        return atoms
