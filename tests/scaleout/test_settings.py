"""Settings for more than one machine: S3 storage, the shared cache, and the deploy checks that
refuse a multi-host set-up keeping files, cache or database on one machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.test import override_settings

from geste.security.checks import check_multi_host

SHOW = (
    "import json, geste.settings as s; print(json.dumps({'storage': s.STORAGES['default'],"
    " 'cache': s.CACHES['default']}, default=str))"
)


def _settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GESTE_", "DJANGO_"))}
    clean.update({"GESTE_DEBUG": "1", **env})
    return subprocess.run(
        [sys.executable, "-c", SHOW], env=clean, capture_output=True, text=True, check=False
    )


def test_local_files_and_the_database_cache_by_default() -> None:
    result = _settings({})
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["storage"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert shown["cache"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"


def test_s3_storage_from_the_environment() -> None:
    result = _settings(
        {
            "GESTE_STORAGE": "s3",
            "GESTE_S3_BUCKET": "centre-files",
            "GESTE_S3_ENDPOINT_URL": "https://s3.example.org",
            "GESTE_S3_REGION": "fr-par",
            "GESTE_CACHE_URL": "redis://cache.internal:6379/0",
        }
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    options = shown["storage"]["OPTIONS"]
    assert options["bucket_name"] == "centre-files"
    assert options["endpoint_url"] == "https://s3.example.org"
    assert options["region_name"] == "fr-par"
    assert options["default_acl"] is None and options["file_overwrite"] is False
    assert "access_key" not in options  # boto3's own sources (AWS_ACCESS_KEY_ID, a role)
    assert shown["cache"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/0",
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GESTE_STORAGE": "s3"}, "GESTE_S3_BUCKET must be set"),
        ({"GESTE_STORAGE": "ftp"}, "GESTE_STORAGE must be one of local, s3"),
        ({"GESTE_CACHE_URL": "memcached://x"}, "GESTE_CACHE_URL must be"),
        (
            {"GESTE_STORAGE": "s3", "GESTE_S3_BUCKET": "b", "GESTE_S3_ADDRESSING_STYLE": "dns"},
            "GESTE_S3_ADDRESSING_STYLE must be one of",
        ),
    ],
)
def test_malformed_settings_stop_the_start(env: dict[str, str], message: str) -> None:
    result = _settings(env)
    assert result.returncode != 0
    assert message in result.stderr


LOCAL = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
S3 = {**LOCAL, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {}}}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DBCACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "t"}}


def test_one_machine_needs_nothing_shared() -> None:
    with override_settings(GESTE_MULTI_HOST=False, STORAGES=LOCAL, CACHES=LOCMEM):
        assert check_multi_host() == []


def test_several_hosts_refuse_local_files_and_a_per_process_cache() -> None:
    with override_settings(GESTE_MULTI_HOST=True, STORAGES=LOCAL, CACHES=LOCMEM):
        ids = {m.id for m in check_multi_host()}
    assert {"geste.E020", "geste.E021"} <= ids


def test_several_hosts_with_shared_storage_and_cache() -> None:
    from django.conf import settings

    sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    with override_settings(GESTE_MULTI_HOST=True, STORAGES=S3, CACHES=DBCACHE):
        ids = {m.id for m in check_multi_host()}
    assert ids == ({"geste.E022"} if sqlite else set())  # SQLite: one machine only
