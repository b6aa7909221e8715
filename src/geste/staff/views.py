"""Back-office pages. Every view is behind a role check; writes go through services."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from geste.audit.models import AuditEvent
from geste.audit.services import log_action
from geste.clinic.access import get_patient_for_user, role_required, staff_required
from geste.clinic.models import CentreSettings, Role
from geste.patients.models import Patient
from geste.staff.forms import CentreSettingsForm

HOME_TEMPLATES = {
    Role.RECEPTIONIST: "staff/home_reception.html",
    Role.TECHNOLOGIST: "staff/home_technologist.html",
    Role.RADIOLOGIST: "staff/home_radiologist.html",
    Role.ADMINISTRATOR: "staff/home_admin.html",
}

patient_readers = role_required(Role.RECEPTIONIST, Role.RADIOLOGIST, Role.ADMINISTRATOR)


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    role = Role(request.user.role)  # type: ignore[union-attr]
    context = {"patient_count": Patient.objects.count()}
    return render(request, HOME_TEMPLATES[role], context)


@patient_readers
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


@patient_readers
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    log_action(actor=request.user, action="patient.read", obj=patient, request=request)
    return render(request, "staff/patient_detail.html", {"patient": patient})


@role_required(Role.ADMINISTRATOR)
def centre_settings(request: HttpRequest) -> HttpResponse:
    instance = CentreSettings.current()
    form = CentreSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changed = {name: str(form.cleaned_data[name]) for name in form.changed_data}
            form.save()
            log_action(
                actor=request.user,
                action="settings.updated",
                obj=instance,
                request=request,
                details={"changed": changed},
            )
        messages.success(request, _("Paramètres enregistrés."))
        return redirect("staff:settings")
    holds = instance.holds.all()
    return render(request, "staff/settings.html", {"form": form, "holds": holds})


@role_required(Role.ADMINISTRATOR)
def audit_log(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.select_related("actor", "patient")
    action = request.GET.get("action", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "staff/audit.html", {"page": page, "action": action})
