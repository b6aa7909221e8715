"""Public sign-up: no account enumeration, a message to a known address, a rate limit
(issue 12, point 3)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from geste.audit.models import AuditEvent
from geste.clinic.models import Role, User
from geste.patients.models import Patient
from geste.scheduling.models import Appointment
from tests.scheduling.test_pages import SIGNUP, slot

pytestmark = pytest.mark.django_db
URL = reverse("portal:book_slot", args=["facet_infiltration"])


@pytest.fixture(autouse=True)
def _fresh_counters():  # type: ignore[no-untyped-def]
    caches["default"].clear()  # the rate-limit windows of earlier tests


def _page_text(response) -> str:  # type: ignore[no-untyped-def]
    """The page without the CSRF token and nonce that differ on every response."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    text = re.sub(r'"X-CSRFToken": "[^"]+"', "", text)
    return re.sub(r'nonce="[^"]+"', "", text)


def test_a_known_address_gets_the_same_page_and_a_message_and_nothing_is_booked(
    centre, alice, django_capture_on_commit_callbacks
):
    alice.user.email = SIGNUP["email"]
    alice.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        known = Client().post(URL, {**SIGNUP, "slot": slot(centre)})
        new = Client().post(
            URL, {**SIGNUP, "email": "someone.new@example.org", "slot": slot(centre, "10:00")}
        )
    assert known.status_code == new.status_code == 200
    assert _page_text(known) == _page_text(new)
    assert "existe déjà" not in _page_text(known)
    # neither is logged in: a session cookie would tell the two apart
    assert "sessionid" not in known.cookies and "sessionid" not in new.cookies
    # nothing booked, no account for the known address; the new one has both
    assert not Appointment.objects.filter(patient=alice).exists()
    assert User.objects.filter(email__iexact=SIGNUP["email"]).count() == 1
    newcomer = Patient.objects.get(email="someone.new@example.org")
    assert Appointment.objects.filter(patient=newcomer).count() == 1
    # one message each; the known address is told someone tried, with no health data
    to = {m.to[0]: m for m in mail.outbox}
    assert set(to) == {SIGNUP["email"], "someone.new@example.org"}
    assert [m.subject for m in mail.outbox if m.to == [SIGNUP["email"]]] == [
        "Tentative de création de compte avec votre adresse"
    ]
    warning = to[SIGNUP["email"]].body
    assert "essayé de créer un compte" in warning and "/mot-de-passe/oubli/" in warning
    for message in mail.outbox:
        assert "facet" not in message.body.lower() and "infiltration" not in message.body.lower()
    assert AuditEvent.objects.filter(action="patient.signup_known_address").count() == 1


def test_a_known_address_in_another_case_is_known_too(centre, alice):
    alice.user.email = SIGNUP["email"]
    alice.user.save()
    response = Client().post(
        URL, {**SIGNUP, "email": SIGNUP["email"].upper(), "slot": slot(centre)}
    )
    assert response.status_code == 200
    assert User.objects.filter(email__iexact=SIGNUP["email"]).count() == 1
    assert not Appointment.objects.exists()


def test_a_new_account_can_log_in_after_the_email(centre, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(URL, {**SIGNUP, "slot": slot(centre)})
    assert response.status_code == 200
    user = User.objects.get(username=SIGNUP["email"])
    assert user.role == Role.PATIENT
    client = Client()
    login = client.post(
        reverse("login"), {"username": SIGNUP["email"], "password": SIGNUP["password1"]}
    )
    assert login.status_code == 302
    page = client.get(reverse("portal:my_appointments")).content.decode()
    assert "mardi 10 mars 2026" in page
    (message,) = [m for m in mail.outbox if m.subject == "Votre compte et votre rendez-vous"]
    assert "10/03/2026" in message.body and message.to == [SIGNUP["email"]]


def test_sign_up_is_rate_limited_per_address(centre, settings):
    settings.GESTE_RATE_SIGNUP = "3/h"
    client = Client()
    statuses = [
        client.post(URL, {**SIGNUP, "email": f"p{i}@example.org", "password2": "x"}).status_code
        for i in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    assert not User.objects.filter(email__startswith="p").exists()


def test_a_logged_in_patient_is_not_counted_by_the_sign_up_limit(centre, alice_client, settings):
    settings.GESTE_RATE_SIGNUP = "1/h"
    for _ in range(3):
        assert alice_client.post(URL, {"slot": "nonsense"}).status_code == 200
