"""Django settings for geste, read from the environment (see README "Configuration")."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from geste.env import EnvError, env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(env_str("GESTE_VAR_DIR", str(PROJECT_DIR / "var")))

DEBUG = env_bool("GESTE_DEBUG", False)
TESTING = env_bool("GESTE_TESTING", False)

_DEV_SECRET = "geste-development-only-not-secret"  # noqa: S105 - used only with GESTE_DEBUG=1
SECRET_KEY = env_str("GESTE_SECRET_KEY", _DEV_SECRET if (DEBUG or TESTING) else "")
if not SECRET_KEY:
    raise EnvError("GESTE_SECRET_KEY must be set (or GESTE_DEBUG=1 for a development server only)")

ALLOWED_HOSTS = env_list("GESTE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("GESTE_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("GESTE_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "two_factor",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "geste.audit",
    "geste.clinic",
    "geste.patients",
    "geste.scheduling",
    "geste.pathway",
    "geste.crisis",
    "geste.staff",
    "geste.portal",
    "geste.api",
    "geste.documents",
    "geste.security",
    "geste.dicom",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "geste.security.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "geste.web.badinput.BadInputMiddleware",  # NUL, dates out of range, 413 (issue 12, 8)
    "geste.security.middleware.TwoFactorMiddleware",
    "geste.security.middleware.StaffIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "geste.web.middleware.ResourceBusyMiddleware",
    "geste.clinic.middleware.AdminOnlyMiddleware",
    "geste.security.ratelimit.RateLimitMiddleware",
    # last, as django-axes asks: turns a locked-out login into its lockout response
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "geste.urls"
WSGI_APPLICATION = "geste.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "geste.web.navigation.navigation",
            ],
        },
    }
]

_default_db = f"sqlite:///{VAR_DIR / 'geste.sqlite3'}"
if "DATABASE_URL" not in __import__("os").environ:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and background tasks share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("GESTE_DB_CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env_str(
        "GESTE_TEST_DB_NAME", "test_geste"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "clinic.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Lockout (django-axes): after GESTE_LOCKOUT_FAILURES wrong passwords for one username from one
# address, that pair is refused for GESTE_LOCKOUT_MINUTES; the backend below refuses it before
# any password hash is computed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
GESTE_LOCKOUT_MINUTES = env_int("GESTE_LOCKOUT_MINUTES", 15)
AXES_FAILURE_LIMIT = env_int("GESTE_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=GESTE_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "geste.security.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # logins are in the audit trail already
AXES_VERBOSE = False  # usernames and addresses stay out of the server log
# Rate limits (geste.security.ratelimit), N/s, N/m, N/h or N/d, on the shared cache below.
GESTE_RATE_PASSWORD_RESET = env_str("GESTE_RATE_PASSWORD_RESET", "5/h")
GESTE_RATE_SIGNUP = env_str("GESTE_RATE_SIGNUP", "10/h")
GESTE_RATE_API = env_str("GESTE_RATE_API", "600/m")
for _rate in (GESTE_RATE_PASSWORD_RESET, GESTE_RATE_SIGNUP, GESTE_RATE_API):
    if not re.fullmatch(r"\d+/[smhd]", _rate):
        raise EnvError(f"rates are N/s, N/m, N/h or N/d, got {_rate!r}")
# The cache holds the rate-limit counters, so every server process must share it: Django's
# database cache by default (shared by every process and host, nothing to run beside the app;
# the table comes with `migrate`). GESTE_CACHE_URL=redis://host:6379/0 (or rediss://) for Redis,
# `db` for the default, `locmem` for one process only (development; never with several servers:
# each would count its own requests and a limit would be multiplied by the number of processes).
_cache_url = env_str("GESTE_CACHE_URL", "db")
if _cache_url.startswith(("redis://", "rediss://", "unix://")):
    _cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
elif _cache_url == "db":
    _cache = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "geste_cache"}
elif _cache_url == "locmem":
    _cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
else:
    raise EnvError(
        f"GESTE_CACHE_URL must be redis://..., rediss://..., db or locmem, got {_cache_url!r}"
    )
CACHES = {"default": _cache}
# Staff two-factor authentication (TOTP + recovery codes): `required` sends an unenrolled staff
# member to enrolment right after the password; `optional` lets everyone choose (demo, tests).
GESTE_STAFF_2FA = env_str("GESTE_STAFF_2FA", "required")
if GESTE_STAFF_2FA not in {"required", "optional"}:
    raise EnvError(f"GESTE_STAFF_2FA must be 'required' or 'optional', got {GESTE_STAFF_2FA!r}")
OTP_TOTP_ISSUER = env_str("GESTE_OTP_ISSUER", "geste")  # the name authenticator apps show
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "landing"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Static files are vendored in the apps and WhiteNoise serves them straight from the finders
# (WHITENOISE_USE_FINDERS below), so no collectstatic step exists. STATIC_ROOT only matters to a
# `collectstatic` run: left unset, WhiteNoise does not scan (and warn about) a directory that
# nothing fills; set GESTE_STATIC_ROOT to collect files and have WhiteNoise serve them from there.
STATIC_ROOT = env_str("GESTE_STATIC_ROOT", "") or None
# Uploaded files (lab reports, referral letters, key images, dose reports) go through Django's
# default storage: files under GESTE_VAR_DIR/media by default (one machine), or, with
# GESTE_STORAGE=s3, an S3-compatible bucket (django-storages, boto3) that every host shares.
# The bucket stays private: files are read by the server and sent through the authorised,
# audited views, never by a bucket URL. Keys come from boto3's usual sources
# (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the machine's role).
MEDIA_ROOT = VAR_DIR / "media"
GESTE_STORAGE = env_choice("GESTE_STORAGE", "local", ("local", "s3"))
if GESTE_STORAGE == "s3":
    _default_storage: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("GESTE_S3_BUCKET"),
            "endpoint_url": env_str("GESTE_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("GESTE_S3_REGION", "") or None,
            "location": env_str("GESTE_S3_PREFIX", ""),
            "addressing_style": env_choice(
                "GESTE_S3_ADDRESSING_STYLE", "auto", ("auto", "path", "virtual")
            ),
            "default_acl": None,  # the bucket's own policy: private
            "file_overwrite": False,  # a second file of the same name gets a suffix
            "querystring_expire": 60,  # url() is never used for health data; short if it were
            "object_parameters": {"CacheControl": "no-store"},
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Several hosts serve the same centre (README, "More than one machine"): the deploy checks then
# refuse what only works on one machine (local files, a per-process cache, SQLite).
GESTE_MULTI_HOST = env_bool("GESTE_MULTI_HOST", False)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("GESTE_SECURE_COOKIES", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = env_int("GESTE_SESSION_SECONDS", 8 * 3600)
# A staff session ends after this many minutes without a request (security.middleware).
GESTE_STAFF_IDLE_MINUTES = env_int("GESTE_STAFF_IDLE_MINUTES", 15)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS in production: redirect, and HSTS for a year (preload flag included; submitting the
# domain to browsers' preload list stays a deliberate step). Behind a TLS-terminating proxy set
# GESTE_PROXY_SSL_HEADER=1 so X-Forwarded-Proto tells Django the request was HTTPS.
_production = not DEBUG and not TESTING
SECURE_SSL_REDIRECT = env_bool("GESTE_SSL_REDIRECT", _production)
SECURE_HSTS_SECONDS = env_int("GESTE_HSTS_SECONDS", 365 * 86400 if _production else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("GESTE_HSTS_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("GESTE_HSTS_PRELOAD", True)
if env_bool("GESTE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy (django-csp): scripts, styles, images only from our own origin; no
# inline script or style, no eval (htmx is configured for it in static/geste/htmx-config.js).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# Mail and SMS: console by default; SMTP and a real SMS gateway by settings.
EMAIL_BACKEND = env_str("GESTE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("GESTE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("GESTE_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("GESTE_EMAIL_USER", "-")
EMAIL_HOST_PASSWORD = env_str("GESTE_EMAIL_PASSWORD", "-")
EMAIL_USE_TLS = env_bool("GESTE_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("GESTE_FROM_EMAIL", "geste <no-reply@geste.local>")
GESTE_SMS_BACKEND = env_str("GESTE_SMS_BACKEND", "geste.clinic.sms.ConsoleSmsBackend")

TASKS = {
    "default": {
        "BACKEND": env_str(
            "GESTE_TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend",
        )
    }
}

# No patient data in logs: only our own logger, with messages that carry ids, never names.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("GESTE_LOG_LEVEL", "WARNING")},
}
