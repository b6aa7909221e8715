"""Back-office pages. Every view is behind a role check; writes go through services.

The radiologist's home (issue 13, point 4) lists what waits for him today: the day's
procedures, requests whose indication awaits validation, reports to sign and open follow-up
alerts, each row linked to its request; one query per list (the dashboard adds the engine's
verdicts)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from geste.clinic.models import Role
from geste.pathway import selectors, worklists
from geste.pathway.models import FollowUp, ProcedureRequest, RequestState
from geste.patients.models import Patient
from geste.staff.roles import allow

HOME_TEMPLATES = {
    Role.RECEPTIONIST: "staff/home_reception.html",
    Role.TECHNOLOGIST: "staff/home_technologist.html",
    Role.RADIOLOGIST: "staff/home_radiologist.html",
    Role.ADMINISTRATOR: "staff/home_admin.html",
}
LISTED = 50


@allow("staff:home")
def home(request: HttpRequest) -> HttpResponse:
    role = Role(request.user.role)  # type: ignore[union-attr]
    context: dict[str, Any] = {"patient_count": Patient.objects.count()}
    if role == Role.RADIOLOGIST:
        context.update(radiologist_lists())
    return render(request, HOME_TEMPLATES[role], context)


def radiologist_lists() -> dict[str, Any]:
    waiting = ProcedureRequest.objects.select_related("patient", "procedure").order_by(
        "created_at", "pk"
    )
    return {
        "procedures": worklists.day_rows(selectors.today()),
        "to_validate": list(waiting.filter(state=RequestState.CONSULTATION_DONE)[:LISTED]),
        "to_sign": list(waiting.filter(state=RequestState.PERFORMED)[:LISTED]),
        "alerts": list(
            FollowUp.objects.filter(alert=True, alert_cleared_at__isnull=True)
            .select_related("request__patient", "request__procedure")
            .order_by("-answered_at")[:LISTED]
        ),
    }
