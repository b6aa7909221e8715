"""Reads for the pathway pages. Lists stay at a constant number of queries (prefetches)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone

from geste.clinic.models import STAFF_ROLES, CentreSettings, Role
from geste.documents.models import Document
from geste.pathway.models import ProcedureRequest
from geste.patients.models import Declaration
from geste.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentKind

# What the technologist asks the patient to remove, per procedure (pathway.md step 5).
TO_REMOVE: dict[str, str] = {
    "peripheral_joint_infiltration": "bijoux et vêtements couvrant l'articulation",
    "bone_biopsy": "bijoux, montre, vêtements du haut ; blouse fournie",
    "tumor_ablation": "tous les bijoux et objets métalliques ; blouse fournie",
}
SPINE_REMOVE = "bijoux, ceinture, soutien-gorge à armatures ; garder sous-vêtement ; blouse fournie"


def to_remove(code: str) -> str:
    return TO_REMOVE.get(code, SPINE_REMOVE)


def get_request_for_user(user: Any, pk: int) -> ProcedureRequest:
    """Fetch and authorise: staff see every request, a patient only theirs (404 otherwise)."""
    try:
        req = ProcedureRequest.objects.select_related("patient", "procedure").get(pk=pk)
    except (ProcedureRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    role = getattr(user, "role", None)
    if role in STAFF_ROLES:
        return req
    if role == Role.PATIENT and req.patient.user_id == user.pk:
        return req
    raise Http404


def today() -> date:
    return timezone.localdate()


def questionnaire_fresh(request: ProcedureRequest, at: datetime) -> bool:
    days = CentreSettings.current().questionnaire_max_age_days
    return Declaration.objects.filter(
        patient_id=request.patient_id, answered_at__gte=at - timedelta(days=days)
    ).exists()


def scheduled_at(request: ProcedureRequest) -> datetime | None:
    appt = (
        Appointment.objects.filter(
            request=request, kind=AppointmentKind.PROCEDURE, status__in=ACTIVE_STATUSES
        )
        .order_by("start")
        .first()
    )
    return appt.start if appt else None


def patient_requests(patient: Any) -> list[ProcedureRequest]:
    """Everything the portal shows: requests with prescriptions, report, follow-up, images."""

    return list(
        ProcedureRequest.objects.filter(patient=patient)
        .select_related("procedure", "report", "followup")
        .prefetch_related(
            "prescriptions",
            "report__addenda",
            Prefetch("documents", queryset=Document.objects.order_by("-created_at")),
        )
        .order_by("-created_at")
    )
