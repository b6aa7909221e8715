"""Builders for pathway tests: a request at any state, its appointment, questionnaire, labs."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from typing import Any

from geste.clinic.models import Modality, Procedure, Room, Site, User
from geste.pathway.models import ProcedureRequest, RequestState
from geste.patients.models import Declaration, LabResult, MedicationDeclaration, Patient
from geste.scheduling.models import Appointment, AppointmentKind, AppointmentStatus

_seq = count(1)


def room() -> Room:
    site = Site.objects.first() or Site.objects.create(name="Centre test", address="Paris")
    r, _ = Room.objects.get_or_create(
        site=site, name="Salle test", defaults={"modality": Modality.FLUOROSCOPY}
    )
    return r


def make_request(
    patient: Patient,
    code: str = "epidural_infiltration",
    *,
    state: str = RequestState.REQUESTED,
    validated_by: User | None = None,
    **extra: Any,
) -> ProcedureRequest:
    proc = Procedure.objects.get(code=code)
    req = ProcedureRequest.objects.create(patient=patient, procedure=proc, state=state, **extra)
    if validated_by is not None:
        from django.utils import timezone

        req.validated_by = validated_by
        req.validated_at = timezone.now()
        req.save(update_fields=["validated_by", "validated_at"])
    return req


def book(
    req: ProcedureRequest,
    start: datetime,
    radiologist: User,
    *,
    kind: str = AppointmentKind.PROCEDURE,
    status: str = AppointmentStatus.BOOKED,
) -> Appointment:
    return Appointment.objects.create(
        patient=req.patient,
        request=req,
        kind=kind,
        procedure=req.procedure,
        room=room(),
        radiologist=radiologist,
        start=start,
        end=start + timedelta(minutes=30),
        status=status,
    )


def declare(
    patient: Patient,
    at: datetime,
    *,
    request: ProcedureRequest | None = None,
    meds: list[tuple[str, datetime, str]] | None = None,
    **answers: Any,
) -> Declaration:
    values: dict[str, Any] = {
        "pregnant": None,
        "takes_anticoagulant": bool(meds),
        "fever": False,
        "current_infection": False,
        "skin_lesion_at_site": False,
    }
    values.update(answers)
    d = Declaration.objects.create(patient=patient, request=request, answered_at=at, **values)
    for drug, last, dose in meds or []:
        MedicationDeclaration.objects.create(declaration=d, drug=drug, last_dose_at=last, dose=dose)
    return d


def lab(patient: Patient, at: datetime, **values: Any) -> LabResult:
    values.setdefault("platelets_g_l", 250.0)
    values.setdefault("inr", 1.0)
    values.setdefault("aptt_ratio", 1.0)
    return LabResult.objects.create(patient=patient, sampled_at=at, **values)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_seq)}"


def record(req: ProcedureRequest, operator: User, **values: Any) -> Any:
    """A complete procedure record written directly (tests of what comes after)."""
    from geste.pathway.models import ProcedureRecord

    values.setdefault("route", "postérieure")
    values.setdefault("levels", "L4-L5")
    values.setdefault("side", "median")
    values.setdefault("asepsis", True)
    values.setdefault("fluoroscopy_s", 35)
    values.setdefault("dap_mgy_cm2", 412.5)
    return ProcedureRecord.objects.create(request=req, operator=operator, **values)
