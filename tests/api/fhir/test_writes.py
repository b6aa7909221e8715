"""Point 3: a referral creates a request; the questionnaire answered through FHIR."""

from __future__ import annotations

import pytest

from geste.api.fhir.mappers.common import PROCEDURE_SYSTEM
from geste.api.fhir.mappers.questionnaire import CANONICAL, PREGNANCY_SYSTEM
from geste.audit.models import AuditEvent
from geste.pathway.models import ProcedureRequest, RequestState
from geste.patients.models import Declaration

pytestmark = pytest.mark.django_db


def referral(patient_id: int, code: str = "facet_infiltration") -> dict:  # type: ignore[type-arg]
    return {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "code": {"coding": [{"system": PROCEDURE_SYSTEM, "code": code}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "requester": {"display": "Dr Martin, rhumatologue"},
        "bodySite": [{"coding": [{"system": "urn:geste:region", "code": "lumbar"}]}],
    }


def test_a_referral_creates_a_request(reception, alice):  # type: ignore[no-untyped-def]
    response = reception.post("ServiceRequest", referral(alice.pk))
    assert response.status_code == 201, response.json()
    req = ProcedureRequest.objects.get(pk=response.json()["id"])
    assert (req.patient_id, req.procedure.code, req.state, req.region) == (
        alice.pk,
        "facet_infiltration",
        RequestState.REQUESTED,
        "lumbar",
    )
    assert req.referring_physician == "Dr Martin, rhumatologue"
    assert AuditEvent.objects.filter(action="request.created", patient=alice).exists()
    task = reception.get(f"Task/{req.pk}").json()
    assert task["status"] == "requested"  # waiting for the radiologist's validation


def test_a_referral_for_an_unknown_procedure_is_refused(reception, alice):  # type: ignore[no-untyped-def]
    response = reception.post("ServiceRequest", referral(alice.pk, "heart_transplant"))
    assert response.status_code == 422
    assert not ProcedureRequest.objects.exists()


def test_an_invalid_resource_is_refused_naming_the_element(reception, alice):  # type: ignore[no-untyped-def]
    body = referral(alice.pk)
    body["intent"] = ["order"]  # a list where a code is expected
    response = reception.post("ServiceRequest", body)
    assert response.status_code == 400
    assert "intent" in response.json()["issue"][0]["details"]["text"]


def answers(patient_id: int, **overrides: object) -> dict:  # type: ignore[type-arg]
    items = {
        "pregnant": {"valueCoding": {"system": PREGNANCY_SYSTEM, "code": "no"}},
        "takes_anticoagulant": {"valueBoolean": True},
        "fever": {"valueBoolean": False},
        "current_infection": {"valueBoolean": False},
        "skin_lesion_at_site": {"valueBoolean": False},
        "creatinine_clearance_ml_min": {"valueDecimal": 72.5},
    }
    items.update(overrides)  # type: ignore[arg-type]
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": CANONICAL,
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "item": [
            *({"linkId": k, "answer": [v]} for k, v in items.items() if v is not None),
            {
                "linkId": "medications",
                "item": [
                    {"linkId": "medications.drug", "answer": [{"valueString": "rivaroxaban"}]},
                    {
                        "linkId": "medications.last_dose_at",
                        "answer": [{"valueDateTime": "2026-03-08T08:00:00+01:00"}],
                    },
                ],
            },
        ],
    }


def test_the_questionnaire_answered_through_fhir(manip, alice):  # type: ignore[no-untyped-def]
    response = manip.post("QuestionnaireResponse", answers(alice.pk))
    assert response.status_code == 201, response.json()
    decl = Declaration.objects.get(pk=response.json()["id"])
    assert decl.takes_anticoagulant and decl.pregnant is False
    assert decl.creatinine_clearance_ml_min == 72.5
    assert [m.drug for m in decl.medications.all()] == ["rivaroxaban"]
    assert AuditEvent.objects.filter(action="declaration.submitted", patient=alice).exists()


def test_a_missing_required_answer_is_refused(manip, alice):  # type: ignore[no-untyped-def]
    response = manip.post("QuestionnaireResponse", answers(alice.pk, fever=None))
    assert response.status_code == 422
    assert "fever" in response.json()["issue"][0]["details"]["text"]
    assert not Declaration.objects.exists()
