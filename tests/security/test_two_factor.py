"""Staff two-factor authentication: TOTP with recovery codes (issue 12, point 1)."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from geste.audit.models import AuditEvent
from geste.clinic.models import User
from tests.security.totp import totp, totp_b32

pytestmark = pytest.mark.django_db

CODE_PAGE = "/compte/code/"
SETUP_PAGE = "/compte/double-authentification/activer/"


def _password_login(client: Client, username: str, password: str) -> str:
    response = client.post("/connexion/", {"username": username, "password": password})
    assert response.status_code == 302
    return str(response["Location"])


def _enrol(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="default", confirmed=True)


@pytest.fixture
def required(settings: object) -> None:
    settings.GESTE_STAFF_2FA = "required"  # type: ignore[attr-defined]


def test_an_enrolled_user_needs_the_code_after_the_password(
    radiologist: User, password: str
) -> None:
    device = _enrol(radiologist)
    client = Client()
    _password_login(client, "radio", password)
    response = client.get("/equipe/")
    assert response.status_code == 302
    assert response["Location"].startswith(CODE_PAGE)
    # the API with the browser session is closed too until the code is given
    assert client.post("/api/v1/check", {}, content_type="application/json").status_code == 403

    wrong = client.post(CODE_PAGE, {"code": "000000" if totp(device.bin_key) != "000000" else "1"})
    assert wrong.status_code == 200
    assert "Code incorrect" in wrong.content.decode()
    assert AuditEvent.objects.filter(action="auth.second_factor_failed").count() == 1

    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code above started django-otp's back-off
    device.throttling_failure_timestamp = None
    device.save()
    ok = client.post(f"{CODE_PAGE}?next=/equipe/", {"code": totp(device.bin_key)})
    assert ok.status_code == 302 and ok["Location"] == "/equipe/"
    assert client.get("/equipe/").status_code == 200
    assert client.post("/api/v1/check", {}, content_type="application/json").status_code != 403
    event = AuditEvent.objects.get(action="auth.second_factor_passed")
    assert event.actor == radiologist and event.details == {"method": "totp"}


def test_a_code_cannot_be_replayed(radiologist: User, password: str) -> None:
    device = _enrol(radiologist)
    code = totp(device.bin_key)
    first = Client()
    _password_login(first, "radio", password)
    assert first.post(CODE_PAGE, {"code": code}).status_code == 302
    second = Client()
    _password_login(second, "radio", password)
    assert second.post(CODE_PAGE, {"code": code}).status_code == 200
    assert second.get("/equipe/").status_code == 302


def test_a_recovery_code_works_once(radiologist: User, password: str) -> None:
    _enrol(radiologist)
    static = StaticDevice.objects.create(user=radiologist, name="backup", confirmed=True)
    token = StaticToken.random_token()
    static.token_set.create(token=token)
    client = Client()
    _password_login(client, "radio", password)
    assert client.post(CODE_PAGE, {"code": token}).status_code == 302
    assert client.get("/equipe/").status_code == 200
    event = AuditEvent.objects.get(action="auth.second_factor_passed")
    assert event.details == {"method": "recovery"}
    again = Client()
    _password_login(again, "radio", password)
    assert again.post(CODE_PAGE, {"code": token}).status_code == 200
    assert again.get("/equipe/").status_code == 302


@pytest.mark.usefixtures("required")
def test_unenrolled_staff_is_taken_to_enrolment_and_enrols_with_a_real_code(
    receptionist: User, password: str
) -> None:
    client = Client()
    _password_login(client, "reception", password)
    response = client.get("/equipe/")
    assert response.status_code == 302 and response["Location"].startswith(SETUP_PAGE)
    assert client.post("/api/v1/check", {}, content_type="application/json").status_code == 403

    # django-two-factor-auth's wizard: welcome, then the QR code and a first code.
    assert client.get(SETUP_PAGE).status_code == 200
    step = client.post(SETUP_PAGE, {"setup_view-current_step": "welcome"})
    assert step.status_code == 200
    assert "qrcode" in step.content.decode()
    secret = client.session["django_two_factor-qr_secret_key"]
    assert f"otpauth://totp/geste%3A%20reception?secret={secret}" in step.content.decode()
    qr = client.get("/compte/double-authentification/qrcode/")
    assert qr.status_code == 200 and qr["Content-Type"].startswith("image/svg+xml")
    done = client.post(
        SETUP_PAGE,
        {"setup_view-current_step": "generator", "generator-token": totp_b32(secret)},
    )
    assert done.status_code == 302
    assert TOTPDevice.objects.filter(user=receptionist, confirmed=True).count() == 1
    assert client.get("/equipe/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.two_factor_enabled", actor=receptionist).exists()

    # recovery codes right after enrolment
    codes = client.post("/compte/double-authentification/codes-de-secours/", follow=True)
    assert codes.status_code == 200
    device = StaticDevice.objects.get(user=receptionist)
    assert device.token_set.count() == 10
    assert device.token_set.first().token in codes.content.decode()  # type: ignore[union-attr]
    generated = AuditEvent.objects.get(action="auth.recovery_codes_generated")
    assert generated.details == {"count": 10}


@pytest.mark.usefixtures("required")
def test_staff_cannot_remove_the_second_factor_while_it_is_required(
    receptionist: User,
) -> None:
    _enrol(receptionist)
    client = Client()
    client.force_login(receptionist)
    response = client.get("/compte/double-authentification/retirer/")
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=receptionist).exists()


@pytest.mark.usefixtures("required")
def test_patients_are_not_forced_but_may_enrol(alice: object, password: str) -> None:
    client = Client()
    _password_login(client, "alice", password)
    assert client.get("/mon-espace/").status_code == 200
    assert client.get(SETUP_PAGE).status_code == 200


def test_optional_mode_lets_unenrolled_staff_in(receptionist: User, password: str) -> None:
    client = Client()
    _password_login(client, "reception", password)
    assert client.get("/equipe/").status_code == 200


def test_the_code_page_speaks_english_too(radiologist: User) -> None:
    _enrol(radiologist)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(radiologist)
    page = client.get(CODE_PAGE).content.decode()
    assert "Enter the 6-digit code shown by your authenticator app" in page
