"""Back-office pages. Every view is behind a role check; writes go through services."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from geste.audit.models import AuditEvent
from geste.clinic.access import role_required
from geste.clinic.models import Role


@role_required(Role.ADMINISTRATOR)
def audit_log(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.select_related("actor", "patient")
    action = request.GET.get("action", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "staff/audit.html", {"page": page, "action": action})
