"""Production refuses unsafe settings (issue 12, point 7)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from geste.security.checks import check_outgoing_messages

# The README's production settings (section "Production"): keep the two in step.
PRODUCTION_ENV = {
    "GESTE_DEBUG": "0",
    "GESTE_SECRET_KEY": "k3Y-5f8a9c2e7d1b4a6f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4",
    "GESTE_ALLOWED_HOSTS": "geste.example.org",
    "GESTE_SITE_URL": "https://geste.example.org",
    "GESTE_CSRF_TRUSTED_ORIGINS": "https://geste.example.org",
    "GESTE_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "GESTE_EMAIL_HOST": "smtp.example.org",
    "GESTE_EMAIL_PORT": "587",
    "GESTE_EMAIL_TLS": "1",
    "GESTE_SMS_BACKEND": "geste.clinic.sms.DisabledSmsBackend",
    "GESTE_PROXY_SSL_HEADER": "1",
}


def _geste(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    # A clean environment: nothing of the test run (GESTE_TESTING, test settings) leaks in.
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    base["GESTE_VAR_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "geste.cli", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_settings(tmp_path: Path) -> None:
    result = _geste(
        ["manage", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_console_mail_and_sms(tmp_path: Path) -> None:
    env = {**PRODUCTION_ENV}
    del env["GESTE_EMAIL_BACKEND"], env["GESTE_SMS_BACKEND"]  # the defaults: console
    result = _geste(["manage", "check", "--deploy"], env, tmp_path)
    assert result.returncode != 0
    assert "geste.E001" in result.stderr and "geste.E002" in result.stderr


def test_serve_refuses_to_start_on_unsafe_settings(tmp_path: Path) -> None:
    env = {
        **PRODUCTION_ENV,
        "GESTE_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    result = _geste(["serve", "--port", "1"], env, tmp_path)
    assert result.returncode == 2
    assert "geste.E001" in result.stderr and "refusing to start" in result.stderr
    assert "geste.E002" not in result.stderr


def test_the_check_itself(settings: object) -> None:
    # the test settings: debug off, in-memory mail and SMS, second factor optional
    assert {m.id for m in check_outgoing_messages()} == {"geste.E001", "geste.E002", "geste.W001"}
    settings.GESTE_SMS_BACKEND = "geste.clinic.sms.NoSuchBackend"  # type: ignore[attr-defined]
    assert "geste.E003" in {m.id for m in check_outgoing_messages()}
    settings.DEBUG = True  # type: ignore[attr-defined]
    assert check_outgoing_messages() == []


@pytest.mark.parametrize("value", ["maybe", "REQUIRED"])
def test_a_bad_two_factor_setting_stops_start_up(value: str, tmp_path: Path) -> None:
    result = _geste(["manage", "check"], {**PRODUCTION_ENV, "GESTE_STAFF_2FA": value}, tmp_path)
    assert result.returncode != 0 and "GESTE_STAFF_2FA" in result.stderr
