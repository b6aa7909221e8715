"""ServiceRequest (the referral, our ProcedureRequest) and the Task of its validation."""

from __future__ import annotations

from typing import Any

from geste.api.fhir.mappers.common import instant, procedure_concept, ref
from geste.pathway.models import ProcedureRequest, RequestState

S = RequestState
REQUEST_STATUS = {
    **dict.fromkeys(
        (S.REQUESTED, S.CONSULTATION_BOOKED, S.CONSULTATION_DONE, S.VALIDATED), "active"
    ),
    **dict.fromkeys((S.PROCEDURE_BOOKED, S.CHECKED_IN, S.READY), "active"),
    **dict.fromkeys((S.PERFORMED, S.REPORTED, S.FOLLOWED_UP), "completed"),
    **dict.fromkeys((S.DEFERRED, S.IN_DISCUSSION), "on-hold"),
    **dict.fromkeys((S.CANCELLED, S.INDICATION_REFUSED), "revoked"),
}


def service_request(r: ProcedureRequest) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(r.pk),
        "status": REQUEST_STATUS.get(RequestState(r.state), "active"),
        "intent": "order",
        "code": procedure_concept(r.procedure),
        "subject": ref("Patient", r.patient_id),
        "authoredOn": instant(r.created_at),
    }
    if r.referring_physician:
        out["requester"] = {"display": r.referring_physician}
    if r.region:
        out["bodySite"] = [{"text": r.get_region_display()}]
    return out


def validation_task(r: ProcedureRequest) -> dict[str, Any]:
    """The radiologist's validation of the indication, as a Task on the ServiceRequest."""
    if r.state == S.INDICATION_REFUSED:
        status = "rejected"
    elif r.state == S.CANCELLED:
        status = "cancelled"
    elif r.validated_at is not None:
        status = "completed"
    elif r.state == S.CONSULTATION_DONE:
        status = "ready"
    else:
        status = "requested"
    out: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(r.pk),
        "status": status,
        "intent": "order",
        "code": {"text": "Validation de l'indication par le radiologue"},
        "focus": ref("ServiceRequest", r.pk),
        "for": ref("Patient", r.patient_id),
        "authoredOn": instant(r.created_at),
    }
    if r.validated_by_id:
        out["owner"] = ref("Practitioner", r.validated_by_id)
    if r.validated_at is not None:
        out["lastModified"] = instant(r.validated_at)
    return out
