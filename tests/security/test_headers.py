"""Headers and sessions (issue 12, point 6): CSP, HSTS and secure cookies in production,
Referrer-Policy, Permissions-Policy, no-store, and idle staff sessions."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.http import FileResponse, HttpRequest
from django.test import Client, RequestFactory

from geste.audit.models import AuditEvent
from geste.clinic.models import User
from geste.security.middleware import SecurityHeadersMiddleware

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "geste"


def _directives(header: str) -> dict[str, list[str]]:
    parts = (p.strip().split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def test_a_strict_content_security_policy(receptionist: User) -> None:
    client = Client()
    client.force_login(receptionist)
    for path in ("/", "/connexion/", "/equipe/"):
        policy = _directives(client.get(path)["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], path
        assert policy["style-src"] == ["'self'"]
        assert policy["default-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
        assert not any("unsafe" in v for values in policy.values() for v in values)


def test_no_template_has_inline_script_style_or_handler() -> None:
    # What the policy would block in a browser: <script> without src, <style>, style="...",
    # on*="..." handlers and javascript: links, in every template of the project.
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    banned = [
        inline_script,
        re.compile(r"<style\b", re.I),
        re.compile(r"\sstyle=", re.I),
        re.compile(r"\son[a-z]+=", re.I),
        re.compile(r"javascript:", re.I),
    ]
    offenders = []
    templates = [p for p in TEMPLATES.rglob("*.html") if "templates" in p.parts]
    assert len(templates) > 20
    for path in templates:
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.name}: {rx.pattern}" for rx in banned if rx.search(text)]
    assert offenders == []


def test_htmx_is_configured_for_the_policy() -> None:
    config = (TEMPLATES / "static" / "geste" / "htmx-config.js").read_text()
    assert "includeIndicatorStyles = false" in config and "allowEval = false" in config
    base = (TEMPLATES / "templates" / "geste" / "base.html").read_text()
    assert base.index("htmx.min.js") < base.index("htmx-config.js")


def test_referrer_and_permissions_policies() -> None:
    response = Client().get("/")
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_pages_with_patient_data_are_not_stored(alice_client: Client, receptionist: User) -> None:
    assert alice_client.get("/mon-espace/")["Cache-Control"] == "no-store"
    staff = Client()
    staff.force_login(receptionist)
    assert staff.get("/equipe/patients/")["Cache-Control"] == "no-store"


def test_file_downloads_are_not_stored(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")

    def view(request: HttpRequest) -> FileResponse:
        return FileResponse(pdf.open("rb"), as_attachment=True, filename="report.pdf")

    response = SecurityHeadersMiddleware(view)(RequestFactory().get("/x"))
    assert response["Cache-Control"] == "no-store"
    response.close()  # type: ignore[attr-defined]


def test_hsts_and_secure_cookies_in_production() -> None:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='geste.settings'; "
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_SSL_REDIRECT, s.DEBUG)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GESTE_", "DJANGO_"))}
    env.update({"GESTE_SECRET_KEY": "x" * 60, "GESTE_DEBUG": "0"})
    if "DATABASE_URL" in os.environ:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["31536000", "True", "True", "True", "False"], out.stderr


def test_hsts_header_is_sent_over_https(settings: object) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000  # type: ignore[attr-defined]
    response = Client().get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "includeSubDomains" in response["Strict-Transport-Security"]


def test_an_idle_staff_session_ends(receptionist: User, alice: object) -> None:
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        staff = Client()
        staff.force_login(receptionist)
        patient = Client()
        patient.force_login(alice.user)  # type: ignore[attr-defined]
        assert staff.get("/equipe/").status_code == 200
        assert patient.get("/mon-espace/").status_code == 200
        # activity keeps the session: three requests 10 minutes apart
        for _ in range(3):
            traveller.shift(dt.timedelta(minutes=10))
            assert staff.get("/equipe/").status_code == 200
        traveller.shift(dt.timedelta(minutes=16))
        response = staff.get("/equipe/")
        assert response.status_code == 302 and response["Location"].startswith("/connexion/")
        assert staff.get("/equipe/").status_code == 302  # logged out for good
        assert AuditEvent.objects.filter(action="auth.session_expired", actor=receptionist).exists()
        # patients keep the normal session length
        assert patient.get("/mon-espace/").status_code == 200


def test_the_idle_limit_is_configurable(receptionist: User, settings: object) -> None:
    settings.GESTE_STAFF_IDLE_MINUTES = 5  # type: ignore[attr-defined]
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        staff = Client()
        staff.force_login(receptionist)
        assert staff.get("/equipe/").status_code == 200
        traveller.shift(dt.timedelta(minutes=6))
        assert staff.get("/equipe/").status_code == 302
