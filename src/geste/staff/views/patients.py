"""Back-office pages. Every view is behind a role check; writes go through services.

The patient record (issue 13, point 4) is one page: identity, requests and their states,
appointments, then what each role may read (geste.web.access, need to know): reception sees
identity, appointments and administrative documents (referral letters); technologists and
clinicians the questionnaire versions, labs and images; clinicians reports and follow-ups;
radiologists and administrators who read the record (from the audit trail). Each part is one
query, whatever the size of the record (tests count them)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from geste.audit.actions import AuditAction
from geste.audit.models import AuditEvent
from geste.audit.services import log_action
from geste.documents.models import Document
from geste.pathway.models import ProcedureRequest
from geste.patients.access import get_patient_for_user
from geste.patients.models import Declaration, LabResult, Patient
from geste.scheduling.models import Appointment
from geste.staff.roles import allow
from geste.web.access import may

# Reads of the patient's record the trail keeps (who opened what), shown to clinicians.
READ_ACTIONS = (
    AuditAction.PATIENT_READ,
    AuditAction.REQUEST_READ,
    AuditAction.RESULTS_READ,
    AuditAction.INSTRUCTIONS_READ,
    AuditAction.TIMEOUT_VIEWED,
    AuditAction.DOCUMENT_DOWNLOADED,
    AuditAction.REPORT_READ_BY_LINK,
    AuditAction.FHIR_READ,
)
READS_SHOWN = 50
LABELS = dict(AuditAction.choices)


@allow("staff:patients")
def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    patients = Patient.objects.all()
    if query:
        patients = patients.filter(
            Q(last_name__icontains=query)
            | Q(birth_name__icontains=query)
            | Q(first_names__icontains=query)
        )
    page = Paginator(patients, 25).get_page(request.GET.get("page"))
    template = "staff/_patient_rows.html" if request.htmx else "staff/patient_list.html"  # type: ignore[attr-defined]
    return render(request, template, {"page": page, "q": query})


@allow("staff:patient")
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    log_action(actor=request.user, action="patient.read", obj=patient, request=request)
    user = request.user
    clinical = may(user, "staff:consultation")
    requests = list(
        ProcedureRequest.objects.filter(patient=patient)
        .select_related("procedure", *(("report", "followup") if clinical else ()))
        .order_by("-created_at")
    )
    context: dict[str, Any] = {
        "patient": patient,
        "requests": requests,
        "appointments": list(
            Appointment.objects.filter(patient=patient)
            .select_related("room__site", "radiologist", "procedure")
            .order_by("-start")
        ),
        "letters": [r for r in requests if r.referral_letter],
        "clinical": clinical,
    }
    if may(user, "staff:staff_questionnaire"):
        context["declarations"] = list(
            Declaration.objects.filter(patient=patient)
            .prefetch_related("medications")
            .order_by("-answered_at")
        )
    if may(user, "staff:lab_entry"):
        context["labs"] = list(LabResult.objects.filter(patient=patient).order_by("-sampled_at"))
    if may(user, "staff:image_upload"):
        context["documents"] = list(Document.objects.filter(patient=patient))
    if clinical:
        context["reports"] = [r for r in requests if _has(r, "report")]
        context["followups"] = [r for r in requests if _has(r, "followup")]
    if may(user, "staff:patient:readers"):
        context["reads"] = [
            (event, LABELS.get(event.action, event.action))
            for event in AuditEvent.objects.filter(patient=patient, action__in=READ_ACTIONS)
            .select_related("actor")
            .order_by("-at")[:READS_SHOWN]
        ]
    return render(request, "staff/patient_detail.html", context)


def _has(request: ProcedureRequest, relation: str) -> bool:
    """A reverse one-to-one already fetched by select_related (no query either way)."""
    try:
        return getattr(request, relation) is not None
    except ObjectDoesNotExist:  # the request has none yet
        return False
