"""Deploy checks: production refuses settings that would leak patient data (issue 12, point 7).

Run by `geste manage check --deploy` and by `geste serve`, which refuses to start on an error.
With debug off, e-mail and SMS must leave the machine through a real backend: the console and
memory backends would put reset links and patients' contacts in the server log, or nowhere.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

UNSAFE_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "writes every e-mail to the server log",
    "django.core.mail.backends.locmem.EmailBackend": "keeps e-mails in memory, sends nothing",
    "django.core.mail.backends.filebased.EmailBackend": "writes every e-mail to a local file",
}
UNSAFE_SMS_BACKENDS = {
    "geste.clinic.sms.ConsoleSmsBackend": "writes every SMS (with the phone number) to the log",
    "geste.clinic.sms.LocmemSmsBackend": "keeps SMS in memory, sends nothing",
}


@register(Tags.security, deploy=True)
def check_outgoing_messages(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    found: list[CheckMessage] = []
    email = settings.EMAIL_BACKEND
    if email in UNSAFE_EMAIL_BACKENDS:
        found.append(
            Error(
                f"GESTE_EMAIL_BACKEND is {email}: it {UNSAFE_EMAIL_BACKENDS[email]}.",
                hint="Set GESTE_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend "
                "and GESTE_EMAIL_HOST (see the README, Production).",
                id="geste.E001",
            )
        )
    sms = settings.GESTE_SMS_BACKEND
    if sms in UNSAFE_SMS_BACKENDS:
        found.append(
            Error(
                f"GESTE_SMS_BACKEND is {sms}: it {UNSAFE_SMS_BACKENDS[sms]}.",
                hint="Set GESTE_SMS_BACKEND to your gateway's backend, or to "
                "geste.clinic.sms.DisabledSmsBackend to send no SMS.",
                id="geste.E002",
            )
        )
    else:
        try:
            import_string(sms)
        except ImportError as exc:
            found.append(
                Error(f"GESTE_SMS_BACKEND {sms} cannot be imported: {exc}", id="geste.E003")
            )
    if settings.GESTE_STAFF_2FA != "required":
        found.append(
            Warning(
                "GESTE_STAFF_2FA is not 'required': staff can log in with a password alone.",
                hint="Leave GESTE_STAFF_2FA unset (required) in production.",
                id="geste.W001",
            )
        )
    return found


@register(Tags.security, deploy=True)
def check_multi_host(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """GESTE_MULTI_HOST=1 (README, "More than one machine"): what only works on one machine is
    refused, since a file uploaded on one host would be missing on the other, and a rate limit
    counted per process would be multiplied by the number of processes."""
    if not getattr(settings, "GESTE_MULTI_HOST", False):
        return []
    found: list[CheckMessage] = []
    if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
        found.append(
            Error(
                "GESTE_MULTI_HOST=1 with uploads in local files: another host cannot read them.",
                hint="Set GESTE_STORAGE=s3 and GESTE_S3_BUCKET (GESTE_S3_ENDPOINT_URL for a "
                "non-AWS server).",
                id="geste.E020",
            )
        )
    if settings.CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache")):
        found.append(
            Error(
                "GESTE_MULTI_HOST=1 with a per-process cache: rate limits are not shared.",
                hint="Leave GESTE_CACHE_URL unset (database cache) or set it to redis://...",
                id="geste.E021",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        found.append(
            Error(
                "GESTE_MULTI_HOST=1 with SQLite: a database file is not shared between hosts.",
                hint="Set DATABASE_URL=postgres://... (every host the same database).",
                id="geste.E022",
            )
        )
    return found
