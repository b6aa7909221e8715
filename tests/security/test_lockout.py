"""Lockout with django-axes and rate limits on a shared cache (issue 12, point 2)."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.contrib.auth.hashers import MD5PasswordHasher
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from geste.audit.models import AuditEvent
from geste.clinic.models import User
from geste.security.ratelimit import parse_rate, rate_limited

pytestmark = pytest.mark.django_db

A, B = "198.51.100.7", "203.0.113.20"


def _login(username: str, password: str, ip: str) -> int:
    client = Client(REMOTE_ADDR=ip)
    return client.post("/connexion/", {"username": username, "password": password}).status_code


def _lock(username: str, ip: str) -> None:
    """GESTE_LOCKOUT_FAILURES (5) wrong passwords: the fifth already gets the lockout page."""
    codes = [_login(username, "wrong-password", ip) for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]


def test_the_pair_is_locked_not_the_account_nor_the_address(
    receptionist: User, radiologist: User, password: str
) -> None:
    _lock("reception", A)
    response = Client(REMOTE_ADDR=A).post(
        "/connexion/", {"username": "reception", "password": password}
    )
    assert response.status_code == 429
    assert "Connexion bloquée" in response.content.decode()
    assert response["Retry-After"] == str(15 * 60)
    # the same account from another address, and another account from the same address
    assert _login("reception", password, B) == 302
    assert _login("radio", password, A) == 302
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()


def test_a_locked_login_costs_no_password_hash(receptionist: User, password: str) -> None:
    _lock("reception", A)
    with (
        mock.patch.object(MD5PasswordHasher, "verify", autospec=True) as verify,
        mock.patch.object(MD5PasswordHasher, "encode", autospec=True) as encode,
    ):
        for attempt in (password, "other-wrong", password):
            assert _login("reception", attempt, A) == 429
        assert verify.call_count == 0 and encode.call_count == 0
        # control: the same mocks do count a login that is not locked
        _login("reception", "wrong-password", B)
        assert verify.call_count + encode.call_count >= 1


def test_the_lock_ends_after_the_cool_off(
    receptionist: User, password: str, settings: object
) -> None:
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        _lock("reception", A)
        assert _login("reception", password, A) == 429
        traveller.shift(dt.timedelta(minutes=14))
        assert _login("reception", password, A) == 429
        # a try during the lock starts the cool-off again (django-axes' default): 15 more
        traveller.shift(dt.timedelta(minutes=14))
        assert _login("reception", password, A) == 429
        traveller.shift(dt.timedelta(minutes=16))
        assert _login("reception", password, A) == 302


def test_the_failure_limit_and_cool_off_come_from_the_environment() -> None:
    import subprocess
    import sys

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='geste.settings'; "
        "from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()))"
    )
    env = {
        **__import__("os").environ,
        "GESTE_DEBUG": "1",
        "GESTE_LOCKOUT_FAILURES": "3",
        "GESTE_LOCKOUT_MINUTES": "30",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["3", "1800"], out.stderr


def test_password_reset_requests_are_rate_limited(settings: object) -> None:
    settings.GESTE_RATE_PASSWORD_RESET = "3/h"  # type: ignore[attr-defined]
    client = Client(REMOTE_ADDR=A)
    for _ in range(3):
        response = client.post("/mot-de-passe/oubli/", {"email": "x@example.org"})
        assert response.status_code == 302
    refused = client.post("/mot-de-passe/oubli/", {"email": "x@example.org"})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert (
        Client(REMOTE_ADDR=B).post("/mot-de-passe/oubli/", {"email": "y@example.org"}).status_code
        == 302
    )
    # reading the form is not counted
    assert client.get("/mot-de-passe/oubli/").status_code == 200


def test_the_api_is_rate_limited_per_user(
    radiologist: User, receptionist: User, settings: object
) -> None:
    settings.GESTE_RATE_API = "3/m"  # type: ignore[attr-defined]
    radio = Client(REMOTE_ADDR=A)
    radio.force_login(radiologist)
    for _ in range(3):
        assert radio.get("/api/v1/whoami").status_code == 200
    refused = radio.get("/api/v1/whoami")
    assert refused.status_code == 429
    assert "detail" in refused.json() and int(refused["Retry-After"]) <= 60
    other = Client(REMOTE_ADDR=A)
    other.force_login(receptionist)
    assert other.get("/api/v1/whoami").status_code == 200


def test_the_sign_up_decorator_limits_posts_per_address(settings: object) -> None:
    settings.GESTE_RATE_SIGNUP = "2/h"  # type: ignore[attr-defined]

    @rate_limited("signup", rate_setting="GESTE_RATE_SIGNUP")
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    factory = RequestFactory()
    assert view(factory.get("/", REMOTE_ADDR=A)).status_code == 200
    codes = [view(factory.post("/", REMOTE_ADDR=A)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert view(factory.post("/", REMOTE_ADDR=B)).status_code == 200


def test_rates_are_checked() -> None:
    assert parse_rate("5/h") == (5, 3600)
    with pytest.raises(ValueError, match="N/s"):
        parse_rate("5 per hour")


def test_the_lockout_page_speaks_english_too(receptionist: User, password: str) -> None:
    _lock("reception", A)
    client = Client(REMOTE_ADDR=A, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/connexion/", {"username": "reception", "password": password})
    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.content.decode()
