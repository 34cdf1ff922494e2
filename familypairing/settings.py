"""Family Pairing settings: one module, every value from the environment.

Embedded defaults run on a laptop with nothing installed (SQLite and Celery's filesystem
transport under var/); production sets DATABASE_URL, REDIS_URL, SECRET_KEY and friends.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from familypairing.env import (
    database_from_url,
    email_from_url,
    envbool,
    envint,
    envlist,
    envstr,
    redis_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("VAR_DIR", str(BASE_DIR / "var")))
TESTING = "pytest" in sys.modules or envbool("TESTING", False)

DEBUG = envbool("DEBUG", False)

_DEV_SECRET = "insecure-dev-only-secret-key-change-me-in-production-0123456789"  # noqa: S105  # nosec B105 - refused when DEBUG is off
SECRET_KEY = envstr("SECRET_KEY", _DEV_SECRET if (DEBUG or TESTING) else "")
if (
    not DEBUG
    and not TESTING
    and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5)
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of at least 50 characters when DEBUG is off "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "allauth.usersessions",
    "accounts",
    "controls",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "familypairing.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # JSON errors for the JSON APIs (its process_exception runs after any below it declines).
    "familypairing.errors.ApiErrorMiddleware",
    # Before anything parses a JSON body (allauth's headless views, our device hot paths).
    "familypairing.jsondepth.JsonDepthMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "familypairing.usersessions.MinuteUserSessionsMiddleware",
]

ROOT_URLCONF = envstr("ROOT_URLCONF", "familypairing.urls")
WSGI_APPLICATION = "familypairing.wsgi.application"
ASGI_APPLICATION = "familypairing.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "familypairing.context_processors.site",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # WAL lets the web server, the worker and beat share the file without "database is
            # locked"; IMMEDIATE makes write transactions take the lock up front.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache: shared between processes so rate limits hold across workers --------------------
REDIS_URL = redis_url("REDIS_URL")
# The change channel (controls.api.device_channel): requests held open at once per process, on
# the ASGI server (coroutines: cheap) and on a WSGI server (each holds a thread: few).
CHANNEL_MAX_HELD = envint("CHANNEL_MAX_HELD", 20_000, minimum=1)
CHANNEL_SYNC_MAX_HELD = envint("CHANNEL_SYNC_MAX_HELD", 32, minimum=1)

# The browser extension's signing key (issue 15, accounts.devices.extension_package): PEM in the
# environment, else a file made on first use. Keep it: the key fixes the extension's id, which
# the families' enterprise policies name.
EXTENSION_SIGNING_KEY = envstr("EXTENSION_SIGNING_KEY", "")
EXTENSION_SIGNING_KEY_FILE = Path(
    envstr("EXTENSION_SIGNING_KEY_FILE", str(VAR_DIR / "extension-signing-key.pem"))
)
# With Redis unreachable the cache forgets instead of failing (README, "When Redis is down"); a
# short timeout keeps a Redis that hangs from holding every request for redis-py's default.
CACHE_TIMEOUT_SECONDS = envint("CACHE_TIMEOUT_MS", 500, minimum=10) / 1000
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "familypairing.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": CACHE_TIMEOUT_SECONDS,
                "socket_timeout": CACHE_TIMEOUT_SECONDS,
            },
        }
    }
elif TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
            # Django's default of 300 entries is culled (a directory listing and deletions) on
            # almost every write once a few hundred devices are active (issue 8).
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

# --- Celery ------------------------------------------------------------------------------------
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 60, minimum=1)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 90, minimum=1)
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that enqueues after commit gives up quickly when the broker is down (the periodic
# sweeps redo the work, familypairing/enqueue.py) instead of retrying for seconds.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Redis redelivers a task nobody acknowledged within the visibility timeout. With acks_late that
# is how the tasks of a worker killed mid-run come back, so it is short (5 minutes; the
# per-minute sweeps redo lost enforcement and e-mails sooner still). It must exceed the hard time
# limit (or a task still running is handed to a second worker) and every countdown/eta we use
# (a worker holds those unacknowledged until due): task retries back off to at most
# CELERY_RETRY_BACKOFF_MAX, below it.
CELERY_VISIBILITY_TIMEOUT = envint("CELERY_VISIBILITY_TIMEOUT", 300, minimum=1)
CELERY_RETRY_BACKOFF_MAX = 240
_longest_hold = max(CELERY_TASK_TIME_LIMIT, CELERY_RETRY_BACKOFF_MAX)
if _longest_hold >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT ({CELERY_VISIBILITY_TIMEOUT} s) must exceed "
        f"CELERY_TASK_TIME_LIMIT ({CELERY_TASK_TIME_LIMIT} s) and the longest retry backoff "
        f"({CELERY_RETRY_BACKOFF_MAX} s), or Redis hands running or waiting tasks to a second "
        "worker."
    )
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", TESTING and not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    _broker_dir = VAR_DIR / "celery"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }

# --- E-mail ------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Family Pairing <noreply@familypairing.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_FILE_PATH = VAR_DIR / "mail"
_email_url = envstr("EMAIL_URL", "")
if _email_url:
    globals().update(email_from_url(_email_url))
else:
    EMAIL_BACKEND = envstr("EMAIL_BACKEND", "familypairing.mail.ConsoleAndFileBackend")

# --- Internationalisation and time: store UTC, compute each teen's day in their own zone ------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if (DEBUG or TESTING)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security ----------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SECURE_HSTS_SECONDS = envint(
    "SECURE_HSTS_SECONDS", 0 if (DEBUG or TESTING) else 31536000, minimum=0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = 14 * 24 * 3600

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- django-allauth ----------------------------------------------------------------------------
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.pages.forms.SignupForm"}
# The product's sign-up fields and the under-13 refusal, shared by the sign-up page and the
# headless API's sign-up input (allauth builds both on this class).
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.signup_fields.SignupFieldsForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Family Pairing] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if (DEBUG or TESTING) else "https"
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "signup": "20/h/ip",
    "reset_password": "20/m/ip,5/m/key",  # nosec B105 - a rate limit, not a password
    "confirm_email": "1/3m/key",
}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "landing"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Family Pairing"
# The admin signs in through allauth (familypairing/admin_security.py); in production a staff
# account must also have two-step verification before the admin opens.
ADMIN_REQUIRE_MFA = envbool("ADMIN_REQUIRE_MFA", not DEBUG and not TESTING)
HEADLESS_ONLY = False
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_FRONTEND_URLS = {
    "account_confirm_email": SITE_URL + "/accounts/confirm-email/{key}/",
    "account_reset_password_from_key": SITE_URL + "/accounts/password/reset/key/{key}/",
    "account_signup": SITE_URL + "/accounts/signup/",
}
# allauth's own OpenAPI specification of the headless API (/_allauth/openapi.json and .yaml), so
# app makers can generate sign-in and sign-up too; browsable at /api/docs/auth/ in our Swagger UI.
# No openapi.html: allauth's page loads Redoc from a CDN, which the strict CSP refuses.
HEADLESS_SERVE_SPECIFICATION = True
HEADLESS_SPECIFICATION_TEMPLATE_NAME = None
USERSESSIONS_TRACK_ACTIVITY = True
# Behind a reverse proxy, how many proxies append to X-Forwarded-For: rate limits (sign-in,
# pairing codes) key on the client's address, so this must be right in production.
ALLAUTH_TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0, minimum=0)

# --- REST framework and the OpenAPI schema ----------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "familypairing.auth.SessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["familypairing.api.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "familypairing.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Family Pairing API",
    "DESCRIPTION": (
        "Parents and teens authenticate with their browser session or an allauth headless app "
        "token (X-Session-Token); devices with `Authorization: Bearer <device token>`, which "
        "they get by linking with a code (`device enrolment`, RFC 8628 semantics).\n\n"
        "Sign-up, sign-in, e-mail verification, two-step verification and app tokens are "
        "allauth's headless API: its own OpenAPI specification is at "
        "[/_allauth/openapi.json](/_allauth/openapi.json) "
        "([YAML](/_allauth/openapi.yaml)), browsable at [/api/docs/auth/](/api/docs/auth/)."
    ),
    "VERSION": "1.0.0",
    "CONTACT": {"name": "Family Pairing maintainers"},
    "LICENSE": {"name": "AGPL-3.0-or-later"},
    "SERVERS": [{"url": "/", "description": "This server"}],
    "TAGS": [
        {"name": "me", "description": "Your account and your data (export, deletion)."},
        {"name": "pairing", "description": "Linking a guardian and a teen with a QR or code."},
        {"name": "links", "description": "Guardian links: approvals and unlinking."},
        {"name": "teens", "description": "A guardian's teens: policy, history, grants."},
        {"name": "rules", "description": "Screen time, downtime, browsing and privacy rules."},
        {
            "name": "app rules",
            "description": "Rules per app and per category, lock now, and the family's names "
            "for apps the catalogue does not know.",
        },
        {"name": "catalogue", "description": "The catalogue of apps and sites teens use."},
        {"name": "devices", "description": "A teen's devices, managed by the teen or a guardian."},
        {"name": "device", "description": "What a device calls with its token."},
        {
            "name": "device enrolment",
            "description": "Linking a device with a code (OAuth 2.0 Device Authorization Grant "
            "semantics, RFC 8628), before it has a token.",
        },
        {"name": "time-requests", "description": "Asking for and answering more time."},
        {"name": "notifications", "description": "Your notifications and e-mail preferences."},
        {"name": "time zone", "description": "A teen's change of time zone, and its approval."},
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI served from our own static files (no CDN), its bootstrap as a separate script
    # (SpectacularSwaggerSplitView), so the docs page carries the same strict CSP as every page.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Direct messages and comments share one audience choice set.
    "ENUM_NAME_OVERRIDES": {
        "AudienceEnum": "controls.models.Audience",
        "AppCategoryEnum": "controls.app_models.AppCategory",
        "AppRuleKindEnum": "controls.app_models.AppRuleKind",
        # (StrEnums: their values, listed here as the schema's names for them.)
        "AppRuleReasonEnum": [
            "ok",
            "always_allowed",
            "downtime_allowed",
            "blocked",
            "locked",
            "downtime",
            "daily_limit",
            "app_limit",
            "category_limit",
        ],
        "PolicyReasonEnum": ["ok", "daily_limit", "downtime", "locked"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # Every operation may answer 500 and 503 with Retry-After (familypairing.errors).
        "familypairing.errors.add_server_errors",
        # Spectral wants a description on every operation (familypairing.api_schema).
        "familypairing.api_schema.describe_operations",
    ],
}

# --- Product settings ------------------------------------------------------------------------
MAX_GUARDIANS_PER_TEEN = envint("MAX_GUARDIANS_PER_TEEN", 2, minimum=1)
PAIRING_INVITATION_MINUTES = envint("PAIRING_INVITATION_MINUTES", 10, minimum=1)
PAIRING_MAX_FAILURES = envint("PAIRING_MAX_FAILURES", 5, minimum=1)
PAIRING_FAILURE_WINDOW_MINUTES = envint("PAIRING_FAILURE_WINDOW_MINUTES", 15, minimum=1)
# Wrong codes from one address across all its accounts: a home or a school behind one NAT address
# shares it, so it is ten accounts' worth of typos (each account stops at PAIRING_MAX_FAILURES).
PAIRING_MAX_FAILURES_PER_ADDRESS = envint("PAIRING_MAX_FAILURES_PER_ADDRESS", 50, minimum=1)
USAGE_RETENTION_DAYS = envint("USAGE_RETENTION_DAYS", 90, minimum=1)
TIME_REQUEST_WAIT_AFTER_DENIAL_MINUTES = envint(
    "TIME_REQUEST_WAIT_AFTER_DENIAL_MINUTES", 30, minimum=0
)
DEVICE_SILENT_HOURS = envint("DEVICE_SILENT_HOURS", 24, minimum=1)
SEED_DEMO = envbool("SEED_DEMO", DEBUG)

# --- Logging: never log secrets; tokens and codes are not in any message we write ---------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A QR pairing link and an e-mailed answer link carry their secret in the URL path, and these
    # loggers write paths ("Forbidden: /pair/<token>"): the filter blanks the secret first.
    "filters": {"redact_secret_paths": {"()": "familypairing.logredact.RedactSecretPaths"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["redact_secret_paths"]},
        # runserver's request lines, once, by the console handler above (in place of Django's
        # own handler for this logger).
        "django.server": {
            "handlers": ["console"],
            "filters": ["redact_secret_paths"],
            "propagate": False,
        },
    },
}
