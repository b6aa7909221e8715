"""The audit log page (administrators): every event with its action's label and details."""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from geste.audit.actions import AuditAction
from geste.audit.models import AuditEvent
from geste.staff.roles import allow

LABELS = dict(AuditAction.choices)


@allow("staff:audit")
def audit_log(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.select_related("actor")
    action = request.GET.get("action", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    rows = [
        {
            "event": e,
            "label": LABELS.get(e.action, e.action),
            # Identifiers, codes and reasons only (log_action's rule): shown as they were stored.
            "details": [(k, _text(v)) for k, v in sorted((e.details or {}).items())],
        }
        for e in page
    ]
    return render(
        request,
        "staff/audit.html",
        {"page": page, "rows": rows, "action": action, "actions": AuditAction.choices},
    )


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
