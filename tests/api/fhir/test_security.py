"""Point 4: bearer tokens, the role table per resource and verb, audit of every read, errors as
OperationOutcome in French and English; point 1: the CapabilityStatement."""

from __future__ import annotations

import pytest

from geste.api.fhir.roles import FHIR_PERMISSIONS
from geste.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _text(response) -> str:  # type: ignore[no-untyped-def]
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"][0]["details"]["text"]


def test_metadata_is_public_and_lists_exactly_what_is_supported(anonymous):  # type: ignore[no-untyped-def]
    response = anonymous.get("metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    rest = response.json()["rest"][0]
    types = {r["type"] for r in rest["resource"]}
    assert types == set(FHIR_PERMISSIONS)  # one table: what is listed is what is allowed
    by_type = {r["type"]: r for r in rest["resource"]}
    assert {o["name"] for o in by_type["Appointment"]["operation"]} == {"find", "hold", "book"}
    assert {i["code"] for i in by_type["Patient"]["interaction"]} == {
        "read",
        "search-type",
        "create",
        "update",
    }
    assert {i["code"] for i in by_type["Observation"]["interaction"]} == {"read", "search-type"}
    assert "searchParam" in by_type["Slot"]


def test_no_token_is_401_in_french_by_default(anonymous):  # type: ignore[no-untyped-def]
    response = anonymous.get("Patient")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert _text(response) == "Jeton d'accès absent ou invalide."


def test_a_revoked_token_is_refused(receptionist, seen):  # type: ignore[no-untyped-def]
    from geste.api.models import ApiToken
    from tests.api.fhir.conftest import FhirClient

    token, raw = ApiToken.issue(receptionist)
    token.revoke()
    assert FhirClient(raw, seen).get("Patient").status_code == 401


def test_errors_in_english_when_asked(english):  # type: ignore[no-untyped-def]
    response = english.get("Patient/999999")
    assert response.status_code == 404
    assert response["Content-Language"] == "en"
    assert _text(response) == "Patient/999999 not found."


def test_role_table_refuses_reception_the_clinical_records(reception, manip, alice):  # type: ignore[no-untyped-def]
    refused = reception.get("Observation", {"patient": alice.pk})
    assert refused.status_code == 403
    assert "Observation" in _text(refused)
    assert manip.get("Observation", {"patient": alice.pk}).status_code == 200


def test_role_table_refuses_technologists_the_booking_operations(manip):  # type: ignore[no-untyped-def]
    response = manip.post("Appointment/$book", {"resourceType": "Parameters"})
    assert response.status_code == 403


def test_every_read_and_search_is_audited_with_the_patient(reception, alice):  # type: ignore[no-untyped-def]
    before = AuditEvent.objects.count()
    assert reception.get(f"Patient/{alice.pk}").status_code == 200
    assert reception.get("Appointment", {"patient": alice.pk}).status_code == 200
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [e.action for e in events] == ["fhir.read", "fhir.search"]
    assert all(e.patient_id == alice.pk for e in events)
    assert events[0].details == {"type": "Patient", "id": str(alice.pk)}


def test_unknown_type_and_unknown_parameter_are_outcomes(reception):  # type: ignore[no-untyped-def]
    assert reception.get("Medication").status_code == 404
    response = reception.get("Patient", {"shoe-size": "42"})
    assert response.status_code == 400
    assert "shoe-size" in _text(response)


def test_only_json_is_served(reception):  # type: ignore[no-untyped-def]
    assert reception.get("Patient", {"_format": "xml"}).status_code == 406


def test_an_invalid_resource_never_leaves_the_server(reception, alice, monkeypatch):  # type: ignore[no-untyped-def]
    """Every emitted resource goes through fhir.resources: a mapping bug is a 500 outcome."""
    from geste.api.fhir import kinds

    broken = kinds.KINDS["Patient"]
    monkeypatch.setattr(
        broken, "to_fhir", lambda p: {"resourceType": "Patient", "id": str(p.pk), "gender": 3}
    )
    response = reception.get(f"Patient/{alice.pk}")
    assert response.status_code == 500
    assert response.json()["issue"][0]["details"]["coding"][0]["code"] == "internal"
    assert b"gender" not in response.content


def test_the_rate_limit_answers_fhir_clients_with_an_operation_outcome(
    reception, english, settings
):  # type: ignore[no-untyped-def]
    settings.GESTE_RATE_API = "2/m"
    assert [reception.get("metadata").status_code for _ in range(2)] == [200, 200]
    refused = reception.get("metadata")
    assert refused.status_code == 429 and int(refused["Retry-After"]) <= 60
    assert refused["Content-Type"].startswith("application/fhir+json")
    body = refused.json()  # validated by both validators at teardown, as every outcome
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "throttled"
    assert body["issue"][0]["details"]["coding"][0]["code"] == "throttled"
    assert _text(refused).startswith("Trop de requêtes.")
    for _ in range(3):
        last = english.get("metadata")
    assert last.status_code == 429 and _text(last).startswith("Too many requests.")
