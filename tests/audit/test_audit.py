import pytest
from django.test import Client

from geste.audit.models import AuditEvent, AuditImmutableError
from geste.audit.services import log_action

pytestmark = pytest.mark.django_db


def test_events_cannot_be_changed_or_deleted(alice: object, radiologist: object) -> None:
    event = log_action(actor=radiologist, action="patient.read", obj=alice)  # type: ignore[arg-type]
    assert event.patient == alice
    event.action = "something.else"
    with pytest.raises(AuditImmutableError):
        event.save()
    with pytest.raises(AuditImmutableError):
        event.delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "patient.read"


def test_audit_events_are_absent_from_the_admin(admin_user: object) -> None:
    from django.contrib import admin

    assert AuditEvent not in admin.site._registry


def test_login_logout_and_failed_login_are_recorded(radiologist: object, password: str) -> None:
    client = Client()
    client.post("/connexion/", {"username": "radio", "password": "wrong"})
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.details == {"username": "radio"}
    assert "wrong" not in str(failed.details)
    client.post("/connexion/", {"username": "radio", "password": password})
    assert AuditEvent.objects.filter(action="auth.login", actor=radiologist).count() == 1
    client.post("/deconnexion/")
    assert AuditEvent.objects.filter(action="auth.logout", actor=radiologist).count() == 1


def test_reading_a_patient_record_is_audited(alice: object, receptionist: object) -> None:
    client = Client()
    client.force_login(receptionist)  # type: ignore[arg-type]
    response = client.get(f"/equipe/patients/{alice.pk}/")  # type: ignore[attr-defined]
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="patient.read")
    assert event.actor == receptionist
    assert event.patient == alice
