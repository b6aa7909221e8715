"""Settings for the test suite: the real settings, with fast hashing and in-memory outboxes."""

import os

os.environ.setdefault("GESTE_TESTING", "1")

from geste.settings import *  # noqa: F403

# Tests log in with force_login (no second factor); tests of `required` override this.
GESTE_STAFF_2FA = "optional"
# Rate limits far above what a test does (the counters outlive transactional tests' flush);
# the rate-limit tests set their own.
GESTE_RATE_PASSWORD_RESET = GESTE_RATE_SIGNUP = "1000/h"  # noqa: S105 - a rate, not a password
GESTE_RATE_API = "100000/h"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only: speed
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
GESTE_SMS_BACKEND = "geste.clinic.sms.LocmemSmsBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="geste-test-media-"))
