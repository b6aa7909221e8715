"""Back-office pages. Every view is behind a role check; writes go through services."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from geste.audit.services import log_action
from geste.patients.access import get_patient_for_user
from geste.patients.models import Patient
from geste.staff.roles import allow


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
    return render(request, "staff/patient_detail.html", {"patient": patient})
