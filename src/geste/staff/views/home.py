"""Back-office pages. Every view is behind a role check; writes go through services."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from geste.clinic.models import Role
from geste.patients.models import Patient
from geste.staff.roles import allow

HOME_TEMPLATES = {
    Role.RECEPTIONIST: "staff/home_reception.html",
    Role.TECHNOLOGIST: "staff/home_technologist.html",
    Role.RADIOLOGIST: "staff/home_radiologist.html",
    Role.ADMINISTRATOR: "staff/home_admin.html",
}


@allow("staff:home")
def home(request: HttpRequest) -> HttpResponse:
    role = Role(request.user.role)  # type: ignore[union-attr]
    context = {"patient_count": Patient.objects.count()}
    return render(request, HOME_TEMPLATES[role], context)
