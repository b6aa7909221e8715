"""The writes FHIR accepts: Patient (create, update; INS checked), ServiceRequest (a referral
creates a request), QuestionnaireResponse (the pre-procedure questionnaire)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from geste.api.fhir.http import FhirError
from geste.api.fhir.mappers import patient as patient_map
from geste.api.fhir.mappers import questionnaire
from geste.api.fhir.mappers.common import PROCEDURE_SYSTEM
from geste.api.fhir.search import reference_id
from geste.api.fhir.validation import InvalidResource, parse
from geste.audit.services import log_action
from geste.clinic.models import Procedure
from geste.pathway.instructions import questionnaire_submit
from geste.pathway.models import ProcedureRequest, Region
from geste.pathway.services import request_create
from geste.patients.models import Declaration, Patient


def _model(resource_type: str, body: Any) -> Any:
    try:
        return parse(resource_type, body)
    except InvalidResource as exc:
        raise FhirError(400, "invalid_resource", issue="structure", detail=str(exc)) from exc


def _refuse(exc: ValidationError) -> FhirError:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"resource": exc.messages}
    if "ins" in fields:
        return FhirError(422, "invalid_ins", issue="business-rule")
    detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
    return FhirError(422, "invalid_resource", issue="business-rule", detail=detail)


def patient_save(
    request: HttpRequest, body: Any, *, user: Any, pk: int | None = None
) -> tuple[Patient, bool]:
    """Create (pk None) or update a patient; full_clean checks the INS key, sex, birthplace."""
    fields = patient_map.from_fhir(_model("Patient", body))
    if pk is not None and str(body.get("id", pk)) != str(pk):
        raise FhirError(400, "bad_param", issue="invalid", param="id")
    with transaction.atomic():
        if pk is None:
            patient = Patient(**{"identity_status": "provisoire", **fields})
        else:
            found = Patient.objects.select_for_update().filter(pk=pk).first()
            if found is None:
                raise FhirError(404, "not_found", issue="not-found", resource="Patient", id=pk)
            patient = found
            for name, value in fields.items():
                setattr(patient, name, value)
        try:
            patient.full_clean(exclude=["user"])
        except ValidationError as exc:
            raise _refuse(exc) from exc
        # Identitovigilance: one INS, one patient record (a second one is a duplicate).
        if patient.ins and Patient.objects.filter(ins=patient.ins).exclude(pk=patient.pk).exists():
            raise FhirError(409, "duplicate_ins", issue="duplicate")
        created = patient.pk is None
        patient.save()
        log_action(
            actor=user,
            action="fhir.patient_created" if created else "fhir.patient_updated",
            obj=patient,
            request=request,
            details={"identity_status": patient.identity_status, "ins": bool(patient.ins)},
        )
    return patient, created


def service_request_create(request: HttpRequest, body: Any, *, user: Any) -> ProcedureRequest:
    model = _model("ServiceRequest", body)
    codes = [
        c.code
        for c in (model.code.coding if model.code else []) or []
        if c.system == PROCEDURE_SYSTEM
    ]
    procedure = Procedure.objects.filter(code__in=codes, enabled=True).first()
    if procedure is None:
        raise FhirError(422, "bad_param", issue="code-invalid", param="code")
    subject = model.subject.reference if model.subject else ""
    patient = Patient.objects.filter(pk=reference_id(subject or "", "Patient", "subject")).first()
    if patient is None:
        raise FhirError(422, "bad_param", issue="invalid", param="subject")
    region = ""
    for site in model.bodySite or []:
        for coding in site.coding or []:
            if coding.code in Region.values:
                region = coding.code
    requester = (model.requester.display or "") if model.requester else ""
    return request_create(
        patient=patient,
        procedure=procedure,
        actor=user,
        region=region,
        referring_physician=requester[:150],
    )


def questionnaire_response_create(request: HttpRequest, body: Any, *, user: Any) -> Declaration:
    model = _model("QuestionnaireResponse", body)
    if (model.questionnaire or "").split("|")[0] != questionnaire.CANONICAL:
        raise FhirError(422, "bad_param", issue="invalid", param="questionnaire")
    subject = model.subject.reference if model.subject else ""
    patient = Patient.objects.filter(pk=reference_id(subject or "", "Patient", "subject")).first()
    if patient is None:
        raise FhirError(422, "bad_param", issue="invalid", param="subject")
    try:
        answers, meds = questionnaire.answers_from(model)
    except KeyError as exc:
        raise FhirError(422, "missing_param", issue="required", param=str(exc.args[0])) from exc
    based = [b.reference for b in model.basedOn or [] if b.reference]
    linked = None
    if based:
        linked = ProcedureRequest.objects.filter(
            pk=reference_id(based[0], "ServiceRequest", "basedOn"), patient=patient
        ).first()
    return questionnaire_submit(
        patient=patient, actor=user, answers=answers, medications=meds, request=linked
    )
